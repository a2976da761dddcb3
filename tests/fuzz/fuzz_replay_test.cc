// Runs every fuzz target's body over its seed corpus (tests/fuzz/corpus/TARGET) and its saved
// crash inputs (tests/fuzz/regressions/TARGET), so the normal `make test` (gcc, no libFuzzer)
// exercises the fuzz entry points and every crash the fuzzer ever found stays fixed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_targets.h"

namespace lakeinfra::fuzz {
namespace {

namespace fs = std::filesystem;

fs::path fuzz_dir() {
  const char* dir = std::getenv("LAKEINFRA_SOURCE_DIR");
  return fs::path(dir ? dir : LAKEINFRA_DEFAULT_SOURCE_DIR) / "tests" / "fuzz";
}

std::vector<fs::path> inputs(const std::string& folder, const std::string& target) {
  std::vector<fs::path> out;
  fs::path dir = fuzz_dir() / folder / target;
  if (!fs::exists(dir))
    return out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file())
      out.push_back(entry.path());
  }
  return out;
}

void replay(const std::string& target, int (*body)(const uint8_t*, size_t)) {
  auto corpus = inputs("corpus", target);
  EXPECT_FALSE(corpus.empty()) << "no seed corpus in " << fuzz_dir() / "corpus" / target;
  auto regressions = inputs("regressions", target);
  corpus.insert(corpus.end(), regressions.begin(), regressions.end());
  for (const auto& path : corpus) {
    SCOPED_TRACE(path.string());
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string data = buffer.str();
    EXPECT_EQ(body(reinterpret_cast<const uint8_t*>(data.data()), data.size()), 0);
  }
}

TEST(FuzzReplay, ConfigLoader) {
  replay("config_fuzz", config_fuzz);
}
TEST(FuzzReplay, Activities) {
  replay("activities_fuzz", activities_fuzz);
}
TEST(FuzzReplay, S3Xml) {
  replay("s3_xml_fuzz", s3_xml_fuzz);
}
TEST(FuzzReplay, PlanFile) {
  replay("plan_file_fuzz", plan_file_fuzz);
}

}  // namespace
}  // namespace lakeinfra::fuzz
