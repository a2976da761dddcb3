// Faults between lakeinfra and S3: the real lakeinfra binary talks to the suite's Ceph RGW
// through a fault-injecting proxy (tests/support/fault_proxy.h) that, on a seeded schedule,
// answers about 10% of the requests with 503 SlowDown or 500 InternalError, resets the
// connection before or after forwarding, or holds the answer past lakeinfra's request timeout.
// Apply, plan and destroy must still succeed; nothing may be created twice; the retries must show
// in the debug log. RGW itself (through awscli, not through the proxy) is the judge of the result.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "tests/support/fault_proxy.h"
#include "tests/support/process.h"
#include "tests/support/rgw_env.h"
#include "tests/support/s3_lake_fixture.h"

namespace lakeinfra::test_support {
namespace {

namespace fs = std::filesystem;

constexpr const char* kArtifactPrefix = "pipelines/pipelines/hello-world/artifacts/";
/// lakeinfra's per-request timeout in this test, and the proxy's delay (longer). Not much
/// shorter: a CreateBucket on a loaded 2-core machine can take RGW more than 2 s, and a real
/// timeout would be a retry the proxy did not cause.
constexpr int kTimeoutMs = 5'000;
constexpr std::chrono::milliseconds kDelay{5'600};

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1))
    ++n;
  return n;
}

/// What one command's requests met at the proxy.
struct FaultCounts {
  size_t requests = 0;
  std::map<Fault, size_t> by_fault;
  size_t injected() const {
    size_t n = 0;
    for (const auto& [fault, count] : by_fault)
      n += fault == Fault::kNone ? 0 : count;
    return n;
  }
  /// Faults after which lakeinfra itself must retry: an HTTP error answer, or its own timeout.
  /// (After a reset on a reused connection libcurl may send again by itself, unseen by
  /// lakeinfra, so resets only bound the count from above.)
  size_t must_retry() const {
    auto at = [&](Fault f) { return by_fault.count(f) ? by_fault.at(f) : 0; };
    return at(Fault::kSlowDown) + at(Fault::kInternalError) + at(Fault::kDelay);
  }
  std::string str() const {
    std::string out = std::to_string(requests) + " requests";
    for (const auto& [fault, count] : by_fault) {
      if (fault != Fault::kNone)
        out += ", " + std::to_string(count) + " " + fault_name(fault);
    }
    return out;
  }
};

FaultCounts count_faults(const std::vector<ProxyLogEntry>& log) {
  FaultCounts c;
  c.requests = log.size();
  for (const auto& e : log)
    ++c.by_fault[e.fault];
  return c;
}

/// A create operation and the resource it makes, from a request the proxy saw; "" for others.
std::string create_key(const ProxyLogEntry& e) {
  if (e.action == "CreateRole")
    return "CreateRole " + e.role_name;
  if (e.action == "PutRolePolicy")
    return "PutRolePolicy " + e.role_name + "/" + e.policy_name;
  if (e.method != "PUT" || !e.query.empty() || e.path.size() < 2)
    return {};
  size_t slash = e.path.find('/', 1);
  if (slash == std::string::npos)
    return "CreateBucket " + e.path;
  if (e.path.back() == '/')
    return "PutObject(marker) " + e.path;
  return "PutObject " + e.path;
}

