// Fuzz target: the lake.yaml loader (see fuzz_targets.h).
#include <string>
#include <string_view>

#include "config/diagnostics.h"
#include "config/loader.h"
#include "config/memory_filesystem.h"
#include "tests/fuzz/fuzz_targets.h"

namespace lakeinfra::fuzz {
namespace {

void render(const lakeinfra::Result<config::Lake>& lake) {
  for (const auto& d : lake ? lake->warnings : lake.error())
    (void)config::format_diagnostic(d);
}

}  // namespace

int config_fuzz(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  config::MapEnvironment env{{"LAKE_ENV", "dev"}, {"EMPTY", ""}};
  render(config::parse_lake(text, "lake.yaml", "/srv/cfg", env));

  // The same text as a file, with an overlay when it has a "#--- overlay" line.
  constexpr std::string_view kSplit = "\n#--- overlay\n";
  std::string_view base = text;
  config::MemoryFileSystem fs;
  if (auto at = text.find(kSplit); at != std::string_view::npos) {
    base = text.substr(0, at);
    fs.add_file("/srv/cfg/lake.dev.yaml", std::string(text.substr(at + kSplit.size())));
  }
  fs.add_file("/srv/cfg/lake.yaml", std::string(base));
  config::LoadOptions options;
  options.config_path = "/srv/cfg/lake.yaml";
  options.instance_override = "dev";
  render(config::load_lake(options, fs, env));
  return 0;
}

}  // namespace lakeinfra::fuzz

LAKEINFRA_FUZZ_ENTRY(config_fuzz)
