// The process runner the e2e tests stand on (tests/support/process.h), checked with /bin/sh:
// captured streams, exit codes, stdin, environment, working directory, the time limit, the pty.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/lake_workspace.h"
#include "tests/support/process.h"

namespace lakeinfra::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

ProcessOptions sh(const std::string& script) {
  ProcessOptions o;
  o.argv = {"/bin/sh", "-c", script};
  return o;
}

TEST(e2e_runner, CapturesStdoutStderrAndTheExitCode) {
  auto r = run_process(sh("echo out; echo err >&2; exit 3"));
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.launch_error, "");
  EXPECT_EQ(r.command, "/bin/sh -c echo out; echo err >&2; exit 3");
}

TEST(e2e_runner, LargeOutputOnBothStreamsDoesNotDeadlock) {
  auto r =
      run_process(sh("i=0; while [ $i -lt 3000 ]; do echo line-$i; echo err-$i >&2; "
                     "i=$((i+1)); done"));
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(0, 200);
  EXPECT_EQ(count_of(r.out, "\n"), 3000u);
  EXPECT_EQ(count_of(r.err, "\n"), 3000u);
  EXPECT_THAT(r.out, HasSubstr("line-2999\n"));
}

TEST(e2e_runner, FeedsStdinAndItIsNotATerminal) {
  auto o = sh("cat; if [ -t 0 ]; then echo tty; else echo pipe; fi");
  o.stdin_text = "hello\nworld\n";
  auto r = run_process(o);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "hello\nworld\npipe\n");

  // A child that never reads its input must not hurt the runner (no SIGPIPE, no hang).
  auto ignore = sh("exit 0");
  ignore.stdin_text = std::string(1 << 20, 'x');
  auto q = run_process(ignore);
  EXPECT_EQ(q.exit_code, 0) << q;
}

TEST(e2e_runner, SetsAndUnsetsEnvironmentVariables) {
  ::setenv("LAKEINFRA_RUNNER_PARENT", "inherited", 1);
  ::setenv("LAKEINFRA_RUNNER_GONE", "should not be seen", 1);
  auto o = sh(
      "echo \"$LAKEINFRA_RUNNER_PARENT|$LAKEINFRA_RUNNER_EXTRA|${LAKEINFRA_RUNNER_GONE-unset}\"");
  o.env = {{"LAKEINFRA_RUNNER_EXTRA", "added"}};
  o.unset_env = {"LAKEINFRA_RUNNER_GONE"};
  auto r = run_process(o);
  ::unsetenv("LAKEINFRA_RUNNER_PARENT");
  ::unsetenv("LAKEINFRA_RUNNER_GONE");
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "inherited|added|unset\n");
}

TEST(e2e_runner, RunsInTheGivenDirectory) {
  Workspace ws;
  auto o = sh("pwd -P");
  o.cwd = ws.dir();
  auto r = run_process(o);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, std::filesystem::canonical(ws.dir()).string() + "\n");

  o.cwd = ws.path("missing");
  auto bad = run_process(o);
  EXPECT_EQ(bad.exit_code, 127) << bad;
  EXPECT_THAT(bad.launch_error, HasSubstr("No such file or directory"));
}

TEST(e2e_runner, ReportsAProgramThatCannotBeRun) {
  ProcessOptions o;
  o.argv = {"/nonexistent/lakeinfra-runner-test"};
  auto r = run_process(o);
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_THAT(r.launch_error, HasSubstr("cannot run /nonexistent/lakeinfra-runner-test"));
  EXPECT_THAT(r.describe(), HasSubstr("launch error"));
}

TEST(e2e_runner, TimeLimitKillsTheChildAndItsChildren) {
  // The grandchild keeps stdout open: only killing the whole process group ends the run.
  auto o = sh("sleep 30 & sleep 30");
  o.timeout = std::chrono::milliseconds(300);
  auto r = run_process(o);
  EXPECT_TRUE(r.timed_out) << r;
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_GE(r.elapsed.count(), 250);
  EXPECT_LT(r.elapsed.count(), 5000) << "the runner must not wait for the grandchild";
  EXPECT_THAT(r.describe(), HasSubstr("TIMED OUT"));
}

TEST(e2e_runner, PtyIsATerminalAndAnswersPrompts) {
  auto o =
      sh("[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; "
         "printf 'Name? '; read name; printf 'Sure? '; read sure; "
         "echo \"hello $name ($sure)\"; exit 4");
  auto r = run_in_pty(o, {{"Name?", "ada\n"}, {"Sure?", "yes\n"}});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_FALSE(r.timed_out);
  EXPECT_THAT(r.out, HasSubstr("all-tty"));
  EXPECT_THAT(r.out, HasSubstr("hello ada (yes)"));
  EXPECT_THAT(r.err, IsEmpty());
  EXPECT_EQ(r.command.rfind("[pty] /bin/sh", 0), 0u);
}

TEST(e2e_runner, PtyTimeLimitKillsAChildWaitingForInput) {
  auto o = sh("printf 'Waiting: '; read never");
  o.timeout = std::chrono::milliseconds(300);
  auto r = run_in_pty(o, {{"no such prompt", "x\n"}});
  EXPECT_TRUE(r.timed_out) << r;
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_THAT(r.out, HasSubstr("Waiting:"));
  EXPECT_THAT(r.out, Not(HasSubstr("x")));
  EXPECT_LT(r.elapsed.count(), 5000);
}

}  // namespace
}  // namespace lakeinfra::test_support