class FaultsS3Test : public RgwLakeTest, public ::testing::WithParamInterface<uint32_t> {
 protected:
  FaultsS3Test() : RgwLakeTest("ft", "faults-s3") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RgwLakeTest::SetUp());
    FaultProxyOptions options;
    options.upstream_port = rgw_.port;
    options.seed = GetParam();
    options.fault_percent = 10;
    options.delay = kDelay;
    options.stable_name = lake_;
    proxy_ = std::make_unique<FaultProxy>(options);
    ASSERT_TRUE(proxy_->start()) << proxy_->error();
    make_repo();
    write_config();
  }
  void TearDown() override {
    // Leave nothing behind in the shared server: straight to RGW when the test stopped early.
    if (!destroyed_) {
      proxy_.reset();
      write_config(rgw_.endpoint);
      lakeinfra({"destroy", "--auto-approve"});
    }
    proxy_.reset();
    RgwLakeTest::TearDown();
  }

  std::string bucket(const std::string& zone) const { return lake_ + "-dev-" + zone; }
  std::string role_name(const std::string& role) const { return lake_ + "-dev-" + role; }
  fs::path repo() const { return dir_ / "src"; }

  void make_repo() {
    write_file_text(repo() / "hello/Makefile", kMainAndUtilMakefile);
    write_file_text(repo() / "hello/activities.json",
                    "[{\"name\": \"Run hello\", \"type\": \"DatabricksSparkPython\",\n"
                    "  \"linkedServiceName\": {\"referenceName\": \"ADBLinkedServiceViaMSI\",\n"
                    "                        \"type\": \"LinkedServiceReference\"},\n"
                    "  \"typeProperties\": {\n"
                    "    \"pythonFile\": \"dbfs:/pipelines/hello-world/artifacts/main.py\",\n"
                    "    \"parameters\": [\"--date\", \"2026-11-21\"]}}]\n");
    write_file_text(repo() / "hello/main.py", "import util\nprint(util.greeting())\n");
    write_file_text(repo() / "hello/util.py",
                    "def greeting():\n    return 'hello through faults'\n");
    write_file_text(repo() / ".gitignore", "artifacts/\n");
    ASSERT_EQ(run_git(repo(), {"init", "-q"}).exit_code, 0);
    auto commit = commit_all_and_tag(repo(), "hello v1", "v1");
    ASSERT_EQ(commit.exit_code, 0) << commit;
  }

  /// Three buckets with four prefixes, one role with grants, one pipeline with two artifacts;
  /// the storage endpoint is the proxy unless another is given.
  void write_config(const std::string& endpoint = {}) {
    const std::string principal = "\"arn:aws:iam:::user/" + rgw_.user + "\"";
    std::ofstream out(dir_ / "lake.yaml");
    out << rgw_lake_yaml_head(rgw_, lake_, "dev", endpoint.empty() ? proxy_->endpoint() : endpoint)
        << "zones:\n"
        << "  - {name: bronze, tier: sensitive, containers: [raw, landing]}\n"
        << "  - {name: silver, tier: internal, containers: [clean]}\n"
        << "  - {name: gold, tier: internal, versioning: true, containers: [curated]}\n"
        << "roles:\n"
        << "  - name: engineer\n"
        << "    clearance: sensitive\n"
        << "    phi: true\n"
        << "    principals: [" << principal << "]\n"
        << "    grants:\n"
        << "      - {zone: bronze, access: write}\n"
        << "      - {zone: gold, container: curated, access: read}\n"
        << "jobs: {linked_service: ADBLinkedServiceViaMSI}\n"
        << "pipelines:\n"
        << "  - {name: hello-world, repo: \"file://" << repo().string()
        << "\", ref: v1, path: hello}\n";
  }

  ProcessResult lakeinfra(std::vector<std::string> args) {
    ProcessOptions o = lakeinfra_options(args);
    o.env["LAKEINFRA_LOG"] = "debug";
    o.env["LAKEINFRA_HTTP_TIMEOUT_MS"] = std::to_string(kTimeoutMs);
    o.unset_env.push_back("LAKEINFRA_LOG_FILE");
    o.timeout = std::chrono::seconds(100);
    return run_process(o);
  }

  // aws() (RgwLakeTest) goes straight to RGW, not through the proxy.

  /// Runs one command through the proxy, expects `exit_code`, and checks that every fault the
  /// proxy injected that lakeinfra had to see shows as one "s3 retry:" debug line, and that there
  /// are no more retry lines than faults. Returns the proxy's log of the command.
  std::vector<ProxyLogEntry> run_through_faults(const std::vector<std::string>& args,
                                                int exit_code) {
    proxy_->clear_log();
    auto r = lakeinfra(args);
    auto log = proxy_->log();
    FaultCounts faults = count_faults(log);
    size_t retries = count_of(r.err, "s3 retry: ");
    std::cout << "[faults seed " << GetParam() << "] " << args[0] << ": " << faults.str() << "; "
              << retries << " retries logged, " << r.elapsed.count() << " ms\n";
    EXPECT_EQ(r.exit_code, exit_code) << r;
    EXPECT_GE(retries, faults.must_retry()) << r;
    EXPECT_LE(retries, faults.injected()) << r;
    return log;
  }

  std::unique_ptr<FaultProxy> proxy_;
  bool destroyed_ = false;
};

