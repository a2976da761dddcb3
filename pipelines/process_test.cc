// RealProcessRunner against real processes (/bin/sh -c), and the FakeProcessRunner.
#include "pipelines/process.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "pipelines/fake_process.h"

namespace lakeinfra::pipelines {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

/// What one run produced.
struct Run {
  Result<ProcessOutcome> result;
  std::vector<std::string> lines;
  milliseconds wall{0};
};

Run run(ProcessSpec spec) {
  RealProcessRunner runner;
  Run r;
  auto start = std::chrono::steady_clock::now();
  r.result = runner.run(spec, [&r](std::string_view line) { r.lines.emplace_back(line); });
  r.wall = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  return r;
}

ProcessSpec spec_of(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

Run shell(const std::string& script, milliseconds timeout = milliseconds(20'000)) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.timeout = timeout;
  return run(spec);
}

/// True while `pid` exists and is not a zombie waiting for its (new) parent to reap it.
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0)
    return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  return close == std::string::npos || close + 2 >= text.size() || text[close + 2] != 'Z';
}

/// Waits (at most 2 s) for `pid` to be gone.
bool gone_soon(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    if (!alive(pid))
      return true;
    ::usleep(10'000);
  }
  return false;
}

/// True when this process has no child left, running or zombie: every run reaped its child.
bool no_children() {
  return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

/// A scoped temporary directory.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lakeinfra-proc-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(RealProcessRunner, ReportsExitCodes) {
  auto ok = shell("exit 0");
  ASSERT_TRUE(ok.result) << ok.result.error().str();
  EXPECT_EQ(ok.result->exit_code, 0);
  EXPECT_TRUE(ok.result->ok());
  EXPECT_FALSE(ok.result->timed_out);

  auto three = shell("exit 3");
  ASSERT_TRUE(three.result);
  EXPECT_EQ(three.result->exit_code, 3);
  EXPECT_FALSE(three.result->ok());
}

TEST(RealProcessRunner, KilledBySignalIs128PlusSignal) {
  auto r = shell("kill -KILL $$");
  ASSERT_TRUE(r.result);
  EXPECT_EQ(r.result->exit_code, 128 + SIGKILL);
  EXPECT_FALSE(r.result->timed_out);
}

TEST(RealProcessRunner, MergesStdoutAndStderrInOrder) {
  auto r = shell("echo one; echo two >&2; echo three; echo four >&2");
  ASSERT_TRUE(r.result);
  EXPECT_THAT(r.lines, ElementsAre("one", "two", "three", "four"));
}

TEST(RealProcessRunner, DeliversLastLineWithoutNewlineAndEmptyLines) {
  auto r = shell("printf 'a\\n\\nb'");
  ASSERT_TRUE(r.result);
  EXPECT_THAT(r.lines, ElementsAre("a", "", "b"));
}

TEST(RealProcessRunner, NoOutputNoLines) {
  auto r = shell("true");
  ASSERT_TRUE(r.result);
  EXPECT_TRUE(r.lines.empty());
}

TEST(RealProcessRunner, StdinIsDevNull) {
  auto r = shell("cat; echo end");  // would hang if stdin were the test's terminal or a pipe
  ASSERT_TRUE(r.result);
  EXPECT_THAT(r.lines, ElementsAre("end"));
}

TEST(RealProcessRunner, SetsOverridesAndUnsetsEnvironment) {
  ::setenv("LAKEINFRA_PROC_KEEP", "kept", 1);
  ::setenv("LAKEINFRA_PROC_OVERRIDE", "parent", 1);
  ::setenv("LAKEINFRA_PROC_SECRET", "token", 1);
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c",
               "echo keep=$LAKEINFRA_PROC_KEEP; echo override=$LAKEINFRA_PROC_OVERRIDE; "
               "echo new=$LAKEINFRA_PROC_NEW; echo secret=${LAKEINFRA_PROC_SECRET-unset}"};
  spec.env = {{"LAKEINFRA_PROC_OVERRIDE", "child"}, {"LAKEINFRA_PROC_NEW", "a b=c"}};
  spec.unset_env = {"LAKEINFRA_PROC_SECRET"};
  auto r = run(spec);
  ASSERT_TRUE(r.result) << r.result.error().str();
  EXPECT_THAT(r.lines, ElementsAre("keep=kept", "override=child", "new=a b=c", "secret=unset"));
  EXPECT_STREQ(::getenv("LAKEINFRA_PROC_OVERRIDE"), "parent");  // the parent is unchanged
}

TEST(RealProcessRunner, LooksUpTheProgramInPath) {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "echo found"};
  auto r = run(spec);
  ASSERT_TRUE(r.result) << r.result.error().str();
  EXPECT_THAT(r.lines, ElementsAre("found"));
}

