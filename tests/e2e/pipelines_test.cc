// pipelines end to end: real git repositories (made with /usr/bin/git, served over file:// and
// the git protocol), `make artifacts`, artifacts uploaded to the local lake, jobs registered in
// the state database, mounts as workspace symlinks, `jobs run`, and the validation rules.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/git_daemon.h"
#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const char* const kArtifactDir = "data/demo-dev-gold/pipelines/pipelines/hello-world/artifacts";

const char* const kMakefile =
    ".PHONY: artifacts\n"
    "artifacts:\n"
    "\tmkdir -p artifacts\n"
    "\tcp *.py artifacts/\n"
    "\t@echo built-artifacts-ok\n";

const char* const kActivities =
    "[\n"
    "  // the entrypoint\n"
    "  {\n"
    "    \"name\": \"Run hello\",\n"
    "    \"type\": \"DatabricksSparkPython\",\n"
    "    \"linkedServiceName\": {\"referenceName\": \"ADBLinkedServiceViaMSI\", \"type\": "
    "\"LinkedServiceReference\"},\n"
    "    \"typeProperties\": {\"pythonFile\": \"dbfs:/pipelines/hello-world/artifacts/main.py\"}\n"
    "  }\n"
    "]\n";

const char* const kMainPy =
    "import os\n"
    "root = os.environ['LAKEINFRA_MOUNT_BRONZE']\n"
    "with open(os.path.join(root, 'from-job.txt'), 'w') as f:\n"
    "    f.write('hello from the job\\n')\n"
    "print('job wrote its file')\n";

const char* const kUtilPy = "VALUE = 1\n";

ProcessResult git(const fs::path& dir, const std::vector<std::string>& args) {
  return run_git(dir, args);
}

fs::path artifact(const Workspace& ws, const std::string& name) {
  return ws.path(std::string(kArtifactDir) + "/" + name);
}

/// The pipeline's source repository: a normal (non-bare) repo at `src/` of the workspace, with
/// hello/{Makefile,activities.json,main.py,util.py} committed and tagged v1.0.0.
class e2e_pipelines : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = ws_.path("src");
    fs::create_directories(src_);
    ASSERT_EQ(git(src_, {"init", "-q"}).exit_code, 0);
    put("hello/Makefile", kMakefile);
    put("hello/activities.json", kActivities);
    put("hello/main.py", kMainPy);
    put("hello/util.py", kUtilPy);
    commit("one");
    ASSERT_EQ(git(src_, {"tag", "v1.0.0"}).exit_code, 0);
  }

  void put(const std::string& rel, const std::string& text) { ws_.write("src/" + rel, text); }
  void commit(const std::string& message) {
    auto add = git(src_, {"add", "-A"});
    ASSERT_EQ(add.exit_code, 0) << add;
    auto c = git(src_, {"commit", "-q", "-m", message});
    ASSERT_EQ(c.exit_code, 0) << c;
  }
  void move_tag(const std::string& tag) {
    auto t = git(src_, {"tag", "-f", tag});
    ASSERT_EQ(t.exit_code, 0) << t;
  }
  std::string url() const { return "file://" + src_.string(); }

  /// lake.yaml for one pipeline `hello-world` over `repo` at `ref`, plus `extra` lines in the
  /// pipeline entry, and the bronze mount unless `mounts` is false.
  void config(const std::string& repo, const std::string& ref = "v1.0.0",
              const std::string& extra = "", bool mounts = true,
              const std::string& mount_path = "/mnt/bronze") {
    std::string y =
        "lake: {name: demo, instance: dev}\n"
        "storage: {provider: local, root: ./data}\n"
        "zones:\n"
        "  - {name: bronze, containers: [raw]}\n"
        "  - {name: gold, containers: [curated]}\n"
        "pipelines:\n"
        "  - name: hello-world\n"
        "    repo: " +
        repo +
        "\n"
        "    ref: " +
        ref +
        "\n"
        "    path: hello\n" +
        extra;
    if (mounts)
      y += "mounts:\n  - {name: bronze, zone: bronze, path: " + mount_path + "}\n";
    ws_.write("lake.yaml", y);
  }

  ProcessResult apply() const { return ws_.run({"apply", "-auto-approve"}); }

  /// A failing apply: exit 1, `message` on stderr or stdout, nothing written to the lake.
  void expect_rejected(const std::string& message) {
    auto r = apply();
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_THAT(r.err + r.out, HasSubstr(message)) << r;
    EXPECT_FALSE(ws_.exists("data")) << "nothing may be created";
    EXPECT_FALSE(ws_.exists(kArtifactDir));
    if (fs::exists(ws_.state_db())) {
      EXPECT_THAT(ws_.state_addresses(), IsEmpty());
    }
  }

  Workspace ws_;
  fs::path src_;
};

