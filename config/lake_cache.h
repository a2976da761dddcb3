#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.h"

// Private to config/: the loader's memory of its earlier loads (ccache's "direct mode"). A lake
// that loaded cleanly is kept with the list of every input its load read: each file's bytes and
// each environment variable's value, as SHA-256 digests. A later load that finds every one of
// those inputs unchanged would compute the same lake (decoding is a pure function of them), so
// it returns the kept one instead of parsing lake.yaml again.

namespace lakeinfra::config {

/// One input a load read, and what it found.
struct LoadInput {
  enum class Kind : uint8_t {
    kFile = 1,    ///< read_file(name): `digest` is the SHA-256 of its bytes
    kAbsent = 2,  ///< stat(name) found nothing there; `digest` is ""
    kEnv = 3,     ///< Environment::get(name): the SHA-256 of the value, "" when unset
  };
  Kind kind = Kind::kFile;
  std::string name;  ///< The file's absolute path, or the variable's name.
  std::string digest;
  bool operator==(const LoadInput&) const = default;
};

/// The bytes of a cache file. `key` names the load: the program that wrote it (another build
/// may decode differently), the config path as given and made absolute (locations quote the
/// first, paths are resolved against the second) and --instance. `inputs` is everything the
/// load read.
std::string serialize_cached_lake(const std::string& key, const std::vector<LoadInput>& inputs,
                                  const Lake& lake);

/// The key and inputs of a cache file, and where its lake begins; nullopt for anything that is
/// not a whole cache file of this format. Cheap: the lake is decoded only after the inputs were
/// checked.
struct CachedLakeHeader {
  std::string key;
  std::vector<LoadInput> inputs;
  size_t lake_offset = 0;
};
std::optional<CachedLakeHeader> parse_cached_lake_header(std::string_view bytes);

/// The lake of a cache file whose header parsed; nullopt when it is damaged.
std::optional<Lake> parse_cached_lake(std::string_view bytes, const CachedLakeHeader& header);

/// For each struct a cache file holds: how many members it declares and how many the cache
/// writes. A test checks they are equal, so a new member cannot be forgotten.
struct MemberCount {
  std::string type;
  size_t declared = 0;
  size_t written = 0;
};
std::vector<MemberCount> member_counts();

}  // namespace lakeinfra::config