TEST(RealProcessRunner, LooksUpTheProgramInTheChildsPath) {
  TempDir dir;
  auto tool = dir.path() / "lakeinfra-proc-tool";
  std::ofstream(tool) << "#!/bin/sh\necho tool ran in $PWD\n";
  std::filesystem::permissions(tool, std::filesystem::perms::owner_all);
  ProcessSpec spec;
  spec.argv = {"lakeinfra-proc-tool"};
  spec.env = {{"PATH", dir.path().string() + ":/usr/bin:/bin"}};
  spec.cwd = "/";
  auto r = run(spec);
  ASSERT_TRUE(r.result) << r.result.error().str();
  EXPECT_THAT(r.lines, ElementsAre("tool ran in /"));
}

TEST(RealProcessRunner, RunsInTheGivenDirectory) {
  TempDir dir;
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "pwd -P"};
  spec.cwd = dir.path();
  auto r = run(spec);
  ASSERT_TRUE(r.result);
  EXPECT_THAT(r.lines, ElementsAre(std::filesystem::canonical(dir.path()).string()));
}

TEST(RealProcessRunner, ProgramNotFoundIsAFailureNamingIt) {
  ProcessSpec spec;
  spec.argv = {"lakeinfra-no-such-program", "artifacts"};
  auto r = run(spec);
  ASSERT_FALSE(r.result);
  ASSERT_EQ(r.result.error().size(), 1u);
  const auto& d = r.result.error().items().front();
  EXPECT_EQ(d.summary, "cannot run lakeinfra-no-such-program: No such file or directory");
  EXPECT_EQ(d.hint, "check that lakeinfra-no-such-program is installed and on PATH");
}

TEST(RealProcessRunner, ProgramNotExecutableIsAFailure) {
  TempDir dir;
  auto file = dir.path() / "not-executable";
  std::ofstream(file) << "echo hi\n";
  ProcessSpec spec;
  spec.argv = {file.string()};
  auto r = run(spec);
  ASSERT_FALSE(r.result);
  EXPECT_EQ(r.result.error().items().front().summary,
            "cannot run " + file.string() + ": Permission denied");
}

TEST(RealProcessRunner, MissingDirectoryIsAFailureNamingIt) {
  TempDir dir;
  ProcessSpec spec;
  spec.argv = {"make", "artifacts"};
  spec.cwd = dir.path() / "missing";
  auto r = run(spec);
  ASSERT_FALSE(r.result);
  EXPECT_EQ(r.result.error().items().front().summary, "cannot run make: cannot enter directory " +
                                                          spec.cwd.string() +
                                                          ": No such file or directory");
}

TEST(RealProcessRunner, EmptyArgvIsAFailure) {
  auto r = run(ProcessSpec{});
  ASSERT_FALSE(r.result);
  EXPECT_THAT(r.result.error().str(), HasSubstr("no program given"));
}

