// Reading and editing state (state list/show/rm, show, show --json), graph, version, and the
// global flags -C DIR and --config FILE.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

void applied(Workspace& ws) {
  ws.write_example();
  auto r = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << r;
}

TEST(e2e_state, ListPrintsEveryAddressOnItsOwnLine) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  auto r = ws.run({"state", "list"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out,
            "container.bronze.landing\n"
            "container.bronze.raw\n"
            "container.gold.curated\n"
            "container.silver.transformed\n"
            "zone.bronze\n"
            "zone.gold\n"
            "zone.silver\n");
}

TEST(e2e_state, ListWithoutStateIsAnErrorAndCreatesNothing) {
  Workspace ws;
  ws.write_example();
  auto r = ws.run({"state", "list"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("no state at " + ws.state_db().string()));
  EXPECT_FALSE(ws.exists(".lakeinfra")) << "a read-only command must not create state";
}

TEST(e2e_state, ShowOneResource) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  auto r = ws.run({"state", "show", "container.gold.curated"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("# container.gold.curated:\ncontainer \"gold.curated\" {\n"));
  EXPECT_THAT(r.out, HasSubstr("id       = \"healthetl-dev01-gold/curated\""));
  EXPECT_THAT(r.out, HasSubstr("provider = \"local\""));
  EXPECT_THAT(r.out, HasSubstr("tier     = \"internal\""));
  EXPECT_THAT(r.out, HasSubstr("# depends on zone.gold"));

  auto typo = ws.run({"state", "show", "zone.gol"});
  EXPECT_EQ(typo.exit_code, 1) << typo;
  EXPECT_THAT(typo.err, HasSubstr("Error: no resource zone.gol in state"));
  EXPECT_THAT(typo.err, HasSubstr("did you mean \"zone.gold\"?"));
}

TEST(e2e_state, RmForgetsTheResourceButLeavesTheObject) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  auto r = ws.run({"state", "rm", "container.gold.curated"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Removed container.gold.curated"));
  EXPECT_THAT(r.out, HasSubstr("Successfully removed 1 resource(s) from state."));
  EXPECT_THAT(ws.state_addresses(), Not(Contains("container.gold.curated")));
  EXPECT_EQ(ws.state_addresses().size(), 6u);
  EXPECT_TRUE(ws.is_regular_file("lake/healthetl-dev01-gold/curated/.lakeinfra.json"))
      << "state rm must not touch the object";
  EXPECT_EQ(ws.serial(), 8);
  EXPECT_EQ(ws.sql_value("SELECT count(*) FROM lock"), "0") << "state rm releases its lock";

  // Still declared and still on disk: the next plan offers to create it again.
  auto plan = ws.run({"plan"});
  EXPECT_THAT(plan.out, HasSubstr("# container.gold.curated will be created")) << plan;
}

TEST(e2e_state, RmUnknownAddressSuggestsAndRemovesNothing) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  auto r = ws.run({"state", "rm", "zone.gold", "zone.silvr"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("Error: no resource zone.silvr in state"));
  EXPECT_THAT(r.err, HasSubstr("did you mean \"zone.silver\"?"));
  EXPECT_EQ(ws.state_addresses().size(), 7u) << "all or nothing: zone.gold stays too";
}

TEST(e2e_state, ShowJsonHasTheRootModuleResources) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  auto r = ws.run({"show", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.contains("format_version"));
  EXPECT_EQ(j["lineage"], ws.lineage());
  EXPECT_EQ(j["serial"], 7);
  const auto& resources = j["values"]["root_module"]["resources"];
  ASSERT_TRUE(resources.is_array()) << r.out;
  ASSERT_EQ(resources.size(), 7u);
  bool found = false;
  for (const auto& res : resources) {
    if (res["address"] != "zone.bronze")
      continue;
    found = true;
    EXPECT_EQ(res["type"], "zone");
    EXPECT_EQ(res["mode"], "managed");
    EXPECT_EQ(res["values"]["id"], "healthetl-dev01-bronze");
    EXPECT_EQ(res["values"]["tier"], "sensitive");
  }
  EXPECT_TRUE(found) << r.out;
}

TEST(e2e_state, ShowHumanReadable) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  auto r = ws.run({"show"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("# zone.silver:\nzone \"silver\" {\n"));
  EXPECT_EQ(count_of(r.out, "\n}\n"), 7u);

  ASSERT_EQ(ws.run({"destroy", "--auto-approve"}).exit_code, 0);
  auto empty = ws.run({"show"});
  EXPECT_THAT(empty.out, HasSubstr("The state is empty."));
}

TEST(e2e_state, NewerOrForeignStateIsAHardErrorAndLeftUntouched) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  ws.sql("UPDATE meta SET schema_version = 99");
  std::string newer = ws.read(".lakeinfra/state.db");
  using Args = std::vector<std::string>;
  for (const Args& args : {Args{"plan"}, Args{"apply", "--auto-approve"}}) {
    auto r = ws.run(args);
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_THAT(r.err, HasSubstr(ws.state_db().string() + " was written by a newer lakeinfra"));
    EXPECT_THAT(r.err, HasSubstr("it was left untouched"));
  }
  EXPECT_EQ(ws.read(".lakeinfra/state.db"), newer) << "never reset or rewrite state";

  const std::string garbage(4096, 'g');
  ws.write(".lakeinfra/state.db", garbage);
  for (const Args& args : {Args{"plan"}, Args{"state", "list"}}) {
    auto r = ws.run(args);
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_THAT(r.err, HasSubstr(ws.state_db().string() + " is not a lakeinfra state database"));
  }
  EXPECT_EQ(ws.read(".lakeinfra/state.db"), garbage);
  EXPECT_TRUE(ws.is_directory("lake/healthetl-dev01-bronze/raw"));
}

TEST(e2e_graph, PrintsDotWithAnEdgeFromEachContainerToItsZone) {
  Workspace ws;
  ws.write_example();
  auto r = ws.run({"graph"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.rfind("digraph \"healthetl\" {\n", 0), 0u) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"zone.bronze\" [shape = box];"));
  EXPECT_THAT(r.out, HasSubstr("\"container.bronze.raw\" -> \"zone.bronze\";"));
  EXPECT_THAT(r.out, HasSubstr("\"container.gold.curated\" -> \"zone.gold\";"));
  EXPECT_THAT(r.out, Not(HasSubstr("\"zone.bronze\" -> ")));
  EXPECT_EQ(count_of(r.out, " -> "), 4u);
  EXPECT_EQ(r.out.substr(r.out.size() - 2), "}\n");
  EXPECT_FALSE(ws.exists(".lakeinfra")) << "graph only reads the configuration";
}

