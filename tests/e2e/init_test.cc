// lakeinfra init: starter configurations from the templates, the state database (mode 0600), an
// existing configuration left alone, unknown templates.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string layout(const std::string& name) {
  return read_file(source_dir() / "templates" / "layouts" / (name + ".yaml"));
}

TEST(e2e_init, WritesTheMedallionTemplateByDefaultAndCreatesPrivateState) {
  Workspace ws;
  auto r = ws.run({"init"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Wrote a starter configuration (template \"medallion\") to " +
                               ws.path("lake.yaml").string()));
  EXPECT_THAT(r.out, HasSubstr("lakeinfra has been successfully initialized!"));
  EXPECT_EQ(ws.read("lake.yaml"), layout("medallion"));

  ASSERT_TRUE(ws.is_regular_file(".lakeinfra/state.db"));
  EXPECT_EQ(file_mode(ws.state_db()), 0600) << "state.db must be private to its owner";
  EXPECT_EQ(file_mode(ws.path(".lakeinfra")), 0700);
  EXPECT_EQ(ws.serial(), 0);
  EXPECT_EQ(ws.lineage().size(), 36u) << "a UUID lineage";
  EXPECT_THAT(r.out, HasSubstr("(lineage " + ws.lineage() + ", serial 0)"));
  EXPECT_TRUE(ws.state_addresses().empty());
  EXPECT_FALSE(ws.exists("lake")) << "init must not create the lake";
}

TEST(e2e_init, GeneratedMedallionConfigurationValidatesAndPlans) {
  Workspace ws;
  ASSERT_EQ(ws.run({"init"}).exit_code, 0);
  auto v = ws.run({"validate"});
  ASSERT_EQ(v.exit_code, 0) << v;
  EXPECT_THAT(v.out, HasSubstr("Success!"));
  auto p = ws.run({"plan", "--detailed-exitcode"});
  ASSERT_EQ(p.exit_code, 2) << p;
  EXPECT_THAT(p.out, HasSubstr("# zone.bronze will be created"));
  EXPECT_THAT(p.out, HasSubstr("id            = \"mylake-dev01-bronze\""));
  EXPECT_THAT(p.out, HasSubstr("Plan: 7 to add, 0 to change, 0 to destroy."));
}

TEST(e2e_init, EnterpriseTemplateUsesTierAndRegionNaming) {
  Workspace ws;
  auto r = ws.run({"init", "--template", "enterprise"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("(template \"enterprise\")"));
  EXPECT_EQ(ws.read("lake.yaml"), layout("enterprise"));
  EXPECT_THAT(ws.read("lake.yaml"), HasSubstr("{org}-datalake-{instance}-{tier}-{region}"));
  EXPECT_EQ(file_mode(ws.state_db()), 0600);

  auto v = ws.run({"validate"});
  ASSERT_EQ(v.exit_code, 0) << v;
  auto p = ws.run({"plan"});
  ASSERT_EQ(p.exit_code, 0) << p;
  EXPECT_THAT(p.out, HasSubstr("id            = \"myorg-datalake-dev01-internal-us-east-1\""));
  EXPECT_THAT(p.out, HasSubstr("id            = \"myorg-datalake-dev01-sensitive-us-east-1\""));
  EXPECT_THAT(p.out,
              HasSubstr("id            = \"myorg-datalake-drop-dev01-sensitive-us-east-1\""));
  // 4 zones, 7 containers, 3 per-dataset roles and their 7 grants.
  EXPECT_THAT(p.out, HasSubstr("  # grant.restricted-analyst.restricted.data will be created\n"));
  EXPECT_THAT(p.out, HasSubstr("Plan: 21 to add, 0 to change, 0 to destroy."));

  auto a = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(a.exit_code, 0) << a;
  EXPECT_TRUE(ws.is_directory("lake/myorg-datalake-drop-dev01-sensitive-us-east-1/incoming"));
}

TEST(e2e_init, LeavesAnExistingConfigurationUntouched) {
  Workspace ws;
  const std::string mine =
      "# my own lake, hand written\n"
      "lake: {name: mine, instance: dev01}\n"
      "zones:\n"
      "  - {name: only, containers: [one]}\n";
  ws.write("lake.yaml", mine);
  auto r = ws.run({"init"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out,
              HasSubstr("Using the existing configuration " + ws.path("lake.yaml").string()));
  EXPECT_THAT(r.out, Not(HasSubstr("Wrote a starter configuration")));
  EXPECT_EQ(ws.read("lake.yaml"), mine);
  EXPECT_EQ(file_mode(ws.state_db()), 0600);

  // Running init again keeps the same state (same lineage), and still does not touch the file.
  std::string lineage = ws.lineage();
  auto again = ws.run({"init", "--template", "enterprise"});
  ASSERT_EQ(again.exit_code, 0) << again;
  EXPECT_EQ(ws.read("lake.yaml"), mine);
  EXPECT_EQ(ws.lineage(), lineage);
  EXPECT_THAT(ws.entries("."), ElementsAre(".lakeinfra", "lake.yaml"));
}

TEST(e2e_init, UnknownTemplateListsTheAvailableOnes) {
  Workspace ws;
  auto r = ws.run({"init", "--template", "nope"});
  ASSERT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("Error: unknown template \"nope\""));
  EXPECT_THAT(r.err, HasSubstr("Available templates: enterprise, medallion"));
  EXPECT_TRUE(ws.entries(".").empty()) << "a failed init must write nothing";

  auto typo = ws.run({"init", "--template", "enterprize"});
  ASSERT_EQ(typo.exit_code, 1) << typo;
  EXPECT_THAT(typo.err, HasSubstr("did you mean \"enterprise\"?"));
  EXPECT_TRUE(ws.entries(".").empty());

  // Also when a lake.yaml exists: a typo is never silently ignored.
  ws.write("lake.yaml", "mine\n");
  auto existing = ws.run({"init", "--template", "enterprize"});
  EXPECT_EQ(existing.exit_code, 1) << existing;
  EXPECT_EQ(ws.read("lake.yaml"), "mine\n");
  EXPECT_FALSE(ws.exists(".lakeinfra"));
}

TEST(e2e_init, ConfigFlagChoosesWhereTheStarterFileAndStateGo) {
  Workspace ws;
  auto r = ws.run({"--config", "env/prod/lake.yaml", "init"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(ws.read("env/prod/lake.yaml"), layout("medallion"));
  EXPECT_TRUE(ws.is_regular_file("env/prod/.lakeinfra/state.db"));
  EXPECT_FALSE(ws.exists("lake.yaml"));
  EXPECT_FALSE(ws.exists(".lakeinfra"));
}

}  // namespace
}  // namespace lakeinfra::test_support
