// Drift (objects changed by hand, seen by refresh unless --refresh=false) and reconciliation of
// journal intents left open by an interrupted run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

void apply_example(Workspace& ws) {
  ws.write_example();
  auto r = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << r;
}

TEST(e2e_drift, HandDeletedContainerIsPlannedAgainAndRepaired) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(apply_example(ws));
  ws.remove("lake/healthetl-dev01-bronze/raw");

  auto r = ws.run({"plan", "--detailed-exitcode"});
  ASSERT_EQ(r.exit_code, 2) << r;
  EXPECT_THAT(r.out, HasSubstr("Note: Objects have changed outside of lakeinfra"));
  EXPECT_THAT(r.out, HasSubstr("  # container.bronze.raw has changed\n"
                               "      - deleted outside lakeinfra\n"));
  EXPECT_THAT(r.out, HasSubstr("  # container.bronze.raw will be created\n"
                               "  # (deleted outside lakeinfra: refresh found nothing at " +
                               ws.path("lake/healthetl-dev01-bronze/raw").string() + ")\n"));
  EXPECT_THAT(r.out, HasSubstr("Plan: 1 to add, 0 to change, 0 to destroy."));
  EXPECT_THAT(r.out, Not(HasSubstr("container.bronze.landing will")));

  auto a = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(a.exit_code, 0) << a;
  EXPECT_THAT(a.out, HasSubstr("Apply complete! Resources: 1 added, 0 changed, 0 destroyed."));
  EXPECT_TRUE(ws.is_regular_file("lake/healthetl-dev01-bronze/raw/.lakeinfra.json"));
  EXPECT_EQ(ws.serial(), 8);

  auto after = ws.run({"plan", "--detailed-exitcode"});
  EXPECT_EQ(after.exit_code, 0) << after;
  EXPECT_THAT(after.out, Not(HasSubstr("Objects have changed")));
}

TEST(e2e_drift, HandEditedTierIsUpdatedInPlace) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(apply_example(ws));
  const std::string marker = "lake/healthetl-dev01-bronze/.lakeinfra.json";
  auto j = nlohmann::json::parse(ws.read(marker));
  ASSERT_EQ(j["tier"], "sensitive");
  j["tier"] = "internal";
  ws.write(marker, j.dump(2));

  auto r = ws.run({"plan", "--detailed-exitcode"});
  ASSERT_EQ(r.exit_code, 2) << r;
  EXPECT_THAT(r.out, HasSubstr("Note: Objects have changed outside of lakeinfra"));
  EXPECT_THAT(r.out, HasSubstr("  # zone.bronze has changed\n"
                               "      ~ tier = \"sensitive\" -> \"internal\"\n"));
  EXPECT_THAT(r.out, HasSubstr("  # zone.bronze will be updated in-place\n"));
  EXPECT_THAT(r.out, HasSubstr("  ~ zone \"bronze\" {\n"));
  EXPECT_THAT(lines_with(r.out, "~ tier"), HasSubstr("\"internal\" -> \"sensitive\""));
  EXPECT_THAT(r.out, HasSubstr("Plan: 0 to add, 1 to change, 0 to destroy."));

  auto a = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(a.exit_code, 0) << a;
  EXPECT_THAT(a.out, HasSubstr("zone.bronze: Modifications complete"));
  EXPECT_THAT(a.out, HasSubstr("Apply complete! Resources: 0 added, 1 changed, 0 destroyed."));
  EXPECT_EQ(nlohmann::json::parse(ws.read(marker))["tier"], "sensitive");
}

