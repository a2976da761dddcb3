// Crashes: a lake of a few hundred resources on local storage plus a pipeline with multi-MB
// artifacts is applied again and again while the test kills `lakeinfra apply` with SIGKILL at
// pseudo-random moments (fixed seed), changing the lake between kills (artifacts rebuilt, zones
// swapped) and writing user data into it. After the last kill one apply runs to completion and
// the lake must be exactly what the state says: no orphans, nothing missing, no user file lost,
// no temporary files, an intact database and a plan with no changes.
//
// Replay: the seed, the delay of every kill and what was open in the journal are printed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr unsigned kSeed = 20261121;
constexpr int kMinKills = 30;
constexpr int kMinUploadKills = 3;
constexpr int kMaxRounds = 90;
constexpr int kStableZones = 14;  // z00..z13: stable, receive user data
constexpr int kChurnZones = 5;    // k..: swapped between kills, never hold data
constexpr int kContainers = 15;   // per zone

// Builds main.py plus COUNT parts of 1-4 MB whose content depends on seed.txt.
const char* const kMakefile =
    ".PHONY: artifacts\n"
    "artifacts:\n"
    "\tmkdir -p artifacts\n"
    "\tcp main.py artifacts/main.py\n"
    "\tn=$$(cat count.txt); s=$$(cat seed.txt); i=1; while [ $$i -le $$n ]; do "
    "yes \"$$s part $$i\" | head -c $$(( (i % 4 + 1) * 1000000 )) > artifacts/part$$i.bin; "
    "i=$$((i+1)); done\n";

const char* const kActivities =
    "[\n"
    "  {\n"
    "    \"name\": \"Run big\",\n"
    "    \"type\": \"DatabricksSparkPython\",\n"
    "    \"linkedServiceName\": {\"referenceName\": \"ADBLinkedServiceViaMSI\", \"type\": "
    "\"LinkedServiceReference\"},\n"
    "    \"typeProperties\": {\"pythonFile\": \"dbfs:/pipelines/big/artifacts/main.py\"}\n"
    "  }\n"
    "]\n";

ProcessResult git(const fs::path& dir, const std::vector<std::string>& args) {
  return run_git(dir, args);
}

std::string two(int i) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", i);
  return buf;
}

