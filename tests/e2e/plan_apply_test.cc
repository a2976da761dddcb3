// plan, apply and destroy on the medallion example: summaries, --detailed-exitcode, the
// directories and marker files on disk, the serial per resource, --target, partial failure.
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

const std::vector<std::string> kAllAddresses = {"container.bronze.landing",
                                                "container.bronze.raw",
                                                "container.gold.curated",
                                                "container.silver.transformed",
                                                "zone.bronze",
                                                "zone.gold",
                                                "zone.silver"};

TEST(e2e_plan, FreshPlanShowsSevenCreatesAndChangesNothing) {
  Workspace ws;
  ws.write_example();
  auto r = ws.run({"plan"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("lakeinfra will perform the following actions:"));
  for (const auto& a : kAllAddresses)
    EXPECT_THAT(r.out, HasSubstr("# " + a + " will be created"));
  EXPECT_THAT(r.out, HasSubstr("  + zone \"bronze\" {\n"
                               "      + force_destroy = false\n"
                               "      + id            = \"healthetl-dev01-bronze\"\n"));
  EXPECT_THAT(r.out, HasSubstr("      + tier     = \"sensitive\"\n"
                               "      + zone     = \"bronze\"\n"));
  EXPECT_THAT(r.out, HasSubstr("Plan: 7 to add, 0 to change, 0 to destroy."));
  EXPECT_FALSE(ws.exists("lake")) << "plan must not create anything";
  EXPECT_THAT(ws.state_addresses(), IsEmpty());
  EXPECT_EQ(ws.serial(), 0);

  auto detailed = ws.run({"plan", "--detailed-exitcode"});
  EXPECT_EQ(detailed.exit_code, 2) << detailed;
  EXPECT_THAT(detailed.out, HasSubstr("Plan: 7 to add, 0 to change, 0 to destroy."));
}

TEST(e2e_plan, ApplyCreatesDirectoriesAndMarkersAndSecondPlanIsANoOp) {
  Workspace ws;
  ws.write_example();
  auto r = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Plan: 7 to add, 0 to change, 0 to destroy."));
  EXPECT_THAT(r.out, HasSubstr("zone.bronze: Creating..."));
  EXPECT_THAT(r.out, HasSubstr("container.bronze.raw: Creation complete after "));
  EXPECT_THAT(r.out, HasSubstr("[id=healthetl-dev01-bronze/raw]"));
  EXPECT_THAT(r.out, HasSubstr("Apply complete! Resources: 7 added, 0 changed, 0 destroyed."));

  EXPECT_THAT(ws.entries("lake"), ElementsAre("healthetl-dev01-bronze", "healthetl-dev01-gold",
                                              "healthetl-dev01-silver"));
  EXPECT_THAT(ws.entries("lake/healthetl-dev01-bronze"),
              ElementsAre(".lakeinfra.json", "landing", "raw"));
  for (const char* dir : {"healthetl-dev01-bronze/landing", "healthetl-dev01-bronze/raw",
                          "healthetl-dev01-silver/transformed", "healthetl-dev01-gold/curated"}) {
    EXPECT_TRUE(ws.is_regular_file(std::string("lake/") + dir + "/.lakeinfra.json")) << dir;
  }
  auto zone = nlohmann::json::parse(ws.read("lake/healthetl-dev01-bronze/.lakeinfra.json"));
  EXPECT_EQ(zone["address"], "zone.bronze");
  EXPECT_EQ(zone["type"], "zone");
  EXPECT_EQ(zone["tier"], "sensitive");
  EXPECT_EQ(zone["managed_by"], "lakeinfra");
  auto container =
      nlohmann::json::parse(ws.read("lake/healthetl-dev01-gold/curated/.lakeinfra.json"));
  EXPECT_EQ(container["address"], "container.gold.curated");
  EXPECT_EQ(container["type"], "container");
  EXPECT_EQ(container["tier"], "internal");

  auto second = ws.run({"plan", "--detailed-exitcode"});
  EXPECT_EQ(second.exit_code, 0) << second;
  EXPECT_THAT(second.out, HasSubstr("No changes. Your lake matches the configuration."));
  EXPECT_THAT(second.out, Not(HasSubstr("Plan:")));

  auto again = ws.run({"apply", "--auto-approve"});
  EXPECT_EQ(again.exit_code, 0) << again;
  EXPECT_THAT(again.out, HasSubstr("No changes."));
  EXPECT_THAT(again.out, Not(HasSubstr("Apply complete!")));
  EXPECT_EQ(ws.serial(), 7) << "a no-op apply must not move the serial";
}

TEST(e2e_plan, ConfigErrorExitsOneEvenWithDetailedExitcode) {
  Workspace ws;
  ws.write_example();
  ws.write("lake.yaml", replace_once(ws.read("lake.yaml"), "tier: internal", "tier: public"));
  auto r = ws.run({"plan", "--detailed-exitcode"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("Error: unknown tier \"public\""));
  EXPECT_THAT(r.out, Not(HasSubstr("Plan:")));
}

TEST(e2e_plan, StateRecordsEachResourceAndTheSerialMovesByOnePerResource) {
  Workspace ws;
  ws.write_example();
  ASSERT_EQ(ws.run({"plan"}).exit_code, 0);
  EXPECT_EQ(ws.serial(), 0);
  std::string lineage = ws.lineage();

  auto r = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(ws.serial(), 7);
  EXPECT_EQ(ws.lineage(), lineage) << "apply must keep the lineage";
  EXPECT_EQ(ws.state_addresses(), kAllAddresses);
  auto row = ws.sql(
      "SELECT type, provider, provider_id, attributes, depends_on FROM resources "
      "WHERE address = 'container.bronze.raw'");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0], "container");
  EXPECT_EQ(row[0][1], "local");
  EXPECT_EQ(row[0][2], "healthetl-dev01-bronze/raw");
  EXPECT_EQ(nlohmann::json::parse(row[0][3])["tier"], "sensitive");
  EXPECT_EQ(nlohmann::json::parse(row[0][4]), nlohmann::json::array({"zone.bronze"}));
  // One journal entry per step, each finished; one run recorded.
  EXPECT_EQ(ws.sql_value("SELECT count(*) FROM journal WHERE outcome = 'ok'"), "7");
  EXPECT_EQ(ws.sql_value("SELECT count(*) FROM journal WHERE finished_at IS NULL"), "0");
  EXPECT_EQ(ws.sql("SELECT command, status, added FROM runs"),
            (std::vector<std::vector<std::string>>{{"apply", "ok", "7"}}));

  // Two more resources: two more serials.
  ws.write("lake.yaml", ws.read("lake.yaml") + "  - name: platinum\n    containers: [best]\n");
  auto more = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(more.exit_code, 0) << more;
  EXPECT_THAT(more.out, HasSubstr("Apply complete! Resources: 2 added, 0 changed, 0 destroyed."));
  EXPECT_EQ(ws.serial(), 9);
}

