#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/filesystem.h"
#include "config/model.h"
#include "config/result.h"
#include "config/system.h"
#include "pipelines/activities.h"
#include "pipelines/git.h"
#include "pipelines/process.h"

namespace lakeinfra::pipelines {

/// The side-effect seams a pipeline build uses. All must outlive the call.
struct BuildSeams {
  GitFetcher* git = nullptr;
  ProcessRunner* runner = nullptr;
  config::FileSystem* fs = nullptr;
  config::Environment* env = nullptr;  ///< For token_env.
};

struct BuildOptions {
  /// Where repos and builds are cached: `<cache_root>/repos/NAME` (a bare mirror) and
  /// `<cache_root>/builds/NAME/<build key>/` (src/, build.log, build.json). Usually the
  /// directory of the state database (`.lakeinfra`).
  std::filesystem::path cache_root;
  /// Fetch every repo again (plan, apply). When false a repo already in the cache is used as it
  /// is (`plan -refresh=false`); a missing one is still fetched.
  bool fetch = true;
  /// Receives build output as "[NAME] line" (redacted), as it happens.
  std::function<void(std::string_view line)> on_output;
};

/// One file a build put in artifacts/.
struct BuiltArtifact {
  std::string name;              ///< Path below artifacts/, '/'-separated ("lib/x.whl").
  std::filesystem::path source;  ///< Absolute path of the built file.
  std::string sha256;            ///< Of its bytes.
  uint64_t size = 0;
};

/// A pipeline repo fetched, checked, built and validated: what its resources are made from.
struct PreparedPipeline {
  std::string name;
  std::string repo;  ///< Redacted URL.
  std::string ref;
  std::string path;
  std::string schedule;
  std::string commit;     ///< 40-hex sha the ref resolved to.
  std::string build_key;  ///< SHA-256 of the build inputs (commit, path, build command).
  bool reused = false;    ///< An earlier build of the same inputs was used; nothing ran.
  std::filesystem::path build_dir;
  std::filesystem::path log_path;        ///< build.log (redacted output of `make artifacts`).
  std::vector<BuiltArtifact> artifacts;  ///< Sorted by name.
  Activities activities;                 ///< Parsed and validated.
};

/// For every pipeline of `lake`, in order: fetch the repo into the cache, resolve its ref,
/// check out the commit into a clean build directory, check the contract (a Makefile with an
/// `artifacts` target, an activities.json that parses), run `make artifacts` with the pipeline's
/// timeout (output streamed with a "[NAME] " prefix and kept in build.log), hash the files in
/// artifacts/, and validate activities.json against them and `lake.jobs.linked_service`. A
/// build whose inputs (commit, path) were built before is reused without running anything.
/// Fails with every pipeline's errors, each naming the pipeline, the repo (redacted), the commit
/// and the file; a failed build's error carries the tail of its log. Writes only below
/// `cache_root`: a failure changes nothing in the lake. Tokens are registered for redaction
/// and removed from the build's environment, as are the AWS credential variables
/// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN).
Result<std::vector<PreparedPipeline>> prepare_pipelines(const config::Lake& lake,
                                                        const BuildSeams& seams,
                                                        const BuildOptions& options);

/// Whether a Makefile's text declares an `artifacts` target ("artifacts:" or "artifacts::" at
/// the start of a line, possibly among other targets); the 1-based line, or 0 when it does not.
int find_artifacts_target(std::string_view makefile);

}  // namespace lakeinfra::pipelines