TEST(RealProcessRunner, TimeoutKillsTheWholeGroup) {
  auto r = shell("sleep 30 & echo $!; sleep 30", milliseconds(300));
  ASSERT_TRUE(r.result);
  EXPECT_TRUE(r.result->timed_out);
  EXPECT_FALSE(r.result->ok());
  EXPECT_EQ(r.result->exit_code, 128 + SIGTERM);
  EXPECT_LT(r.wall, milliseconds(3'000));
  EXPECT_GE(r.result->elapsed, milliseconds(300));
  ASSERT_EQ(r.lines.size(), 1u);
  pid_t background = std::stoi(r.lines[0]);
  EXPECT_TRUE(gone_soon(background)) << "background sleep " << background << " survived";
}

TEST(RealProcessRunner, ChildIgnoringSigtermIsKilled) {
  auto r = shell("trap '' TERM; echo $$; sleep 30 & echo $!; wait; sleep 30", milliseconds(200));
  ASSERT_TRUE(r.result);
  EXPECT_TRUE(r.result->timed_out);
  EXPECT_EQ(r.result->exit_code, 128 + SIGKILL);
  EXPECT_GE(r.wall, milliseconds(2'000));  // SIGTERM first, SIGKILL after the grace period
  EXPECT_LT(r.wall, milliseconds(5'000));
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_TRUE(gone_soon(std::stoi(r.lines[1])));
}

TEST(RealProcessRunner, GrandchildHoldingThePipeDoesNotBlock) {
  auto r = shell("sleep 30 & echo $!; echo done");
  ASSERT_TRUE(r.result);
  EXPECT_EQ(r.result->exit_code, 0);
  EXPECT_FALSE(r.result->timed_out);
  EXPECT_LT(r.wall, milliseconds(2'000));
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[1], "done");
  EXPECT_TRUE(gone_soon(std::stoi(r.lines[0])));
}

TEST(RealProcessRunner, ChildClosingItsOutputIsStillTimedOut) {
  auto r = shell("exec >/dev/null 2>&1; sleep 30", milliseconds(300));
  ASSERT_TRUE(r.result);
  EXPECT_TRUE(r.result->timed_out);
  EXPECT_LT(r.wall, milliseconds(3'000));
}

TEST(RealProcessRunner, LargeOutputDoesNotDeadlock) {
  // 16384 lines of 64 bytes (1 MiB) on stdout and as much on stderr.
  auto r = shell(
      "i=0; line=0123456789012345678901234567890123456789012345678901234567890123; "
      "yes $line | head -n 16384; yes $line | head -n 16384 >&2");
  ASSERT_TRUE(r.result);
  EXPECT_EQ(r.result->exit_code, 0);
  ASSERT_EQ(r.lines.size(), 2u * 16384);
  for (const auto& line : r.lines)
    ASSERT_EQ(line.size(), 64u);
}

TEST(RealProcessRunner, VeryLongLineArrivesInPieces) {
  // 3 MiB + 5 bytes without a newline: pieces of 1 MiB, nothing lost.
  auto r = shell("head -c 3145733 /dev/zero | tr '\\0' x");
  ASSERT_TRUE(r.result);
  ASSERT_EQ(r.lines.size(), 4u);
  size_t total = 0;
  for (const auto& line : r.lines)
    total += line.size();
  EXPECT_EQ(total, 3145733u);
  EXPECT_EQ(r.lines[0].size(), 1u << 20);
  EXPECT_EQ(r.lines[3], "xxxxx");
}

TEST(RealProcessRunner, DoesNotLeakDescriptors) {
  int leaky = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC, like a careless library
  ASSERT_GE(leaky, 0);
  auto r = shell("test -e /proc/$$/fd/" + std::to_string(leaky) + " && echo leaked || echo clean");
  ::close(leaky);
  ASSERT_TRUE(r.result);
  EXPECT_THAT(r.lines, ElementsAre("clean"));
}

TEST(RealProcessRunner, ThrowingLineSinkIsAFailureAndLeavesNoChild) {
  RealProcessRunner runner;
  auto result =
      runner.run(spec_of({"/bin/sh", "-c", "echo $$; sleep 30"}), [](std::string_view line) {
        throw std::runtime_error("sink broke on " + std::string(line));
      });
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().str(), HasSubstr("the output handler threw: sink broke on"));
  EXPECT_TRUE(no_children());
}

TEST(RealProcessRunner, ManyConcurrentRunsFromThreads) {
  constexpr int kThreads = 8, kRuns = 6;
  std::atomic<int> failures{0};
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRuns; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        auto r = shell(
            "echo start " + id + "; echo err " + id + " >&2; exit " + std::to_string((t + i) % 5),
            milliseconds(10'000));
        bool good = r.result && r.result->exit_code == (t + i) % 5 && !r.result->timed_out &&
                    r.lines == std::vector<std::string>{"start " + id, "err " + id};
        if (!good) {
          ++failures;
          std::lock_guard<std::mutex> lock(mu);
          errors.push_back(id + (r.result ? "" : ": " + r.result.error().str()));
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0) << ::testing::PrintToString(errors);
  EXPECT_TRUE(no_children());
}

TEST(FakeProcessRunner, RecordsSpecsAndCallsTheHandler) {
  FakeProcessRunner fake([](const ProcessSpec& spec, const LineSink& sink) {
    sink("running " + spec.argv.front());
    ProcessOutcome outcome;
    outcome.exit_code = spec.argv.size() > 1 ? 2 : 0;
    return outcome;
  });
  std::vector<std::string> lines;
  auto sink = [&lines](std::string_view line) { lines.emplace_back(line); };
  ProcessSpec spec = spec_of({"make", "artifacts"});
  spec.cwd = "/repo";
  spec.env = {{"A", "1"}};
  auto first = fake.run(spec, sink);
  auto second = fake.run(spec_of({"true"}), sink);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->exit_code, 2);
  EXPECT_EQ(second->exit_code, 0);
  EXPECT_THAT(lines, ElementsAre("running make", "running true"));
  auto runs = fake.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].argv, (std::vector<std::string>{"make", "artifacts"}));
  EXPECT_EQ(runs[0].cwd, "/repo");
  EXPECT_EQ(runs[0].env.at("A"), "1");
}

TEST(FakeProcessRunner, HandlerExceptionBecomesAFailure) {
  FakeProcessRunner fake(
      [](const ProcessSpec&, const LineSink&) -> ProcessOutcome { throw std::runtime_error("x"); });
  auto result = fake.run(spec_of({"make"}), {});
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().str(), HasSubstr("fake process make threw: x"));
}

}  // namespace
}  // namespace lakeinfra::pipelines
