#pragma once

// The harness the SIGKILL crash tests share (tests/e2e/crash_test.cc on local storage,
// tests/integration/crash_s3_it.cc on RGW): the pipeline repo whose artifacts are rebuilt between
// kills, a lakeinfra process in the background that can be killed at any moment, a read-only look
// at the journal of a killed run, and one kill round with its tally. What the lake must look like
// at the end depends on the storage and stays in each test.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace lakeinfra::test_support {

/// `i` with two digits ("07").
std::string two_digits(int i);

/// A zone of lake.yaml on one line: `name` with the containers c00, c01, ... (`containers` of
/// them), and force_destroy when asked.
std::string crash_zone_yaml(const std::string& name, int containers, bool force_destroy = false);

/// Writes the crash tests' pipeline `p/` into the repository `src`: a Makefile that builds
/// main.py plus COUNT parts (count.txt) of 1 to `max_part_mb` MB whose content depends on
/// seed.txt, activities.json (a DatabricksSparkPython activity "Run big") and main.py.
void write_crash_pipeline(const std::filesystem::path& src, int max_part_mb);

/// A new commit of the crash pipeline in `src` (tag v1 moved to it): seed.txt and count.txt set to
/// `seed` and `count`, everything added, committed (also when nothing changed) and tagged. Stops
/// at the first git command that fails and returns its result; else the tag's.
ProcessResult commit_crash_artifacts(const std::filesystem::path& src, const std::string& seed,
                                     int count);

/// A process started in the background, stdout and stderr into a log file, so that the test can
/// kill it at any moment with SIGKILL (only the process, as a crash would). Killed and reaped when
/// destroyed if it is still running.
class Background {
 public:
  /// Starts `o.argv` in `o.cwd` with the environment child_environment(o) and stdin /dev/null;
  /// `o.stdin_text` and `o.timeout` are not used.
  Background(const ProcessOptions& o, const std::filesystem::path& log);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  /// True once the process has ended (its status is then in exit_code()).
  bool finished();
  /// SIGKILL, then reap. Returns true when the signal ended it (false: it had already exited).
  bool kill();
  /// The exit status, or -1 when a signal ended it.
  int exit_code() const;
  double elapsed_ms() const;

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool done_ = false;
  std::chrono::steady_clock::time_point start_;
};

/// Rows of `query` on the SQLite database at `db`, opened read-only (so that the test never
/// recovers or checkpoints a killed run's database), NULL as "NULL"; empty when the database
/// cannot be read (not made yet).
std::vector<std::vector<std::string>> read_only_sql(const std::filesystem::path& db,
                                                    const std::string& query);

/// The addresses of the journal's open intents in the state database `db`; empty when it cannot
/// be read yet.
std::vector<std::string> open_intents(const std::filesystem::path& db);

/// True when one of `addresses` is an artifact's ("artifact.…").
bool any_artifact(const std::vector<std::string>& addresses);

/// How a test kills its applies: the tag of its printed lines ("[crash]") and its timing.
struct KillSchedule {
  const char* tag;
  /// An upload-triggered round gives up waiting for an upload after this long.
  double upload_wait_limit_ms;
  std::chrono::microseconds poll_upload;   ///< sleep between looks, upload-triggered rounds
  std::chrono::microseconds poll_uniform;  ///< sleep between looks, uniform rounds
};

/// One round: an apply started in the background and killed.
struct KillRound {
  bool upload_round = false;      ///< the kill waited for an artifact upload in flight
  double delay_ms = 0;            ///< when it was (to be) killed
  bool killed = false;            ///< false: it finished before its kill
  int exit_code = -1;             ///< when it finished by itself
  std::string log;                ///< what it wrote
  std::vector<std::string> open;  ///< the journal's open intents after the kill
};

/// Runs `apply` in the background (output into `log`) and kills it: in a uniform round at
/// `delay_ms`, in an upload round `jitter_ms` after an artifact upload shows in the journal of
/// `db` (or after schedule.upload_wait_limit_ms). Never fails a test: the caller checks.
KillRound kill_apply(const ProcessOptions& apply, const std::filesystem::path& log,
                     const std::filesystem::path& db, bool upload_round, double delay_ms,
                     double jitter_ms, const KillSchedule& schedule);

/// What the kill rounds came to, printed for replay.
struct KillTally {
  int kills = 0;         ///< rounds that SIGKILL ended
  int upload_kills = 0;  ///< of them, with an artifact upload open in the journal
  int triggered = 0;     ///< of them, upload-triggered rounds
  int completed = 0;     ///< rounds that finished before their kill
  int reclaimed = 0;     ///< runs that said they reclaimed the state lock

  /// Counts `r` of round `round` and prints a line about it.
  void add(int round, const KillRound& r, const KillSchedule& schedule);
  /// Prints the totals.
  void print(const KillSchedule& schedule) const;
};

}  // namespace lakeinfra::test_support
