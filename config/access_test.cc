// evaluate_access() and the access matrix: one evaluation for every question about access.

#include "config/access.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/parse_for_tests.h"

namespace lakeinfra::config {
namespace {

using ::testing::ElementsAre;

const char kLake[] =
    "lake: {name: healthetl, instance: dev01}\n"
    "zones:\n"
    "  - name: bronze\n"
    "    tier: internal\n"
    "    containers: [{name: raw, tier: sensitive}, landing]\n"
    "  - name: silver\n"
    "    tier: restricted\n"
    "  - name: gold\n"
    "    tier: internal\n"
    "    containers: [curated, reports]\n"
    "roles:\n"
    "  - name: engineer\n"
    "    clearance: sensitive\n"
    "    phi: true\n"
    "    grants:\n"
    "      - {zone: bronze, access: write}\n"
    "      - {zone: bronze, container: raw, access: admin}\n"
    "      - {zone: silver, access: read}\n"
    "  - name: analyst\n"
    "    clearance: restricted\n"
    "    grants:\n"
    "      - {zone: gold, access: read}\n"
    "      - {zone: gold, container: curated, access: write}\n"
    "      - {zone: silver, access: admin}\n";

class EvaluateAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = testing::parse(kLake);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().str();
    lake_ = std::move(*parsed);
  }

  AccessDecision ask(const std::string& role, const std::string& zone, const std::string& container,
                     Access wanted) {
    return evaluate_access(lake_, *lake_.find_role(role), zone, container, wanted);
  }

  Lake lake_;
};

TEST_F(EvaluateAccess, UnknownTarget) {
  AccessDecision d = ask("engineer", "bronz", "", Access::kRead);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, AccessRule::kUnknownTarget);
  EXPECT_EQ(d.tier, "");
  EXPECT_EQ(d.grant, nullptr);
  EXPECT_EQ(d.reason, "engineer may not read bronz: there is no zone \"bronz\"");

  d = ask("engineer", "bronze", "rwa", Access::kWrite);
  EXPECT_EQ(d.rule, AccessRule::kUnknownTarget);
  EXPECT_EQ(d.reason,
            "engineer may not write bronze/rwa: zone \"bronze\" has no container \"rwa\"");
}

TEST_F(EvaluateAccess, AboveClearanceWhateverTheGrants) {
  // A whole zone holds the highest tier of the zone and its containers.
  AccessDecision d = ask("analyst", "bronze", "", Access::kRead);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, AccessRule::kAboveClearance);
  EXPECT_EQ(d.tier, "sensitive");
  EXPECT_EQ(d.tier_source, "container bronze/raw");
  EXPECT_EQ(d.reason,
            "analyst may not read bronze (tier sensitive, from container bronze/raw): its "
            "clearance restricted is below the data's tier; it would need clearance sensitive");

  // Even a grant does not help.
  Role role = *lake_.find_role("analyst");
  role.grants.push_back(Grant{"bronze", "raw", Access::kRead, {}, {}, {}, {}});
  d = evaluate_access(lake_, role, "bronze", "raw", Access::kRead);
  EXPECT_EQ(d.rule, AccessRule::kAboveClearance);
  EXPECT_EQ(d.tier_source, "container bronze/raw");
  EXPECT_EQ(d.reason,
            "analyst may not read bronze/raw (tier sensitive): its clearance restricted is below "
            "the data's tier; it would need clearance sensitive");
}

TEST_F(EvaluateAccess, UnknownTiersFailClosed) {
  Role role = *lake_.find_role("engineer");
  role.clearance = "top";
  AccessDecision d = evaluate_access(lake_, role, "gold", "curated", Access::kRead);
  EXPECT_EQ(d.rule, AccessRule::kAboveClearance);
  EXPECT_EQ(d.reason,
            "engineer may not read gold/curated (tier internal): its clearance top is below the "
            "data's tier; it would need clearance internal");

  Lake lake = lake_;
  lake.zones[1].tier = "secret";
  d = evaluate_access(lake, *lake.find_role("engineer"), "silver", "", Access::kRead);
  EXPECT_EQ(d.rule, AccessRule::kAboveClearance);
  EXPECT_EQ(d.reason,
            "engineer may not read silver (tier secret): its clearance sensitive is below the "
            "data's tier (\"secret\" is not a tier of the lake)");

  lake = lake_;
  lake.phi_tier = "bogus";  // every tier needs phi: true
  d = evaluate_access(lake, *lake.find_role("analyst"), "gold", "reports", Access::kRead);
  EXPECT_EQ(d.rule, AccessRule::kNeedsPhi);
}

TEST_F(EvaluateAccess, NeedsPhi) {
  Role role = *lake_.find_role("engineer");
  role.phi = false;
  AccessDecision d = evaluate_access(lake_, role, "bronze", "raw", Access::kRead);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, AccessRule::kNeedsPhi);
  EXPECT_EQ(d.tier, "sensitive");
  EXPECT_EQ(d.reason,
            "engineer may not read bronze/raw (tier sensitive): tier sensitive holds PHI "
            "(phi_tier: sensitive) and the role is not cleared for PHI; it would need phi: true");
  // The landing container is below phi_tier: the zone grant applies.
  EXPECT_TRUE(evaluate_access(lake_, role, "bronze", "landing", Access::kWrite).allowed);
}

