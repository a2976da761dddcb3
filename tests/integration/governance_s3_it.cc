// Governance on S3 end to end: the real lakeinfra binary turns roles and grants into IAM roles
// with least-privilege inline policies on the suite's Ceph RGW; then each role's temporary
// credentials (STS AssumeRole, through Debian's awscli) are used for real S3 requests, and RGW
// itself says what each role may do.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/process.h"
#include "tests/support/rgw_env.h"
#include "tests/support/s3_lake_fixture.h"

namespace lakeinfra::test_support {
namespace {

namespace fs = std::filesystem;

using ::testing::HasSubstr;

class GovernanceS3Test : public RgwLakeTest {
 protected:
  GovernanceS3Test() : RgwLakeTest("gv", "governance-s3") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RgwLakeTest::SetUp());
    write_config("{zone: gold, container: curated, access: read}", /*with_analyst=*/true);
    std::ofstream(dir_ / "report.csv") << "ward,admissions\nA,12\n";
  }
  void TearDown() override {
    if (!destroyed_)
      lakeinfra({"destroy", "--auto-approve"});
    RgwLakeTest::TearDown();
  }

  /// The issue's example lake; the test user may assume both roles.
  void write_config(const std::string& analyst_grant, bool with_analyst) {
    const std::string principal = "\"arn:aws:iam:::user/" + rgw_.user + "\"";
    std::ofstream out(dir_ / "lake.yaml");
    out << rgw_lake_yaml_head(rgw_, lake_, "dev01") << "tiers: [internal, restricted, sensitive]\n"
        << "instances:\n"
        << "  dev01: {max_tier: sensitive}\n"
        << "zones:\n"
        << "  - {name: bronze, tier: sensitive, containers: [raw], force_destroy: true}\n"
        << "  - {name: gold, tier: internal, force_destroy: true,\n"
        << "     containers: [{name: curated}, {name: deid, tier: internal}]}\n"
        << "roles:\n"
        << "  - name: data-engineer\n"
        << "    clearance: sensitive\n"
        << "    phi: true\n"
        << "    principals: [" << principal << "]\n"
        << "    grants:\n"
        << "      - {zone: bronze, access: write}\n"
        << "      - {zone: gold, access: write}\n";
    if (with_analyst) {
      out << "  - name: analyst\n"
          << "    clearance: internal\n"
          << "    principals: [" << principal << "]\n"
          << "    grants:\n"
          << "      - " << analyst_grant << "\n";
    }
  }

  std::string bucket(const std::string& zone) const { return lake_ + "-dev01-" + zone; }
  std::string role_name(const std::string& role) const { return lake_ + "-dev01-" + role; }
  std::string role_arn(const std::string& role) const {
    return "arn:aws:iam:::role/" + role_name(role);
  }

  ProcessResult lakeinfra(std::vector<std::string> args) {
    return run_process(lakeinfra_options(args));
  }

  void apply_ok() {
    auto apply = lakeinfra({"apply", "--auto-approve"});
    ASSERT_EQ(apply.exit_code, 0) << apply;
  }

  // aws() (RgwLakeTest): awscli as the lake's owner (the test user).

  /// The temporary credentials of `role`, from STS AssumeRole on RGW.
  RgwEnv assume(const std::string& role) {
    auto r = aws({"sts", "assume-role", "--role-arn", role_arn(role), "--role-session-name",
                  "lakeinfra-it"});
    EXPECT_EQ(r.exit_code, 0) << r;
    RgwEnv as = rgw_;
    if (r.exit_code != 0)
      return as;
    auto creds = nlohmann::json::parse(r.out)["Credentials"];
    as.access_key = creds["AccessKeyId"];
    as.secret_key = creds["SecretAccessKey"];
    as.session_token = creds["SessionToken"];
    return as;
  }

