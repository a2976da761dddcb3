// The resources a lake declares: roles and grants, and the IAM documents they carry.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/parse_for_tests.h"
#include "planner/desired.h"

namespace lakeinfra::planner {
namespace {

using config::Access;
using config::Attributes;

const char kLake[] = R"(
lake: {name: hdp, instance: dev01}
storage: {provider: local, root: /lake}
zones:
  - {name: bronze, tier: sensitive, containers: [raw]}
  - {name: gold, tier: internal, containers: [{name: curated}, {name: deid, tier: internal}]}
roles:
  - name: data-engineer
    clearance: sensitive
    phi: true
    grants:
      - {zone: bronze, access: write}
      - {zone: gold, access: admin}
  - name: analyst
    clearance: internal
    principals: ["arn:aws:iam:::user/ci"]
    grants:
      - {zone: gold, container: curated, access: read}
)";

std::vector<config::DesiredResource> resources(const std::string& yaml) {
  auto lake = config::testing::parse(yaml);
  EXPECT_TRUE(lake.has_value()) << (lake ? "" : lake.error().str());
  return lake ? desired_resources(*lake) : std::vector<config::DesiredResource>{};
}

const config::DesiredResource* find(const std::vector<config::DesiredResource>& all,
                                    const std::string& address) {
  for (const auto& r : all) {
    if (r.address.str() == address)
      return &r;
  }
  return nullptr;
}

TEST(DesiredRoles, RolesAndGrantsFollowZonesInDeclarationOrder) {
  auto all = resources(kLake);
  std::vector<std::string> addresses;
  for (const auto& r : all)
    addresses.push_back(r.address.str());
  EXPECT_THAT(addresses, ::testing::ElementsAre("zone.bronze", "container.bronze.raw", "zone.gold",
                                                "container.gold.curated", "container.gold.deid",
                                                "role.data-engineer", "grant.data-engineer.bronze",
                                                "grant.data-engineer.gold", "role.analyst",
                                                "grant.analyst.gold.curated"));
}

TEST(DesiredRoles, RoleCarriesItsPhysicalNameTrustPolicyAndTags) {
  auto all = resources(kLake);
  const auto* role = find(all, "role.analyst");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ(role->type, config::kRoleType);
  EXPECT_EQ(role->provider_id, "hdp-dev01-analyst");
  EXPECT_TRUE(role->depends_on.empty());
  EXPECT_EQ(role->attributes["clearance"], "internal");
  EXPECT_EQ(role->attributes["phi"], false);
  EXPECT_EQ(role->attributes["tags"], Attributes({{"lakeinfra:lake", "hdp"},
                                                  {"lakeinfra:role", "analyst"},
                                                  {"lakeinfra:clearance", "internal"},
                                                  {"lakeinfra:phi", "false"},
                                                  {"lakeinfra:managed-by", "lakeinfra"}}));
  EXPECT_EQ(role->attributes["trust_policy"], trust_policy({"arn:aws:iam:::user/ci"}));
}

TEST(DesiredRoles, GrantIsOneInlinePolicyDependingOnRoleAndData) {
  auto all = resources(kLake);
  const auto* grant = find(all, "grant.analyst.gold.curated");
  ASSERT_NE(grant, nullptr);
  EXPECT_EQ(grant->type, config::kGrantType);
  EXPECT_EQ(grant->provider_id, "hdp-dev01-analyst/lakeinfra.gold.curated");
  EXPECT_THAT(grant->depends_on,
              ::testing::ElementsAre(*config::Address::parse("role.analyst"),
                                     *config::Address::parse("container.gold.curated")));
  EXPECT_EQ(grant->attributes["access"], "read");
  EXPECT_EQ(grant->attributes["container"], "curated");
  EXPECT_EQ(grant->attributes["policy"], grant_policy("hdp-dev01-gold", "curated", Access::kRead));

  const auto* zone_grant = find(all, "grant.data-engineer.bronze");
  ASSERT_NE(zone_grant, nullptr);
  EXPECT_EQ(zone_grant->provider_id, "hdp-dev01-data-engineer/lakeinfra.bronze");
  EXPECT_THAT(zone_grant->depends_on,
              ::testing::ElementsAre(*config::Address::parse("role.data-engineer"),
                                     *config::Address::parse("zone.bronze")));
  EXPECT_EQ(zone_grant->attributes["container"], "");
}

TEST(DesiredRoles, ContainerReadPolicyIsLimitedToItsPrefix) {
  EXPECT_EQ(grant_policy("b", "curated", Access::kRead), Attributes::parse(R"({
    "Version": "2012-10-17",
    "Statement": [
      {"Sid": "List", "Effect": "Allow", "Action": ["s3:ListBucket"],
       "Resource": ["arn:aws:s3:::b"],
       "Condition": {"StringLike": {"s3:prefix": ["curated/", "curated/*"]}}},
      {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"],
       "Resource": ["arn:aws:s3:::b/curated/*"]}
    ]})"));
}

TEST(DesiredRoles, WritePolicyAddsPutAndDelete) {
  auto policy = grant_policy("b", "", Access::kWrite);
  ASSERT_EQ(policy["Statement"].size(), 3u);
  EXPECT_FALSE(policy["Statement"][0].contains("Condition")) << "a whole zone lists everything";
  EXPECT_EQ(policy["Statement"][1]["Resource"][0], "arn:aws:s3:::b/*");
  EXPECT_EQ(policy["Statement"][2], Attributes::parse(R"({"Sid": "Write", "Effect": "Allow",
                                  "Action": ["s3:PutObject", "s3:DeleteObject"],
                                  "Resource": ["arn:aws:s3:::b/*"]})"));
}

TEST(DesiredRoles, AdminAddsVersionsAndOnWholeZonesBucketSettings) {
  auto container = grant_policy("b", "raw", Access::kAdmin);
  std::vector<std::string> sids;
  for (const auto& s : container["Statement"])
    sids.push_back(s["Sid"]);
  EXPECT_THAT(sids, ::testing::ElementsAre("List", "Read", "Write", "ListVersions", "Versions"));
  EXPECT_EQ(container["Statement"][3]["Condition"], container["Statement"][0]["Condition"]);

  auto zone = grant_policy("b", "", Access::kAdmin);
  ASSERT_EQ(zone["Statement"].size(), 6u);
  EXPECT_EQ(zone["Statement"][5]["Sid"], "Bucket");
  EXPECT_EQ(zone["Statement"][5]["Resource"][0], "arn:aws:s3:::b");
  EXPECT_THAT(zone["Statement"][5].dump(),
              ::testing::Not(::testing::HasSubstr("PutBucketVersioning")));
  EXPECT_THAT(zone["Statement"][5].dump(),
              ::testing::Not(::testing::HasSubstr("PutBucketTagging")));
}

TEST(DesiredRoles, TrustPolicyWithoutPrincipalsDeniesEveryone) {
  EXPECT_EQ(trust_policy({}), Attributes::parse(R"({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": ["sts:AssumeRole"]}]})"));
  EXPECT_EQ(trust_policy({"arn:aws:iam:::user/ci", "123456789012"}),
            Attributes::parse(R"({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/ci", "123456789012"]},
     "Action": ["sts:AssumeRole"]}]})"));
}

TEST(DesiredRoles, GrantTheEvaluationDeniesIsNeverRendered) {
  // A lake built in code, past validation: the analyst's grant on sensitive bronze.
  auto lake = config::testing::parse(kLake);
  ASSERT_TRUE(lake.has_value());
  config::Role& analyst = lake->roles[1];
  config::Grant bronze;
  bronze.zone = "bronze";
  bronze.access = Access::kRead;
  analyst.grants.push_back(bronze);
  auto all = desired_resources(*lake);
  EXPECT_EQ(find(all, "grant.analyst.bronze"), nullptr);
  EXPECT_NE(find(all, "grant.analyst.gold.curated"), nullptr);
}

}  // namespace
}  // namespace lakeinfra::planner
