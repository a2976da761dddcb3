// Saved plans: plan --out FILE, apply FILE (exactly that plan, no prompt), stale and foreign
// plans refused, tampering detected, private files, and the Terraform-shaped JSON of show.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(e2e_saved_plan, ApplyFileAppliesExactlyThatPlanWithoutPrompting) {
  Workspace ws;
  ws.write_example();
  auto p = ws.run({"plan", "--out", "tf.plan"});
  ASSERT_EQ(p.exit_code, 0) << p;
  EXPECT_THAT(p.out, HasSubstr("Saved the plan to: tf.plan"));
  EXPECT_THAT(p.out, HasSubstr("run: lakeinfra apply tf.plan"));
  EXPECT_EQ(file_mode(ws.path("tf.plan")), 0600) << "plan files hold paths; keep them private";
  EXPECT_FALSE(ws.exists("lake"));

  // The configuration changes after planning: the saved plan still does only what it said.
  ws.write("lake.yaml", ws.read("lake.yaml") + "  - name: platinum\n");
  auto a = ws.run({"apply", "tf.plan"});  // no --auto-approve, no terminal
  ASSERT_EQ(a.exit_code, 0) << a;
  EXPECT_THAT(a.out, Not(HasSubstr("Enter a value:")));
  EXPECT_THAT(a.out, HasSubstr("Apply complete! Resources: 7 added, 0 changed, 0 destroyed."));
  EXPECT_EQ(ws.state_addresses().size(), 7u);
  EXPECT_FALSE(ws.exists("lake/healthetl-dev01-platinum"));

  auto next = ws.run({"plan"});
  EXPECT_THAT(next.out, HasSubstr("Plan: 1 to add, 0 to change, 0 to destroy.")) << next;
}

TEST(e2e_saved_plan, TerraformStyleOutFlag) {
  Workspace ws;
  ws.write_example();
  auto p = ws.run({"plan", "-out=tf.plan"});
  ASSERT_EQ(p.exit_code, 0) << p;
  ASSERT_TRUE(ws.is_regular_file("tf.plan"));
  auto a = ws.run({"apply", "tf.plan"});
  ASSERT_EQ(a.exit_code, 0) << a;
  EXPECT_THAT(a.out, HasSubstr("Apply complete!"));
}

TEST(e2e_saved_plan, UnwritablePlanFileIsAnError) {
  Workspace ws;
  ws.write_example();
  auto r = ws.run({"plan", "--out", "no/such/dir/tf.plan"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("cannot write plan file no/such/dir/tf.plan"));
  EXPECT_THAT(r.out, Not(HasSubstr("Saved the plan")));

  auto missing = ws.run({"apply", "absent.plan"});
  EXPECT_EQ(missing.exit_code, 1) << missing;
  EXPECT_THAT(missing.err, HasSubstr("absent.plan"));
  EXPECT_FALSE(ws.exists("lake"));
}

TEST(e2e_saved_plan, PlanMadeBeforeAnotherApplyIsStale) {
  Workspace ws;
  ws.write_example();
  ASSERT_EQ(ws.run({"plan", "--out", "old.plan"}).exit_code, 0);
  ASSERT_EQ(ws.run({"apply", "--auto-approve", "--target", "zone.gold"}).exit_code, 0);
  auto r = ws.run({"apply", "old.plan"});
  ASSERT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("Error: Saved plan is stale"));
  EXPECT_THAT(r.err, HasSubstr("state serial 1, plan made at serial 0"));
  EXPECT_THAT(ws.state_addresses(), ElementsAre("zone.gold")) << "nothing of the stale plan ran";
  EXPECT_FALSE(ws.exists("lake/healthetl-dev01-bronze"));
}

TEST(e2e_saved_plan, PlanForAnotherStateIsRefused) {
  Workspace ws;
  ws.write_example();
  ASSERT_EQ(ws.run({"plan", "--out", "other.plan"}).exit_code, 0);
  std::string planned_lineage = ws.lineage();
  ws.remove(".lakeinfra");
  ASSERT_EQ(ws.run({"apply", "--auto-approve"}).exit_code, 0);
  ASSERT_NE(ws.lineage(), planned_lineage);
  int64_t serial = ws.serial();

  auto r = ws.run({"apply", "other.plan"});
  ASSERT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("Error: Saved plan does not match the given state"));
  EXPECT_THAT(r.err, HasSubstr("lineage " + planned_lineage));
  EXPECT_THAT(r.err, HasSubstr("has lineage " + ws.lineage()));
  EXPECT_EQ(ws.serial(), serial);
}

TEST(e2e_saved_plan, TamperedPlanIsRefusedByItsChecksum) {
  Workspace ws;
  ws.write_example();
  ASSERT_EQ(ws.run({"plan", "--out", "tf.plan"}).exit_code, 0);
  // Still valid JSON, still a plausible plan: only the checksum can tell.
  std::string text = ws.read("tf.plan");
  std::string tampered = replace_once(text, "healthetl-dev01-bronze", "healthetl-dev01-bronzf");
  ASSERT_EQ(tampered.size(), text.size());
  ws.write("tf.plan", tampered);

  for (const char* command : {"apply", "show"}) {
    auto r = ws.run({command, "tf.plan"});
    ASSERT_EQ(r.exit_code, 1) << r;
    EXPECT_THAT(r.err, HasSubstr("plan file tf.plan is corrupted or was modified after it was "
                                 "made (checksum mismatch)"));
  }
  EXPECT_FALSE(ws.exists("lake"));
  EXPECT_THAT(ws.state_addresses(), IsEmpty());
}

