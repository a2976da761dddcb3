#include "providers/artifact.h"

#include "config/digest.h"

namespace lakeinfra::providers {

ProviderResult<std::string> read_artifact_source(config::FileSystem& fs,
                                                 const config::DesiredResource& desired) {
  if (desired.source.empty()) {
    return tl::unexpected(Failure{
        FailureKind::kInvalid, desired.address.str() + " has no source file to upload", {}});
  }
  auto content = fs.read_file(desired.source);
  if (!content) {
    return tl::unexpected(Failure{FailureKind::kInvalid,
                                  "cannot read artifact source " + desired.source + ": " +
                                      content.error().message() +
                                      "; the build may have been cleaned since the plan: plan "
                                      "again",
                                  {}});
  }
  std::string want = desired.attributes.value("sha256", std::string());
  std::string got = config::sha256_hex(*content);
  if (got != want) {
    return tl::unexpected(Failure{FailureKind::kInvalid,
                                  "artifact source " + desired.source +
                                      " changed since it was "
                                      "planned (sha256 " +
                                      got.substr(0, 12) + ", planned " + want.substr(0, 12) +
                                      "); plan again",
                                  {}});
  }
  return std::move(*content);
}

}  // namespace lakeinfra::providers
