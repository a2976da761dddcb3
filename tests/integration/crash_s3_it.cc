// Crashes on S3: a lake of about two hundred buckets and prefixes on the suite's Ceph RGW plus a
// pipeline with multi-MB artifacts is applied again and again while the test kills
// `lakeinfra apply` with SIGKILL at pseudo-random moments (fixed seed), changing the lake between
// kills (artifacts rebuilt, zones swapped) and putting user objects into it with awscli. After
// the last kill one apply runs to completion, and awscli (the independent client) must find
// exactly what the state records: no bucket, prefix marker or artifact that is not in state,
// nothing in state missing, every user object still there; the plan has no changes and the
// state database passes its integrity check.
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
#include "tests/support/process.h"
#include "tests/support/rgw_env.h"
#include "tests/support/s3_lake_fixture.h"

namespace lakeinfra::test_support {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr unsigned kSeed = 7011;
constexpr int kMinKills = 20;
constexpr int kMinUploadKills = 3;
constexpr int kMaxRounds = 60;
constexpr int kStableZones = 8;  // z00..z07: stable, receive user objects
constexpr int kChurnZones = 3;   // k..: swapped between kills, never hold data
constexpr int kContainers = 16;  // per zone
constexpr int kMaxPartMb = 3;    // artifact parts of 1-3 MB

constexpr KillSchedule kSchedule{.tag = "[crash-s3]",
                                 .upload_wait_limit_ms = 60'000,
                                 .poll_upload = std::chrono::microseconds(500),
                                 .poll_uniform = std::chrono::microseconds(500)};

/// One lake on the shared RGW in its own folder, with its own pipeline repo.
class Lake {
 public:
  Lake(const RgwEnv& rgw, const std::string& prefix) : rgw_(rgw) {
    name_ = unique_lake_name(prefix);
    dir_ = fs::temp_directory_path() / ("lakeinfra-crash-s3-" + name_);
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "src");
  }
  ~Lake() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  const std::string& name() const { return name_; }
  const fs::path& dir() const { return dir_; }
  fs::path db() const { return dir_ / ".lakeinfra/state.db"; }
  std::string bucket(const std::string& zone) const { return name_ + "-dev-" + zone; }

  ProcessOptions options(const std::vector<std::string>& args) const {
    ProcessOptions o = lakeinfra_on_rgw(rgw_, dir_, args);
    o.unset_env.push_back("LAKEINFRA_LOG");
    return o;
  }
  ProcessResult lakeinfra(const std::vector<std::string>& args) const {
    return run_process(options(args));
  }

  void make_repo() {
    write_crash_pipeline(dir_ / "src", kMaxPartMb);
    write_file_text(dir_ / "src/.gitignore", "artifacts/\n");
    ASSERT_EQ(run_git(dir_ / "src", {"init", "-q"}).exit_code, 0);
    set_artifacts("seed-0", 4);
  }

  /// A new commit (tag v1 moved to it): `count` parts built from `seed`.
  void set_artifacts(const std::string& seed, int count) {
    auto c = commit_crash_artifacts(dir_ / "src", seed, count);
    ASSERT_EQ(c.exit_code, 0) << c;
  }

  /// lake.yaml with the stable zones, the churn zones `churn` and gold.
  void write_config(const std::vector<int>& churn, bool force_destroy = false) const {
    auto zone = [&](const std::string& n) {
      return crash_zone_yaml(n, kContainers, force_destroy);
    };
    std::string y = rgw_lake_yaml_head(rgw_, name_, "dev") + "zones:\n";
    for (int z = 0; z < kStableZones; ++z)
      y += zone("z" + two_digits(z));
    for (int k : churn)
      y += zone("k" + two_digits(k));
    y += zone("gold");
    y += "jobs: {linked_service: ADBLinkedServiceViaMSI}\n";
    y += "pipelines:\n  - {name: big, repo: \"file://" + (dir_ / "src").string() +
         "\", ref: v1, path: p}\n";
    write_file_text(dir_ / "lake.yaml", y);
  }

  /// Best effort: everything of this lake goes from the shared server (force_destroy applied
  /// first, since user objects are in it), then any bucket left is removed with awscli.
  void destroy_all(const std::vector<int>& churn) const {
    write_config(churn, /*force_destroy=*/true);
    lakeinfra({"apply", "--auto-approve"});
    lakeinfra({"destroy", "--auto-approve"});
    auto list = run_aws(rgw_, {"s3api", "list-buckets"});
    auto j = nlohmann::json::parse(list.out, nullptr, false);
    if (j.is_discarded() || !j.contains("Buckets"))
      return;
    for (const auto& b : j["Buckets"]) {
      std::string n = b.value("Name", std::string());
      if (n.rfind(name_ + "-", 0) == 0)
        run_aws(rgw_, {"s3", "rb", "--force", "s3://" + n});
    }
  }