  /// The HTTP status RGW answers `who`'s request with (awscli --debug), 0 if none.
  int status(const RgwEnv& who, std::vector<std::string> args) {
    args.insert(args.begin(), "--debug");
    auto r = run_aws(who, args);
    return last_aws_response(r.err).status;
  }
  int get(const RgwEnv& who, const std::string& zone, const std::string& key) {
    return status(who, {"s3api", "get-object", "--bucket", bucket(zone), "--key", key,
                        (dir_ / "out").string()});
  }
  int put(const RgwEnv& who, const std::string& zone, const std::string& key) {
    return status(who, {"s3api", "put-object", "--bucket", bucket(zone), "--key", key, "--body",
                        (dir_ / "report.csv").string()});
  }
  int list(const RgwEnv& who, const std::string& zone, const std::string& prefix) {
    return status(who, {"s3api", "list-objects-v2", "--bucket", bucket(zone), "--prefix", prefix});
  }

  /// The inline policy `policy` of `role` as RGW holds it, or null.
  nlohmann::json role_policy(const std::string& role, const std::string& policy) {
    auto r =
        aws({"iam", "get-role-policy", "--role-name", role_name(role), "--policy-name", policy});
    if (r.exit_code != 0)
      return nullptr;
    auto doc = nlohmann::json::parse(r.out)["PolicyDocument"];
    return doc.is_string() ? nlohmann::json::parse(doc.get<std::string>()) : doc;
  }

  bool destroyed_ = false;
};

TEST_F(GovernanceS3Test, AssumedRolesCanDoExactlyWhatTheirGrantsSay) {
  apply_ok();
  ASSERT_EQ(put(rgw_, "gold", "curated/report.csv"), 200);
  ASSERT_EQ(put(rgw_, "gold", "deid/cohort.csv"), 200);
  ASSERT_EQ(put(rgw_, "bronze", "raw/patients.csv"), 200);

  // What lakeinfra made, seen by awscli.
  auto role = aws({"iam", "get-role", "--role-name", role_name("analyst")});
  ASSERT_EQ(role.exit_code, 0) << role;
  auto trust = nlohmann::json::parse(role.out)["Role"]["AssumeRolePolicyDocument"];
  EXPECT_EQ(trust["Statement"][0]["Principal"]["AWS"][0], "arn:aws:iam:::user/" + rgw_.user);
  auto policies = aws({"iam", "list-role-policies", "--role-name", role_name("analyst")});
  ASSERT_EQ(policies.exit_code, 0) << policies;
  EXPECT_EQ(nlohmann::json::parse(policies.out)["PolicyNames"],
            nlohmann::json({"lakeinfra.gold.curated"}));

  RgwEnv analyst = assume("analyst");
  ASSERT_FALSE(analyst.session_token.empty());
  EXPECT_EQ(get(analyst, "gold", "curated/report.csv"), 200);
  EXPECT_EQ(list(analyst, "gold", "curated/"), 200);
  EXPECT_EQ(get(analyst, "gold", "deid/cohort.csv"), 403) << "no grant on gold/deid";
  EXPECT_EQ(list(analyst, "gold", "deid/"), 403);
  EXPECT_EQ(get(analyst, "bronze", "raw/patients.csv"), 403) << "bronze is sensitive";
  EXPECT_EQ(list(analyst, "bronze", "raw/"), 403);
  EXPECT_EQ(put(analyst, "gold", "curated/new.csv"), 403) << "read-only grant";
  EXPECT_EQ(put(analyst, "gold", "deid/new.csv"), 403);

  RgwEnv engineer = assume("data-engineer");
  ASSERT_FALSE(engineer.session_token.empty());
  EXPECT_EQ(put(engineer, "bronze", "raw/admissions.csv"), 200);
  EXPECT_EQ(get(engineer, "bronze", "raw/patients.csv"), 200);
  EXPECT_EQ(put(engineer, "gold", "curated/engineered.csv"), 200);
  EXPECT_EQ(list(engineer, "bronze", ""), 200);

  // Everything read back matches what was applied.
  auto plan = lakeinfra({"plan", "--detailed-exitcode"});
  EXPECT_EQ(plan.exit_code, 0) << plan;
}

