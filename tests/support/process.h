#pragma once

// A small process runner for tests that run real programs: fork/exec with captured output, an
// exit code, text on stdin, extra environment variables, a working directory and a time limit
// after which the child (and its process group) is killed. `run_in_pty` runs the child on a
// pseudo-terminal instead, for commands that only prompt when they see a terminal.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace lakeinfra::test_support {

/// What to run and how.
struct ProcessOptions {
  /// argv[0] is the program; it is executed as given (no PATH search).
  std::vector<std::string> argv;
  /// Working directory of the child; empty keeps the parent's.
  std::filesystem::path cwd;
  /// Written to the child's stdin (a pipe, so never a terminal), which is then closed.
  std::string stdin_text;
  /// Added to (or replacing in) the parent's environment.
  std::map<std::string, std::string> env;
  /// Removed from the environment the child inherits (applied before `env`).
  std::vector<std::string> unset_env;
  /// After this the child's process group is killed with SIGKILL and `timed_out` is set.
  std::chrono::milliseconds timeout{20'000};
};

/// How the child ended and what it wrote.
struct ProcessResult {
  std::string command;  ///< argv joined by spaces, for messages
  int pid = 0;          ///< the child's process id, once started
  int exit_code = -1;   ///< the exit status; -1 when killed by a signal or not started
  int term_signal = 0;  ///< the signal that ended the child, or 0
  bool timed_out = false;
  /// Set when fork/exec failed; the child never ran the program.
  std::string launch_error;
  std::string out;  ///< stdout (for a pty: everything the terminal showed)
  std::string err;  ///< stderr (always empty for a pty)
  std::chrono::milliseconds elapsed{0};
  std::chrono::microseconds elapsed_us{0};  ///< the same, finer (within the 0.5 ms reaping poll)
  long max_rss_kb = 0;  ///< the child's peak resident set (getrusage ru_maxrss), in KiB

  /// A multi-line description (command, exit, both streams) for assertion messages.
  std::string describe() const;
};

std::ostream& operator<<(std::ostream& os, const ProcessResult& r);

/// Runs the program with stdin, stdout and stderr on pipes and waits for it (at most
/// `options.timeout`). A launch failure (fork, chdir, exec) is reported in `launch_error` (a
/// child that could not exec exits 127), not thrown. Sets SIGPIPE to ignored in the calling
/// process, so that a child that exits without reading its stdin cannot kill the caller.
ProcessResult run_process(const ProcessOptions& options);

/// One exchange with a program on a terminal: when `expect` has appeared in the output (after
/// the previous step's match), `on_match` (if any) runs while the program waits, then `send` is
/// typed.
struct PtyStep {
  PtyStep(std::string expect, std::string send, std::function<void()> on_match = {})
      : expect(std::move(expect)), send(std::move(send)), on_match(std::move(on_match)) {}

  std::string expect;
  std::string send;
  std::function<void()> on_match;
};

/// Runs the program on a new pseudo-terminal (its stdin, stdout and stderr), answering the
/// prompts in `steps` in order; `options.stdin_text` is ignored. Output arrives in `out`, with
/// the terminal's echo of what was typed and "\r\n" line ends. When the time limit passes the
/// child is killed and `timed_out` is set.
ProcessResult run_in_pty(const ProcessOptions& options, const std::vector<PtyStep>& steps);

/// The environment the child of `options` would get, as "NAME=value" strings.
std::vector<std::string> child_environment(const ProcessOptions& options);

/// Runs /usr/bin/git in `dir` with a fixed identity, default branch main, no signing and no
/// user or system configuration (HOME is `dir`), for at most 10 s.
ProcessResult run_git(const std::filesystem::path& dir, const std::vector<std::string>& args);
/// Commits everything in the repository `dir` (`git add -A`, then a commit with `message`, also
/// when nothing changed) and points `tag` at that commit (moved when it exists), with run_git().
/// Stops at the first git command that fails and returns its result; else the tag's.
ProcessResult commit_all_and_tag(const std::filesystem::path& dir, const std::string& message,
                                 const std::string& tag);

/// The whole file, bytes as they are ("" when it cannot be read).
std::string read_file_text(const std::filesystem::path& path);
/// Writes `text` to `path` (replacing it), creating the parent directories.
void write_file_text(const std::filesystem::path& path, const std::string& text);

}  // namespace lakeinfra::test_support
