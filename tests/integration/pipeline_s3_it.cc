// Pipelines on S3 storage end to end: the real lakeinfra binary fetches a git repo made here with
// /usr/bin/git, runs `make artifacts`, uploads the artifacts to the suite's Ceph RGW, registers
// the job and writes the mounts' Spark settings. Debian's awscli is the independent second client
// that checks the objects and makes drift.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/support/process.h"
#include "tests/support/rgw_env.h"
#include "tests/support/s3_lake_fixture.h"

namespace lakeinfra::test_support {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMarker = "HELLO-FROM-RGW-PIPELINE";
constexpr const char* kArtifactPrefix = "pipelines/pipelines/hello-world/artifacts/";

class PipelineS3Test : public RgwLakeTest {
 protected:
  PipelineS3Test() : RgwLakeTest("pl", "pipeline-s3") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RgwLakeTest::SetUp());
    make_repo();
    write_config();
  }
  void TearDown() override {
    // Leave nothing behind in the shared server: the tests destroy what they applied; this is
    // the fallback when an assertion stopped one early.
    if (!destroyed_)
      lakeinfra({"destroy", "--auto-approve"});
    RgwLakeTest::TearDown();
  }

  std::string bucket(const std::string& zone) const { return lake_ + "-dev-" + zone; }
  std::string key(const std::string& file) const { return kArtifactPrefix + file; }
  fs::path repo() const { return dir_ / "src"; }

  /// A pipeline repo following the contract: hello/Makefile (artifacts: main.py, util.py),
  /// hello/activities.json, tagged v1.
  void make_repo() {
    write_file_text(repo() / "hello/Makefile", kMainAndUtilMakefile);
    write_file_text(repo() / "hello/activities.json",
                    "[\n"
                    "  // the entrypoint\n"
                    "  {\n"
                    "    \"name\": \"Run hello\",\n"
                    "    \"type\": \"DatabricksSparkPython\",\n"
                    "    \"linkedServiceName\": {\"referenceName\": \"ADBLinkedServiceViaMSI\",\n"
                    "                          \"type\": \"LinkedServiceReference\"},\n"
                    "    \"typeProperties\": {\n"
                    "      \"pythonFile\": \"dbfs:/pipelines/hello-world/artifacts/main.py\",\n"
                    "      \"parameters\": [\"--date\", \"2026-11-21\"]\n"
                    "    }\n"
                    "  }\n"
                    "]\n");
    write_file_text(repo() / "hello/main.py",
                    "import sys\n"
                    "import util\n"
                    "print(util.greeting() + ' ' + ' '.join(sys.argv[1:]))\n");
    write_file_text(repo() / "hello/util.py",
                    std::string("def greeting():\n    return '") + kMarker + "'\n");
    write_file_text(repo() / ".gitignore", "artifacts/\n");
    ASSERT_EQ(run_git(repo(), {"init", "-q"}).exit_code, 0);
    auto commit = commit_all_and_tag(repo(), "hello v1", "v1");
    ASSERT_EQ(commit.exit_code, 0) << commit;
  }

  /// A new commit that changes util.py only; the tag v1 moves to it.
  void change_util_and_move_tag() {
    write_file_text(repo() / "hello/util.py",
                    std::string("def greeting():\n    return '") + kMarker + " v2'\n");
    auto commit = commit_all_and_tag(repo(), "util v2", "v1");
    ASSERT_EQ(commit.exit_code, 0) << commit;
  }

  void write_config() {
    std::ofstream out(dir_ / "lake.yaml");
    out << rgw_lake_yaml_head(rgw_, lake_, "dev") << "zones:\n"
        << "  - {name: bronze, tier: sensitive, containers: [raw]}\n"
        << "  - {name: gold, tier: internal, versioning: true, containers: [curated]}\n"
        << "jobs: {linked_service: ADBLinkedServiceViaMSI}\n"
        << "pipelines:\n"
        << "  - {name: hello-world, repo: \"file://" << repo().string()
        << "\", ref: v1, path: hello}\n"
        << "mounts:\n"
        << "  - {name: bronze, zone: bronze, path: /mnt/bronze}\n";
  }

  ProcessResult lakeinfra(std::vector<std::string> args) {
    return run_process(lakeinfra_options(args));
  }

  /// The object's body, through awscli (`aws s3 cp s3://... -`).
  std::string object_text(const std::string& file) {
    auto cp = aws({"s3", "cp", "s3://" + bucket("gold") + "/" + key(file), "-"});
    EXPECT_EQ(cp.exit_code, 0) << cp;
    return cp.out;
  }

  /// The sha256 of the file in `artifacts/` of the pipeline's current build, by sha256sum.
  std::string sha256_of(const fs::path& file) {
    ProcessOptions o;
    o.argv = {"/usr/bin/sha256sum", file.string()};
    auto r = run_process(o);
    EXPECT_EQ(r.exit_code, 0) << r;
    return r.out.substr(0, 64);
  }

  void apply_ok() {
    auto apply = lakeinfra({"apply", "--auto-approve"});
    ASSERT_EQ(apply.exit_code, 0) << apply;
  }

  void destroy_ok() {
    auto destroy = lakeinfra({"destroy", "--auto-approve"});
    ASSERT_EQ(destroy.exit_code, 0) << destroy;
    destroyed_ = true;
    EXPECT_NE(aws({"s3api", "head-bucket", "--bucket", bucket("gold")}).exit_code, 0);
    EXPECT_NE(aws({"s3api", "head-bucket", "--bucket", bucket("bronze")}).exit_code, 0);
  }

  bool destroyed_ = false;
};

