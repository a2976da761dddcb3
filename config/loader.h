#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "config/filesystem.h"
#include "config/model.h"
#include "config/result.h"
#include "config/system.h"

namespace lakeinfra::config {

struct LoadOptions {
  std::filesystem::path config_path;             ///< lake.yaml (made absolute by the loader).
  std::optional<std::string> instance_override;  ///< --instance: replaces lake.instance.
};

/// Where load_lake() remembers its loads. A later load returns the lake kept in `file`, without
/// parsing, while every input the first one read is unchanged: the bytes of lake.yaml and of its
/// overlay, whether an overlay exists, each `${env:NAME}` it looked up, `program`, the config
/// path and the instance override. Only a lake that loaded without errors is kept, never one
/// whose pipeline URLs carry credentials (the file would hold them). The file is written
/// atomically with mode 0600; one that is missing, damaged or cannot be written only costs a
/// parse.
struct LoadCache {
  std::filesystem::path file;  ///< "" = remember nothing.
  /// Identifies the running program (its build); "" = remember nothing. A file written by
  /// another program is ignored, as it may decode differently.
  std::string program;
  bool* used = nullptr;  ///< When not null, set to whether the lake came from `file`.
};

/// Reads `config_path`, merges `lake.<instance>.yaml` from the same directory over it when that
/// file exists, interpolates `${env:NAME}`, decodes and validates everything that needs no I/O
/// beyond reading those files. On failure returns every error found (not only the first), each
/// with file:line:col, the offending key or value, and a hint naming what would be valid.
Result<Lake> load_lake(const LoadOptions& options, FileSystem& fs, Environment& env,
                       const LoadCache& cache = {});

/// The same for one document given as text (no overlay); `filename` is used in locations and
/// `base_dir` to resolve relative paths. For tests and `validate` of piped input.
Result<Lake> parse_lake(std::string_view text, const std::string& filename,
                        const std::filesystem::path& base_dir, Environment& env);

}  // namespace lakeinfra::config