TEST_F(GovernanceS3Test, ChangedGrantUpdatesThePolicyAndRemovedRoleIsDeleted) {
  apply_ok();
  write_config("{zone: gold, container: curated, access: write}", /*with_analyst=*/true);
  auto plan = lakeinfra({"plan", "--detailed-exitcode"});
  ASSERT_EQ(plan.exit_code, 2) << plan;
  EXPECT_THAT(plan.out, HasSubstr("  # grant.analyst.gold.curated will be updated in-place\n"));
  EXPECT_THAT(plan.out, HasSubstr("Plan: 0 to add, 1 to change, 0 to destroy."));
  apply_ok();
  auto policy = role_policy("analyst", "lakeinfra.gold.curated");
  ASSERT_FALSE(policy.is_null());
  EXPECT_THAT(policy.dump(), HasSubstr("s3:PutObject"));
  RgwEnv analyst = assume("analyst");
  EXPECT_EQ(put(analyst, "gold", "curated/by-analyst.csv"), 200);
  EXPECT_EQ(put(analyst, "gold", "deid/by-analyst.csv"), 403);

  write_config("", /*with_analyst=*/false);
  auto removed = lakeinfra({"apply", "--auto-approve"});
  ASSERT_EQ(removed.exit_code, 0) << removed;
  EXPECT_THAT(removed.out, HasSubstr("0 added, 0 changed, 2 destroyed."));
  EXPECT_NE(aws({"iam", "get-role", "--role-name", role_name("analyst")}).exit_code, 0);
  EXPECT_EQ(aws({"iam", "get-role", "--role-name", role_name("data-engineer")}).exit_code, 0);

  auto destroy = lakeinfra({"destroy", "--auto-approve"});
  ASSERT_EQ(destroy.exit_code, 0) << destroy;
  destroyed_ = true;
  EXPECT_NE(aws({"iam", "get-role", "--role-name", role_name("data-engineer")}).exit_code, 0);
}

TEST_F(GovernanceS3Test, HandWidenedPolicyAndHandDeletedRoleAreRepaired) {
  apply_ok();
  ASSERT_EQ(put(rgw_, "bronze", "raw/patients.csv"), 200);

  // Someone widens the analyst's policy to the sensitive zone by hand.
  const std::string wide =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],)"
      R"("Resource":["arn:aws:s3:::)" +
      bucket("bronze") + R"(/*"]}]})";
  auto put_policy = aws({"iam", "put-role-policy", "--role-name", role_name("analyst"),
                         "--policy-name", "lakeinfra.gold.curated", "--policy-document", wide});
  ASSERT_EQ(put_policy.exit_code, 0) << put_policy;
  EXPECT_EQ(get(assume("analyst"), "bronze", "raw/patients.csv"), 200) << "the widening works";

  auto plan = lakeinfra({"plan", "--detailed-exitcode"});
  ASSERT_EQ(plan.exit_code, 2) << plan;
  EXPECT_THAT(plan.out, HasSubstr("  # grant.analyst.gold.curated has changed\n"));
  EXPECT_THAT(plan.out, HasSubstr("  # grant.analyst.gold.curated will be updated in-place\n"));
  apply_ok();
  EXPECT_EQ(get(assume("analyst"), "bronze", "raw/patients.csv"), 403) << "repaired";

  // Someone deletes the data engineer's role (its policies first, as IAM requires).
  for (const std::string p : {"lakeinfra.bronze", "lakeinfra.gold"}) {
    auto d = aws({"iam", "delete-role-policy", "--role-name", role_name("data-engineer"),
                  "--policy-name", p});
    ASSERT_EQ(d.exit_code, 0) << d;
  }
  auto del = aws({"iam", "delete-role", "--role-name", role_name("data-engineer")});
  ASSERT_EQ(del.exit_code, 0) << del;
  auto again = lakeinfra({"plan", "--detailed-exitcode"});
  ASSERT_EQ(again.exit_code, 2) << again;
  EXPECT_THAT(again.out, HasSubstr("Plan: 3 to add, 0 to change, 0 to destroy."));
  apply_ok();
  EXPECT_EQ(put(assume("data-engineer"), "bronze", "raw/again.csv"), 200);
  EXPECT_EQ(lakeinfra({"plan", "--detailed-exitcode"}).exit_code, 0);
}

}  // namespace
}  // namespace lakeinfra::test_support