// The JSON of one change, by address.
const nlohmann::json& change_of(const nlohmann::json& plan, const std::string& address) {
  for (const auto& rc : plan["resource_changes"]) {
    if (rc["address"] == address)
      return rc;
  }
  static const nlohmann::json none;
  ADD_FAILURE() << "no resource change for " << address << " in\n" << plan.dump(2);
  return none;
}

TEST(e2e_saved_plan, ShowJsonHasTerraformShapeForEveryAction) {
  Workspace ws;
  ws.write("lake.yaml",
           "lake: {name: demo, instance: dev01}\n"
           "zones:\n"
           "  - {name: alpha, tier: internal}\n"
           "  - {name: beta, tier: internal}\n"
           "  - {name: gamma, tier: internal}\n");
  ASSERT_EQ(ws.run({"apply", "--auto-approve"}).exit_code, 0);
  ws.write("lake.yaml",
           "lake: {name: demo, instance: dev01}\n"
           "zones:\n"
           "  - {name: alpha, tier: restricted}\n"                             // update
           "  - {name: beta, tier: internal, naming: \"{lake}-{zone}-v2\"}\n"  // replace (empty)
           "  - {name: delta, tier: internal}\n");  // create; gamma: delete
  auto p = ws.run({"plan", "--out", "tf.plan"});
  ASSERT_EQ(p.exit_code, 0) << p;
  EXPECT_THAT(p.out, HasSubstr("# zone.beta must be replaced"));
  EXPECT_THAT(p.out, HasSubstr("# forces replacement"));
  EXPECT_THAT(p.out, HasSubstr("Plan: 2 to add, 1 to change, 2 to destroy."));

  auto s = ws.run({"show", "tf.plan", "--json"});
  ASSERT_EQ(s.exit_code, 0) << s;
  auto j = nlohmann::json::parse(s.out);
  ASSERT_TRUE(j.contains("format_version")) << s.out;
  EXPECT_TRUE(j["format_version"].is_string());
  ASSERT_TRUE(j["resource_changes"].is_array());
  EXPECT_EQ(j["resource_changes"].size(), 4u);

  const auto& create = change_of(j, "zone.delta");
  EXPECT_EQ(create["type"], "zone");
  EXPECT_EQ(create["change"]["actions"], nlohmann::json::array({"create"}));
  EXPECT_TRUE(create["change"]["before"].is_null());
  EXPECT_EQ(create["change"]["after"]["id"], "demo-dev01-delta");

  const auto& update = change_of(j, "zone.alpha");
  EXPECT_EQ(update["change"]["actions"], nlohmann::json::array({"update"}));
  EXPECT_EQ(update["change"]["before"]["tier"], "internal");
  EXPECT_EQ(update["change"]["after"]["tier"], "restricted");

  const auto& replace = change_of(j, "zone.beta");
  EXPECT_EQ(replace["change"]["actions"], nlohmann::json::array({"delete", "create"}));
  EXPECT_EQ(replace["change"]["before"]["id"], "demo-dev01-beta");
  EXPECT_EQ(replace["change"]["after"]["id"], "demo-beta-v2");

  const auto& remove = change_of(j, "zone.gamma");
  EXPECT_EQ(remove["change"]["actions"], nlohmann::json::array({"delete"}));
  EXPECT_EQ(remove["change"]["before"]["id"], "demo-dev01-gamma");
  EXPECT_TRUE(remove["change"]["after"].is_null());

  // plan --json prints the same document.
  auto pj = ws.run({"plan", "--json"});
  ASSERT_EQ(pj.exit_code, 0) << pj;
  EXPECT_EQ(nlohmann::json::parse(pj.out)["resource_changes"], j["resource_changes"]);

  // And the saved plan applies: the replaced zone moves, the deleted one goes.
  auto a = ws.run({"apply", "tf.plan"});
  ASSERT_EQ(a.exit_code, 0) << a;
  EXPECT_THAT(a.out, HasSubstr("Apply complete! Resources: 2 added, 1 changed, 2 destroyed."));
  EXPECT_THAT(ws.entries("lake"),
              ElementsAre("demo-beta-v2", "demo-dev01-alpha", "demo-dev01-delta"));
}

TEST(e2e_saved_plan, ShowPlanFileHumanReadable) {
  Workspace ws;
  ws.write_example();
  ASSERT_EQ(ws.run({"plan", "--out", "tf.plan"}).exit_code, 0);
  auto s = ws.run({"show", "tf.plan"});
  ASSERT_EQ(s.exit_code, 0) << s;
  EXPECT_THAT(s.out, HasSubstr("# container.bronze.raw will be created"));
  EXPECT_THAT(s.out, HasSubstr("Plan: 7 to add, 0 to change, 0 to destroy."));
}

}  // namespace
}  // namespace lakeinfra::test_support