TEST_F(PipelineS3Test, ApplyUploadsArtifactsRegistersJobWritesMountsThenPlansNoChanges) {
  apply_ok();

  for (const std::string file : {"main.py", "util.py"}) {
    auto head = aws({"s3api", "head-object", "--bucket", bucket("gold"), "--key", key(file)});
    ASSERT_EQ(head.exit_code, 0) << head;
    auto meta = nlohmann::json::parse(head.out);
    std::string source = (repo() / "hello" / file).string();
    EXPECT_EQ(meta["Metadata"].value("sha256", std::string()), sha256_of(source)) << head;
    EXPECT_EQ(object_text(file), read_file_text(source)) << file;
  }

  auto show = lakeinfra({"jobs", "show", "hello-world", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show;
  auto job = nlohmann::json::parse(show.out, nullptr, false);
  ASSERT_FALSE(job.is_discarded()) << show;
  std::string python_file;
  // The job as shown: its activities (top level or inside the definition).
  const auto& activities = job.contains("activities")
                               ? job["activities"]
                               : job.value("definition", nlohmann::json::object())["activities"];
  ASSERT_TRUE(activities.is_array()) << show;
  ASSERT_EQ(activities.size(), 1u) << show;
  python_file = activities[0]["typeProperties"].value("pythonFile", std::string());
  EXPECT_EQ(python_file.rfind("s3://", 0), 0u) << show;
  EXPECT_EQ(python_file, "s3://" + bucket("gold") + "/" + key("main.py")) << show;

  std::string spark = read_file_text(dir_ / "workspace/spark-defaults.conf");
  EXPECT_NE(spark.find("# BEGIN lakeinfra mount mnt/bronze"), std::string::npos) << spark;
  EXPECT_NE(spark.find("spark.lakeinfra.mount.bronze.path /mnt/bronze"), std::string::npos)
      << spark;
  EXPECT_NE(spark.find("spark.lakeinfra.mount.bronze.target s3a://" + bucket("bronze") + "/"),
            std::string::npos)
      << spark;
  EXPECT_NE(
      spark.find("spark.hadoop.fs.s3a.bucket." + bucket("bronze") + ".endpoint " + rgw_.endpoint),
      std::string::npos)
      << spark;
  EXPECT_NE(
      spark.find("spark.hadoop.fs.s3a.bucket." + bucket("bronze") + ".path.style.access true"),
      std::string::npos)
      << spark;
  EXPECT_NE(spark.find("# END lakeinfra mount mnt/bronze"), std::string::npos) << spark;
  EXPECT_EQ(spark.find(rgw_.secret_key), std::string::npos);

  auto again = lakeinfra({"apply", "--auto-approve"});
  EXPECT_EQ(again.exit_code, 0) << again;
  EXPECT_NE(again.out.find("No changes."), std::string::npos) << again;

  destroy_ok();
}

TEST_F(PipelineS3Test, JobRunDownloadsMainPyFromRgwAndRunsIt) {
  apply_ok();
  auto run = lakeinfra({"jobs", "run", "hello-world"});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_NE(run.out.find(std::string(kMarker) + " --date 2026-11-21"), std::string::npos) << run;
  // main.py ran from the copy downloaded from RGW, not from the build folder.
  fs::path downloaded = dir_ / ".lakeinfra/runs/hello-world/artifacts/main.py";
  EXPECT_NE(run.out.find("python3 " + downloaded.string()), std::string::npos) << run;
  EXPECT_EQ(read_file_text(downloaded), object_text("main.py"));
  destroy_ok();
}

TEST_F(PipelineS3Test, NewCommitChangingOneFileUploadsOnlyThatArtifactAndUpdatesTheJob) {
  apply_ok();
  std::string old_util = object_text("util.py");
  change_util_and_move_tag();

  auto plan = lakeinfra({"plan", "--detailed-exitcode"});
  EXPECT_EQ(plan.exit_code, 2) << plan;
  EXPECT_NE(plan.out.find("# artifact.hello-world.util.py will be updated"), std::string::npos)
      << plan;
  EXPECT_NE(plan.out.find("# job.hello-world will be updated"), std::string::npos) << plan;
  EXPECT_EQ(plan.out.find("# artifact.hello-world.main.py"), std::string::npos) << plan;
  EXPECT_EQ(plan.out.find("will be created"), std::string::npos) << plan;
  EXPECT_EQ(plan.out.find("will be destroyed"), std::string::npos) << plan;
  // The third change is pipeline.hello-world's commit.
  EXPECT_NE(plan.out.find("# pipeline.hello-world will be updated"), std::string::npos) << plan;
  EXPECT_NE(plan.out.find("Plan: 0 to add, 3 to change, 0 to destroy."), std::string::npos) << plan;

  auto apply = lakeinfra({"apply", "--auto-approve"});
  ASSERT_EQ(apply.exit_code, 0) << apply;
  EXPECT_NE(apply.out.find("artifact.hello-world.util.py"), std::string::npos) << apply;
  EXPECT_EQ(apply.out.find("artifact.hello-world.main.py"), std::string::npos) << apply;
  EXPECT_NE(apply.out.find("Apply complete! Resources: 0 added, 3 changed, 0 destroyed."),
            std::string::npos)
      << apply;
  std::string new_util = object_text("util.py");
  EXPECT_NE(new_util, old_util);
  EXPECT_NE(new_util.find(std::string(kMarker) + " v2"), std::string::npos) << new_util;
  EXPECT_EQ(new_util, read_file_text(repo() / "hello/util.py"));

  EXPECT_EQ(lakeinfra({"plan", "--detailed-exitcode"}).exit_code, 0);
  // Two versions of util.py now sit in the versioned gold bucket: destroy removes them all.
  destroy_ok();
}

TEST_F(PipelineS3Test, ArtifactDeletedByHandIsPlannedAgainAndRestored) {
  apply_ok();
  ASSERT_EQ(aws({"s3", "rm", "s3://" + bucket("gold") + "/" + key("main.py")}).exit_code, 0);

  auto plan = lakeinfra({"plan", "--detailed-exitcode"});
  EXPECT_EQ(plan.exit_code, 2) << plan;
  EXPECT_NE(plan.out.find("Objects have changed outside of lakeinfra"), std::string::npos) << plan;
  EXPECT_NE(plan.out.find("# artifact.hello-world.main.py will be created"), std::string::npos)
      << plan;
  EXPECT_NE(plan.out.find("Plan: 1 to add, 0 to change, 0 to destroy."), std::string::npos) << plan;

  apply_ok();
  EXPECT_EQ(object_text("main.py"), read_file_text(repo() / "hello/main.py"));
  EXPECT_EQ(lakeinfra({"plan", "--detailed-exitcode"}).exit_code, 0);
  // The delete marker and the old version are lakeinfra's own: destroy needs no force.
  destroy_ok();
}

TEST_F(PipelineS3Test, DestroyOfAVersionedLakeWithPipelinesDeletesArtifactVersionsAndBuckets) {
  apply_ok();
  change_util_and_move_tag();
  apply_ok();
  auto versions = aws({"s3api", "list-object-versions", "--bucket", bucket("gold")});
  ASSERT_EQ(versions.exit_code, 0) << versions;
  size_t util_versions = 0;
  auto listing = nlohmann::json::parse(versions.out);
  for (const auto& v : listing["Versions"])
    util_versions += v["Key"] == key("util.py");
  EXPECT_EQ(util_versions, 2u) << versions;

  // Terraform's single-dash spelling, without force_destroy anywhere.
  auto destroy = lakeinfra({"destroy", "-auto-approve"});
  ASSERT_EQ(destroy.exit_code, 0) << destroy;
  destroyed_ = true;
  EXPECT_NE(aws({"s3api", "head-bucket", "--bucket", bucket("gold")}).exit_code, 0);
  EXPECT_NE(aws({"s3api", "head-bucket", "--bucket", bucket("bronze")}).exit_code, 0);
}

}  // namespace
}  // namespace lakeinfra::test_support
