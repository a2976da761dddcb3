// Secrets never leak: the real lakeinfra binary applies a lake with governance and a pipeline to
// the suite's Ceph RGW with its S3 secret key and a repo token set to distinctive values, debug
// logging into a file, a saved plan and JSON output. Neither value may appear in any output, in
// the state database (with its WAL), the plan file, the log file, the build logs or anything
// else lakeinfra wrote; the state database and the plan file are private (0600). The pipeline's
// Makefile tries to print both values: the build must not see them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/rgw_env.h"
#include "tests/support/s3_lake_fixture.h"

namespace lakeinfra::test_support {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRepoToken = "ghp_LeakCheck7f3e9a1b2c4d6e8f0a1b3c5d7e9f2468";

int mode_of(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

class SecretsS3Test : public RgwLakeTest {
 protected:
  SecretsS3Test() : RgwLakeTest("sec", "secrets-s3") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RgwLakeTest::SetUp());
    ASSERT_GE(rgw_.secret_key.size(), 16u) << "the secret must be distinctive to be searched for";
    make_repo();
    std::ofstream(dir_ / "lake.yaml")
        << rgw_lake_yaml_head(rgw_, lake_, "dev") << "zones:\n"
        << "  - {name: bronze, tier: sensitive, containers: [raw]}\n"
        << "  - {name: gold, tier: internal, containers: [curated]}\n"
        << "roles:\n"
        << "  - name: analyst\n"
        << "    clearance: internal\n"
        << "    grants: [{zone: gold, container: curated, access: read}]\n"
        << "jobs: {linked_service: ADBLinkedServiceViaMSI}\n"
        << "pipelines:\n"
        << "  - {name: hello-world, repo: \"file://" << (dir_ / "src").string()
        << "\", ref: v1, path: hello, token_env: PIPELINE_REPO_TOKEN}\n";
  }
  void TearDown() override {
    if (!destroyed_)
      lakeinfra({"destroy", "--auto-approve"});
    RgwLakeTest::TearDown();
  }

  void make_repo() {
    fs::path src = dir_ / "src";
    // `make artifacts` tries to print every secret it could have been handed.
    write_file_text(src / "hello/Makefile",
                    ".PHONY: artifacts\n"
                    "artifacts:\n"
                    "\t@echo \"secret=[$$AWS_SECRET_ACCESS_KEY] token=[$$PIPELINE_REPO_TOKEN] "
                    "session=[$$AWS_SESSION_TOKEN]\"\n"
                    "\t@env | sort\n"
                    "\tmkdir -p artifacts\n"
                    "\tcp main.py artifacts/main.py\n");
    write_file_text(src / "hello/activities.json",
                    "[{\"name\": \"Run hello\", \"type\": \"DatabricksSparkPython\",\n"
                    "  \"linkedServiceName\": {\"referenceName\": \"ADBLinkedServiceViaMSI\",\n"
                    "                        \"type\": \"LinkedServiceReference\"},\n"
                    "  \"typeProperties\": {\"pythonFile\": "
                    "\"dbfs:/pipelines/hello-world/artifacts/main.py\"}}]\n");
    write_file_text(src / "hello/main.py", "print('hello')\n");
    auto init = run_git(src, {"init", "-q"});
    ASSERT_EQ(init.exit_code, 0) << init;
    auto commit = commit_all_and_tag(src, "v1", "v1");
    ASSERT_EQ(commit.exit_code, 0) << commit;
  }

  ProcessResult lakeinfra(std::vector<std::string> args) {
    ProcessOptions o = lakeinfra_options(args);
    o.env["PIPELINE_REPO_TOKEN"] = kRepoToken;
    o.env["LAKEINFRA_LOG"] = "debug";
    o.env["LAKEINFRA_LOG_FILE"] = (dir_ / "lakeinfra.log").string();
    auto r = run_process(o);
    outputs_.push_back(r.out + r.err);
    return r;
  }

  std::vector<std::string> secrets() const { return {rgw_.secret_key, kRepoToken}; }

  /// Every file below the workspace that holds one of the secrets.
  std::vector<std::string> files_with_secrets() const {
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
      if (!entry.is_regular_file() || entry.path().string().find("/src/") != std::string::npos)
        continue;  // the repo (and its .git) is the test's own
      std::string bytes = read_file_text(entry.path());
      for (const auto& s : secrets()) {
        if (bytes.find(s) != std::string::npos)
          found.push_back(entry.path().string());
      }
    }
    return found;
  }

  bool destroyed_ = false;
  std::vector<std::string> outputs_;
};

TEST_F(SecretsS3Test, NoSecretInOutputsStatePlanFilesLogsOrBuildLogs) {
  auto plan = lakeinfra({"plan", "--out", "tf.plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan;
  auto json = lakeinfra({"plan", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json;
  auto show = lakeinfra({"show", "--json", "tf.plan"});
  ASSERT_EQ(show.exit_code, 0) << show;
  auto apply = lakeinfra({"apply", "tf.plan"});
  ASSERT_EQ(apply.exit_code, 0) << apply;
  // The build ran (at plan or apply) and printed what it could see: nothing of the secrets.
  bool saw_build = false;
  for (const auto& out : outputs_)
    saw_build = saw_build || out.find("secret=[] token=[] session=[]") != std::string::npos;
  EXPECT_TRUE(saw_build) << plan << apply;
  for (std::vector<std::string> args : {std::vector<std::string>{"state", "list"},
                                        {"show", "--json"},
                                        {"jobs", "list", "--json"},
                                        {"access", "--format", "json"},
                                        {"plan", "--detailed-exitcode"}}) {
    auto r = lakeinfra(args);
    EXPECT_EQ(r.exit_code, 0) << r;
  }

  ASSERT_TRUE(fs::exists(dir_ / "lakeinfra.log"));
  EXPECT_NE(read_file_text(dir_ / "lakeinfra.log").find("debug"), std::string::npos)
      << "the debug log was written (and searched)";
  bool build_log = false;
  for (const auto& entry : fs::recursive_directory_iterator(dir_ / ".lakeinfra"))
    build_log = build_log || entry.path().filename() == "build.log";
  EXPECT_TRUE(build_log) << "the build log was written (and searched)";

  for (size_t i = 0; i < outputs_.size(); ++i) {
    for (const auto& s : secrets())
      EXPECT_EQ(outputs_[i].find(s), std::string::npos) << "output of command " << i;
  }
  EXPECT_EQ(files_with_secrets(), std::vector<std::string>{});
  EXPECT_EQ(mode_of(dir_ / ".lakeinfra/state.db"), 0600);
  EXPECT_EQ(mode_of(dir_ / "tf.plan"), 0600);

  auto destroy = lakeinfra({"destroy", "--auto-approve"});
  EXPECT_EQ(destroy.exit_code, 0) << destroy;
  destroyed_ = destroy.exit_code == 0;
  for (const auto& s : secrets())
    EXPECT_EQ(outputs_.back().find(s), std::string::npos) << "destroy's output";
  EXPECT_EQ(files_with_secrets(), std::vector<std::string>{});
}

}  // namespace
}  // namespace lakeinfra::test_support
