#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/filesystem.h"

namespace lakeinfra::providers::local {

/// What the local provider's refresh last read of each marker: its stamp and its bytes, by
/// provider id. A marker whose stamp is unchanged is not read again (the stamp proves the
/// bytes), so a no-op refresh costs one stat per resource. Kept between runs in one file,
/// ".lakeinfra/marker-cache" beside the state; internal to the local provider.
///
/// The file is a header line, "lakeinfra-marker-cache/2 ROOT\n", then one record per marker,
/// in the order refresh asked for them: a fixed part of seven 8-byte integers in this machine's
/// byte order (the id's length, the text's length, device, inode, size, mtime and ctime in ns),
/// then the id and the text. It is a cache of this machine's files, never shared, so no
/// portable encoding is needed; and refresh loads 10k records without parsing numbers.
///
/// It is only ever a shortcut: a file that is missing, damaged, of another format or of
/// another root reads as an empty cache, and refresh reads every marker again.
class MarkerCache {
 public:
  struct Entry {
    std::string_view id;
    config::FileStamp stamp;
    std::string_view text;  ///< Into the cache's file, or wherever the caller keeps it.
  };

  MarkerCache() = default;
  /// The cache in the file `contents` if it is a cache of `root`; an empty one otherwise.
  static MarkerCache parse(std::string contents, std::string_view root);
  /// The file's contents for `root` holding `entries`, in that order.
  static std::string serialize(std::string_view root, const std::vector<Entry>& entries);

  /// The position of `id`'s entry, or nullopt. Looks first where `id` would be if the ids are
  /// asked for in the order they were written (`*cursor`, moved past a hit), and only then
  /// through an index built on first need. Not thread-safe.
  std::optional<size_t> position(std::string_view id, size_t* cursor);
  const Entry& at(size_t position) const { return entries_[position]; }
  size_t size() const { return entries_.size(); }

 private:
  std::unique_ptr<const std::string> contents_;  ///< Entries' ids and texts point into it.
  std::vector<Entry> entries_;
  std::unordered_map<std::string_view, size_t> index_;  ///< Built by position() on a miss.
};

}  // namespace lakeinfra::providers::local
