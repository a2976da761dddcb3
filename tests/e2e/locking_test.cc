// The state lock: a live holder stops writers at once (or after --lock-timeout), a dead holder
// on this host is reclaimed with a warning, force-unlock releases a lock by id.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kLockId = "0123456789abcdef";

// A workspace with the example applied (so state exists) and no lock.
void applied(Workspace& ws) {
  ws.write_example();
  auto r = ws.run({"apply", "--auto-approve"});
  ASSERT_EQ(r.exit_code, 0) << r;
}

void hold_lock(const Workspace& ws, pid_t pid, const std::string& host) {
  ws.sql(
      "INSERT INTO lock (singleton, lock_id, pid, host, user, command, started_at) VALUES "
      "(1, '" +
      std::string(kLockId) + "', " + std::to_string(pid) + ", '" + host +
      "', 'alice', 'apply', '2024-05-01T12:00:00Z')");
}

int lock_rows(const Workspace& ws) {
  return std::stoi(ws.sql_value("SELECT count(*) FROM lock"));
}

void expect_locked_error(const ProcessResult& r) {
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("Error: state is locked by pid " + std::to_string(::getpid()) +
                               " (alice@" + hostname() +
                               ") running \"apply\" since "
                               "2024-05-01T12:00:00Z"));
  EXPECT_THAT(r.err, HasSubstr(std::string("lock id ") + kLockId));
  EXPECT_THAT(r.err, HasSubstr(std::string("lakeinfra force-unlock ") + kLockId));
}

TEST(e2e_lock, LiveHolderStopsPlanAndApplyAtOnce) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  ws.remove("lake/healthetl-dev01-gold/curated");  // so apply would have work to do
  hold_lock(ws, ::getpid(), hostname());

  auto plan = ws.run({"plan"});
  expect_locked_error(plan);
  EXPECT_LT(plan.elapsed.count(), 900) << "without --lock-timeout the failure is immediate";
  EXPECT_THAT(plan.out, Not(HasSubstr("Plan:")));

  auto apply = ws.run({"apply", "--auto-approve"});
  expect_locked_error(apply);
  EXPECT_FALSE(ws.exists("lake/healthetl-dev01-gold/curated")) << "a locked apply changes nothing";

  auto destroy = ws.run({"destroy", "--auto-approve"});
  expect_locked_error(destroy);
  EXPECT_EQ(ws.state_addresses().size(), 7u);
  EXPECT_EQ(lock_rows(ws), 1) << "a failed attempt must not release someone else's lock";
}

TEST(e2e_lock, LockTimeoutWaitsThenFails) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  hold_lock(ws, ::getpid(), hostname());
  auto r = ws.run({"plan", "--lock-timeout", "1s"});
  expect_locked_error(r);
  // The time actually waited: "1s", or a little more ("1003ms") when the last retry overshoots.
  EXPECT_THAT(r.err, ContainsRegex("waited (1s|1[0-9][0-9][0-9]ms) for it to be released"));
  EXPECT_GE(r.elapsed.count(), 950) << r;
  EXPECT_LT(r.elapsed.count(), 5000) << r;

  auto bad = ws.run({"plan", "--lock-timeout", "soon"});
  EXPECT_EQ(bad.exit_code, 1) << bad;
  EXPECT_THAT(bad.err, HasSubstr("invalid --lock-timeout \"soon\""));
}

TEST(e2e_lock, DeadHolderOnThisHostIsReclaimedWithAWarning) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  pid_t dead = dead_pid();
  hold_lock(ws, dead, hostname());
  auto r = ws.run({"plan", "--detailed-exitcode"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.err,
              HasSubstr("Warning: reclaimed the state lock of process " + std::to_string(dead) +
                        " (apply, started 2024-05-01T12:00:00Z), "
                        "which is no longer running"));
  EXPECT_THAT(r.err, HasSubstr(std::string("lock ") + kLockId + " was taken by alice@"));
  EXPECT_THAT(r.out, HasSubstr("No changes."));
  EXPECT_EQ(lock_rows(ws), 0) << "the reclaimed lock is released at the end of the run";
}

// State is opened and locked while lake.yaml is parsed; a configuration error still comes
// first, and the run leaves the state as it found it.
TEST(e2e_lock, BrokenConfigurationIsReportedAndLeavesStateAndLockAlone) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  const std::string serial = ws.sql_value("SELECT serial FROM meta");
  ws.write("lake.yaml", ws.read("lake.yaml") + "zones: [\n");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"plan"}, {"apply", "--auto-approve"}, {"destroy", "--auto-approve"}}) {
    auto r = ws.run(args);
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_THAT(r.err, HasSubstr("lake.yaml:")) << r;
    EXPECT_EQ(lock_rows(ws), 0) << args[0] << " must release the lock it took early";
  }
  EXPECT_EQ(ws.sql_value("SELECT serial FROM meta"), serial);
}

