#pragma once

// The e2e tests' world: a scoped temporary directory in which the real lakeinfra binary runs,
// with helpers to write configs, look at the files it made and read its SQLite state.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace lakeinfra::test_support {

/// How to run lakeinfra, beyond its arguments.
struct RunOptions {
  std::string stdin_text;                     ///< piped to stdin (never a terminal)
  std::map<std::string, std::string> env;     ///< extra environment variables
  std::vector<std::string> unset_env;         ///< variables the child must not inherit
  std::filesystem::path cwd;                  ///< default: the workspace directory
  std::chrono::milliseconds timeout{20'000};  ///< killed after this
};

/// RunOptions with only stdin text, one extra variable, one removed variable, or a directory.
RunOptions with_stdin(std::string text);
RunOptions with_env(const std::string& name, std::string value);
RunOptions without_env(const std::string& name);
RunOptions in_dir(std::filesystem::path cwd);

/// A fresh directory under the system temp directory, removed with everything in it when the
/// Workspace is destroyed. Paths given as `rel` are relative to it.
class Workspace {
 public:
  Workspace();
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path path(const std::string& rel) const { return dir_ / rel; }

  /// Writes `text` to `rel`, creating parent directories. Throws std::runtime_error on failure.
  void write(const std::string& rel, const std::string& text) const;
  /// The whole file; throws std::runtime_error when it cannot be read.
  std::string read(const std::string& rel) const;
  bool exists(const std::string& rel) const;
  bool is_directory(const std::string& rel) const;
  bool is_regular_file(const std::string& rel) const;
  /// Removes `rel` and everything under it.
  void remove(const std::string& rel) const;
  /// Sorted names of the entries of directory `rel` (hidden ones included); empty if absent.
  std::vector<std::string> entries(const std::string& rel) const;
  /// Copies examples/medallion/lake.yaml of the source tree to `rel`.
  void write_example(const std::string& rel = "lake.yaml") const;

  /// Runs lakeinfra with `args` in the workspace (or `options.cwd`), stdin a pipe. NO_COLOR and
  /// LAKEINFRA_LOG are not inherited unless set in `options.env`.
  ProcessResult run(const std::vector<std::string>& args, const RunOptions& options = {}) const;
  /// The same on a pseudo-terminal, answering `steps`.
  ProcessResult run_pty(const std::vector<std::string>& args, const std::vector<PtyStep>& steps,
                        const RunOptions& options = {}) const;

  /// `.lakeinfra/state.db` beside `lake.yaml`.
  std::filesystem::path state_db() const { return dir_ / ".lakeinfra" / "state.db"; }
  /// Runs `query` on the state database (a new connection each time) and returns its rows;
  /// NULL comes back as "NULL". Throws std::runtime_error on an SQLite error.
  std::vector<std::vector<std::string>> sql(const std::string& query) const;
  /// The first column of the first row; throws when there is no row.
  std::string sql_value(const std::string& query) const;
  int64_t serial() const;
  std::string lineage() const;
  /// The addresses in the resources table, sorted.
  std::vector<std::string> state_addresses() const;

 private:
  ProcessOptions options_for(const std::vector<std::string>& args, const RunOptions& options) const;

  std::filesystem::path dir_;
};

/// The repository root (compiled in, or $LAKEINFRA_SOURCE_DIR).
std::filesystem::path source_dir();
/// The whole file at `path`; throws std::runtime_error when it cannot be read.
std::string read_file(const std::filesystem::path& path);
/// Permission bits (st_mode & 07777) of `path`, or -1 if it cannot be stat'ed.
int file_mode(const std::filesystem::path& path);
/// How many times `needle` occurs in `haystack` (non-overlapping).
size_t count_of(const std::string& haystack, const std::string& needle);
/// True when `text` contains an ANSI escape sequence (ESC '[').
bool has_ansi(const std::string& text);
/// gethostname(), as lakeinfra records it in locks.
std::string hostname();
/// The pid of a child that has already exited and been reaped: a process that is surely dead.
pid_t dead_pid();
/// `text` with the first occurrence of `from` replaced by `to`; throws if `from` is absent.
std::string replace_once(const std::string& text, const std::string& from, const std::string& to);
/// The lines of `text` that contain `needle`, joined with "\n".
std::string lines_with(const std::string& text, const std::string& needle);

}  // namespace lakeinfra::test_support