TEST_F(EvaluateAccess, NoGrant) {
  AccessDecision d = ask("analyst", "bronze", "landing", Access::kRead);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, AccessRule::kNoGrant);
  EXPECT_EQ(d.tier, "internal");
  EXPECT_EQ(d.tier_source, "container bronze/landing");
  EXPECT_EQ(d.grant, nullptr);
  EXPECT_EQ(d.reason,
            "analyst may not read bronze/landing (tier internal): no grant of the role covers "
            "bronze/landing");
}

TEST_F(EvaluateAccess, GrantTooWeak) {
  const Role& analyst = *lake_.find_role("analyst");
  AccessDecision d = ask("analyst", "gold", "reports", Access::kWrite);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, AccessRule::kGrantTooWeak);
  EXPECT_EQ(d.grant, &analyst.grants[0]);
  EXPECT_EQ(d.reason,
            "analyst may not write gold/reports (tier internal): granted only read on gold");

  d = ask("analyst", "gold", "curated", Access::kAdmin);
  EXPECT_EQ(d.rule, AccessRule::kGrantTooWeak);
  EXPECT_EQ(d.grant, &analyst.grants[1]);
  EXPECT_EQ(d.reason,
            "analyst may not administer gold/curated (tier internal): granted only write on "
            "gold/curated");
}

TEST_F(EvaluateAccess, AllowedByTheStrongestCoveringGrant) {
  const Role& engineer = *lake_.find_role("engineer");
  // The zone grant covers each container.
  AccessDecision d = ask("engineer", "bronze", "landing", Access::kWrite);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.rule, AccessRule::kAllowed);
  EXPECT_EQ(d.grant, &engineer.grants[0]);
  EXPECT_EQ(d.reason, "engineer may write bronze/landing (tier internal): granted write on bronze");
  // A container grant with more access wins over the zone's.
  d = ask("engineer", "bronze", "raw", Access::kAdmin);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.grant, &engineer.grants[1]);
  EXPECT_EQ(d.reason,
            "engineer may administer bronze/raw (tier sensitive): granted admin on bronze/raw");
  // A whole zone is covered only by a whole-zone grant.
  d = ask("engineer", "bronze", "", Access::kAdmin);
  EXPECT_EQ(d.rule, AccessRule::kGrantTooWeak);
  EXPECT_EQ(d.grant, &engineer.grants[0]);
  EXPECT_EQ(d.reason,
            "engineer may not administer bronze (tier sensitive, from container bronze/raw): "
            "granted only write on bronze");
  d = ask("analyst", "gold", "", Access::kRead);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.tier_source, "zone gold");
  EXPECT_EQ(d.reason, "analyst may read gold (tier internal): granted read on gold");
  // A zone without containers.
  d = ask("analyst", "silver", "", Access::kAdmin);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, "analyst may administer silver (tier restricted): granted admin on silver");
}

TEST_F(EvaluateAccess, OnATieTheZoneGrantIsTheOneThatCovers) {
  Role role = *lake_.find_role("analyst");
  role.grants = {Grant{"gold", "curated", Access::kRead, {}, {}, {}, {}},
                 Grant{"gold", "", Access::kRead, {}, {}, {}, {}}};
  AccessDecision d = evaluate_access(lake_, role, "gold", "curated", Access::kRead);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.grant, &role.grants[1]);
}

TEST(AccessNames, NamesLettersAndParsing) {
  EXPECT_STREQ(access_name(Access::kRead), "read");
  EXPECT_STREQ(access_name(Access::kWrite), "write");
  EXPECT_STREQ(access_name(Access::kAdmin), "admin");
  EXPECT_EQ(parse_access("read"), Access::kRead);
  EXPECT_EQ(parse_access("write"), Access::kWrite);
  EXPECT_EQ(parse_access("admin"), Access::kAdmin);
  EXPECT_EQ(parse_access("Read"), std::nullopt);
  EXPECT_EQ(parse_access(""), std::nullopt);
  EXPECT_STREQ(access_letter(Access::kRead), "R");
  EXPECT_STREQ(access_letter(Access::kWrite), "W");
  EXPECT_STREQ(access_letter(Access::kAdmin), "A");
  EXPECT_STREQ(access_letter(std::nullopt), "-");
}

TEST_F(EvaluateAccess, MatrixColumnsAndCells) {
  AccessMatrix m = access_matrix(lake_);
  std::vector<std::string> labels;
  std::vector<std::string> tiers;
  for (const auto& c : m.columns) {
    labels.push_back(c.label());
    tiers.push_back(c.tier);
  }
  EXPECT_THAT(labels, ElementsAre("bronze/raw", "bronze/landing", "silver", "gold/curated",
                                  "gold/reports"));
  EXPECT_THAT(tiers, ElementsAre("sensitive", "internal", "restricted", "internal", "internal"));
  EXPECT_EQ(m.columns[2].container, "");

  auto letters = [](const AccessMatrix::Row& row) {
    std::string out;
    for (const auto& cell : row.cells)
      out += access_letter(cell);
    return out;
  };
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].role, lake_.find_role("engineer"));
  EXPECT_EQ(letters(m.rows[0]), "AWR--");
  EXPECT_EQ(m.rows[1].role, lake_.find_role("analyst"));
  EXPECT_EQ(letters(m.rows[1]), "--AWR");
}

}  // namespace
}  // namespace lakeinfra::config
