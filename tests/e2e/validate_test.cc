// lakeinfra validate, and how every command loads the configuration: errors located at
// file:line:col with the source line and a caret, per-instance overlays, ${env:NAME}, --instance,
// and a missing configuration file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Four independent mistakes: a misspelt key, a duplicate zone, an invalid zone name and an
// unknown naming placeholder. Line numbers below are 1-based lines of this text.
constexpr const char* kFourErrors =
    "lake: {name: healthetl, instance: dev01, region: eu-west-2}\n"  // 1
    "storage: {provider: local, root: ./lake}\n"                     // 2
    "naming: {zone: \"{lake}-{instanse}-{zone}\"}\n"                 // 3
    "zones:\n"                                                       // 4
    "  - name: bronze\n"                                             // 5
    "    tieer: sensitive\n"                                         // 6
    "    containers: [raw]\n"                                        // 7
    "  - name: bronze\n"                                             // 8
    "    containers: [other]\n"                                      // 9
    "  - name: Bad_Name\n"                                           // 10
    "    containers: [ok1]\n";                                       // 11

TEST(e2e_validate, ValidExampleSucceedsWithoutTouchingTheDisk) {
  Workspace ws;
  ws.write_example();
  auto r = ws.run({"validate"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Success! The configuration is valid (3 zones, 7 resources)."));
  EXPECT_EQ(r.err, "");
  // validate does no I/O beyond reading the config: no state, no lake.
  EXPECT_FALSE(ws.exists(".lakeinfra")) << "validate created state";
  EXPECT_FALSE(ws.exists("lake")) << "validate created the lake root";
}

TEST(e2e_validate, ReportsEveryErrorWithLocationSourceLineCaretAndHint) {
  Workspace ws;
  ws.write("lake.yaml", kFourErrors);
  auto r = ws.run({"validate"});
  ASSERT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("Success!")));
  EXPECT_EQ(count_of(r.err, "Error:"), 4u) << r;

  // Unknown key: located at the key, with the line, a caret under column 5 and a suggestion.
  EXPECT_THAT(r.err, HasSubstr("Error: unknown key \"tieer\" in zone \"bronze\"\n"
                               "  --> lake.yaml:6:5\n"
                               "     |\n"
                               "   6 |     tieer: sensitive\n"
                               "     |     ^\n"));
  EXPECT_THAT(r.err, HasSubstr("hint: did you mean \"tier\"?"));

  // Duplicate zone: at the second name, naming the first definition's line.
  EXPECT_THAT(r.err, HasSubstr("Error: duplicate zone name \"bronze\" (first defined on line 5)\n"
                               "  --> lake.yaml:8:11\n"
                               "     |\n"
                               "   8 |   - name: bronze\n"
                               "     |           ^\n"));

  // Bad name: a two-digit line number widens the gutter; a valid name is suggested.
  EXPECT_THAT(r.err, HasSubstr("Error: zone name \"Bad_Name\" is invalid"));
  EXPECT_THAT(r.err, HasSubstr("  --> lake.yaml:10:11\n"
                               "      |\n"
                               "   10 |   - name: Bad_Name\n"
                               "      |           ^\n"));
  EXPECT_THAT(r.err, HasSubstr("try \"bad-name\""));

  // Unknown placeholder: at the template value, with the placeholder it was probably meant to be.
  EXPECT_THAT(r.err, HasSubstr("Error: unknown placeholder {instanse} in naming.zone\n"
                               "  --> lake.yaml:3:16\n"));
  EXPECT_THAT(r.err, HasSubstr("   3 | naming: {zone: \"{lake}-{instanse}-{zone}\"}\n"
                               "     |                ^\n"));
  EXPECT_THAT(r.err, HasSubstr("did you mean {instance}?"));
}

TEST(e2e_validate, PlanRefusesAnInvalidConfigurationWithTheSameErrors) {
  Workspace ws;
  ws.write("lake.yaml", kFourErrors);
  auto r = ws.run({"plan"});
  ASSERT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(count_of(r.err, "Error:"), 4u) << r;
  EXPECT_THAT(r.err, HasSubstr("lake.yaml:6:5"));
  EXPECT_THAT(r.out, Not(HasSubstr("Plan:")));
  EXPECT_FALSE(ws.exists("lake"));
}