 private:
  const RgwEnv& rgw_;
  std::string name_;
  fs::path dir_;
};

class CrashS3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = load_rgw_env();
    ASSERT_TRUE(env.has_value()) << env.error();
    rgw_ = *env;
  }
  ProcessResult aws(const std::vector<std::string>& args) { return run_aws(rgw_, args); }

  RgwEnv rgw_;
};

TEST_F(CrashS3Test, RepeatedSigkillDuringApplyLeavesNoOrphansAndLosesNothing) {
  std::mt19937 rng(kSeed);
  std::printf("[crash-s3] seed %u\n", kSeed);
  std::vector<int> churn;
  int next_churn = 0;
  for (int i = 0; i < kChurnZones; ++i)
    churn.push_back(next_churn++);

  // 1. One uninterrupted apply of the same lake under another name: the kill window.
  double window_ms = 0;
  {
    Lake scratch(rgw_, "crs");
    scratch.make_repo();
    if (HasFatalFailure())
      return;
    scratch.write_config(churn);
    auto t0 = Clock::now();
    auto r = scratch.lakeinfra({"apply", "--auto-approve"});
    window_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    auto destroy = scratch.lakeinfra({"destroy", "--auto-approve"});
    ASSERT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(destroy.exit_code, 0) << destroy;
  }
  std::printf("[crash-s3] uninterrupted apply of %d zones took %.0f ms; kills in [0, %.0f) ms\n",
              kStableZones + kChurnZones + 1, window_ms, window_ms);

  Lake lake(rgw_, "crash");
  struct Cleanup {
    Lake& lake;
    std::vector<int>& churn;
    ~Cleanup() { lake.destroy_all(churn); }
  } cleanup{lake, churn};
  lake.make_repo();
  if (HasFatalFailure())
    return;

  // 2. User data that exists before lakeinfra: a bucket made by hand with an object in it.
  std::map<std::string, std::string> user_objects;  // "bucket/key" -> body
  auto put_user_object = [&](const std::string& bucket, const std::string& key,
                             const std::string& body) {
    fs::path file = lake.dir() / "user-object";
    write_file_text(file, body);
    auto put =
        aws({"s3api", "put-object", "--bucket", bucket, "--key", key, "--body", file.string()});
    if (put.exit_code == 0)
      user_objects[bucket + "/" + key] = body;
    return put.exit_code == 0;
  };
  ASSERT_EQ(aws({"s3api", "create-bucket", "--bucket", lake.bucket("z00")}).exit_code, 0);
  ASSERT_TRUE(put_user_object(lake.bucket("z00"), "c00/seeded.csv", "id,value\n1,seeded\n"));
  lake.write_config(churn);

  KillTally tally;
  int seed_no = 0;
  for (int round = 0; round < kMaxRounds && tally.kills < kMinKills; ++round) {
    int what = static_cast<int>(rng() % 4);
    bool upload_round = round % 3 == 2;
    if (upload_round || what == 0 || what == 2) {
      lake.set_artifacts("seed-" + std::to_string(++seed_no), 3 + static_cast<int>(rng() % 3));
      if (HasFatalFailure())
        return;
    }
    if (what == 1 || what == 2) {
      churn.erase(churn.begin());
      churn.push_back(next_churn++);
    }
    lake.write_config(churn);
    if (round % 4 == 1) {  // user objects between kills, in buckets that exist by now
      std::string bucket = lake.bucket("z" + two_digits(static_cast<int>(rng() % kStableZones)));
      std::string key = "c" + two_digits(static_cast<int>(rng() % kContainers)) + "/user-" +
                        std::to_string(round) + ".dat";
      put_user_object(bucket, key, "round " + std::to_string(round) + "\n");
    }

    double delay = std::uniform_real_distribution<double>(0, window_ms)(rng);
    double jitter = std::uniform_real_distribution<double>(0, 5)(rng);
    fs::path log = lake.dir() / ("apply-" + std::to_string(round) + ".log");
    auto r = kill_apply(lake.options({"apply", "--auto-approve"}), log, lake.db(), upload_round,
                        delay, jitter, kSchedule);
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
  auto last = lake.lakeinfra({"apply", "--auto-approve"});
  ASSERT_EQ(last.exit_code, 0) << last;
  auto plan = lake.lakeinfra({"plan", "--detailed-exitcode"});
  EXPECT_EQ(plan.exit_code, 0) << plan;

  // 4. The database is intact, no step is open, no lock is held.
  auto integrity = read_only_sql(lake.db(), "PRAGMA integrity_check");
  ASSERT_FALSE(integrity.empty());
  EXPECT_EQ(integrity[0][0], "ok");
  EXPECT_EQ(
      read_only_sql(lake.db(), "SELECT count(*) FROM journal WHERE finished_at IS NULL")[0][0],
      "0");
  EXPECT_EQ(read_only_sql(lake.db(), "SELECT count(*) FROM lock")[0][0], "0");

  // 5. What awscli sees is exactly the state (plus the user objects).
  std::set<std::string> state_buckets, state_objects;  // "bucket/key"
  std::map<std::string, std::string> artifact_sha;     // "bucket/key" -> sha256
  auto rows =
      read_only_sql(lake.db(), "SELECT address, type, provider_id, attributes FROM resources");
  for (const auto& row : rows) {
    const std::string &type = row[1], &id = row[2];
    if (type == "zone") {
      state_buckets.insert(id);
    } else if (type == "container") {
      state_objects.insert(id + "/");
    } else if (type == "artifact") {
      state_objects.insert(id);
      artifact_sha[id] = nlohmann::json::parse(row[3]).value("sha256", std::string());
    }
  }
  EXPECT_EQ(state_buckets.size(), static_cast<size_t>(kStableZones + kChurnZones + 1));

  std::set<std::string> buckets, objects;
  auto list = aws({"s3api", "list-buckets"});
  ASSERT_EQ(list.exit_code, 0) << list;
  auto all_buckets = nlohmann::json::parse(list.out);
  for (const auto& b : all_buckets.value("Buckets", nlohmann::json::array())) {
    std::string n = b.value("Name", std::string());
    if (n.rfind(lake.name() + "-", 0) == 0)
      buckets.insert(n);
  }
  for (const auto& b : buckets) {
    auto objs = aws({"s3api", "list-objects-v2", "--bucket", b});
    ASSERT_EQ(objs.exit_code, 0) << objs;
    if (objs.out.find_first_not_of(" \n") == std::string::npos)
      continue;  // an empty bucket: awscli prints nothing
    auto j = nlohmann::json::parse(objs.out);
    for (const auto& o : j.value("Contents", nlohmann::json::array()))
      objects.insert(b + "/" + o.value("Key", std::string()));
  }
  std::vector<std::string> strays, missing;
  for (const auto& b : buckets)
    if (!state_buckets.count(b))
      strays.push_back(b + " (bucket not in state)");
  for (const auto& o : objects)
    if (!state_objects.count(o) && !user_objects.count(o))
      strays.push_back(o + " (object neither in state nor user data)");
  for (const auto& b : state_buckets)
    if (!buckets.count(b))
      missing.push_back(b);
  for (const auto& o : state_objects)
    if (!objects.count(o))
      missing.push_back(o);
  for (const auto& [o, body] : user_objects)
    if (!objects.count(o))
      missing.push_back(o + " (user object)");
  EXPECT_TRUE(strays.empty()) << ::testing::PrintToString(strays);
  EXPECT_TRUE(missing.empty()) << ::testing::PrintToString(missing);

  // Every artifact carries the SHA-256 the state records.
  for (const auto& [id, sha] : artifact_sha) {
    size_t slash = id.find('/');
    auto head = aws(
        {"s3api", "head-object", "--bucket", id.substr(0, slash), "--key", id.substr(slash + 1)});
    ASSERT_EQ(head.exit_code, 0) << head;
    auto meta = nlohmann::json::parse(head.out);
    EXPECT_EQ(meta["Metadata"].value("sha256", std::string()), sha) << id;
  }
  // The user objects kept their content (one of them read back: the pre-seeded one).
  auto seeded = aws({"s3", "cp", "s3://" + lake.bucket("z00") + "/c00/seeded.csv", "-"});
  EXPECT_EQ(seeded.out, "id,value\n1,seeded\n") << seeded;
  std::printf("[crash-s3] %zu user objects intact, %zu resources in state\n", user_objects.size(),
              rows.size());
}

}  // namespace
}  // namespace lakeinfra::test_support
