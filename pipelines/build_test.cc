// prepare_pipelines over FakeGitFetcher, FakeProcessRunner and a real temp dir; the Makefile
// target finder.
#include "pipelines/build.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config/digest.h"
#include "config/loader.h"
#include "config/log.h"
#include "pipelines/fake_git.h"
#include "pipelines/fake_process.h"
#include "state/test_support.h"

namespace lakeinfra::pipelines {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kRepo = "https://example.org/org/hello.git";

const char kMakefile[] = "artifacts:\n\tmkdir -p artifacts && cp src/*.py artifacts/\n";
const char kActivities[] = R"([
  {
    "name": "Run hello",
    "type": "DatabricksSparkPython",
    "typeProperties": {"pythonFile": "dbfs:/pipelines/hello/artifacts/main.py"},
    "linkedServiceName": {"referenceName": "ADBLinkedServiceViaMSI",
                          "type": "LinkedServiceReference"}
  }
])";

std::string lake_yaml(const std::string& pipeline_extra = "") {
  return std::string(
             "lake: {name: healthetl, instance: dev01}\n"
             "zones: [{name: bronze, containers: [raw]}, {name: gold, containers: [curated]}]\n"
             "pipelines:\n"
             "  - {name: hello, repo: \"") +
         kRepo + "\", ref: main" + pipeline_extra + "}\n";
}

void write(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes `files` (relative to spec.cwd) and emits `lines`; returns `outcome`.
FakeProcessRunner::Handler make_artifacts(std::map<std::string, std::string> files,
                                          std::vector<std::string> lines = {"building"},
                                          ProcessOutcome outcome = {}) {
  return [=](const ProcessSpec& spec, const LineSink& on_line) {
    for (const auto& line : lines)
      on_line(line);
    for (const auto& [name, content] : files)
      write(spec.cwd / name, content);
    return outcome;
  };
}

class BuildTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }

  config::Lake lake(const std::string& yaml) {
    auto parsed = config::parse_lake(yaml, "lake.yaml", "/srv/cfg", env_);
    EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().str());
    return parsed ? *parsed : config::Lake{};
  }

  std::string commit(std::map<std::string, std::string> files = {
                         {"Makefile", kMakefile}, {"activities.json", kActivities}}) {
    return git_.add_commit(kRepo, files, {"main"});
  }

  Result<std::vector<PreparedPipeline>> prepare(const config::Lake& l, FakeProcessRunner& runner,
                                                bool fetch = true) {
    BuildSeams seams{&git_, &runner, &fs_, &env_};
    BuildOptions options;
    options.cache_root = tmp_.path();
    options.fetch = fetch;
    options.on_output = [this](std::string_view line) { output_.emplace_back(line); };
    return prepare_pipelines(l, seams, options);
  }

  state::test::TempDir tmp_;
  FakeGitFetcher git_;
  config::RealFileSystem fs_;
  config::MapEnvironment env_;
  std::vector<std::string> output_;
};

TEST_F(BuildTest, HappyPathHashesSortedArtifactsAndKeepsTheLog) {
  std::string sha = commit();
  FakeProcessRunner runner(make_artifacts(
      {{"artifacts/main.py", "print('hi')\n"}, {"artifacts/lib/a.whl", "wheel"}}, {"one", "two"}));
  auto prepared = prepare(lake(lake_yaml()), runner);
  ASSERT_TRUE(prepared) << prepared.error().str();
  ASSERT_EQ(prepared->size(), 1u);
  const auto& p = prepared->front();
  EXPECT_EQ(p.name, "hello");
  EXPECT_EQ(p.commit, sha);
  EXPECT_EQ(p.ref, "main");
  EXPECT_FALSE(p.reused);
  ASSERT_EQ(p.artifacts.size(), 2u);
  EXPECT_EQ(p.artifacts[0].name, "lib/a.whl");
  EXPECT_EQ(p.artifacts[1].name, "main.py");
  EXPECT_EQ(p.artifacts[1].sha256, config::sha256_hex("print('hi')\n"));
  EXPECT_EQ(p.artifacts[1].size, 12u);
  EXPECT_EQ(read(p.artifacts[1].source), "print('hi')\n");
  EXPECT_EQ(read(p.log_path), "one\ntwo\n");
  EXPECT_TRUE(fs::exists(p.build_dir / "build.json"));
  EXPECT_THAT(output_, testing::Contains("[hello] one"));
  EXPECT_THAT(output_, testing::Contains("[hello] two"));
  ASSERT_EQ(runner.runs().size(), 1u);
  EXPECT_THAT(runner.runs()[0].argv, ElementsAre("make", "artifacts"));
  EXPECT_EQ(runner.runs()[0].timeout, std::chrono::seconds(600));
  EXPECT_EQ(p.activities.list.size(), 1u);
}

