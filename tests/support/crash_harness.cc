#include "tests/support/crash_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <thread>
#include <utility>

namespace lakeinfra::test_support {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string two_digits(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d", i);
  return buf;
}

std::string crash_zone_yaml(const std::string& name, int containers, bool force_destroy) {
  std::string y =
      "  - {name: " + name + (force_destroy ? ", force_destroy: true" : "") + ", containers: [";
  for (int c = 0; c < containers; ++c)
    y += (c ? ", c" : "c") + two_digits(c);
  return y + "]}\n";
}

void write_crash_pipeline(const fs::path& src, int max_part_mb) {
  write_file_text(src / "p/Makefile",
                  ".PHONY: artifacts\n"
                  "artifacts:\n"
                  "\tmkdir -p artifacts\n"
                  "\tcp main.py artifacts/main.py\n"
                  "\tn=$$(cat count.txt); s=$$(cat seed.txt); i=1; while [ $$i -le $$n ]; do "
                  "yes \"$$s part $$i\" | head -c $$(( (i % " +
                      std::to_string(max_part_mb) +
                      " + 1) * 1000000 )) > artifacts/part$$i.bin; "
                      "i=$$((i+1)); done\n");
  write_file_text(src / "p/activities.json",
                  "[\n"
                  "  {\n"
                  "    \"name\": \"Run big\",\n"
                  "    \"type\": \"DatabricksSparkPython\",\n"
                  "    \"linkedServiceName\": {\"referenceName\": \"ADBLinkedServiceViaMSI\", "
                  "\"type\": \"LinkedServiceReference\"},\n"
                  "    \"typeProperties\": {\"pythonFile\": "
                  "\"dbfs:/pipelines/big/artifacts/main.py\"}\n"
                  "  }\n"
                  "]\n");
  write_file_text(src / "p/main.py", "print('big')\n");
}

ProcessResult commit_crash_artifacts(const fs::path& src, const std::string& seed, int count) {
  write_file_text(src / "p/seed.txt", seed + "\n");
  write_file_text(src / "p/count.txt", std::to_string(count) + "\n");
  return commit_all_and_tag(src, seed, "v1");
}

Background::Background(const ProcessOptions& o, const fs::path& log) {
  std::vector<std::string> args = o.argv, env = child_environment(o);
  std::vector<char*> argv, envp;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string cwd_s = o.cwd.string(), log_s = log.string();
  ::close(::open(log_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  start_ = Clock::now();
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_s.c_str(), O_WRONLY);
    int in = ::open("/dev/null", O_RDONLY);
    if (fd < 0 || in < 0 || ::chdir(cwd_s.c_str()) != 0)
      ::_exit(126);
    ::dup2(in, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::signal(SIGPIPE, SIG_DFL);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
}

Background::~Background() {
  if (pid_ > 0 && !done_) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
}

bool Background::finished() {
  if (done_)
    return true;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_)
    done_ = true;
  return done_;
}

bool Background::kill() {
  if (finished())
    return false;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status_, 0);
  done_ = true;
  return WIFSIGNALED(status_) && WTERMSIG(status_) == SIGKILL;
}

int Background::exit_code() const {
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

double Background::elapsed_ms() const {
  return std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
}

std::vector<std::vector<std::string>> read_only_sql(const fs::path& db, const std::string& query) {
  std::vector<std::vector<std::string>> rows;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return rows;
  }
  sqlite3_busy_timeout(h, 5'000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(h, query.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const unsigned char* text = sqlite3_column_text(stmt, i);
        row.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
      }
      rows.push_back(std::move(row));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(h);
  return rows;
}

std::vector<std::string> open_intents(const fs::path& db) {
  std::vector<std::string> out;
  for (auto& row : read_only_sql(db, "SELECT address FROM journal WHERE finished_at IS NULL"))
    out.push_back(row[0]);
  return out;
}

bool any_artifact(const std::vector<std::string>& addresses) {
  for (const auto& a : addresses)
    if (a.rfind("artifact.", 0) == 0)
      return true;
  return false;
}

KillRound kill_apply(const ProcessOptions& apply, const fs::path& log, const fs::path& db,
                     bool upload_round, double delay_ms, double jitter_ms,
                     const KillSchedule& schedule) {
  KillRound r;
  r.upload_round = upload_round;
  r.delay_ms = delay_ms;
  Background child(apply, log);
  bool saw_upload = false;
  while (!child.finished()) {
    if (upload_round) {
      if (!saw_upload && any_artifact(open_intents(db))) {
        saw_upload = true;
        r.delay_ms = child.elapsed_ms() + jitter_ms;
      }
      if ((saw_upload && child.elapsed_ms() >= r.delay_ms) ||
          child.elapsed_ms() > schedule.upload_wait_limit_ms)
        break;
      std::this_thread::sleep_for(schedule.poll_upload);
    } else {
      if (child.elapsed_ms() >= r.delay_ms)
        break;
      std::this_thread::sleep_for(schedule.poll_uniform);
    }
  }
  r.killed = child.kill();
  r.exit_code = child.exit_code();
  r.log = read_file_text(log);
  if (r.killed)
    r.open = open_intents(db);
  return r;
}

void KillTally::add(int round, const KillRound& r, const KillSchedule& schedule) {
  const char* kind = r.upload_round ? "upload-triggered" : "uniform";
  if (r.log.find("reclaimed the state lock") != std::string::npos)
    ++reclaimed;
  if (!r.killed) {
    ++completed;
    std::printf("%s round %2d: %s finished before its kill at %.1f ms\n", schedule.tag, round, kind,
                r.delay_ms);
    return;
  }
  ++kills;
  upload_kills += any_artifact(r.open);
  triggered += r.upload_round;
  std::string list;
  for (const auto& a : r.open)
    list += " " + a;
  std::printf("%s round %2d: kill %2d (%s) at %.1f ms; open intents:%s\n", schedule.tag, round,
              kills, kind, r.delay_ms, list.empty() ? " none" : list.c_str());
  std::fflush(stdout);
}

void KillTally::print(const KillSchedule& schedule) const {
  std::printf(
      "%s %d kills (%d upload-triggered), %d during an artifact upload, %d runs completed, %d "
      "lock reclaims\n",
      schedule.tag, kills, triggered, upload_kills, completed, reclaimed);
}

}  // namespace lakeinfra::test_support