TEST(e2e_validate, OverlayForTheInstanceIsMergedOverTheBaseFile) {
  Workspace ws;
  ws.write_example();
  ws.write("lake.dev01.yaml",
           "zones:\n"
           "  - name: platinum\n"
           "    tier: internal\n"
           "    containers: [best]\n"
           "  - name: gold\n"  // merged by name into the base's gold
           "    containers: [archive]\n");
  auto v = ws.run({"validate"});
  ASSERT_EQ(v.exit_code, 0) << v;
  EXPECT_THAT(v.out, HasSubstr("(4 zones, 10 resources)"));

  auto r = ws.run({"plan"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("# zone.platinum will be created"));
  EXPECT_THAT(r.out, HasSubstr("\"healthetl-dev01-platinum\""));
  EXPECT_THAT(r.out, HasSubstr("# container.platinum.best will be created"));
  EXPECT_THAT(r.out, HasSubstr("# container.gold.archive will be created"));
  EXPECT_THAT(r.out, HasSubstr("# container.gold.curated will be created"));
  EXPECT_THAT(r.out, HasSubstr("Plan: 10 to add, 0 to change, 0 to destroy."));
}

TEST(e2e_validate, ErrorInsideTheOverlayIsLocatedInTheOverlay) {
  Workspace ws;
  ws.write_example();
  ws.write("lake.dev01.yaml",
           "zones:\n"
           "  - name: platinum\n"
           "    tier: secret\n");
  auto r = ws.run({"validate"});
  ASSERT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("Error: unknown tier \"secret\"\n"
                               "  --> lake.dev01.yaml:3:11\n"
                               "     |\n"
                               "   3 |     tier: secret\n"
                               "     |           ^\n"));
  EXPECT_THAT(r.err, HasSubstr("internal, restricted, sensitive"));
  EXPECT_THAT(r.err, Not(HasSubstr("--> lake.yaml:")));
}

TEST(e2e_validate, EnvironmentVariablesAreInterpolated) {
  Workspace ws;
  ws.write_example();
  ws.write("lake.yaml",
           replace_once(ws.read("lake.yaml"), "root: ./lake", "root: ${env:LAKE_ROOT}"));
  std::string root = ws.path("elsewhere").string();

  auto plan = ws.run({"plan"}, with_env("LAKE_ROOT", root));
  ASSERT_EQ(plan.exit_code, 0) << plan;
  EXPECT_THAT(plan.out, HasSubstr("location      = \"" + root + "/healthetl-dev01-bronze\""));

  auto apply = ws.run({"apply", "--auto-approve"}, with_env("LAKE_ROOT", root));
  ASSERT_EQ(apply.exit_code, 0) << apply;
  EXPECT_TRUE(ws.is_directory("elsewhere/healthetl-dev01-bronze/raw"));
  EXPECT_FALSE(ws.exists("lake"));
}

TEST(e2e_validate, UnsetEnvironmentVariableIsAnErrorAtItsLocation) {
  Workspace ws;
  ws.write_example();
  ws.write("lake.yaml",
           replace_once(ws.read("lake.yaml"), "root: ./lake", "root: ${env:LAKE_ROOT}"));
  auto r = ws.run({"validate"}, without_env("LAKE_ROOT"));
  ASSERT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("Error: environment variable \"LAKE_ROOT\" is not set\n"
                               "  --> lake.yaml:10:9\n"));
  EXPECT_THAT(r.err, HasSubstr("   10 |   root: ${env:LAKE_ROOT}\n"
                               "      |         ^\n"));
  EXPECT_THAT(r.err, HasSubstr("${env:LAKE_ROOT:-value}"));

  // A default makes it optional.
  ws.write("lake.yaml",
           replace_once(ws.read("lake.yaml"), "${env:LAKE_ROOT}", "${env:LAKE_ROOT:-./fallback}"));
  auto ok = ws.run({"plan"}, without_env("LAKE_ROOT"));
  ASSERT_EQ(ok.exit_code, 0) << ok;
  EXPECT_THAT(ok.out, HasSubstr(ws.path("fallback/healthetl-dev01-bronze").string()));
}

