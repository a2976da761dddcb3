// Fuzz target: the activities.json parser and validator (see fuzz_targets.h).
#include <string>
#include <string_view>

#include "pipelines/activities.h"
#include "tests/fuzz/fuzz_targets.h"

namespace lakeinfra::fuzz {

int activities_fuzz(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = pipelines::parse_activities(text, "hello-world@1a2b3c4:activities.json");
  if (!parsed) {
    (void)parsed.error().str();
    return 0;
  }
  const std::string pipeline = "hello-world";
  for (const auto& d : pipelines::validate_activities(*parsed, pipeline, "ADBLinkedServiceViaMSI",
                                                      {"main.py", "lib/x.whl"}))
    (void)config::format_diagnostic(d);
  for (const auto& [pointer, location] : parsed->locations)
    (void)parsed->locate(pointer + "/0/x");
  (void)pipelines::referenced_artifacts(*parsed, pipeline);
  (void)pipelines::rewrite_artifact_paths(parsed->list, pipeline, [](const std::string& a) {
    return "s3://bucket/pipelines/hello-world/artifacts/" + a;
  });
  return 0;
}

}  // namespace lakeinfra::fuzz

LAKEINFRA_FUZZ_ENTRY(activities_fuzz)
