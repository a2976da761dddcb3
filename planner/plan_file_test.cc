#include "planner/plan_file.h"

#include <gtest/gtest.h>

#include "config/digest.h"
#include "planner/planner.h"
#include "planner/test_support.h"
#include "providers/fake_provider.h"

namespace lakeinfra::planner {
namespace {

using namespace testing;  // NOLINT: test builders

Plan sample_plan() {
  providers::FakeProvider provider;
  std::vector<config::DesiredResource> applied = {zone("bronze"), container("bronze", "raw")};
  for (const auto& r : applied)
    provider.objects()[r.provider_id] = {r.type, r.attributes, 0};
  auto desired = applied;
  desired[0].attributes["tier"] = "restricted";
  desired.push_back(zone("gold"));
  auto snapshot = snapshot_of(applied);
  auto plan = make_plan(desired, snapshot, provider, {});
  EXPECT_TRUE(plan.has_value());
  plan->storage = {{"provider", "fake"}};
  return *plan;
}

TEST(PlanFile, RoundTripsEveryField) {
  Plan p = sample_plan();
  auto back = plan_from_text(plan_to_text(p), "x.plan");
  ASSERT_TRUE(back.has_value()) << back.error().str();
  EXPECT_EQ(back->lineage, "test-lineage");
  EXPECT_EQ(back->serial, 2);
  EXPECT_EQ(back->storage, p.storage);
  ASSERT_EQ(back->changes.size(), p.changes.size());
  for (size_t i = 0; i < p.changes.size(); ++i) {
    EXPECT_EQ(back->changes[i].address, p.changes[i].address);
    EXPECT_EQ(back->changes[i].action, p.changes[i].action);
    EXPECT_EQ(back->changes[i].reasons, p.changes[i].reasons);
    EXPECT_EQ(back->changes[i].before_json(), p.changes[i].before_json());
    EXPECT_EQ(back->changes[i].after_json(), p.changes[i].after_json());
  }
  EXPECT_EQ(plan_to_text(*back), plan_to_text(p));
}

TEST(PlanFile, TamperedPlanIsRefused) {
  std::string text = plan_to_text(sample_plan());
  auto pos = text.find("restricted");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 10, "internal!!");
  auto back = plan_from_text(text, "x.plan");
  ASSERT_FALSE(back.has_value());
  EXPECT_EQ(back.error().begin()->summary,
            "plan file x.plan is corrupted or was modified after it was made (checksum mismatch)");
}

// Found by fuzzing (tests/fuzz/regressions/plan_file_fuzz): a field of the wrong JSON type made
// nlohmann throw out of plan_from_text, ending the process.
TEST(PlanFile, FieldOfTheWrongTypeIsAnErrorNotAnException) {
  for (const char* text : {R"({"format": 1})", R"({"format": "lakeinfra-plan", "version": "1"})"}) {
    auto back = plan_from_text(text, "x.plan");
    EXPECT_FALSE(back.has_value()) << text;
  }
  auto file = config::Attributes::parse(plan_to_text(sample_plan()));
  file["plan"]["serial"] = "two";
  file["checksum"] = "sha256:" + config::sha256_hex(file["plan"].dump());
  auto back = plan_from_text(file.dump(), "x.plan");
  ASSERT_FALSE(back.has_value());
  EXPECT_NE(back.error().begin()->summary.find("plan file x.plan is malformed"), std::string::npos)
      << back.error().str();
}

TEST(PlanFile, GarbageIsNotAPlan) {
  for (std::string text : {"", "{", "[]", "{\"format\": \"other\"}", "\x01\x02 binary"}) {
    auto back = plan_from_text(text, "x.plan");
    ASSERT_FALSE(back.has_value());
    EXPECT_EQ(back.error().begin()->summary,
              "plan file x.plan is not a lakeinfra plan (or is corrupted)");
  }
}

TEST(PlanFile, TerraformShapedJson) {
  auto j = terraform_json(sample_plan(), "0.1.0");
  EXPECT_EQ(j["format_version"], "1.2");
  ASSERT_EQ(j["resource_changes"].size(), 3u);
  std::map<std::string, config::Attributes> by_address;
  for (const auto& rc : j["resource_changes"])
    by_address[rc["address"]] = rc;
  auto bronze = by_address["zone.bronze"];
  EXPECT_EQ(bronze["type"], "zone");
  EXPECT_EQ(bronze["name"], "bronze");
  EXPECT_EQ(bronze["change"]["actions"], config::Attributes::array({"update"}));
  EXPECT_EQ(bronze["change"]["before"]["tier"], "sensitive");
  EXPECT_EQ(bronze["change"]["after"]["tier"], "restricted");
  EXPECT_EQ(by_address["zone.gold"]["change"]["actions"], config::Attributes::array({"create"}));
  EXPECT_TRUE(by_address["zone.gold"]["change"]["before"].is_null());
  EXPECT_EQ(by_address["container.bronze.raw"]["change"]["actions"],
            config::Attributes::array({"no-op"}));
}

}  // namespace
}  // namespace lakeinfra::planner