// ---- 1, 2: register end to end, then a no-op ------------------------------------------------

TEST_F(e2e_pipelines, ApplyBuildsUploadsAndRegistersTheJob) {
  config(url());
  auto r = apply();
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("[hello-world] built-artifacts-ok"));
  EXPECT_THAT(r.out, HasSubstr("# artifact.hello-world.main.py will be created"));
  EXPECT_THAT(r.out, HasSubstr("Apply complete! Resources: 10 added, 0 changed, 0 destroyed."));

  EXPECT_EQ(read_file(artifact(ws_, "main.py")), kMainPy);
  EXPECT_EQ(read_file(artifact(ws_, "util.py")), kUtilPy);
  auto addresses = ws_.state_addresses();
  for (const char* a :
       {"pipeline.hello-world", "job.hello-world", "container.gold.pipelines",
        "artifact.hello-world.main.py", "artifact.hello-world.util.py", "mount.bronze"})
    EXPECT_THAT(addresses, ::testing::Contains(a));
  EXPECT_EQ(ws_.sql_value("SELECT count(*) FROM jobs"), "1");

  auto show = ws_.run({"jobs", "show", "hello-world", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show;
  auto job = nlohmann::json::parse(show.out);
  std::string file = job["activities"][0]["typeProperties"]["pythonFile"];
  ASSERT_EQ(file.rfind("file://", 0), 0u) << file;
  EXPECT_TRUE(fs::is_regular_file(file.substr(7))) << file;
  EXPECT_EQ(fs::canonical(file.substr(7)), fs::canonical(artifact(ws_, "main.py")));
  EXPECT_EQ(job["commit"], git(src_, {"rev-parse", "HEAD"}).out.substr(0, 40));
  EXPECT_EQ(job["ref"], "v1.0.0");

  auto list = ws_.run({"jobs", "list"});
  EXPECT_EQ(list.exit_code, 0) << list;
  EXPECT_THAT(list.out, HasSubstr("hello-world"));

  // builds are kept under .lakeinfra/builds with the log of `make artifacts`
  auto builds = ws_.entries(".lakeinfra/builds/hello-world");
  ASSERT_EQ(builds.size(), 1u);
  EXPECT_THAT(ws_.read(".lakeinfra/builds/hello-world/" + builds[0] + "/build.log"),
              HasSubstr("built-artifacts-ok"));
}

TEST_F(e2e_pipelines, SecondApplyReusesTheBuildAndChangesNothing) {
  config(url());
  ASSERT_EQ(apply().exit_code, 0);
  struct stat before {};
  ASSERT_EQ(::stat(artifact(ws_, "main.py").c_str(), &before), 0);
  int64_t serial = ws_.serial();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));

  auto r = apply();
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("No changes."));
  EXPECT_THAT(r.out, HasSubstr("build unchanged, reused"));
  EXPECT_THAT(r.out, Not(HasSubstr("built-artifacts-ok")));
  EXPECT_THAT(r.out, Not(HasSubstr("make artifacts`")));
  EXPECT_THAT(r.out, Not(HasSubstr("Creating...")));
  struct stat after {};
  ASSERT_EQ(::stat(artifact(ws_, "main.py").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_EQ(ws_.serial(), serial);
}

// ---- 3, 4: new commits ---------------------------------------------------------------------

TEST_F(e2e_pipelines, MovedTagUpdatesOnlyTheChangedArtifact) {
  config(url());
  ASSERT_EQ(apply().exit_code, 0);
  put("hello/util.py", "VALUE = 2\n");
  commit("two");
  move_tag("v1.0.0");

  auto plan = ws_.run({"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan;
  EXPECT_THAT(plan.out, HasSubstr("# artifact.hello-world.util.py will be updated in-place"));
  EXPECT_THAT(plan.out, HasSubstr("# job.hello-world will be updated in-place"));
  EXPECT_THAT(plan.out, HasSubstr("# pipeline.hello-world will be updated in-place"));
  EXPECT_THAT(plan.out, Not(HasSubstr("artifact.hello-world.main.py")));
  EXPECT_THAT(plan.out, HasSubstr("Plan: 0 to add, 3 to change, 0 to destroy."));

  auto r = apply();
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(read_file(artifact(ws_, "util.py")), "VALUE = 2\n");
  EXPECT_EQ(read_file(artifact(ws_, "main.py")), kMainPy);
  auto job = nlohmann::json::parse(ws_.run({"jobs", "show", "hello-world", "--json"}).out);
  EXPECT_EQ(job["commit"], git(src_, {"rev-parse", "HEAD"}).out.substr(0, 40));
}

TEST_F(e2e_pipelines, BranchRefFollowsNewCommitsAndRemovedArtifactIsDeleted) {
  config(url(), "main");
  ASSERT_EQ(apply().exit_code, 0);
  ASSERT_TRUE(fs::exists(artifact(ws_, "util.py")));
  fs::remove(src_ / "hello/util.py");
  commit("drop util");

  auto r = apply();
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("# artifact.hello-world.util.py will be destroyed"));
  EXPECT_FALSE(fs::exists(artifact(ws_, "util.py")));
  EXPECT_TRUE(fs::exists(artifact(ws_, "main.py")));
  EXPECT_THAT(ws_.state_addresses(), Not(::testing::Contains("artifact.hello-world.util.py")));
  EXPECT_THAT(ws_.state_addresses(), ::testing::Contains("artifact.hello-world.main.py"));
}

TEST_F(e2e_pipelines, TamperedArtifactIsRestoredAndNestedArtifactsAreUploaded) {
  put("hello/Makefile",
      std::string(kMakefile) + "\tmkdir -p artifacts/lib\n\tcp util.py artifacts/lib/\n");
  commit("nested");
  config(url(), "main");
  ASSERT_EQ(apply().exit_code, 0);
  EXPECT_EQ(read_file(artifact(ws_, "lib/util.py")), kUtilPy);
  EXPECT_THAT(ws_.state_addresses(), ::testing::Contains("artifact.hello-world.lib/util.py"));

  ws_.write(std::string(kArtifactDir) + "/main.py", "tampered\n");
  auto plan = ws_.run({"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan;
  EXPECT_THAT(plan.out, HasSubstr("# artifact.hello-world.main.py will be updated in-place"));
  EXPECT_THAT(plan.out, HasSubstr("Plan: 0 to add, 1 to change, 0 to destroy."));
  ASSERT_EQ(apply().exit_code, 0);
  EXPECT_EQ(read_file(artifact(ws_, "main.py")), kMainPy);
}

TEST_F(e2e_pipelines, RemovingThePipelineUnregistersTheJobAndDeletesArtifacts) {
  config(url());
  ASSERT_EQ(apply().exit_code, 0);
  ws_.write("lake.yaml",
            "lake: {name: demo, instance: dev}\n"
            "storage: {provider: local, root: ./data}\n"
            "zones:\n"
            "  - {name: bronze, containers: [raw]}\n"
            "  - {name: gold, containers: [curated]}\n");
  auto r = apply();
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("# job.hello-world will be destroyed"));
  EXPECT_THAT(r.out, HasSubstr("# pipeline.hello-world will be destroyed"));
  EXPECT_FALSE(fs::exists(artifact(ws_, "main.py")));
  EXPECT_FALSE(fs::exists(ws_.path("data/demo-dev-gold/pipelines")));
  EXPECT_EQ(ws_.sql_value("SELECT count(*) FROM jobs"), "0");
  auto list = ws_.run({"jobs", "list"});
  EXPECT_EQ(list.exit_code, 0) << list;
  EXPECT_THAT(list.out, HasSubstr("No jobs are registered."));
  for (const auto& a : ws_.state_addresses())
    EXPECT_THAT(a, Not(::testing::AnyOf(HasSubstr("hello-world"), HasSubstr("mount."))));
}

// ---- 5: validation -------------------------------------------------------------------------

TEST_F(e2e_pipelines, MissingMakefileIsRejected) {
  fs::remove(src_ / "hello/Makefile");
  commit("no makefile");
  config(url(), "main");
  expect_rejected("): no Makefile");
}

TEST_F(e2e_pipelines, MakefileWithoutArtifactsTargetIsRejected) {
  put("hello/Makefile", "all:\n\t@echo nothing\n");
  commit("no target");
  config(url(), "main");
  expect_rejected("the Makefile has no `artifacts` target");
}

TEST_F(e2e_pipelines, ActivitiesSyntaxErrorNamesTheLine) {
  put("hello/activities.json", "[\n  {\n    \"name\" \"x\"\n  }\n]\n");
  commit("bad json");
  config(url(), "main");
  expect_rejected("activities.json is not valid JSON");
  EXPECT_THAT(apply().err, HasSubstr("hello/activities.json:3:"));
}

TEST_F(e2e_pipelines, ActivityWithoutTypePropertiesIsRejected) {
  put("hello/activities.json",
      "[{\"name\": \"a\", \"type\": \"DatabricksSparkPython\", \"linkedServiceName\": "
      "{\"referenceName\": \"ADBLinkedServiceViaMSI\", \"type\": \"LinkedServiceReference\"}}]\n");
  commit("no typeProperties");
  config(url(), "main");
  expect_rejected("activity \"a\" has no \"typeProperties\"");
}

TEST_F(e2e_pipelines, WrongLinkedServiceIsRejected) {
  put("hello/activities.json",
      replace_once(kActivities, "\"ADBLinkedServiceViaMSI\"", "\"SomeOtherService\""));
  commit("wrong linked service");
  config(url(), "main");
  expect_rejected(
      "uses linked service \"SomeOtherService\", but this platform's is "
      "\"ADBLinkedServiceViaMSI\"");
}

TEST_F(e2e_pipelines, DbfsPathOfAnotherPipelineIsRejected) {
  put("hello/activities.json", replace_once(kActivities, "pipelines/hello-world/artifacts",
                                            "pipelines/other-pipe/artifacts"));
  commit("other pipeline");
  config(url(), "main");
  expect_rejected("a path of pipeline \"other-pipe\", but this is pipeline \"hello-world\"");
}

TEST_F(e2e_pipelines, DbfsPathOfAnArtifactNotBuiltIsRejected) {
  put("hello/activities.json", replace_once(kActivities, "artifacts/main.py", "artifacts/nope.py"));
  commit("missing artifact");
  config(url(), "main");
  expect_rejected("refers to artifact \"nope.py\", which the build did not produce");
  EXPECT_THAT(apply().err, HasSubstr("the build produced: main.py, util.py"));
}

TEST_F(e2e_pipelines, UnknownRefListsTagsAndBranches) {
  config(url(), "v9.9.9");
  auto r = apply();
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("ref \"v9.9.9\" not found in " + url()));
  EXPECT_THAT(r.err, HasSubstr("hint: branches: main; tags: v1.0.0"));
  EXPECT_FALSE(ws_.exists(".lakeinfra/builds/hello-world"));
  EXPECT_FALSE(ws_.exists("data"));
}

TEST_F(e2e_pipelines, MissingRepoIsRejected) {
  config("file://" + ws_.path("no-such-repo").string());
  expect_rejected("cannot fetch file://" + ws_.path("no-such-repo").string());
}

// ---- 6: build failures ---------------------------------------------------------------------

TEST_F(e2e_pipelines, FailingBuildShowsTheLogTailAndCreatesNothing) {
  put("hello/Makefile", ".PHONY: artifacts\nartifacts:\n\t@echo about-to-fail-XYZ\n\t@exit 2\n");
  commit("failing build");
  config(url(), "main");
  auto r = apply();
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err + r.out, HasSubstr("build failed"));
  EXPECT_THAT(r.err, HasSubstr("about-to-fail-XYZ"));
  EXPECT_FALSE(ws_.exists("data"));
  if (fs::exists(ws_.state_db())) {
    EXPECT_THAT(ws_.state_addresses(), IsEmpty());
  }
}

TEST_F(e2e_pipelines, BuildTimeoutStopsTheBuild) {
  std::string pidfile = ws_.path("sleeper.pid").string();
  put("hello/Makefile",
      ".PHONY: artifacts\nartifacts:\n\techo $$$$ > " + pidfile + "; exec sleep 30\n");
  commit("slow build");
  config(url(), "main", "    build_timeout: 1s\n");
  auto r = apply();
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_FALSE(r.timed_out);
  EXPECT_LT(r.elapsed, std::chrono::milliseconds(10'000));
  EXPECT_THAT(r.err + r.out, HasSubstr("timed out"));
  EXPECT_FALSE(ws_.exists("data"));
  // the build's process group is killed: the sleeping child does not outlive lakeinfra
  ASSERT_TRUE(ws_.exists("sleeper.pid"));
  pid_t sleeper = std::stoi(ws_.read("sleeper.pid"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (::kill(sleeper, 0) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_NE(::kill(sleeper, 0), 0) << "make's child " << sleeper << " is still running";
}

// ---- 7: the token never leaks --------------------------------------------------------------

TEST_F(e2e_pipelines, TokenAppearsNowhere) {
  const std::string token = "sekrit-token-XYZ123";
  put("hello/Makefile", std::string(kMakefile) + "\t@echo \"token=[$$TOKVAR]\"\n");
  commit("echo token");
  config(url(), "main", "    token_env: TOKVAR\n");
  RunOptions o;
  o.env = {{"TOKVAR", token},
           {"LAKEINFRA_LOG", "debug"},
           {"LAKEINFRA_LOG_FILE", ws_.path("debug.log").string()}};

  std::string seen;
  auto plan = ws_.run({"plan", "-out", "p.plan"}, o);
  ASSERT_EQ(plan.exit_code, 0) << plan;
  EXPECT_THAT(plan.out, HasSubstr("[hello-world] token=[]"))
      << "the token must not reach the build";
  seen += plan.out + plan.err;
  auto r = ws_.run({"apply", "-auto-approve"}, o);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("build unchanged, reused"));
  seen += r.out + r.err;
  auto show = ws_.run({"jobs", "show", "hello-world", "--json"}, o);
  ASSERT_EQ(show.exit_code, 0) << show;
  seen += show.out + show.err;
  EXPECT_THAT(seen, Not(HasSubstr(token)));

  ASSERT_TRUE(ws_.is_regular_file("p.plan"));
  ASSERT_TRUE(ws_.is_regular_file("debug.log"));
  EXPECT_THAT(ws_.read("debug.log"), Not(IsEmpty()));
  auto builds = ws_.entries(".lakeinfra/builds/hello-world");
  ASSERT_EQ(builds.size(), 1u);
  EXPECT_THAT(ws_.read(".lakeinfra/builds/hello-world/" + builds[0] + "/build.log"),
              HasSubstr("token=[]"));
  size_t scanned = 0;
  for (const auto& e : fs::recursive_directory_iterator(ws_.dir())) {
    if (!e.is_regular_file() || e.is_symlink())
      continue;
    ++scanned;
    EXPECT_THAT(read_file(e.path()), Not(HasSubstr(token))) << e.path();
  }
  EXPECT_GT(scanned, 5u);
}

TEST_F(e2e_pipelines, DeclaredTokenMustBeSet) {
  config(url(), "main", "    token_env: TOKVAR\n");
  auto r = ws_.run({"apply", "-auto-approve"}, without_env("TOKVAR"));
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("TOKVAR"));
  EXPECT_FALSE(ws_.exists("data"));
}

// ---- 8: mounts -----------------------------------------------------------------------------

TEST_F(e2e_pipelines, MountSymlinkIsCreatedRepairedAndRemoved) {
  config(url());
  ASSERT_EQ(apply().exit_code, 0);
  fs::path link = ws_.path("workspace/mnt/bronze");
  ASSERT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(fs::read_symlink(link), fs::absolute(ws_.path("data/demo-dev-bronze")));

  fs::remove(link);
  auto gone = ws_.run({"plan"});
  ASSERT_EQ(gone.exit_code, 0) << gone;
  EXPECT_THAT(gone.out, HasSubstr("# mount.bronze will be created"));
  EXPECT_THAT(gone.out, HasSubstr("Plan: 1 to add, 0 to change, 0 to destroy."));
  EXPECT_THAT(gone.out, Not(HasSubstr("artifact.")));
  ASSERT_EQ(apply().exit_code, 0);
  ASSERT_TRUE(fs::is_symlink(link));

  fs::remove(link);
  fs::create_directory_symlink(ws_.path("elsewhere"), link);
  auto moved = ws_.run({"plan"});
  ASSERT_EQ(moved.exit_code, 0) << moved;
  EXPECT_THAT(moved.out, HasSubstr("# mount.bronze will be updated in-place"));
  EXPECT_THAT(moved.out, HasSubstr("~ target = \"" + ws_.path("elsewhere").string() + "\" -> \"" +
                                   fs::absolute(ws_.path("data/demo-dev-bronze")).string() + "\""));
  EXPECT_THAT(moved.out, HasSubstr("Plan: 0 to add, 1 to change, 0 to destroy."));
  ASSERT_EQ(apply().exit_code, 0);
  EXPECT_EQ(fs::read_symlink(link), fs::absolute(ws_.path("data/demo-dev-bronze")));

  config(url(), "v1.0.0", "", /*mounts=*/false);
  auto r = apply();
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("# mount.bronze will be destroyed"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(link)));
  EXPECT_TRUE(fs::is_directory(ws_.path("data/demo-dev-bronze"))) << "the zone stays";
  EXPECT_THAT(ws_.state_addresses(), Not(::testing::Contains("mount.bronze")));
}

TEST_F(e2e_pipelines, RelativeMountPathIsRejected) {
  config(url(), "v1.0.0", "", true, "mnt/x");
  expect_rejected("mnt/x");
}

// ---- 9: jobs run ---------------------------------------------------------------------------

TEST_F(e2e_pipelines, JobRunWritesIntoTheMountAndPropagatesTheExitCode) {
  config(url(), "main");
  ASSERT_EQ(apply().exit_code, 0);
  auto run = ws_.run({"jobs", "run", "hello-world"});
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("job wrote its file"));
  EXPECT_EQ(ws_.read("data/demo-dev-bronze/from-job.txt"), "hello from the job\n");

  put("hello/main.py", "import sys\nprint('failing on purpose')\nsys.exit(3)\n");
  commit("exit 3");
  ASSERT_EQ(apply().exit_code, 0);
  auto failing = ws_.run({"jobs", "run", "hello-world"});
  EXPECT_EQ(failing.exit_code, 3) << failing;
  EXPECT_THAT(failing.out, HasSubstr("failing on purpose"));

  auto nope = ws_.run({"jobs", "run", "nope"});
  EXPECT_EQ(nope.exit_code, 1) << nope;
  EXPECT_THAT(nope.err, HasSubstr("no job \"nope\" is registered"));
  EXPECT_THAT(nope.err, HasSubstr("hello-world"));
}

// ---- 10: the git protocol ------------------------------------------------------------------

TEST_F(e2e_pipelines, AppliesFromABareRepoServedByGitDaemon) {
  fs::path served = ws_.path("served");
  fs::create_directories(served);
  auto clone = git(served, {"clone", "-q", "--bare", src_.string(), "repo.git"});
  ASSERT_EQ(clone.exit_code, 0) << clone;
  GitDaemon daemon(served, ws_.path("daemon.log"));
  ASSERT_TRUE(daemon.ready()) << ws_.read("daemon.log");

  config("git://127.0.0.1:" + std::to_string(daemon.port()) + "/repo.git");
  auto r = apply();
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(read_file(artifact(ws_, "main.py")), kMainPy);
  auto show = ws_.run({"jobs", "show", "hello-world", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show;
  auto job = nlohmann::json::parse(show.out);
  EXPECT_EQ(job["repo"], "git://127.0.0.1:" + std::to_string(daemon.port()) + "/repo.git");
  EXPECT_EQ(job["commit"], git(src_, {"rev-parse", "HEAD"}).out.substr(0, 40));
}

}  // namespace
}  // namespace lakeinfra::test_support