// Refresh remembers each marker's stamp in .lakeinfra/marker-cache and skips reading the
// unchanged ones: a marker edited by hand afterwards must still show, whatever the edit.
TEST(e2e_drift, HandEditsAfterARememberedRefreshStillShow) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(apply_example(ws));
  // Markers are trusted by stamp only once their last change is 2 seconds old.
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  auto debug = with_env("LAKEINFRA_LOG", "debug");
  auto first = ws.run({"plan", "--detailed-exitcode"}, debug);
  ASSERT_EQ(first.exit_code, 0) << first;
  EXPECT_TRUE(ws.is_regular_file(".lakeinfra/marker-cache"));
  auto second = ws.run({"plan", "--detailed-exitcode"}, debug);
  ASSERT_EQ(second.exit_code, 0) << second;
  EXPECT_THAT(second.err, HasSubstr("refresh: 7 markers unchanged since the last refresh, 0 read"));

  // Edited in place (same inode), to a tier of the same length and to one of another.
  const std::string gold = "lake/healthetl-dev01-gold/.lakeinfra.json";
  const std::string raw = "lake/healthetl-dev01-bronze/raw/.lakeinfra.json";
  std::string text = ws.read(gold);
  ASSERT_NE(text.find("\"internal\""), std::string::npos) << text;
  text.replace(text.find("\"internal\""), 10, "\"personal\"");
  ws.write(gold, text);
  auto j = nlohmann::json::parse(ws.read(raw));
  j["tier"] = "restricted";
  ws.write(raw, j.dump(2) + "\n");
  auto r = ws.run({"plan", "--detailed-exitcode"}, debug);
  ASSERT_EQ(r.exit_code, 2) << r;
  EXPECT_THAT(r.out, HasSubstr("  # zone.gold has changed\n"
                               "      ~ tier = \"internal\" -> \"personal\"\n"));
  EXPECT_THAT(r.out, HasSubstr("  # container.bronze.raw has changed\n"
                               "      ~ tier = \"sensitive\" -> \"restricted\"\n"));
  EXPECT_THAT(r.err, HasSubstr("refresh: 5 markers unchanged since the last refresh, 2 read"));
  EXPECT_THAT(r.out, HasSubstr("Plan: 0 to add, 2 to change, 0 to destroy."));
}

// lake.yaml's parse is remembered in .lakeinfra/lake-cache, by the bytes of every file and the
// value of every variable the load read: an edit, an overlay or a changed variable must still
// show in the next plan, and a broken edit must still be an error.
TEST(e2e_drift, ConfigEditsAfterARememberedLoadStillShow) {
  Workspace ws;
  std::string example = read_file(source_dir() / "examples" / "medallion" / "lake.yaml");
  example.replace(example.find("[transformed]"), 13, "[\"${env:SILVER_CONTAINER}\"]");
  ws.write("lake.yaml", example);
  RunOptions run = with_env("SILVER_CONTAINER", "transformed");
  auto applied = ws.run({"apply", "--auto-approve"}, run);
  ASSERT_EQ(applied.exit_code, 0) << applied;

  // Kept once the state directory exists: by the first plan.
  EXPECT_FALSE(ws.is_regular_file(".lakeinfra/lake-cache"));
  run.env["LAKEINFRA_LOG"] = "debug";
  auto first = ws.run({"plan", "--detailed-exitcode"}, run);
  ASSERT_EQ(first.exit_code, 0) << first;
  EXPECT_THAT(first.err, HasSubstr("config: kept the loaded lake in"));
  EXPECT_EQ(file_mode(ws.path(".lakeinfra/lake-cache")), 0600);
  auto same = ws.run({"plan", "--detailed-exitcode"}, run);
  ASSERT_EQ(same.exit_code, 0) << same;
  EXPECT_THAT(same.err, HasSubstr("config: every input unchanged, reused the lake kept in"));

  // An edit of the same size.
  std::string text = ws.read("lake.yaml");
  text.replace(text.find("[raw, landing]"), 14, "[raw, lending]");
  ws.write("lake.yaml", text);
  auto edited = ws.run({"plan", "--detailed-exitcode"}, run);
  ASSERT_EQ(edited.exit_code, 2) << edited;
  EXPECT_THAT(edited.err, Not(HasSubstr("reused the lake")));
  EXPECT_THAT(edited.out, HasSubstr("container.bronze.lending will be created"));

  // A variable the file reads.
  run.env["SILVER_CONTAINER"] = "conformed";
  auto variable = ws.run({"plan"}, run);
  ASSERT_EQ(variable.exit_code, 0) << variable;
  EXPECT_THAT(variable.out, HasSubstr("container.silver.conformed will be created"));

  // An overlay for the instance appears.
  ws.write("lake.dev01.yaml", "zones: [{name: gold, containers: [curated, shared]}]\n");
  auto overlay = ws.run({"plan"}, run);
  ASSERT_EQ(overlay.exit_code, 0) << overlay;
  EXPECT_THAT(overlay.out, HasSubstr("container.gold.shared will be created"));

  // A broken edit is an error, not the remembered lake.
  ws.write("lake.yaml", text + "  - {name: Bad_Zone}\n");
  auto broken = ws.run({"plan"}, run);
  EXPECT_EQ(broken.exit_code, 1) << broken;
  EXPECT_THAT(broken.err, HasSubstr("Bad_Zone"));
}