TEST_F(BuildTest, SecondBuildOfTheSameCommitIsReused) {
  commit();
  FakeProcessRunner runner(make_artifacts({{"artifacts/main.py", "x"}}));
  auto l = lake(lake_yaml());
  auto first = prepare(l, runner);
  ASSERT_TRUE(first) << first.error().str();
  auto second = prepare(l, runner);
  ASSERT_TRUE(second) << second.error().str();
  EXPECT_EQ(runner.runs().size(), 1u);
  EXPECT_TRUE(second->front().reused);
  ASSERT_EQ(second->front().artifacts.size(), 1u);
  EXPECT_EQ(second->front().artifacts[0].sha256, config::sha256_hex("x"));
  EXPECT_EQ(second->front().activities.list.size(), 1u);
}

TEST_F(BuildTest, ChangedArtifactInTheBuildDirInvalidatesReuse) {
  commit();
  FakeProcessRunner runner(make_artifacts({{"artifacts/main.py", "x"}}));
  auto l = lake(lake_yaml());
  auto first = prepare(l, runner);
  ASSERT_TRUE(first) << first.error().str();
  write(first->front().artifacts[0].source, "tampered");
  auto second = prepare(l, runner);
  ASSERT_TRUE(second) << second.error().str();
  EXPECT_EQ(runner.runs().size(), 2u);
  EXPECT_FALSE(second->front().reused);
  EXPECT_EQ(second->front().artifacts[0].sha256, config::sha256_hex("x"));
}

TEST_F(BuildTest, NewCommitIsBuiltAgain) {
  commit();
  FakeProcessRunner runner(make_artifacts({{"artifacts/main.py", "x"}}));
  auto l = lake(lake_yaml());
  ASSERT_TRUE(prepare(l, runner));
  std::string second_sha = commit();
  auto second = prepare(l, runner);
  ASSERT_TRUE(second) << second.error().str();
  EXPECT_EQ(second->front().commit, second_sha);
  EXPECT_FALSE(second->front().reused);
  EXPECT_EQ(runner.runs().size(), 2u);
}

// The single error of a failed prepare.
config::Diagnostic only_error(const Result<std::vector<PreparedPipeline>>& r) {
  EXPECT_FALSE(r);
  if (r)
    return {};
  EXPECT_EQ(r.error().size(), 1u) << r.error().str();
  return r.error().items().front();
}

TEST_F(BuildTest, MissingMakefileNamesPipelineCommitAndFile) {
  std::string sha = commit({{"activities.json", kActivities}});
  FakeProcessRunner runner(make_artifacts({}));
  auto d = only_error(prepare(lake(lake_yaml()), runner));
  EXPECT_THAT(d.summary, HasSubstr("pipeline \"hello\""));
  EXPECT_THAT(d.summary, HasSubstr(sha.substr(0, 7)));
  EXPECT_THAT(d.summary, HasSubstr("no Makefile"));
  EXPECT_EQ(d.location.file, "hello@" + sha.substr(0, 7) + ":Makefile");
  EXPECT_TRUE(runner.runs().empty());
}

TEST_F(BuildTest, MakefileInSubfolderIsNamedWithItsPath) {
  std::string sha = commit({{"sub/activities.json", kActivities}});
  FakeProcessRunner runner(make_artifacts({}));
  auto d = only_error(prepare(lake(lake_yaml(", path: sub")), runner));
  EXPECT_EQ(d.location.file, "hello@" + sha.substr(0, 7) + ":sub/Makefile");
}

TEST_F(BuildTest, MakefileWithoutArtifactsTarget) {
  std::string sha =
      commit({{"Makefile", ".PHONY: artifacts\nall:\n\techo\n"}, {"activities.json", kActivities}});
  FakeProcessRunner runner(make_artifacts({}));
  auto d = only_error(prepare(lake(lake_yaml()), runner));
  EXPECT_THAT(d.summary, HasSubstr("no `artifacts` target"));
  EXPECT_THAT(d.summary, HasSubstr(sha.substr(0, 7)));
  EXPECT_EQ(d.location.file, "hello@" + sha.substr(0, 7) + ":Makefile");
  EXPECT_TRUE(runner.runs().empty());
}

TEST_F(BuildTest, MissingActivities) {
  std::string sha = commit({{"Makefile", kMakefile}});
  FakeProcessRunner runner(make_artifacts({}));
  auto d = only_error(prepare(lake(lake_yaml()), runner));
  EXPECT_THAT(d.summary, HasSubstr("pipeline \"hello\""));
  EXPECT_THAT(d.summary, HasSubstr("no activities.json"));
  EXPECT_EQ(d.location.file, "hello@" + sha.substr(0, 7) + ":activities.json");
}

