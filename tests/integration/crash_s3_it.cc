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
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/rgw_env.h"

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

// Builds main.py plus COUNT parts of 1-3 MB whose content depends on seed.txt.
const char* const kMakefile =
    ".PHONY: artifacts\n"
    "artifacts:\n"
    "\tmkdir -p artifacts\n"
    "\tcp main.py artifacts/main.py\n"
    "\tn=$$(cat count.txt); s=$$(cat seed.txt); i=1; while [ $$i -le $$n ]; do "
    "yes \"$$s part $$i\" | head -c $$(( (i % 3 + 1) * 1000000 )) > artifacts/part$$i.bin; "
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

std::string two(int i) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", i);
  return buf;
}

/// Rows of `query` on the SQLite database at `db` (read-only; NULL as "NULL"); empty when the
/// database cannot be read (not made yet).
std::vector<std::vector<std::string>> sql(const fs::path& db, const std::string& query) {
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

/// A lakeinfra process started in the background, stdout and stderr into a log file, so that
/// the test can kill it at any moment with SIGKILL (only the process, as a crash would).
class Background {
 public:
  Background(const ProcessOptions& o, const fs::path& log) {
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
  ~Background() {
    if (pid_ > 0 && !done_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

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

bool any_artifact(const std::vector<std::string>& addresses) {
  for (const auto& a : addresses)
    if (a.rfind("artifact.", 0) == 0)
      return true;
  return false;
}

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
    ProcessOptions o;
    o.argv = {LAKEINFRA_BIN, "--no-color"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.cwd = dir_;
    o.env = rgw_.aws_environment();
    o.unset_env = foreign_aws_variables();
    o.unset_env.push_back("LAKEINFRA_LOG");
    o.timeout = std::chrono::seconds(120);
    return o;
  }
  ProcessResult lakeinfra(const std::vector<std::string>& args) const {
    return run_process(options(args));
  }

  ProcessResult git(const std::vector<std::string>& args) const {
    return run_git(dir_ / "src", args);
  }

  void make_repo() {
    write_file_text(dir_ / "src/p/Makefile", kMakefile);
    write_file_text(dir_ / "src/p/activities.json", kActivities);
    write_file_text(dir_ / "src/p/main.py", "print('big')\n");
    write_file_text(dir_ / "src/.gitignore", "artifacts/\n");
    ASSERT_EQ(git({"init", "-q"}).exit_code, 0);
    set_artifacts("seed-0", 4);
  }

  /// A new commit (tag v1 moved to it): `count` parts built from `seed`.
  void set_artifacts(const std::string& seed, int count) {
    write_file_text(dir_ / "src/p/seed.txt", seed + "\n");
    write_file_text(dir_ / "src/p/count.txt", std::to_string(count) + "\n");
    ASSERT_EQ(git({"add", "-A"}).exit_code, 0);
    auto c = git({"commit", "-q", "--allow-empty", "-m", seed});
    ASSERT_EQ(c.exit_code, 0) << c;
    ASSERT_EQ(git({"tag", "-f", "v1"}).exit_code, 0);
  }

  /// lake.yaml with the stable zones, the churn zones `churn` and gold.
  void write_config(const std::vector<int>& churn, bool force_destroy = false) const {
    auto zone = [&](const std::string& n) {
      std::string y =
          "  - {name: " + n + (force_destroy ? ", force_destroy: true" : "") + ", containers: [";
      for (int c = 0; c < kContainers; ++c)
        y += (c ? ", c" : "c") + two(c);
      return y + "]}\n";
    };
    std::string y = "lake: {name: " + name_ + ", instance: dev}\n" +
                    "storage: {provider: s3, endpoint: \"" + rgw_.endpoint +
                    "\", region: " + rgw_.region + ", addressing: path}\n" + "zones:\n";
    for (int z = 0; z < kStableZones; ++z)
      y += zone("z" + two(z));
    for (int k : churn)
      y += zone("k" + two(k));
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

  int kills = 0, upload_kills = 0, completed = 0, reclaimed = 0, triggered = 0, seed_no = 0;
  for (int round = 0; round < kMaxRounds && kills < kMinKills; ++round) {
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
      std::string bucket = lake.bucket("z" + two(static_cast<int>(rng() % kStableZones)));
      std::string key = "c" + two(static_cast<int>(rng() % kContainers)) + "/user-" +
                        std::to_string(round) + ".dat";
      put_user_object(bucket, key, "round " + std::to_string(round) + "\n");
    }

    double delay = std::uniform_real_distribution<double>(0, window_ms)(rng);
    double jitter = std::uniform_real_distribution<double>(0, 5)(rng);
    fs::path log = lake.dir() / ("apply-" + std::to_string(round) + ".log");
    Background child(lake.options({"apply", "--auto-approve"}), log);
    bool saw_upload = false;
    while (!child.finished()) {
      if (upload_round) {
        if (!saw_upload && !sql(lake.db(),
                                "SELECT 1 FROM journal WHERE finished_at IS NULL AND address LIKE "
                                "'artifact.%'")
                                .empty()) {
          saw_upload = true;
          delay = child.elapsed_ms() + jitter;
        }
        if ((saw_upload && child.elapsed_ms() >= delay) || child.elapsed_ms() > 60'000)
          break;
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      } else {
        if (child.elapsed_ms() >= delay)
          break;
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
    }
    bool killed = child.kill();
    std::string out = read_file_text(log);
    if (out.find("reclaimed the state lock") != std::string::npos)
      ++reclaimed;
    if (!killed) {
      ASSERT_EQ(child.exit_code(), 0)
          << "round " << round << ": an apply after a kill must succeed (or be killed)\n"
          << out;
      ++completed;
      std::printf("[crash-s3] round %2d: %s finished before its kill at %.1f ms\n", round,
                  upload_round ? "upload-triggered" : "uniform", delay);
      continue;
    }
    ++kills;
    std::vector<std::string> open;
    for (auto& row : sql(lake.db(), "SELECT address FROM journal WHERE finished_at IS NULL"))
      open.push_back(row[0]);
    bool in_upload = any_artifact(open);
    upload_kills += in_upload;
    triggered += upload_round;
    std::string list;
    for (const auto& a : open)
      list += " " + a;
    std::printf("[crash-s3] round %2d: kill %2d (%s) at %.1f ms; open intents:%s\n", round, kills,
                upload_round ? "upload-triggered" : "uniform", delay,
                list.empty() ? " none" : list.c_str());
    std::fflush(stdout);
  }
  std::printf(
      "[crash-s3] %d kills (%d upload-triggered), %d during an artifact upload, %d runs "
      "completed, %d lock reclaims\n",
      kills, triggered, upload_kills, completed, reclaimed);
  ASSERT_GE(kills, kMinKills);
  EXPECT_GE(upload_kills, kMinUploadKills);
  EXPECT_GT(reclaimed, 0);

  // 3. The last apply runs to completion; then nothing is left to do.
  auto last = lake.lakeinfra({"apply", "--auto-approve"});
  ASSERT_EQ(last.exit_code, 0) << last;
  auto plan = lake.lakeinfra({"plan", "--detailed-exitcode"});
  EXPECT_EQ(plan.exit_code, 0) << plan;

  // 4. The database is intact, no step is open, no lock is held.
  auto integrity = sql(lake.db(), "PRAGMA integrity_check");
  ASSERT_FALSE(integrity.empty());
  EXPECT_EQ(integrity[0][0], "ok");
  EXPECT_EQ(sql(lake.db(), "SELECT count(*) FROM journal WHERE finished_at IS NULL")[0][0], "0");
  EXPECT_EQ(sql(lake.db(), "SELECT count(*) FROM lock")[0][0], "0");

  // 5. What awscli sees is exactly the state (plus the user objects).
  std::set<std::string> state_buckets, state_objects;  // "bucket/key"
  std::map<std::string, std::string> artifact_sha;     // "bucket/key" -> sha256
  auto rows = sql(lake.db(), "SELECT address, type, provider_id, attributes FROM resources");
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