TEST(e2e_lock, BrokenConfigurationIsReportedBeforeABusyLock) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  hold_lock(ws, ::getpid(), hostname());
  ws.write("lake.yaml", ws.read("lake.yaml") + "zones: [\n");
  auto r = ws.run({"plan"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("lake.yaml:"));
  EXPECT_THAT(r.err, Not(HasSubstr("state is locked")));
  EXPECT_EQ(lock_rows(ws), 1) << "the live holder keeps its lock";
}

TEST(e2e_lock, DeadHoldersLockReclaimedDuringABrokenConfigurationIsStillReported) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  pid_t dead = dead_pid();
  hold_lock(ws, dead, hostname());
  ws.write("lake.yaml", ws.read("lake.yaml") + "zones: [\n");
  auto r = ws.run({"plan"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("lake.yaml:"));
  EXPECT_THAT(r.err, HasSubstr("reclaimed the state lock of process " + std::to_string(dead)));
  EXPECT_EQ(lock_rows(ws), 0);
}

TEST(e2e_lock, HolderOnAnotherHostIsNeverReclaimed) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  hold_lock(ws, dead_pid(), "some-other-host.example");
  auto r = ws.run({"plan"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("Error: state is locked by pid"));
  EXPECT_THAT(r.err, HasSubstr("alice@some-other-host.example"));
  EXPECT_EQ(lock_rows(ws), 1);
}

TEST(e2e_lock, ForceUnlockWithoutForceAndNoTerminalRefuses) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  hold_lock(ws, ::getpid(), hostname());
  auto r = ws.run({"force-unlock", kLockId}, with_stdin("yes\n"));
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("force-unlock needs confirmation, but there is no terminal"));
  EXPECT_THAT(r.err, HasSubstr("pass --force"));
  EXPECT_EQ(lock_rows(ws), 1);
}

TEST(e2e_lock, ForceUnlockWithForceReleasesTheLock) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  hold_lock(ws, ::getpid(), hostname());
  auto r = ws.run({"force-unlock", kLockId, "--force"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("lakeinfra state has been successfully unlocked!"));
  EXPECT_EQ(lock_rows(ws), 0);
  auto plan = ws.run({"plan"});
  EXPECT_EQ(plan.exit_code, 0) << plan;
}

TEST(e2e_lock, ForceUnlockWithTheWrongIdKeepsTheLock) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  hold_lock(ws, ::getpid(), hostname());
  auto r = ws.run({"force-unlock", "ffffffffffffffff", "--force"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("cannot force-unlock ffffffffffffffff"));
  EXPECT_THAT(r.err, HasSubstr(std::string("the current lock is ") + kLockId));
  EXPECT_EQ(lock_rows(ws), 1);
}

TEST(e2e_lock, ForceUnlockOnATerminalAsksForYes) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  hold_lock(ws, ::getpid(), hostname());
  auto no = ws.run_pty({"--no-color", "force-unlock", kLockId}, {{"Enter a value:", "no\n"}});
  ASSERT_FALSE(no.timed_out) << no;
  EXPECT_EQ(no.exit_code, 1) << no;
  EXPECT_THAT(no.out, HasSubstr(std::string("The lock ") + kLockId + " is held by pid " +
                                std::to_string(::getpid())));
  EXPECT_THAT(no.out, HasSubstr("force-unlock cancelled."));
  EXPECT_EQ(lock_rows(ws), 1);

  auto yes = ws.run_pty({"--no-color", "force-unlock", kLockId}, {{"Enter a value:", "yes\n"}});
  ASSERT_FALSE(yes.timed_out) << yes;
  EXPECT_EQ(yes.exit_code, 0) << yes;
  EXPECT_THAT(yes.out, HasSubstr("successfully unlocked"));
  EXPECT_EQ(lock_rows(ws), 0);
}