TEST_F(BuildTest, ActivitiesErrorsCarryPipelineAndCommit) {
  // References an artifact the build does not produce.
  std::string sha = commit();
  FakeProcessRunner runner(make_artifacts({{"artifacts/other.py", "x"}}));
  auto r = prepare(lake(lake_yaml()), runner);
  ASSERT_FALSE(r);
  for (const auto& d : r.error()) {
    EXPECT_THAT(d.summary, HasSubstr("pipeline \"hello\""));
    EXPECT_THAT(d.summary, HasSubstr(sha.substr(0, 7)));
    EXPECT_EQ(d.location.file, "hello@" + sha.substr(0, 7) + ":activities.json");
    EXPECT_EQ(d.address, "pipeline.hello");
  }
}

TEST_F(BuildTest, ActivitiesSyntaxErrorCarriesPipelineAndCommit) {
  std::string sha = commit({{"Makefile", kMakefile}, {"activities.json", "[ {"}});
  FakeProcessRunner runner(make_artifacts({}));
  auto r = prepare(lake(lake_yaml()), runner);
  ASSERT_FALSE(r);
  const auto& d = r.error().items().front();
  EXPECT_THAT(d.summary, HasSubstr("pipeline \"hello\""));
  EXPECT_THAT(d.summary, HasSubstr(sha.substr(0, 7)));
  EXPECT_EQ(d.location.file, "hello@" + sha.substr(0, 7) + ":activities.json");
  EXPECT_TRUE(runner.runs().empty());
}

TEST_F(BuildTest, MakeFailureCarriesTheTailOfTheLog) {
  commit();
  std::vector<std::string> lines;
  for (int i = 0; i < 30; ++i)
    lines.push_back("line " + std::to_string(i));
  ProcessOutcome failed;
  failed.exit_code = 2;
  FakeProcessRunner runner(make_artifacts({}, lines, failed));
  auto d = only_error(prepare(lake(lake_yaml()), runner));
  EXPECT_THAT(d.summary, HasSubstr("exited with 2"));
  EXPECT_THAT(d.detail, HasSubstr("| line 29"));
  EXPECT_THAT(d.detail, HasSubstr("| line 10"));
  EXPECT_THAT(d.detail, Not(HasSubstr("| line 9\n")));
  EXPECT_THAT(d.detail, HasSubstr("build.log"));
  // The full log is kept.
  fs::path log = fs::path(d.detail.substr(14, d.detail.find(':', 14) - 14));
  EXPECT_THAT(read(log), HasSubstr("line 0\n"));
}

TEST_F(BuildTest, TimeoutIsReported) {
  commit();
  ProcessOutcome timed_out;
  timed_out.exit_code = 137;
  timed_out.timed_out = true;
  FakeProcessRunner runner(make_artifacts({}, {"slow"}, timed_out));
  auto d = only_error(prepare(lake(lake_yaml(", build_timeout: 90s")), runner));
  EXPECT_THAT(d.summary, HasSubstr("timed out after 90s"));
  EXPECT_EQ(runner.runs()[0].timeout, std::chrono::seconds(90));
}

TEST_F(BuildTest, UnsetTokenVariableIsNamed) {
  commit();
  FakeProcessRunner runner(make_artifacts({}));
  auto d = only_error(prepare(lake(lake_yaml(", token_env: HELLO_TOKEN")), runner));
  EXPECT_THAT(d.summary, HasSubstr("HELLO_TOKEN"));
  EXPECT_THAT(d.summary, HasSubstr("is not set"));
  EXPECT_TRUE(git_.calls().empty());
}

TEST_F(BuildTest, TokenIsRedactedAndRemovedFromTheBuild) {
  commit();
  env_ = config::MapEnvironment{{"HELLO_TOKEN", "s3cr3t-token-value-42"}};
  FakeProcessRunner runner(
      make_artifacts({{"artifacts/main.py", "x"}}, {"using s3cr3t-token-value-42"}));
  auto r = prepare(lake(lake_yaml(", token_env: HELLO_TOKEN")), runner);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_THAT(runner.runs()[0].unset_env, testing::Contains("HELLO_TOKEN"));
  EXPECT_NE(config::redact("s3cr3t-token-value-42"), "s3cr3t-token-value-42");
  for (const auto& line : output_)
    EXPECT_THAT(line, Not(HasSubstr("s3cr3t-token-value-42")));
  EXPECT_THAT(read(r->front().log_path), Not(HasSubstr("s3cr3t-token-value-42")));
}