// Position of `needle` in `text`, failing the test when it is absent.
size_t position(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << "missing \"" << needle << "\" in\n" << text;
  return at;
}

TEST(e2e_apply, WalksTheGraphInDependencyOrder) {
  const std::vector<std::pair<std::string, std::string>> edges = {
      {"container.bronze.raw", "zone.bronze"},
      {"container.bronze.landing", "zone.bronze"},
      {"container.silver.transformed", "zone.silver"},
      {"container.gold.curated", "zone.gold"}};
  for (const char* parallelism : {"1", "10"}) {
    Workspace ws;
    ws.write_example();
    auto a = ws.run({"apply", "--auto-approve", "--parallelism", parallelism});
    ASSERT_EQ(a.exit_code, 0) << a;
    for (const auto& [container, zone] : edges) {
      EXPECT_LT(position(a.out, zone + ": Creation complete"),
                position(a.out, container + ": Creating..."))
          << "a container is created only after its zone, parallelism " << parallelism;
    }
    auto d = ws.run({"destroy", "--auto-approve", "-parallelism=" + std::string(parallelism)});
    ASSERT_EQ(d.exit_code, 0) << d;
    for (const auto& [container, zone] : edges) {
      EXPECT_LT(position(d.out, container + ": Destruction complete"),
                position(d.out, zone + ": Destroying..."))
          << "a zone is deleted only after its containers, parallelism " << parallelism;
    }
  }
}

TEST(e2e_plan, TargetLimitsThePlanToTheResourceAndItsDependencies) {
  Workspace ws;
  ws.write_example();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"plan", "--target", "container.bronze.raw"},
        std::vector<std::string>{"plan", "-target=container.bronze.raw"}}) {
    auto r = ws.run(args);
    ASSERT_EQ(r.exit_code, 0) << r;
    EXPECT_THAT(r.out, HasSubstr("# zone.bronze will be created"));
    EXPECT_THAT(r.out, HasSubstr("# container.bronze.raw will be created"));
    EXPECT_THAT(r.out, Not(HasSubstr("container.bronze.landing")));
    EXPECT_THAT(r.out, Not(HasSubstr("zone.silver")));
    EXPECT_THAT(r.out, HasSubstr("Plan: 2 to add, 0 to change, 0 to destroy."));
  }
  auto a = ws.run({"apply", "--auto-approve", "--target", "container.bronze.raw"});
  ASSERT_EQ(a.exit_code, 0) << a;
  EXPECT_THAT(ws.state_addresses(), ElementsAre("container.bronze.raw", "zone.bronze"));
  EXPECT_THAT(ws.entries("lake"), ElementsAre("healthetl-dev01-bronze"));
  EXPECT_THAT(ws.entries("lake/healthetl-dev01-bronze"), ElementsAre(".lakeinfra.json", "raw"));
}

