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

/// Reads `config_path`, merges `lake.<instance>.yaml` from the same directory over it when that
/// file exists, interpolates `${env:NAME}`, decodes and validates everything that needs no I/O
/// beyond reading those files. On failure returns every error found (not only the first), each
/// with file:line:col, the offending key or value, and a hint naming what would be valid.
Result<Lake> load_lake(const LoadOptions& options, FileSystem& fs, Environment& env);

/// The same for one document given as text (no overlay); `filename` is used in locations and
/// `base_dir` to resolve relative paths. For tests and `validate` of piped input.
Result<Lake> parse_lake(std::string_view text, const std::string& filename,
                        const std::filesystem::path& base_dir, Environment& env);

}  // namespace lakeinfra::config