TEST_F(BuildTest, BuildGetsNoCloudCredentials) {
  commit();
  FakeProcessRunner runner(make_artifacts({{"artifacts/main.py", "x"}}, {"built"}));
  auto r = prepare(lake(lake_yaml("")), runner);
  ASSERT_TRUE(r) << r.error().str();
  for (const char* name :
       {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}) {
    EXPECT_THAT(runner.runs()[0].unset_env, testing::Contains(name));
  }
}

TEST_F(BuildTest, NoFetchWithExistingCacheDoesNotFetch) {
  commit();
  FakeProcessRunner runner(make_artifacts({{"artifacts/main.py", "x"}}));
  auto l = lake(lake_yaml());
  ASSERT_TRUE(prepare(l, runner));
  auto fetches = [&] {
    int n = 0;
    for (const auto& c : git_.calls())
      n += c.rfind("fetch ", 0) == 0;
    return n;
  };
  EXPECT_EQ(fetches(), 1);
  ASSERT_TRUE(prepare(l, runner, /*fetch=*/false));
  EXPECT_EQ(fetches(), 1);
  ASSERT_TRUE(prepare(l, runner, /*fetch=*/true));
  EXPECT_EQ(fetches(), 2);
}

TEST_F(BuildTest, NoFetchWithoutCacheStillFetches) {
  commit();
  FakeProcessRunner runner(make_artifacts({{"artifacts/main.py", "x"}}));
  ASSERT_TRUE(prepare(lake(lake_yaml()), runner, /*fetch=*/false));
  EXPECT_EQ(git_.calls().front(), std::string("fetch ") + kRepo);
}

TEST_F(BuildTest, FetchFailureNamesThePipeline) {
  commit();
  git_.fail_next_fetch(kRepo, "connection refused");
  FakeProcessRunner runner(make_artifacts({}));
  auto d = only_error(prepare(lake(lake_yaml()), runner));
  EXPECT_THAT(d.summary, HasSubstr("pipeline \"hello\""));
  EXPECT_THAT(d.summary, HasSubstr("connection refused"));
}

TEST_F(BuildTest, ArtifactWithBadNameIsRefused) {
  commit();
  FakeProcessRunner runner(
      make_artifacts({{"artifacts/main.py", "x"}, {"artifacts/bad name.py", "y"}}));
  auto d = only_error(prepare(lake(lake_yaml()), runner));
  EXPECT_THAT(d.summary, HasSubstr("\"bad name.py\" has an unusable name"));
}

TEST_F(BuildTest, SymlinkArtifactIsRefused) {
  commit();
  FakeProcessRunner runner([](const ProcessSpec& spec, const LineSink&) {
    write(spec.cwd / "artifacts/main.py", "x");
    fs::create_symlink("/etc/passwd", spec.cwd / "artifacts/link.py");
    return ProcessOutcome{};
  });
  auto d = only_error(prepare(lake(lake_yaml()), runner));
  EXPECT_THAT(d.summary, HasSubstr("\"link.py\" is a symlink"));
}

TEST_F(BuildTest, MissingArtifactsFolder) {
  commit();
  FakeProcessRunner runner(make_artifacts({}));
  auto d = only_error(prepare(lake(lake_yaml()), runner));
  EXPECT_THAT(d.summary, HasSubstr("did not create artifacts/"));
}

// --- find_artifacts_target ---

TEST(FindArtifactsTarget, Cases) {
  EXPECT_EQ(find_artifacts_target("artifacts:\n\tcp x artifacts/\n"), 1);
  EXPECT_EQ(find_artifacts_target(".PHONY: artifacts\n"), 0);
  EXPECT_EQ(find_artifacts_target(".PHONY: artifacts\nall artifacts: x\n"), 2);
  EXPECT_EQ(find_artifacts_target("artifacts::\n"), 1);
  EXPECT_EQ(find_artifacts_target("artifacts := x\n"), 0);
  EXPECT_EQ(find_artifacts_target("artifacts:= x\n"), 0);
  EXPECT_EQ(find_artifacts_target("all:\n\tartifacts: x\n"), 0);
  EXPECT_EQ(find_artifacts_target("# artifacts:\n"), 0);
  EXPECT_EQ(find_artifacts_target("# c\n\nbuild:\n\nartifacts: build"), 5);
  EXPECT_EQ(find_artifacts_target("my-artifacts:\n"), 0);
  EXPECT_EQ(find_artifacts_target("artifacts ::= x\n"), 0);
  EXPECT_EQ(find_artifacts_target("artifacts = a:b\n"), 0);
  EXPECT_EQ(find_artifacts_target("artifacts: VAR=x\n"), 1);
  EXPECT_EQ(find_artifacts_target(""), 0);
}

}  // namespace
}  // namespace lakeinfra::pipelines
