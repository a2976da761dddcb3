// Approval: apply and destroy ask on a terminal ("Enter a value:", only "yes" proceeds), refuse
// without one; colours only on a terminal, never with NO_COLOR or --no-color.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(e2e_approval, ApplyWithoutTerminalOrAutoApproveRefusesAndCreatesNothing) {
  Workspace ws;
  ws.write_example();
  // Even a "yes" on a piped stdin is not an approval.
  auto r = ws.run({"apply"}, with_stdin("yes\n"));
  ASSERT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("Error: apply needs approval, but there is no terminal to ask on"));
  EXPECT_THAT(r.err, HasSubstr("pass --auto-approve"));
  EXPECT_THAT(r.out, Not(HasSubstr("Enter a value:")));
  EXPECT_FALSE(ws.exists("lake"));
  EXPECT_THAT(ws.state_addresses(), IsEmpty());
  EXPECT_EQ(ws.serial(), 0);
}

TEST(e2e_approval, AnsweringYesOnATerminalApplies) {
  Workspace ws;
  ws.write_example();
  auto r = ws.run_pty({"apply"}, {{"Enter a value:", "yes\n"}});
  ASSERT_FALSE(r.timed_out) << r;
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Do you want to perform these actions?"));
  EXPECT_THAT(r.out, HasSubstr("Only 'yes' will be accepted to approve."));
  EXPECT_THAT(r.out, HasSubstr("Enter a value:"));
  EXPECT_THAT(r.out, HasSubstr("Apply complete!"));
  EXPECT_THAT(r.out, HasSubstr("7 added, 0 changed, 0 destroyed."));
  EXPECT_TRUE(ws.is_directory("lake/healthetl-dev01-gold/curated"));
  EXPECT_EQ(ws.state_addresses().size(), 7u);
}

TEST(e2e_approval, AnsweringAnythingElseCancelsAndCreatesNothing) {
  for (const char* answer : {"no\n", "y\n", "YES\n"}) {
    Workspace ws;
    ws.write_example();
    auto r = ws.run_pty({"apply"}, {{"Enter a value:", answer}});
    ASSERT_FALSE(r.timed_out) << r;
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_THAT(r.out, HasSubstr("Apply cancelled: only 'yes' approves. Nothing was changed."))
        << "answer " << answer;
    EXPECT_THAT(r.out, Not(HasSubstr("Apply complete!")));
    EXPECT_FALSE(ws.exists("lake")) << "answer " << answer;
    EXPECT_THAT(ws.state_addresses(), IsEmpty());
  }
}

TEST(e2e_approval, DestroyOnATerminalAsksItsOwnQuestion) {
  Workspace ws;
  ws.write_example();
  ASSERT_EQ(ws.run({"apply", "--auto-approve"}).exit_code, 0);

  auto no = ws.run_pty({"destroy"}, {{"Enter a value:", "no\n"}});
  ASSERT_FALSE(no.timed_out) << no;
  EXPECT_EQ(no.exit_code, 1) << no;
  EXPECT_THAT(no.out, HasSubstr("Do you really want to destroy all resources?"));
  EXPECT_THAT(no.out, HasSubstr("Destroy cancelled"));
  EXPECT_EQ(ws.state_addresses().size(), 7u);

  auto yes = ws.run_pty({"destroy"}, {{"Enter a value:", "yes\n"}});
  ASSERT_FALSE(yes.timed_out) << yes;
  ASSERT_EQ(yes.exit_code, 0) << yes;
  EXPECT_THAT(yes.out, HasSubstr("Destroy complete!"));
  EXPECT_THAT(ws.state_addresses(), IsEmpty());
  EXPECT_THAT(ws.entries("lake"), IsEmpty());
}

TEST(e2e_approval, NoChangesNeedNoApproval) {
  Workspace ws;
  ws.write_example();
  ASSERT_EQ(ws.run({"apply", "--auto-approve"}).exit_code, 0);
  auto r = ws.run({"apply"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("No changes."));
  EXPECT_EQ(r.err, "");
}

// --- colours ---

TEST(e2e_color, PlainOutputWhenNotATerminal) {
  Workspace ws;
  ws.write_example();
  auto plan = ws.run({"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan;
  EXPECT_FALSE(has_ansi(plan.out)) << plan;
  ws.write("lake.yaml", replace_once(ws.read("lake.yaml"), "tier: internal", "tier: public"));
  auto error = ws.run({"validate"});
  ASSERT_EQ(error.exit_code, 1) << error;
  EXPECT_THAT(error.err, HasSubstr("Error: unknown tier"));
  EXPECT_FALSE(has_ansi(error.err)) << error;
}

TEST(e2e_color, ColouredOnATerminal) {
  // The control for the two tests below: on a terminal, with no opt-out, output is coloured.
  Workspace ws;
  ws.write_example();
  auto r = ws.run_pty({"plan"}, {});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Plan:"));
  EXPECT_TRUE(has_ansi(r.out)) << r;
}

TEST(e2e_color, NoColorEnvironmentVariableOnATerminal) {
  Workspace ws;
  ws.write_example();
  auto r = ws.run_pty({"plan"}, {}, with_env("NO_COLOR", "1"));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Plan: 7 to add, 0 to change, 0 to destroy."));
  EXPECT_FALSE(has_ansi(r.out)) << r;
}

TEST(e2e_color, NoColorFlagOnATerminal) {
  Workspace ws;
  ws.write_example();
  auto r = ws.run_pty({"--no-color", "apply"}, {{"Enter a value:", "yes\n"}});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Enter a value:"));
  EXPECT_THAT(r.out, HasSubstr("Apply complete! Resources: 7 added, 0 changed, 0 destroyed."));
  EXPECT_FALSE(has_ansi(r.out)) << r;

  ws.write("lake.yaml", replace_once(ws.read("lake.yaml"), "tier: internal", "tier: public"));
  auto error = ws.run_pty({"--no-color", "validate"}, {});
  ASSERT_EQ(error.exit_code, 1) << error;
  EXPECT_THAT(error.out, HasSubstr("Error: unknown tier"));
  EXPECT_FALSE(has_ansi(error.out)) << error;
}

}  // namespace
}  // namespace lakeinfra::test_support