/// A lakeinfra process started in the background, stdout and stderr into a log file, so that
/// the test can kill it at any moment with SIGKILL (only the process, as a crash would).
class Background {
 public:
  Background(const fs::path& cwd, const std::vector<std::string>& args, const fs::path& log) {
    ProcessOptions o;
    o.argv.push_back(LAKEINFRA_BIN);
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.unset_env = {"NO_COLOR", "LAKEINFRA_LOG"};
    std::vector<std::string> env = child_environment(o);
    std::vector<char*> argv, envp;
    for (auto& a : o.argv)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string cwd_s = cwd.string(), log_s = log.string();
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
  ~Background() {
    if (pid_ > 0 && !done_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  /// True once the process has ended (its status is then in status()).
  bool finished() {
    if (done_)
      return true;
    if (::waitpid(pid_, &status_, WNOHANG) == pid_)
      done_ = true;
    return done_;
  }
  /// SIGKILL, then reap. Returns true when the signal ended it (false: it had already exited).
  bool kill() {
    if (finished())
      return false;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    done_ = true;
    return WIFSIGNALED(status_) && WTERMSIG(status_) == SIGKILL;
  }
  void wait() {
    if (!done_)
      ::waitpid(pid_, &status_, 0);
    done_ = true;
  }
  int exit_code() const { return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }
  double elapsed_ms() const {
    return std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
  }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool done_ = false;
  Clock::time_point start_;
};

/// The addresses of the journal's open intents; empty when the state cannot be read yet. The
/// connection is read-only, so the test never recovers or checkpoints a killed run's database.
std::vector<std::string> open_intents(const Workspace& ws) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(ws.state_db().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5'000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT address FROM journal WHERE finished_at IS NULL", -1, &stmt,
                           nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW)
        out.push_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

bool any_artifact(const std::vector<std::string>& addresses) {
  for (const auto& a : addresses)
    if (a.rfind("artifact.", 0) == 0)
      return true;
  return false;
}

RunOptions long_run() {
  RunOptions o;
  o.timeout = std::chrono::seconds(60);
  return o;
}

std::string sha256_of(const fs::path& file) {
  ProcessOptions o;
  o.argv = {"/usr/bin/sha256sum", file.string()};
  auto r = run_process(o);
  return r.exit_code == 0 ? r.out.substr(0, 64) : "";
}

class e2e_crash : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = ws_.path("src");
    fs::create_directories(src_);
    ASSERT_EQ(git(src_, {"init", "-q"}).exit_code, 0);
    ws_.write("src/p/Makefile", kMakefile);
    ws_.write("src/p/activities.json", kActivities);
    ws_.write("src/p/main.py", "print('big')\n");
    set_artifacts("seed-0", 5);
    for (int i = 0; i < kChurnZones; ++i)
      churn_.push_back(next_churn_++);
  }

  /// A new commit of the pipeline repo (tag v1 moved to it): `count` parts built from `seed`.
  void set_artifacts(const std::string& seed, int count) {
    ws_.write("src/p/seed.txt", seed + "\n");
    ws_.write("src/p/count.txt", std::to_string(count) + "\n");
    ASSERT_EQ(git(src_, {"add", "-A"}).exit_code, 0);
    auto c = git(src_, {"commit", "-q", "--allow-empty", "-m", seed});
    ASSERT_EQ(c.exit_code, 0) << c;
    ASSERT_EQ(git(src_, {"tag", "-f", "v1"}).exit_code, 0);
  }

  std::string zone_yaml(const std::string& name) const {
    std::string y = "  - {name: " + name + ", containers: [";
    for (int c = 0; c < kContainers; ++c)
      y += (c ? ", c" : "c") + two(c);
    return y + "]}\n";
  }

  void write_config(Workspace& ws) const {
    std::string y =
        "lake: {name: crash, instance: dev}\n"
        "storage: {provider: local, root: ./data}\n"
        "zones:\n";
    for (int z = 0; z < kStableZones; ++z)
      y += zone_yaml("z" + two(z));
    for (int k : churn_)
      y += zone_yaml("k" + two(k));
    y += "  - {name: gold, containers: [curated]}\n";
    y += "pipelines:\n  - {name: big, repo: \"file://" + src_.string() + "\", ref: v1, path: p}\n";
    ws.write("lake.yaml", y);
  }

  /// A user file in the lake; remembered so that the end can check it is still there.
  void put_user_file(const std::string& rel, const std::string& text) {
    ws_.write(rel, text);
    user_files_[rel] = text;
  }

  Workspace ws_;
  fs::path src_;
  std::vector<int> churn_;
  int next_churn_ = 0;
  std::map<std::string, std::string> user_files_;
};

TEST_F(e2e_crash, RepeatedSigkillDuringApplyLeavesNoOrphansAndLosesNothing) {
  std::mt19937 rng(kSeed);
  std::printf("[crash] seed %u\n", kSeed);

  // 1. One uninterrupted apply of the whole lake in a scratch workspace: the kill window.
  double window_ms = 0;
  {
    Workspace scratch;
    write_config(scratch);
    auto t0 = Clock::now();
    auto r = scratch.run({"apply", "--auto-approve"}, long_run());
    window_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    ASSERT_EQ(r.exit_code, 0) << r;
    ASSERT_GT(scratch.state_addresses().size(), 300u);
  }
  std::printf("[crash] uninterrupted apply of %d zones took %.0f ms; kills in [0, %.0f) ms\n",
              kStableZones + kChurnZones + 1, window_ms, window_ms);

  // 2. User data that exists before lakeinfra: a container and a zone made by hand.
  put_user_file("data/crash-dev-z00/c00/seeded.csv", "id,value\n1,seeded\n");
  put_user_file("data/crash-dev-z01/zone-level.txt", "kept at the zone level\n");
  write_config(ws_);

  int kills = 0, upload_kills = 0, completed = 0, reclaimed = 0, triggered = 0;
  int seed_no = 0;
  for (int round = 0; round < kMaxRounds && kills < kMinKills; ++round) {
    // Change the lake so that the run has work: new artifacts, a churn zone swapped, or nothing
    // (the run then finishes what the killed one left).
    int what = static_cast<int>(rng() % 4);
    bool upload_round = round % 3 == 2;  // waits for an upload in flight, then kills
    if (upload_round || what == 0 || what == 2) {
      int count = 4 + static_cast<int>(rng() % 3);
      set_artifacts("seed-" + std::to_string(++seed_no), count);
      if (HasFatalFailure())
        return;
    }
    if (what == 1 || what == 2) {
      churn_.erase(churn_.begin());
      churn_.push_back(next_churn_++);
    }
    write_config(ws_);
    // User data written between kills into containers that exist by now.
    if (rng() % 2 == 0) {
      std::string rel = "data/crash-dev-z" + two(static_cast<int>(rng() % kStableZones)) + "/c" +
                        two(static_cast<int>(rng() % kContainers));
      if (ws_.is_directory(rel))
        put_user_file(rel + "/user-" + std::to_string(round) + ".dat",
                      "round " + std::to_string(round) + "\n");
    }

    double delay = std::uniform_real_distribution<double>(0, window_ms)(rng);
    double jitter = std::uniform_real_distribution<double>(0, 3)(rng);
    fs::path log = ws_.path("apply-" + std::to_string(round) + ".log");
    Background child(ws_.dir(), {"apply", "--auto-approve"}, log);
    bool saw_upload = false;
    while (!child.finished()) {
      if (upload_round) {
        if (!saw_upload && any_artifact(open_intents(ws_))) {
          saw_upload = true;
          delay = child.elapsed_ms() + jitter;
        }
        if (saw_upload && child.elapsed_ms() >= delay)
          break;
        if (child.elapsed_ms() > 30'000)
          break;
        std::this_thread::sleep_for(std::chrono::microseconds(300));
      } else {
        if (child.elapsed_ms() >= delay)
          break;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    bool killed = child.kill();
    std::string out = read_file(log);
    if (out.find("reclaimed the state lock") != std::string::npos)
      ++reclaimed;
    if (!killed) {
      ASSERT_EQ(child.exit_code(), 0)
          << "round " << round << ": an apply after a kill must succeed (or be killed)\n"
          << out;
      ++completed;
      std::printf("[crash] round %2d: %s finished before its kill at %.1f ms\n", round,
                  upload_round ? "upload-triggered" : "uniform", delay);
      continue;
    }
    ++kills;
    auto open = open_intents(ws_);
    bool in_upload = any_artifact(open);
    upload_kills += in_upload;
    triggered += upload_round;
    std::string list;
    for (const auto& a : open)
      list += " " + a;
    std::printf("[crash] round %2d: kill %2d (%s) at %.1f ms; open intents:%s\n", round, kills,
                upload_round ? "upload-triggered" : "uniform", delay,
                list.empty() ? " none" : list.c_str());
  }
  std::printf(
      "[crash] %d kills (%d upload-triggered), %d during an artifact upload, %d runs "
      "completed, %d lock reclaims\n",
      kills, triggered, upload_kills, completed, reclaimed);
  ASSERT_GE(kills, kMinKills);
  EXPECT_GE(upload_kills, kMinUploadKills);
  EXPECT_GT(reclaimed, 0);

  // 3. The last apply runs to completion; then nothing is left to do.
  auto last = ws_.run({"apply", "--auto-approve"}, long_run());
  ASSERT_EQ(last.exit_code, 0) << last;
  auto plan = ws_.run({"plan", "--detailed-exitcode"});
  EXPECT_EQ(plan.exit_code, 0) << plan;

  // 4. The database is intact, no step is open, no lock is held.
  EXPECT_EQ(ws_.sql_value("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(ws_.sql_value("SELECT count(*) FROM journal WHERE finished_at IS NULL"), "0");
  EXPECT_EQ(ws_.sql_value("SELECT count(*) FROM lock"), "0");

  // 5. The lake is exactly the state: every record's object exists, every object is recorded.
  fs::path root = ws_.path("data");
  std::set<fs::path> dirs, artifacts, allowed_dirs{root};
  auto rows = ws_.sql("SELECT address, type, provider_id, attributes FROM resources");
  size_t zones = 0;
  for (const auto& row : rows) {
    const std::string &address = row[0], &type = row[1], &id = row[2];
    fs::path p = root / id;
    if (type == "zone" || type == "container") {
      zones += type == "zone";
      dirs.insert(p);
      EXPECT_TRUE(fs::is_regular_file(p / ".lakeinfra.json")) << address << " has no marker";
    } else if (type == "artifact") {
      artifacts.insert(p);
      auto attrs = nlohmann::json::parse(row[3]);
      EXPECT_EQ(sha256_of(p), attrs.value("sha256", std::string())) << address;
      for (fs::path d = p.parent_path(); d != root && d.has_relative_path(); d = d.parent_path())
        allowed_dirs.insert(d);
    }
  }
  EXPECT_EQ(zones, static_cast<size_t>(kStableZones + kChurnZones + 1));
  allowed_dirs.insert(dirs.begin(), dirs.end());
  std::vector<std::string> strays;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path& p = it->path();
    std::string rel = fs::relative(p, ws_.dir()).string();
    if (it->is_directory() && !it->is_symlink()) {
      if (!allowed_dirs.count(p))
        strays.push_back(rel + "/ (directory not in state)");
    } else if (p.filename() == ".lakeinfra.json") {
      if (!dirs.count(p.parent_path()))
        strays.push_back(rel + " (marker of a directory not in state)");
    } else if (!artifacts.count(p) && !user_files_.count(rel)) {
      strays.push_back(rel + " (file that is neither an artifact in state nor user data)");
    }
  }
  EXPECT_TRUE(strays.empty()) << ::testing::PrintToString(strays);

  // 6. Every user file is still there, unchanged.
  for (const auto& [rel, text] : user_files_) {
    ASSERT_TRUE(ws_.is_regular_file(rel)) << rel << " was deleted";
    EXPECT_EQ(ws_.read(rel), text) << rel;
  }
  std::printf("[crash] %zu user files intact, %zu resources in state\n", user_files_.size(),
              rows.size());
}

}  // namespace
}  // namespace lakeinfra::test_support