TEST(e2e_drift, RefreshFalseDoesNotSeeDrift) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(apply_example(ws));
  ws.remove("lake/healthetl-dev01-gold/curated");
  const std::string marker = "lake/healthetl-dev01-silver/.lakeinfra.json";
  auto j = nlohmann::json::parse(ws.read(marker));
  j["tier"] = "internal";
  ws.write(marker, j.dump(2));

  for (const char* flag : {"--refresh=false", "-refresh=false", "--no-refresh"}) {
    auto r = ws.run({"plan", "--detailed-exitcode", flag});
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_THAT(r.out, HasSubstr("No changes.")) << flag;
    EXPECT_THAT(r.out, Not(HasSubstr("Objects have changed"))) << flag;
  }
  // The control: with refresh both changes show.
  auto refreshed = ws.run({"plan"});
  EXPECT_THAT(refreshed.out, HasSubstr("Plan: 1 to add, 1 to change, 0 to destroy.")) << refreshed;
}

// A journal intent for `container.gold.curated`, left open as by a run killed mid-step.
void insert_open_create_intent(Workspace& ws) {
  nlohmann::json desired = {
      {"address", "container.gold.curated"},
      {"type", "container"},
      {"provider_id", "healthetl-dev01-gold/curated"},
      {"attributes", {{"name", "curated"}, {"tier", "internal"}, {"zone", "gold"}}},
      {"depends_on", {"zone.gold"}}};
  nlohmann::json payload = {{"desired", desired}, {"prior", nullptr}};
  std::string quoted = payload.dump();
  ws.sql(
      "DELETE FROM resources WHERE address = 'container.gold.curated';"
      "INSERT INTO journal (address, action, payload, started_at) VALUES "
      "('container.gold.curated', 'create', '" +
      quoted + "', '2024-01-01T00:00:00Z')");
}

TEST(e2e_journal, OpenCreateWhoseDirectoryExistsIsAdopted) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(apply_example(ws));
  insert_open_create_intent(ws);
  ASSERT_THAT(ws.state_addresses(), Not(Contains("container.gold.curated")));

  auto r = ws.run({"plan", "--detailed-exitcode"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Reconciled: container.gold.curated: an interrupted create was "
                               "found at " +
                               ws.path("lake/healthetl-dev01-gold/curated").string() +
                               "; adopted into state"));
  EXPECT_THAT(r.out, HasSubstr("No changes."));
  EXPECT_THAT(ws.state_addresses(), Contains("container.gold.curated"));
  EXPECT_EQ(ws.sql_value("SELECT provider_id FROM resources WHERE address = "
                         "'container.gold.curated'"),
            "healthetl-dev01-gold/curated");
  EXPECT_EQ(ws.sql_value("SELECT count(*) FROM journal WHERE finished_at IS NULL"), "0");
  EXPECT_EQ(ws.sql_value("SELECT outcome FROM journal ORDER BY id DESC LIMIT 1"), "reconciled");

  auto again = ws.run({"plan"});
  EXPECT_THAT(again.out, Not(HasSubstr("Reconciled:"))) << "an intent is reconciled once";
}

