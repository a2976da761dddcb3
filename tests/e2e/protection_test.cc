// Data is never lost: a zone or container holding data is not deleted unless its zone has
// force_destroy: true in the configuration AND in state; empty ones may go.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kTwoZones =
    "lake: {name: demo, instance: dev01}\n"
    "zones:\n"
    "  - {name: alpha, containers: [raw]}\n"
    "  - {name: beta, containers: [keep]}\n";
constexpr const char* kOnlyBeta =
    "lake: {name: demo, instance: dev01}\n"
    "zones:\n"
    "  - {name: beta, containers: [keep]}\n";
constexpr const char* kAlphaForceDestroy =
    "lake: {name: demo, instance: dev01}\n"
    "zones:\n"
    "  - {name: alpha, containers: [raw], force_destroy: true}\n"
    "  - {name: beta, containers: [keep]}\n";

const std::vector<std::string> kFourAddresses = {"container.alpha.raw", "container.beta.keep",
                                                 "zone.alpha", "zone.beta"};

// Applies kTwoZones and puts one file into container alpha.raw.
void lake_with_data(Workspace& ws) {
  ws.write("lake.yaml", kTwoZones);
  auto r = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << r;
  ws.write("lake/demo-dev01-alpha/raw/patients.csv", "id,name\n1,Ada\n");
}

void expect_refusal(const ProcessResult& r, const Workspace& ws) {
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("Error: refusing to delete container.alpha.raw: " +
                               ws.path("lake/demo-dev01-alpha/raw").string() + " holds 1 entry"));
  EXPECT_THAT(r.err, HasSubstr("Error: refusing to delete zone.alpha: "));
  EXPECT_THAT(r.err, HasSubstr("force_destroy: true"));
  EXPECT_THAT(r.out, Not(HasSubstr("Destruction complete")));
}

void expect_untouched(const Workspace& ws, int64_t serial) {
  EXPECT_EQ(ws.read("lake/demo-dev01-alpha/raw/patients.csv"), "id,name\n1,Ada\n");
  EXPECT_EQ(ws.state_addresses(), kFourAddresses);
  EXPECT_EQ(ws.serial(), serial);
  EXPECT_TRUE(ws.is_directory("lake/demo-dev01-beta/keep"));
}

TEST(e2e_protection, RemovingANonEmptyZoneFromTheConfigIsRefused) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(lake_with_data(ws));
  ws.write("lake.yaml", kOnlyBeta);

  auto plan = ws.run({"plan"});
  expect_refusal(plan, ws);
  EXPECT_THAT(plan.err, HasSubstr("planned because not in the configuration"));
  auto detailed = ws.run({"plan", "--detailed-exitcode"});
  EXPECT_EQ(detailed.exit_code, 1) << detailed;
  auto apply = ws.run({"apply", "--auto-approve"});
  expect_refusal(apply, ws);
  expect_untouched(ws, 4);
}

TEST(e2e_protection, DestroyRefusesToDeleteData) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(lake_with_data(ws));
  auto r = ws.run({"destroy", "--auto-approve"});
  expect_refusal(r, ws);
  EXPECT_THAT(r.err, HasSubstr("planned because destroy"));
  // All or nothing: the empty zone beta is not destroyed either.
  expect_untouched(ws, 4);
}

