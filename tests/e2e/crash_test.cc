// Crashes: a lake of a few hundred resources on local storage plus a pipeline with multi-MB
// artifacts is applied again and again while the test kills `lakeinfra apply` with SIGKILL at
// pseudo-random moments (fixed seed), changing the lake between kills (artifacts rebuilt, zones
// swapped) and writing user data into it. After the last kill one apply runs to completion and
// the lake must be exactly what the state says: no orphans, nothing missing, no user file lost,
// no temporary files, an intact database and a plan with no changes.
//
// Replay: the seed, the delay of every kill and what was open in the journal are printed.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/support/crash_harness.h"
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
constexpr int kMaxPartMb = 4;     // artifact parts of 1-4 MB

constexpr KillSchedule kSchedule{.tag = "[crash]",
                                 .upload_wait_limit_ms = 30'000,
                                 .poll_upload = std::chrono::microseconds(300),
                                 .poll_uniform = std::chrono::microseconds(200)};

/// `lakeinfra apply --auto-approve` in `ws`, as Workspace::run would start it.
ProcessOptions apply_options(const Workspace& ws) {
  ProcessOptions o;
  o.argv = {LAKEINFRA_BIN, "apply", "--auto-approve"};
  o.cwd = ws.dir();
  o.unset_env = {"NO_COLOR", "LAKEINFRA_LOG"};
  return o;
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
    ASSERT_EQ(run_git(src_, {"init", "-q"}).exit_code, 0);
    write_crash_pipeline(src_, kMaxPartMb);
    set_artifacts("seed-0", 5);
    for (int i = 0; i < kChurnZones; ++i)
      churn_.push_back(next_churn_++);
  }

  /// A new commit of the pipeline repo (tag v1 moved to it): `count` parts built from `seed`.
  void set_artifacts(const std::string& seed, int count) {
    auto c = commit_crash_artifacts(src_, seed, count);
    ASSERT_EQ(c.exit_code, 0) << c;
  }

  void write_config(Workspace& ws) const {
    std::string y =
        "lake: {name: crash, instance: dev}\n"
        "storage: {provider: local, root: ./data}\n"
        "zones:\n";
    for (int z = 0; z < kStableZones; ++z)
      y += crash_zone_yaml("z" + two_digits(z), kContainers);
    for (int k : churn_)
      y += crash_zone_yaml("k" + two_digits(k), kContainers);
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

  KillTally tally;
  int seed_no = 0;
  for (int round = 0; round < kMaxRounds && tally.kills < kMinKills; ++round) {
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
      std::string rel = "data/crash-dev-z" + two_digits(static_cast<int>(rng() % kStableZones)) +
                        "/c" + two_digits(static_cast<int>(rng() % kContainers));
      if (ws_.is_directory(rel))
        put_user_file(rel + "/user-" + std::to_string(round) + ".dat",
                      "round " + std::to_string(round) + "\n");
    }

    double delay = std::uniform_real_distribution<double>(0, window_ms)(rng);
    double jitter = std::uniform_real_distribution<double>(0, 3)(rng);
    fs::path log = ws_.path("apply-" + std::to_string(round) + ".log");
    auto r =
        kill_apply(apply_options(ws_), log, ws_.state_db(), upload_round, delay, jitter, kSchedule);
    if (!r.killed) {
      ASSERT_EQ(r.exit_code, 0) << "round " << round
                                << ": an apply after a kill must succeed (or be killed)\n"
                                << r.log;
    }
    tally.add(round, r, kSchedule);
  }
  tally.print(kSchedule);
  ASSERT_GE(tally.kills, kMinKills);
  EXPECT_GE(tally.upload_kills, kMinUploadKills);
  EXPECT_GT(tally.reclaimed, 0);

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