TEST(e2e_journal, OpenCreateWhoseDirectoryIsMissingIsPlannedAgain) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(apply_example(ws));
  insert_open_create_intent(ws);
  ws.remove("lake/healthetl-dev01-gold/curated");

  auto r = ws.run({"plan"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Reconciled: container.gold.curated: an interrupted create did not "
                               "complete; it will be planned again"));
  EXPECT_THAT(r.out, HasSubstr("# container.gold.curated will be created"));
  EXPECT_THAT(r.out, HasSubstr("Plan: 1 to add, 0 to change, 0 to destroy."));
  EXPECT_THAT(ws.state_addresses(), Not(Contains("container.gold.curated")));
  EXPECT_EQ(ws.sql_value("SELECT count(*) FROM journal WHERE finished_at IS NULL"), "0");

  auto a = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(a.exit_code, 0) << a;
  EXPECT_THAT(a.out, Not(HasSubstr("Reconciled:")));
  EXPECT_THAT(a.out, HasSubstr("Apply complete! Resources: 1 added, 0 changed, 0 destroyed."));
  EXPECT_TRUE(ws.is_directory("lake/healthetl-dev01-gold/curated"));
}

TEST(e2e_journal, ApplyAlsoReconcilesBeforePlanning) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(apply_example(ws));
  insert_open_create_intent(ws);
  auto a = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(a.exit_code, 0) << a;
  EXPECT_THAT(a.out, HasSubstr("Reconciled: container.gold.curated:"));
  EXPECT_THAT(a.out, HasSubstr("adopted into state"));
  EXPECT_THAT(a.out, HasSubstr("No changes."));
  EXPECT_EQ(ws.state_addresses().size(), 7u);
}

TEST(e2e_journal, OpenDeleteIsSettledByWhatIsOnDisk) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(apply_example(ws));
  auto intent = [&](const std::string& address, const std::string& id, const std::string& zone) {
    nlohmann::json prior = {{"address", address},
                            {"type", "container"},
                            {"provider", "local"},
                            {"provider_id", id},
                            {"attributes", nlohmann::json::object()},
                            {"depends_on", {zone}}};
    nlohmann::json payload = {{"desired", nullptr}, {"prior", prior}};
    ws.sql("INSERT INTO journal (address, action, payload, started_at) VALUES ('" + address +
           "', 'delete', '" + payload.dump() + "', '2024-01-01T00:00:00Z')");
  };
  // One delete finished on disk before the run died; the other never started.
  ws.remove("lake/healthetl-dev01-gold/curated");
  intent("container.gold.curated", "healthetl-dev01-gold/curated", "zone.gold");
  intent("container.bronze.raw", "healthetl-dev01-bronze/raw", "zone.bronze");

  auto r = ws.run({"plan"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Reconciled: container.gold.curated: an interrupted delete had "
                               "completed; removed from state"));
  EXPECT_THAT(r.out, HasSubstr("Reconciled: container.bronze.raw: an interrupted delete did not "
                               "complete; the object still exists"));
  EXPECT_THAT(ws.state_addresses(), Not(Contains("container.gold.curated")));
  EXPECT_THAT(ws.state_addresses(), Contains("container.bronze.raw"));
  // Still declared, so the deleted one is planned again as a plain create.
  EXPECT_THAT(r.out, HasSubstr("# container.gold.curated will be created"));
  EXPECT_THAT(r.out, HasSubstr("Plan: 1 to add, 0 to change, 0 to destroy."));
}

}  // namespace
}  // namespace lakeinfra::test_support
