#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.h"

namespace lakeinfra::pipelines {

/// A child process to run.
struct ProcessSpec {
  /// argv[0] is the program: used as given when it contains a '/', else looked up like
  /// execvp does, in the PATH the child gets (after `env` and `unset_env`; /bin:/usr/bin when
  /// unset).
  std::vector<std::string> argv;
  std::filesystem::path cwd;  ///< "" = the current directory.
  /// Variables set (or overriding) on top of the parent's environment.
  std::map<std::string, std::string> env;
  /// Variables removed from the inherited environment (e.g. a repo token's variable).
  std::vector<std::string> unset_env;
  /// Killed (the whole process group: SIGTERM, then SIGKILL after 2 s) when it runs longer.
  /// 0 = no limit. The limit covers the child only: once it has exited, output still held open
  /// by a background grandchild is read for at most 200 ms more, then that group is killed.
  std::chrono::milliseconds timeout{0};
};

/// How a child process ended.
struct ProcessOutcome {
  /// Exit status; 128+N when killed by signal N; -1 when the status was lost (something else
  /// in the process reaped the child, e.g. SIGCHLD set to SIG_IGN).
  int exit_code = 0;
  bool timed_out = false;  ///< Killed because it exceeded ProcessSpec::timeout.
  std::chrono::milliseconds elapsed{0};
  bool ok() const { return exit_code == 0 && !timed_out; }
};

/// Receives the child's output (stdout and stderr merged, in order) one line at a time,
/// without the trailing newline ("\r" is kept); a last line without newline is delivered too,
/// and a line longer than 1 MiB arrives in 1 MiB pieces. Called on the thread that called run.
using LineSink = std::function<void(std::string_view line)>;

/// The process seam: builds (`make artifacts`) and local job runs go through it.
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  /// Runs `spec` to completion (or timeout). Fails only when the process could not be started
  /// (program not found: "cannot run make: No such file or directory"; cwd missing: "cannot run
  /// make: cannot enter directory /x: ..."), naming the program, or when `on_line` threw (the
  /// child's group is then killed). Safe to call from several threads at once.
  virtual Result<ProcessOutcome> run(const ProcessSpec& spec, const LineSink& on_line) = 0;
};

/// fork/exec with a pipe, its own process group, poll()-based reading and timeout. The child
/// gets stdin from /dev/null, no other inherited descriptors, and default signal dispositions;
/// it is always reaped before run returns.
class RealProcessRunner : public ProcessRunner {
 public:
  Result<ProcessOutcome> run(const ProcessSpec& spec, const LineSink& on_line) override;
};

}  // namespace lakeinfra::pipelines