TEST_P(FaultsS3Test, ApplyPlanDestroyCompleteAndCreateNothingTwice) {
  std::vector<ProxyLogEntry> all;
  auto apply = run_through_faults({"apply", "--auto-approve"}, 0);
  all.insert(all.end(), apply.begin(), apply.end());

  // The lake is complete, as RGW says.
  for (const std::string zone : {"bronze", "silver", "gold"})
    EXPECT_EQ(aws({"s3api", "head-bucket", "--bucket", bucket(zone)}).exit_code, 0) << zone;
  for (const auto& [zone, prefix] :
       std::vector<std::pair<std::string, std::string>>{{"bronze", "raw/"},
                                                        {"bronze", "landing/"},
                                                        {"silver", "clean/"},
                                                        {"gold", "curated/"}}) {
    EXPECT_EQ(aws({"s3api", "head-object", "--bucket", bucket(zone), "--key", prefix}).exit_code, 0)
        << zone << "/" << prefix;
  }
  auto role = aws({"iam", "get-role", "--role-name", role_name("engineer")});
  EXPECT_EQ(role.exit_code, 0) << role;
  auto policies = aws({"iam", "list-role-policies", "--role-name", role_name("engineer")});
  ASSERT_EQ(policies.exit_code, 0) << policies;
  const auto policy_list = nlohmann::json::parse(policies.out);
  EXPECT_FALSE(policy_list["PolicyNames"].empty()) << policies;
  for (const std::string file : {"main.py", "util.py"}) {
    auto cp = aws({"s3", "cp", "s3://" + bucket("gold") + "/" + kArtifactPrefix + file, "-"});
    EXPECT_EQ(cp.exit_code, 0) << cp;
    EXPECT_EQ(cp.out, read_file_text(repo() / "hello" / file)) << file;
  }
  // Exactly the lake's buckets and roles exist: none twice, none extra.
  auto buckets = aws({"s3api", "list-buckets"});
  ASSERT_EQ(buckets.exit_code, 0) << buckets;
  size_t ours = 0;
  const auto bucket_list = nlohmann::json::parse(buckets.out);
  for (const auto& b : bucket_list["Buckets"])
    ours += b["Name"].get<std::string>().starts_with(lake_ + "-");
  EXPECT_EQ(ours, 3u) << buckets;
  auto roles = aws({"iam", "list-roles"});
  ASSERT_EQ(roles.exit_code, 0) << roles;
  size_t our_roles = 0;
  const auto role_list = nlohmann::json::parse(roles.out);
  for (const auto& r : role_list["Roles"])
    our_roles += r["RoleName"].get<std::string>().starts_with(lake_ + "-");
  EXPECT_EQ(our_roles, 1u) << roles;

  auto plan = run_through_faults({"plan", "--detailed-exitcode"}, 0);
  all.insert(all.end(), plan.begin(), plan.end());

  // Each create reached RGW with a 2xx at most once per resource, plus once more for each time
  // the proxy let it happen but kept the answer from lakeinfra (reset after forwarding, or a
  // delay past the timeout): then sending the same PUT again is lakeinfra's retry, harmless
  // because it is idempotent (same bucket, same marker, same bytes, same policy), and the final
  // state above was checked. CreateRole is not repeatable: a second 2xx would be a second role.
  std::map<std::string, int> ok, hidden;
  for (const auto& e : all) {
    std::string key = create_key(e);
    if (key.empty())
      continue;
    if (e.upstream_status >= 200 && e.upstream_status < 300)
      ++ok[key];
    if (e.fault == Fault::kResetAfter || e.fault == Fault::kDelay)
      ++hidden[key];
  }
  EXPECT_FALSE(ok.empty());
  for (const auto& [key, count] : ok) {
    if (key.starts_with("CreateRole "))
      EXPECT_EQ(count, 1) << key;
    else
      EXPECT_LE(count, 1 + hidden[key]) << key;
  }

  auto destroy = run_through_faults({"destroy", "--auto-approve"}, 0);
  destroyed_ = true;
  for (const std::string zone : {"bronze", "silver", "gold"})
    EXPECT_NE(aws({"s3api", "head-bucket", "--bucket", bucket(zone)}).exit_code, 0) << zone;
  EXPECT_NE(aws({"iam", "get-role", "--role-name", role_name("engineer")}).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, FaultsS3Test, ::testing::Values(7u, 1234u, 20261121u));

}  // namespace
}  // namespace lakeinfra::test_support