TEST(e2e_lock, ApplyWaitingForApprovalHoldsTheLockAgainstASecondWriter) {
  // Two real processes: apply sits at its prompt on a terminal while a plan tries to run.
  Workspace ws;
  ws.write_example();
  ProcessResult second;
  std::vector<std::vector<std::string>> held;
  auto first = ws.run_pty({"--no-color", "apply"}, {PtyStep("Enter a value:", "no\n", [&] {
                            held = ws.sql("SELECT pid, host, command FROM lock");
                            second = ws.run({"plan"});
                          })});
  ASSERT_FALSE(first.timed_out) << first;
  EXPECT_EQ(first.exit_code, 1) << first;
  EXPECT_THAT(first.out, HasSubstr("Apply cancelled"));

  ASSERT_EQ(held.size(), 1u) << "apply must hold the lock while it waits for approval";
  EXPECT_EQ(held[0], (std::vector<std::string>{std::to_string(first.pid), hostname(), "apply"}));
  EXPECT_EQ(second.exit_code, 1) << second;
  EXPECT_THAT(second.err, HasSubstr("Error: state is locked by pid " + std::to_string(first.pid)));
  EXPECT_THAT(second.err, HasSubstr("running \"apply\""));
  EXPECT_THAT(second.err, HasSubstr("lakeinfra force-unlock "));
  EXPECT_EQ(lock_rows(ws), 0) << "the cancelled apply releases its lock";
  EXPECT_EQ(ws.run({"plan"}).exit_code, 0);
}

TEST(e2e_lock, CommandsReleaseTheirOwnLock) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  EXPECT_EQ(lock_rows(ws), 0) << "apply must release its lock";
  ASSERT_EQ(ws.run({"plan"}).exit_code, 0);
  EXPECT_EQ(lock_rows(ws), 0) << "plan must release its lock";
  ws.write("lake.yaml", replace_once(ws.read("lake.yaml"), "tier: internal", "tier: public"));
  ASSERT_EQ(ws.run({"plan"}).exit_code, 1);
  EXPECT_EQ(lock_rows(ws), 0);
  EXPECT_THAT(ws.sql("SELECT * FROM lock"), IsEmpty());
}

TEST(e2e_lock, LockTimeoutSucceedsWhenTheHolderExitsDuringTheWait) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  // A real holder: a child that lives about 300 ms and is reaped by a thread as soon as it
  // exits (a zombie would still count as alive).
  pid_t holder = ::fork();
  if (holder == 0) {
    ::usleep(300'000);
    ::_exit(0);
  }
  ASSERT_GT(holder, 0);
  std::thread reaper([holder] {
    int status = 0;
    ::waitpid(holder, &status, 0);
  });
  hold_lock(ws, holder, hostname());
  auto r = ws.run({"plan", "--lock-timeout", "10s"});
  reaper.join();
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.err,
              HasSubstr("Warning: reclaimed the state lock of process " + std::to_string(holder)));
  EXPECT_THAT(r.out, HasSubstr("No changes."));
  EXPECT_GE(r.elapsed.count(), 150) << "it must have waited for the holder";
  EXPECT_LT(r.elapsed.count(), 5000) << "it must stop waiting once the holder is gone";
  EXPECT_EQ(lock_rows(ws), 0);
}

}  // namespace
}  // namespace lakeinfra::test_support

namespace lakeinfra::test_support {
namespace {

// A lock from a machine that died mid-apply: its heartbeat stopped long ago. lakeinfra never
// takes it over (another host's pid means nothing here) but says it has expired and how to
// release it; after force-unlock the next run goes ahead.
TEST(e2e_lock, LockWhoseHeartbeatStoppedIsReportedExpired) {
  Workspace ws;
  ASSERT_NO_FATAL_FAILURE(applied(ws));
  ws.sql(
      "INSERT INTO lock (singleton, lock_id, pid, host, user, command, started_at, heartbeat_at) "
      "VALUES (1, '" +
      std::string(kLockId) +
      "', 4242, 'ci-runner-7', 'ci', 'apply', '2024-05-01T12:00:00Z', '2024-05-01T12:30:00Z')");
  auto plan = ws.run({"plan"});
  EXPECT_EQ(plan.exit_code, 1) << plan;
  EXPECT_THAT(plan.err, HasSubstr("state is locked by pid 4242 (ci@ci-runner-7) running \"apply\" "
                                  "since 2024-05-01T12:00:00Z, whose lock has expired"));
  EXPECT_THAT(plan.err, ContainsRegex("its last heartbeat was [0-9]+d[0-9]+h ago"));
  EXPECT_THAT(plan.err, HasSubstr("that run has most likely died"));
  EXPECT_THAT(plan.err, HasSubstr(std::string("lakeinfra force-unlock ") + kLockId));
  EXPECT_EQ(lock_rows(ws), 1) << "an expired lock on another host is never taken over";

  auto unlock = ws.run({"force-unlock", kLockId, "--force"});
  EXPECT_EQ(unlock.exit_code, 0) << unlock;
  auto again = ws.run({"plan", "--detailed-exitcode"});
  EXPECT_EQ(again.exit_code, 0) << again;
}

}  // namespace
}  // namespace lakeinfra::test_support