TEST(e2e_plan, UnknownTargetSuggestsTheClosestAddress) {
  Workspace ws;
  ws.write_example();
  auto r = ws.run({"plan", "--target", "container.bronze.rawx"});
  ASSERT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("target \"container.bronze.rawx\" matches no resource"));
  EXPECT_THAT(r.err, HasSubstr("did you mean \"container.bronze.raw\"?"));

  auto bad = ws.run({"plan", "--target", "bogus"});
  ASSERT_EQ(bad.exit_code, 1) << bad;
  EXPECT_THAT(bad.err, HasSubstr("invalid --target \"bogus\""));
}

TEST(e2e_destroy, RemovesEverythingAndEmptiesState) {
  Workspace ws;
  ws.write_example();
  ASSERT_EQ(ws.run({"apply", "--auto-approve"}).exit_code, 0);
  auto r = ws.run({"destroy", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Plan: 0 to add, 0 to change, 7 to destroy."));
  EXPECT_THAT(r.out, HasSubstr("zone.bronze: Destruction complete"));
  EXPECT_THAT(r.out, HasSubstr("Destroy complete! Resources: 7 destroyed."));
  EXPECT_THAT(ws.entries("lake"), IsEmpty()) << "every directory lakeinfra made must be gone";
  EXPECT_THAT(ws.state_addresses(), IsEmpty());
  EXPECT_EQ(ws.serial(), 14);

  auto list = ws.run({"state", "list"});
  ASSERT_EQ(list.exit_code, 0) << list;
  EXPECT_EQ(list.out, "");

  auto plan = ws.run({"plan"});
  EXPECT_THAT(plan.out, HasSubstr("Plan: 7 to add, 0 to change, 0 to destroy."));

  auto again = ws.run({"destroy", "--auto-approve"});
  EXPECT_EQ(again.exit_code, 0) << again;
  EXPECT_THAT(again.out, HasSubstr("Nothing to destroy: the state holds no resources."));
}

TEST(e2e_destroy, WithoutApprovalAndNoTerminalRefuses) {
  Workspace ws;
  ws.write_example();
  ASSERT_EQ(ws.run({"apply", "--auto-approve"}).exit_code, 0);
  auto r = ws.run({"destroy"}, with_stdin("yes\n"));
  ASSERT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("destroy needs approval, but there is no terminal to ask on"));
  EXPECT_THAT(r.err, HasSubstr("--auto-approve"));
  EXPECT_EQ(ws.state_addresses(), kAllAddresses);
  EXPECT_TRUE(ws.is_directory("lake/healthetl-dev01-bronze/raw"));
  EXPECT_EQ(ws.serial(), 7);
}

TEST(e2e_apply, PartialFailureReportsSucceededFailedSkippedAndResumes) {
  Workspace ws;
  ws.write_example();
  ws.write("lake/healthetl-dev01-bronze", "an obstacle where the zone directory should go\n");
  auto r = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.out, HasSubstr("zone.bronze: create failed after "));
  EXPECT_THAT(r.out, HasSubstr("exists and is not a directory"));
  EXPECT_THAT(r.out,
              HasSubstr("container.bronze.raw: Skipped: skipped because zone.bronze failed"));
  EXPECT_THAT(r.out, HasSubstr("Apply failed. Resources: 4 added, 0 changed, 0 destroyed; "
                               "1 failed, 2 skipped."));
  EXPECT_THAT(r.out, HasSubstr("  succeeded: create zone.gold\n"));
  EXPECT_THAT(r.out, HasSubstr("  succeeded: create container.silver.transformed\n"));
  EXPECT_THAT(r.out, HasSubstr("  failed:    create zone.bronze: zone path "));
  EXPECT_THAT(r.out, HasSubstr("  skipped:   create container.bronze.raw: "));
  EXPECT_THAT(r.out, HasSubstr("  skipped:   create container.bronze.landing: "));

  // The independent zones were created and recorded; the failed branch was not.
  EXPECT_THAT(ws.state_addresses(),
              ElementsAre("container.gold.curated", "container.silver.transformed", "zone.gold",
                          "zone.silver"));
  EXPECT_TRUE(ws.is_directory("lake/healthetl-dev01-silver/transformed"));
  EXPECT_TRUE(ws.is_regular_file("lake/healthetl-dev01-bronze")) << "the obstacle is untouched";
  EXPECT_EQ(ws.sql_value("SELECT status FROM runs"), "failed");

  ws.remove("lake/healthetl-dev01-bronze");
  auto plan = ws.run({"plan"});
  EXPECT_THAT(plan.out, HasSubstr("Plan: 3 to add, 0 to change, 0 to destroy.")) << plan;
  auto rest = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(rest.exit_code, 0) << rest;
  EXPECT_THAT(rest.out, HasSubstr("Apply complete! Resources: 3 added, 0 changed, 0 destroyed."));
  EXPECT_EQ(ws.state_addresses(), kAllAddresses);
  EXPECT_TRUE(ws.is_directory("lake/healthetl-dev01-bronze/landing"));
}

}  // namespace
}  // namespace lakeinfra::test_support