TEST(e2e_protection, ForceDestroyOnlyInTheConfigIsNotEnough) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(lake_with_data(ws));
  ws.write("lake.yaml", kAlphaForceDestroy);
  // Not applied yet: state still says force_destroy = false.
  auto r = ws.run({"destroy", "--auto-approve"});
  expect_refusal(r, ws);
  expect_untouched(ws, 4);

  auto plan = ws.run({"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan;
  EXPECT_THAT(plan.out, HasSubstr("# zone.alpha will be updated in-place"));
  EXPECT_THAT(plan.out, HasSubstr("~ force_destroy = false -> true"));
  EXPECT_THAT(plan.out, HasSubstr("Plan: 0 to add, 1 to change, 0 to destroy."));
}

TEST(e2e_protection, ForceDestroyInConfigAndStateLetsDestroyDeleteData) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(lake_with_data(ws));
  ws.write("lake.yaml", kAlphaForceDestroy);
  auto apply = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(apply.exit_code, 0) << apply;
  EXPECT_THAT(apply.out, HasSubstr("Apply complete! Resources: 0 added, 1 changed, 0 destroyed."));
  EXPECT_THAT(ws.sql_value("SELECT attributes FROM resources WHERE address = 'zone.alpha'"),
              HasSubstr("\"force_destroy\":true"));

  auto r = ws.run({"destroy", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Destroy complete! Resources: 4 destroyed."));
  EXPECT_FALSE(ws.exists("lake/demo-dev01-alpha")) << "force_destroy deletes the data";
  EXPECT_THAT(ws.entries("lake"), IsEmpty());
  EXPECT_THAT(ws.state_addresses(), IsEmpty());
}

TEST(e2e_protection, RemovingTheBlockDoesNotLiftForceDestroyProtection) {
  Workspace ws;
  ws.write("lake.yaml", kAlphaForceDestroy);
  ASSERT_EQ(ws.run({"apply", "--auto-approve"}).exit_code, 0);
  ws.write("lake/demo-dev01-alpha/raw/patients.csv", "id,name\n1,Ada\n");
  // force_destroy is true in state, but the zone is no longer in the configuration.
  ws.write("lake.yaml", kOnlyBeta);
  auto r = ws.run({"apply", "--auto-approve"});
  expect_refusal(r, ws);
  expect_untouched(ws, 4);
}

TEST(e2e_protection, EmptyContainerRemovedFromConfigIsDeleted) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(lake_with_data(ws));
  ws.write("lake.yaml",
           "lake: {name: demo, instance: dev01}\n"
           "zones:\n"
           "  - {name: alpha, containers: [raw]}\n"
           "  - {name: beta, containers: []}\n");
  auto plan = ws.run({"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan;
  EXPECT_THAT(plan.out, HasSubstr("# container.beta.keep will be destroyed"));
  EXPECT_THAT(plan.out, HasSubstr("Plan: 0 to add, 0 to change, 1 to destroy."));

  auto r = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("container.beta.keep: Destruction complete"));
  EXPECT_THAT(r.out, HasSubstr("Apply complete! Resources: 0 added, 0 changed, 1 destroyed."));
  EXPECT_FALSE(ws.exists("lake/demo-dev01-beta/keep"));
  EXPECT_THAT(ws.entries("lake/demo-dev01-beta"), ElementsAre(".lakeinfra.json"));
  EXPECT_THAT(ws.state_addresses(), ElementsAre("container.alpha.raw", "zone.alpha", "zone.beta"));
  EXPECT_EQ(ws.read("lake/demo-dev01-alpha/raw/patients.csv"), "id,name\n1,Ada\n");
}

TEST(e2e_protection, ReplacingANonEmptyZoneIsRefused) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(lake_with_data(ws));
  ws.write("lake.yaml",
           "lake: {name: demo, instance: dev01}\n"
           "naming: {zone: \"{lake}-{zone}-v2\"}\n"
           "zones:\n"
           "  - {name: alpha, containers: [raw]}\n"
           "  - {name: beta, containers: [keep]}\n");
  auto r = ws.run({"apply", "--auto-approve"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("holds 1 entry"));
  EXPECT_THAT(r.err, HasSubstr("container.alpha.raw"));
  EXPECT_FALSE(ws.exists("lake/demo-alpha-v2"));
  expect_untouched(ws, 4);
}

TEST(e2e_protection, ARefusedPlanIsNotSaved) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(lake_with_data(ws));
  auto r = ws.run({"plan", "--destroy", "--out", "destroy.plan"});
  expect_refusal(r, ws);
  EXPECT_FALSE(ws.exists("destroy.plan")) << "a plan with errors must not be saved";
}

TEST(e2e_protection, SavedPlanIsRecheckedWhenApplied) {
  // Planned while the container was empty; data arrives before the plan is applied. The
  // provider checks again and refuses; the rest of the plan goes on.
  Workspace ws;
  ws.write("lake.yaml", kTwoZones);
  ASSERT_EQ(ws.run({"apply", "--auto-approve"}).exit_code, 0);
  auto p = ws.run({"plan", "--destroy", "--out", "destroy.plan"});
  ASSERT_EQ(p.exit_code, 0) << p;
  EXPECT_THAT(p.out, HasSubstr("Plan: 0 to add, 0 to change, 4 to destroy."));
  ws.write("lake/demo-dev01-alpha/raw/late.csv", "arrived after planning\n");

  auto r = ws.run({"apply", "destroy.plan"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.out, HasSubstr("container.alpha.raw: delete failed after "));
  EXPECT_THAT(r.out, HasSubstr("holds 1 entry; refusing to delete data"));
  EXPECT_THAT(r.out, HasSubstr("zone.alpha: Skipped: skipped because container.alpha.raw failed"));
  EXPECT_THAT(r.out, HasSubstr("Destroy failed. Resources: 0 added, 0 changed, 2 destroyed; "
                               "1 failed, 1 skipped."));
  EXPECT_EQ(ws.read("lake/demo-dev01-alpha/raw/late.csv"), "arrived after planning\n");
  EXPECT_THAT(ws.state_addresses(), ElementsAre("container.alpha.raw", "zone.alpha"));
  EXPECT_FALSE(ws.exists("lake/demo-dev01-beta"));
}

TEST(e2e_protection, SymlinksNeverLeadOutsideTheRoot) {
  Workspace ws;
  ws.write("outside/precious.csv", "not lakeinfra's\n");
  ws.write("lake.yaml",
           "lake: {name: demo, instance: dev01}\n"
           "zones:\n"
           "  - {name: alpha, containers: [raw], force_destroy: true}\n"
           "  - {name: beta, containers: [keep]}\n");
  // A zone path that is a symlink out of the root is not created through.
  std::filesystem::create_directories(ws.path("lake"));
  std::filesystem::create_directory_symlink(ws.path("outside"), ws.path("lake/demo-dev01-beta"));
  auto a = ws.run({"apply", "--auto-approve"});
  EXPECT_EQ(a.exit_code, 1) << a;
  EXPECT_THAT(a.out,
              HasSubstr("failed:    create zone.beta: refusing to use " +
                        ws.path("lake/demo-dev01-beta").string() +
                        ": it is a symlink and could lead outside " + ws.path("lake").string()));
  EXPECT_THAT(ws.entries("outside"), ElementsAre("precious.csv"));

  // A container replaced by a symlink is not deleted through, even with force_destroy.
  ASSERT_TRUE(ws.is_directory("lake/demo-dev01-alpha/raw")) << a;
  ws.remove("lake/demo-dev01-alpha/raw");
  std::filesystem::create_directory_symlink(ws.path("outside"),
                                            ws.path("lake/demo-dev01-alpha/raw"));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"destroy", "--auto-approve"},
        std::vector<std::string>{"destroy", "--auto-approve", "--refresh=false"}}) {
    auto d = ws.run(args);
    EXPECT_EQ(d.exit_code, 1) << d;
    EXPECT_THAT(d.out + d.err, HasSubstr("it is a symlink and could lead outside"));
  }
  EXPECT_EQ(ws.read("outside/precious.csv"), "not lakeinfra's\n");
  EXPECT_TRUE(std::filesystem::is_symlink(ws.path("lake/demo-dev01-alpha/raw")));
}

}  // namespace
}  // namespace lakeinfra::test_support