TEST(e2e_validate, InstanceFlagSelectsAnotherOverlay) {
  Workspace ws;
  ws.write_example();
  ws.write("lake.dev01.yaml", "zones:\n  - name: platinum\n");
  ws.write("lake.qa.yaml", "zones:\n  - name: qa-only\n    containers: [probe]\n");
  auto r = ws.run({"--instance", "qa", "plan"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("# zone.qa-only will be created"));
  EXPECT_THAT(r.out, HasSubstr("# container.qa-only.probe will be created"));
  EXPECT_THAT(r.out, HasSubstr("id            = \"healthetl-qa-bronze\""));
  EXPECT_THAT(r.out, Not(HasSubstr("platinum"))) << "the dev01 overlay must not apply";
  EXPECT_THAT(r.out, Not(HasSubstr("healthetl-dev01")));
  EXPECT_THAT(r.out, HasSubstr("Plan: 9 to add, 0 to change, 0 to destroy."));
  // Each --instance has its own state (docs/reference/cli.md).
  EXPECT_TRUE(ws.is_regular_file(".lakeinfra/instances/qa/state.db"));
  EXPECT_EQ(file_mode(ws.path(".lakeinfra/instances/qa/state.db")), 0600);
  EXPECT_FALSE(ws.exists(".lakeinfra/state.db"));

  auto dev = ws.run({"plan"});
  ASSERT_EQ(dev.exit_code, 0) << dev;
  EXPECT_THAT(dev.out, HasSubstr("# zone.platinum will be created"));
  EXPECT_THAT(dev.out, Not(HasSubstr("qa-only")));
}

TEST(e2e_validate, InterpolatedInstanceChoosesTheOverlay) {
  Workspace ws;
  ws.write_example();
  ws.write("lake.yaml", replace_once(ws.read("lake.yaml"), "instance: dev01",
                                     "instance: ${env:LAKE_INSTANCE:-dev01}"));
  ws.write("lake.qa.yaml", "zones:\n  - name: qa-only\n");
  auto qa = ws.run({"plan"}, with_env("LAKE_INSTANCE", "qa"));
  ASSERT_EQ(qa.exit_code, 0) << qa;
  EXPECT_THAT(qa.out, HasSubstr("# zone.qa-only will be created"));
  EXPECT_THAT(qa.out, HasSubstr("\"healthetl-qa-qa-only\""));
  auto dev = ws.run({"plan"}, without_env("LAKE_INSTANCE"));
  ASSERT_EQ(dev.exit_code, 0) << dev;
  EXPECT_THAT(dev.out, Not(HasSubstr("qa-only")));
  EXPECT_THAT(dev.out, HasSubstr("Plan: 7 to add, 0 to change, 0 to destroy."));
}

TEST(e2e_validate, ReportsTypeRequiredKeyAndDuplicateContainerErrors) {
  Workspace ws;
  ws.write("lake.yaml",
           "lake: {instance: dev01}\n"  // 1: no name
           "zones:\n"
           "  - name: alpha\n"
           "    force_destroy: \"yes\"\n"  // 4: a string, not a boolean
           "    containers: raw\n"         // 5: not a list
           "  - name: beta\n"
           "    containers: [raw, raw]\n");  // 7: duplicate
  auto r = ws.run({"validate"});
  ASSERT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(count_of(r.err, "Error:"), 4u) << r;
  EXPECT_THAT(r.err, HasSubstr("Error: missing required key \"name\" in lake\n"
                               "  --> lake.yaml:1:7\n"));
  EXPECT_THAT(r.err, HasSubstr("Error: \"force_destroy\" must be a boolean, got \"yes\"\n"
                               "  --> lake.yaml:4:20\n"));
  EXPECT_THAT(r.err, HasSubstr("Error: \"containers\" must be a list of containers, got \"raw\"\n"
                               "  --> lake.yaml:5:17\n"));
  EXPECT_THAT(r.err, HasSubstr("Error: duplicate container name \"raw\" in zone \"beta\" (first "
                               "defined on line 7)\n"
                               "  --> lake.yaml:7:23\n"));
}

TEST(e2e_validate, MissingConfigurationSuggestsInit) {
  Workspace ws;
  for (const char* command : {"validate", "plan"}) {
    auto r = ws.run({command});
    ASSERT_EQ(r.exit_code, 1) << r;
    EXPECT_THAT(r.err, HasSubstr("Error: no configuration file " + ws.path("lake.yaml").string()));
    EXPECT_THAT(r.err, HasSubstr("run `lakeinfra init`"));
  }
  EXPECT_TRUE(ws.entries(".").empty()) << "nothing may be created without a configuration";
}

}  // namespace
}  // namespace lakeinfra::test_support
