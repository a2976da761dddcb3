// Governance on local storage: roles and grants of examples/health-platform become the policy
// document lake/access-policy.json, kept in sync by plan/apply; `access` and `access check`
// answer from the configuration; every governance rule stops validate and plan.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const char kPolicyFile[] = "lake/access-policy.json";

void write_health_platform(Workspace& ws) {
  ws.write("lake.yaml", read_file(source_dir() / "examples/health-platform/lake.yaml"));
}

void apply(Workspace& ws) {
  auto r = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << r;
}

nlohmann::json policy_document(const Workspace& ws) {
  return nlohmann::json::parse(ws.read(kPolicyFile));
}

// The actions of the statement with `sid` in an IAM policy document; empty if there is none.
std::vector<std::string> actions(const nlohmann::json& policy, const std::string& sid) {
  for (const auto& s : policy["Statement"]) {
    if (s.value("Sid", "") == sid)
      return s["Action"].get<std::vector<std::string>>();
  }
  return {};
}

TEST(e2e_governance, ApplyWritesEveryRoleAndGrantToThePolicyDocument) {
  Workspace ws;
  write_health_platform(ws);
  auto plan = ws.run({"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan;
  EXPECT_THAT(plan.out, HasSubstr("  # role.data-analyst will be created\n"));
  EXPECT_THAT(plan.out, HasSubstr("  # grant.data-analyst.gold.deid will be created\n"));
  EXPECT_THAT(plan.out, HasSubstr("  # grant.data-engineer.bronze will be created\n"));
  // 3 zones + 5 containers + 6 roles + 8 grants
  EXPECT_THAT(plan.out, HasSubstr("Plan: 22 to add, 0 to change, 0 to destroy."));

  ASSERT_NO_FATAL_FAILURE(apply(ws));
  auto doc = policy_document(ws);
  EXPECT_EQ(doc["format"], "lakeinfra-access-policy/1");
  ASSERT_EQ(doc["roles"].size(), 6u) << doc.dump(2);

  const auto& analyst = doc["roles"]["healthdp-dev01-data-analyst"];
  EXPECT_EQ(analyst["tags"]["lakeinfra:clearance"], "internal");
  EXPECT_EQ(analyst["tags"]["lakeinfra:phi"], "false");
  // No principals: nobody may assume the role.
  EXPECT_EQ(analyst["trust_policy"]["Statement"][0]["Effect"], "Deny");
  ASSERT_EQ(analyst["policies"].size(), 1u);
  const auto& deid = analyst["policies"]["lakeinfra.gold.deid"];
  EXPECT_EQ(actions(deid, "Read"), std::vector<std::string>{"s3:GetObject"});
  EXPECT_TRUE(actions(deid, "Write").empty());
  EXPECT_EQ(deid["Statement"][1]["Resource"][0], "arn:aws:s3:::healthdp-dev01-gold/deid/*");
  EXPECT_EQ(deid["Statement"][0]["Condition"]["StringLike"]["s3:prefix"],
            nlohmann::json({"deid/", "deid/*"}));

  const auto& extract = doc["roles"]["healthdp-dev01-ehr-extract"];
  EXPECT_EQ(extract["trust_policy"]["Statement"][0]["Effect"], "Allow");
  EXPECT_EQ(extract["trust_policy"]["Statement"][0]["Principal"]["AWS"][0],
            "arn:aws:iam::123456789012:role/ehr-extract");
  EXPECT_EQ(actions(extract["policies"]["lakeinfra.bronze.landing"], "Write"),
            (std::vector<std::string>{"s3:PutObject", "s3:DeleteObject"}));

  const auto& engineer = doc["roles"]["healthdp-dev01-data-engineer"]["policies"];
  EXPECT_EQ(engineer.size(), 3u);
  EXPECT_FALSE(actions(engineer["lakeinfra.bronze"], "Bucket").empty());

  auto again = ws.run({"plan", "--detailed-exitcode"});
  EXPECT_EQ(again.exit_code, 0) << again;
  EXPECT_THAT(ws.state_addresses(), ::testing::Contains("grant.ml-engineer.gold.deid"));
  EXPECT_THAT(ws.state_addresses(), ::testing::Contains("role.ml-engineer"));
}

TEST(e2e_governance, ChangedGrantIsUpdatedInPlace) {
  Workspace ws;
  write_health_platform(ws);
  ASSERT_NO_FATAL_FAILURE(apply(ws));
  ws.write("lake.yaml", replace_once(ws.read("lake.yaml"),
                                     "{zone: gold, container: deid, access: read}\n  - name: "
                                     "data-scientist",
                                     "{zone: gold, container: deid, access: write}\n  - name: "
                                     "data-scientist"));
  auto plan = ws.run({"plan", "--detailed-exitcode"});
  ASSERT_EQ(plan.exit_code, 2) << plan;
  EXPECT_THAT(plan.out, HasSubstr("  # grant.data-analyst.gold.deid will be updated in-place\n"));
  // The policy's change is shown part by part, not as one opaque document.
  EXPECT_THAT(plan.out, HasSubstr("      ~ access = \"read\" -> \"write\"\n"
                                  "      + policy.Statement[2] = {\"Action\":[\"s3:PutObject\","
                                  "\"s3:DeleteObject\"],\"Effect\":\"Allow\",\"Resource\":[\"arn:"
                                  "aws:s3:::healthdp-dev01-gold/deid/*\"],\"Sid\":\"Write\"}\n"));
  EXPECT_THAT(plan.out, HasSubstr("Plan: 0 to add, 1 to change, 0 to destroy."));

  ASSERT_NO_FATAL_FAILURE(apply(ws));
  auto deid = policy_document(
      ws)["roles"]["healthdp-dev01-data-analyst"]["policies"]["lakeinfra.gold.deid"];
  EXPECT_EQ(actions(deid, "Write"), (std::vector<std::string>{"s3:PutObject", "s3:DeleteObject"}));
  EXPECT_EQ(ws.run({"plan", "--detailed-exitcode"}).exit_code, 0);
}

TEST(e2e_governance, RemovedRoleLosesItsPoliciesThenTheRole) {
  Workspace ws;
  write_health_platform(ws);
  ASSERT_NO_FATAL_FAILURE(apply(ws));
  std::string yaml = ws.read("lake.yaml");
  size_t from = yaml.find("  - name: ml-engineer");
  size_t to = yaml.find("  - name: ehr-extract");
  ASSERT_NE(from, std::string::npos);
  yaml.erase(from, to - from);
  ws.write("lake.yaml", yaml);

  auto r = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Apply complete! Resources: 0 added, 0 changed, 2 destroyed."));
  // The grant goes before the role it belongs to.
  EXPECT_LT(r.out.find("grant.ml-engineer.gold.deid: Destroying..."),
            r.out.find("role.ml-engineer: Destroying..."));
  auto doc = policy_document(ws);
  EXPECT_FALSE(doc["roles"].contains("healthdp-dev01-ml-engineer"));
  EXPECT_EQ(doc["roles"].size(), 5u);
  EXPECT_THAT(ws.state_addresses(), Not(::testing::Contains("role.ml-engineer")));
}

TEST(e2e_governance, HandWidenedPolicyIsDriftAndIsRestored) {
  Workspace ws;
  write_health_platform(ws);
  ASSERT_NO_FATAL_FAILURE(apply(ws));
  auto doc = policy_document(ws);
  auto& deid = doc["roles"]["healthdp-dev01-data-analyst"]["policies"]["lakeinfra.gold.deid"];
  deid["Statement"][1]["Resource"][0] = "arn:aws:s3:::healthdp-dev01-bronze/*";
  ws.write(kPolicyFile, doc.dump(2));

  auto plan = ws.run({"plan", "--detailed-exitcode"});
  ASSERT_EQ(plan.exit_code, 2) << plan;
  EXPECT_THAT(plan.out, HasSubstr("  # grant.data-analyst.gold.deid has changed\n"));
  EXPECT_THAT(plan.out, HasSubstr("  # grant.data-analyst.gold.deid will be updated in-place\n"));
  ASSERT_NO_FATAL_FAILURE(apply(ws));
  EXPECT_EQ(policy_document(ws)["roles"]["healthdp-dev01-data-analyst"]["policies"]
                               ["lakeinfra.gold.deid"]["Statement"][1]["Resource"][0],
            "arn:aws:s3:::healthdp-dev01-gold/deid/*");
}

TEST(e2e_governance, AccessPrintsTheMatrixAsTableCsvAndJson) {
  Workspace ws;
  write_health_platform(ws);
  auto table = ws.run({"access"});
  ASSERT_EQ(table.exit_code, 0) << table;
  EXPECT_THAT(table.out,
              HasSubstr("ROLE                CLEARANCE  PHI  bronze/landing  bronze/raw  "
                        "silver/transformed  gold/curated  gold/deid\n"));
  EXPECT_THAT(table.out,
              HasSubstr("(tier)                              sensitive       sensitive   "
                        "restricted          internal      internal\n"));
  EXPECT_THAT(table.out,
              HasSubstr("data-engineer       sensitive  yes  A               A           "
                        "A                   A             A\n"));
  EXPECT_THAT(table.out,
              HasSubstr("data-analyst        internal   no   -               -           "
                        "-                   -             R\n"));
  EXPECT_THAT(table.out,
              HasSubstr("ehr-extract         sensitive  yes  W               -           "
                        "-                   -             -\n"));
  EXPECT_FALSE(ws.exists(".lakeinfra")) << "access reads neither state nor storage";

  auto csv = ws.run({"access", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv;
  EXPECT_EQ(csv.out,
            "role,clearance,phi,bronze/landing,bronze/raw,silver/transformed,gold/curated,"
            "gold/deid\n"
            "data-engineer,sensitive,true,A,A,A,A,A\n"
            "software-developer,internal,false,-,-,-,R,-\n"
            "data-analyst,internal,false,-,-,-,-,R\n"
            "data-scientist,internal,false,-,-,-,-,R\n"
            "ml-engineer,internal,false,-,-,-,-,R\n"
            "ehr-extract,sensitive,true,W,-,-,-,-\n");

  auto json = ws.run({"access", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json;
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["phi_tier"], "sensitive");
  EXPECT_EQ(j["columns"].size(), 5u);
  EXPECT_EQ(j["roles"][2]["name"], "data-analyst");
  EXPECT_EQ(j["roles"][2]["access"], nlohmann::json({{"gold/deid", "read"}}));
  EXPECT_EQ(j["roles"][0]["physical_name"], "healthdp-dev01-data-engineer");
}

TEST(e2e_governance, AccessCheckAnswersAllowedOrDeniedAndWhy) {
  Workspace ws;
  write_health_platform(ws);
  auto allowed = ws.run({"access", "check", "data-analyst", "gold/deid", "read"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed;
  EXPECT_THAT(allowed.out, HasSubstr("allowed: "));
  EXPECT_THAT(allowed.out, HasSubstr("data-analyst"));

  auto too_weak = ws.run({"access", "check", "data-analyst", "gold/deid", "write"});
  EXPECT_EQ(too_weak.exit_code, 2) << too_weak;
  EXPECT_THAT(too_weak.out, HasSubstr("denied: "));
  EXPECT_THAT(too_weak.out, HasSubstr("read"));

  auto no_grant = ws.run({"access", "check", "data-analyst", "gold/curated", "read"});
  EXPECT_EQ(no_grant.exit_code, 2) << no_grant;
  EXPECT_THAT(no_grant.out, HasSubstr("denied: "));

  auto phi = ws.run({"access", "check", "data-analyst", "bronze/raw", "read"});
  EXPECT_EQ(phi.exit_code, 2) << phi;
  EXPECT_THAT(phi.out, HasSubstr("sensitive"));

  auto engineer = ws.run({"access", "check", "data-engineer", "bronze", "admin"});
  EXPECT_EQ(engineer.exit_code, 0) << engineer;

  auto json = ws.run({"access", "check", "ehr-extract", "bronze/landing", "write", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json;
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["allowed"], true);
  EXPECT_EQ(j["tier"], "sensitive");
  EXPECT_EQ(j["grant"]["access"], "write");
  EXPECT_EQ(j["grant"]["location"], "lake.yaml:66:9");

  auto role = ws.run({"access", "check", "data-analyts", "gold/deid", "read"});
  EXPECT_EQ(role.exit_code, 1) << role;
  EXPECT_THAT(role.err, HasSubstr("no role \"data-analyts\" is declared"));
  EXPECT_THAT(role.err, HasSubstr("did you mean \"data-analyst\"?"));

  auto container = ws.run({"access", "check", "data-analyst", "gold/deids", "read"});
  EXPECT_EQ(container.exit_code, 1) << container;
  EXPECT_THAT(container.err, HasSubstr("zone \"gold\" has no container \"deids\""));
  EXPECT_THAT(container.err, HasSubstr("did you mean \"deid\"?"));

  auto access = ws.run({"access", "check", "data-analyst", "gold/deid", "delete"});
  EXPECT_EQ(access.exit_code, 1) << access;
  EXPECT_THAT(access.err, HasSubstr("unknown access \"delete\""));
}

TEST(e2e_governance, RuleViolationsStopValidateAndPlanAndWriteNothing) {
  Workspace ws;
  write_health_platform(ws);
  ws.write("lake.yaml",
           replace_once(ws.read("lake.yaml"), "{zone: gold, container: curated, access: read}",
                        "{zone: bronze, container: raw, access: read}"));
  for (const char* command : {"validate", "plan"}) {
    auto r = ws.run({command});
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_THAT(r.err, HasSubstr("lake.yaml:44:"));
    EXPECT_THAT(r.err, HasSubstr("software-developer"));
    EXPECT_THAT(r.err, HasSubstr("sensitive"));
  }
  EXPECT_FALSE(ws.exists(".lakeinfra/state.db"));
  EXPECT_FALSE(ws.exists("lake"));
}

TEST(e2e_governance, InstanceMaxTierRefusesDataAboveIt) {
  Workspace ws;
  write_health_platform(ws);
  auto r = ws.run({"--instance", "sandbox", "plan"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("zone \"bronze\""));
  EXPECT_THAT(r.err, HasSubstr("sandbox"));
  EXPECT_THAT(r.err, HasSubstr("max_tier"));
  EXPECT_FALSE(ws.exists(".lakeinfra/state.db"));
}

}  // namespace
}  // namespace lakeinfra::test_support
