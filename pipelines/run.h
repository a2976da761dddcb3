#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "config/filesystem.h"
#include "config/result.h"
#include "pipelines/process.h"
#include "state/job_registry.h"

namespace lakeinfra::pipelines {

struct RunOptions {
  /// The workspace root (mounts live below it); the job's working directory.
  std::filesystem::path workspace;
  /// Mount name → its path in the workspace (absolute), exported as LAKEINFRA_MOUNT_<NAME>.
  std::map<std::string, std::filesystem::path> mounts;
  /// Where artifacts that are not local files (s3://) are downloaded before the run, through
  /// `fs`.
  std::filesystem::path scratch;
  config::FileSystem* fs = nullptr;
  /// The bytes of a non-local artifact URL (s3://bucket/key).
  std::function<Result<std::string>(const std::string& url)> download;
  /// Receives the job's output (stdout and stderr merged) line by line, and lakeinfra's own
  /// lines about the run ("activity X: ...").
  LineSink on_output;
  /// Extra environment for the job.
  std::map<std::string, std::string> env;
};

/// How a run ended.
struct RunOutcome {
  int exit_code = 0;  ///< The first failing activity's exit code; 0 when all ran fine.
  int ran = 0;        ///< Activities run.
  int skipped = 0;    ///< Activities of types that cannot run locally.
};

/// Runs a registered job on this machine, activity by activity in list order: a
/// `DatabricksSparkPython` activity runs `python3 <pythonFile> <parameters...>` (the file from
/// the uploaded artifacts: a local path, or downloaded into `scratch` with the job's other
/// artifacts); any other type is reported as not runnable locally and skipped. The job runs in
/// `workspace` with LAKEINFRA_JOB, LAKEINFRA_WORKSPACE, LAKEINFRA_ARTIFACTS (the folder of its
/// artifacts, also on PYTHONPATH) and LAKEINFRA_MOUNT_<NAME> (uppercase, '-' → '_') set. Stops
/// at the first failing activity. Fails (no outcome) when nothing in the job can run locally or
/// an artifact cannot be fetched.
Result<RunOutcome> run_job(const state::JobRecord& job, ProcessRunner& runner,
                           const RunOptions& options);

}  // namespace lakeinfra::pipelines