TEST(e2e_cli, VersionPrintsTheVersion) {
  Workspace ws;
  auto r = ws.run({"version"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(std::regex_match(r.out, std::regex("lakeinfra v[0-9]+\\.[0-9]+\\.[0-9]+\n")))
      << r.out;
}

TEST(e2e_state, RenamingAZoneIsRefusedUntilStateMvMovesItWithItsContainers) {
  Workspace ws;
  ws.write_example();
  ASSERT_EQ(ws.run({"apply", "--auto-approve"}).exit_code, 0);
  ws.write("lake/healthetl-dev01-gold/curated/keep.csv", "data\n");
  // Rename zone gold to golden but keep its directory (its own naming template).
  std::string config = ws.read("lake.yaml");
  auto pos = config.find("  - name: gold");
  ASSERT_NE(pos, std::string::npos) << config;
  config.replace(pos, std::string("  - name: gold").size(),
                 "  - naming: \"healthetl-dev01-gold\"\n    name: golden");
  ws.write("lake.yaml", config);

  auto refused = ws.run({"plan"});
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_THAT(refused.err, HasSubstr("zone.golden would take over"));
  EXPECT_THAT(refused.err, HasSubstr("lakeinfra state mv zone.gold zone.golden"));

  auto moved = ws.run({"state", "mv", "zone.gold", "zone.golden"});
  ASSERT_EQ(moved.exit_code, 0) << moved;
  EXPECT_THAT(moved.out, HasSubstr("Move \"container.gold.curated\" to "
                                   "\"container.golden.curated\""));
  EXPECT_THAT(ws.state_addresses(), Contains("container.golden.curated"));
  EXPECT_THAT(ws.state_addresses(), Not(Contains("zone.gold")));

  auto plan = ws.run({"plan", "--detailed-exitcode"});
  EXPECT_EQ(plan.exit_code, 0) << plan;
  EXPECT_EQ(ws.read("lake/healthetl-dev01-gold/curated/keep.csv"), "data\n");

  auto clash = ws.run({"state", "mv", "zone.bronze", "zone.golden"});
  EXPECT_EQ(clash.exit_code, 1) << clash;
  EXPECT_THAT(clash.err, HasSubstr("that address is already in state"));
}

TEST(e2e_cli, UsageErrorsExitOneOnStderr) {
  Workspace ws;
  ws.write_example();
  auto command = ws.run({"aplly"});
  EXPECT_EQ(command.exit_code, 1) << command;
  EXPECT_THAT(command.err, HasSubstr("Error: unknown command \"aplly\""));
  EXPECT_THAT(command.err, HasSubstr("hint: did you mean \"apply\"?"));
  auto flag = ws.run({"plan", "--bogus"});
  EXPECT_EQ(flag.exit_code, 1) << flag;
  EXPECT_THAT(flag.err, HasSubstr("The following argument was not expected: --bogus"));
  auto range = ws.run({"apply", "--auto-approve", "-parallelism=0"});
  EXPECT_EQ(range.exit_code, 1) << range;
  EXPECT_THAT(range.err, HasSubstr("--parallelism: Value 0 not in range 1 to 256"));
  EXPECT_FALSE(ws.exists("lake"));
  EXPECT_FALSE(ws.exists(".lakeinfra"));
}

TEST(e2e_cli, ChdirFlagRunsAsIfStartedThere) {
  Workspace ws;
  ws.write_example("project/lake.yaml");
  ws.write("elsewhere/.keep", "");
  RunOptions from_elsewhere = in_dir(ws.path("elsewhere"));
  auto r = ws.run({"-C", ws.path("project").string(), "apply", "--auto-approve"}, from_elsewhere);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(ws.is_regular_file("project/.lakeinfra/state.db"));
  EXPECT_TRUE(ws.is_directory("project/lake/healthetl-dev01-bronze/raw"));
  EXPECT_THAT(ws.entries("elsewhere"), ElementsAre(".keep"));

  auto rel = ws.run({"-C", "../project", "state", "list"}, from_elsewhere);
  ASSERT_EQ(rel.exit_code, 0) << rel;
  EXPECT_EQ(count_of(rel.out, "\n"), 7u);

  auto missing = ws.run({"-C", ws.path("nowhere").string(), "plan"});
  EXPECT_EQ(missing.exit_code, 1) << missing;
  EXPECT_THAT(missing.err, HasSubstr("cannot change to directory"));
}

TEST(e2e_cli, ConfigFlagUsesThatFileItsOverlayAndStateBesideIt) {
  Workspace ws;
  ws.write_example("conf/prod.yaml");
  ws.write("conf/prod.dev01.yaml", "zones:\n  - name: platinum\n");
  auto r = ws.run({"--config", "conf/prod.yaml", "apply", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Apply complete! Resources: 8 added, 0 changed, 0 destroyed."));
  // The state sits beside the config; the relative root is resolved against the config's folder.
  EXPECT_TRUE(ws.is_regular_file("conf/.lakeinfra/state.db"));
  EXPECT_TRUE(ws.is_directory("conf/lake/healthetl-dev01-platinum"));
  EXPECT_FALSE(ws.exists(".lakeinfra"));
  EXPECT_FALSE(ws.exists("lake"));

  auto plan =
      ws.run({"--config", ws.path("conf/prod.yaml").string(), "plan", "--detailed-exitcode"});
  EXPECT_EQ(plan.exit_code, 0) << plan;
  auto missing = ws.run({"--config", "conf/none.yaml", "plan"});
  EXPECT_EQ(missing.exit_code, 1) << missing;
  EXPECT_THAT(missing.err,
              HasSubstr("no configuration file " + ws.path("conf/none.yaml").string()));
}

}  // namespace
}  // namespace lakeinfra::test_support
