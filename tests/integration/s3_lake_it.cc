// The S3 provider end to end: the real lakeinfra binary against the suite's Ceph RGW (which
// checks SigV4 signatures strictly), with Debian's awscli as an independent second client for
// making drift and checking results.
#include <gtest/gtest.h>
#include <sqlite3.h>
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

// The lake's folder is removed by RgwLakeTest; the tests leave nothing behind in the shared
// server: they destroy with force where they allowed it.
class S3LakeTest : public RgwLakeTest {
 protected:
  S3LakeTest() : RgwLakeTest("it", "s3") {}

  std::string bucket(const std::string& zone) const { return lake_ + "-dev-" + zone; }

  void write_config(bool bronze_force_destroy = false, bool with_gold = true) {
    std::ofstream out(dir_ / "lake.yaml");
    out << "lake: {name: " << lake_ << ", instance: dev}\n"
        << "storage: {provider: s3, endpoint: \"" << rgw_.endpoint << "\", addressing: path}\n"
        << "zones:\n"
        << "  - name: bronze\n    tier: sensitive\n    versioning: true\n"
        << "    force_destroy: " << (bronze_force_destroy ? "true" : "false") << "\n"
        << "    containers: [raw, landing]\n";
    if (with_gold)
      out << "  - {name: gold, tier: internal, containers: [curated]}\n";
  }

  ProcessResult lakeinfra(std::vector<std::string> args,
                          std::map<std::string, std::string> extra_env = {}) {
    ProcessOptions o = lakeinfra_options(args);
    for (auto& [k, v] : extra_env)
      o.env[k] = v;
    return run_process(o);
  }

  int64_t state_serial() {
    sqlite3* db = nullptr;
    int64_t serial = -1;
    if (sqlite3_open_v2((dir_ / ".lakeinfra/state.db").c_str(), &db, SQLITE_OPEN_READONLY,
                        nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, "SELECT serial FROM meta", -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW)
        serial = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return serial;
  }
};

TEST_F(S3LakeTest, ApplyCreatesTaggedVersionedBucketsAndPrefixMarkersThenPlansNoChanges) {
  write_config();
  auto apply = lakeinfra({"apply", "--auto-approve"});
  ASSERT_EQ(apply.exit_code, 0) << apply;
  EXPECT_NE(apply.out.find("Apply complete! Resources: 5 added, 0 changed, 0 destroyed."),
            std::string::npos)
      << apply;

  auto tags = aws({"s3api", "get-bucket-tagging", "--bucket", bucket("bronze")});
  ASSERT_EQ(tags.exit_code, 0) << tags;
  auto tag_json = nlohmann::json::parse(tags.out);
  std::map<std::string, std::string> tag_map;
  for (const auto& t : tag_json["TagSet"])
    tag_map[t["Key"]] = t["Value"];
  EXPECT_EQ(tag_map["lakeinfra:lake"], lake_);
  EXPECT_EQ(tag_map["lakeinfra:zone"], "bronze");
  EXPECT_EQ(tag_map["lakeinfra:tier"], "sensitive");
  EXPECT_EQ(tag_map["lakeinfra:managed-by"], "lakeinfra");

  auto versioning = aws({"s3api", "get-bucket-versioning", "--bucket", bucket("bronze")});
  ASSERT_EQ(versioning.exit_code, 0) << versioning;
  EXPECT_EQ(nlohmann::json::parse(versioning.out)["Status"], "Enabled");

  auto keys = aws({"s3api", "list-objects-v2", "--bucket", bucket("bronze")});
  ASSERT_EQ(keys.exit_code, 0) << keys;
  auto listing = nlohmann::json::parse(keys.out);
  std::set<std::string> names;
  for (const auto& o : listing["Contents"])
    names.insert(o["Key"]);
  EXPECT_EQ(names, (std::set<std::string>{"landing/", "raw/"}));

  auto plan = lakeinfra({"plan", "--detailed-exitcode", "--out", "saved.plan"});
  EXPECT_EQ(plan.exit_code, 0) << plan;
  EXPECT_NE(plan.out.find("No changes."), std::string::npos) << plan;

  // Credentials never reach the state database, a saved plan, or the debug log.
  auto debug = lakeinfra({"plan"}, {{"LAKEINFRA_LOG", "debug"}});
  EXPECT_NE(debug.err.find("lakeinfra debug: http HEAD"), std::string::npos) << debug;
  for (const std::string& secret : {rgw_.secret_key}) {
    for (const fs::path& file : {dir_ / ".lakeinfra/state.db", dir_ / "saved.plan"}) {
      std::ifstream in(file, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_FALSE(bytes.empty()) << file;
      EXPECT_EQ(bytes.find(secret), std::string::npos) << file;
    }
    EXPECT_EQ(debug.err.find(secret), std::string::npos);
    EXPECT_EQ(debug.out.find(secret), std::string::npos);
  }

  // Clean up through lakeinfra itself: everything is empty, so destroy needs no force.
  auto destroy = lakeinfra({"destroy", "--auto-approve"});
  EXPECT_EQ(destroy.exit_code, 0) << destroy;
  EXPECT_NE(aws({"s3api", "head-bucket", "--bucket", bucket("bronze")}).exit_code, 0);
}

TEST_F(S3LakeTest, DriftMadeWithAnotherClientIsDetectedAndRepaired) {
  write_config();
  ASSERT_EQ(lakeinfra({"apply", "--auto-approve"}).exit_code, 0);
  ASSERT_EQ(aws({"s3api", "put-bucket-tagging", "--bucket", bucket("gold"), "--tagging",
                 "TagSet=[{Key=lakeinfra:managed-by,Value=lakeinfra},{Key=lakeinfra:tier,"
                 "Value=public},{Key=cost-centre,Value=42}]"})
                .exit_code,
            0);
  ASSERT_EQ(
      aws({"s3api", "delete-object", "--bucket", bucket("bronze"), "--key", "raw/"}).exit_code, 0);
  ASSERT_EQ(aws({"s3api", "put-bucket-versioning", "--bucket", bucket("bronze"),
                 "--versioning-configuration", "Status=Suspended"})
                .exit_code,
            0);

  auto plan = lakeinfra({"plan", "--detailed-exitcode"});
  EXPECT_EQ(plan.exit_code, 2) << plan;
  EXPECT_NE(plan.out.find("Objects have changed outside of lakeinfra"), std::string::npos);
  EXPECT_NE(plan.out.find("\"lakeinfra:tier\":\"public\""), std::string::npos) << plan;
  EXPECT_NE(plan.out.find("versioning = true -> false"), std::string::npos) << plan;
  EXPECT_NE(plan.out.find("# container.bronze.raw will be created"), std::string::npos) << plan;
  EXPECT_NE(plan.out.find("Plan: 1 to add, 2 to change, 0 to destroy."), std::string::npos);

  ASSERT_EQ(lakeinfra({"apply", "--auto-approve"}).exit_code, 0);
  EXPECT_EQ(lakeinfra({"plan", "--detailed-exitcode"}).exit_code, 0);
  // lakeinfra rewrote its own tags and kept the foreign one.
  auto tags = aws({"s3api", "get-bucket-tagging", "--bucket", bucket("gold")});
  EXPECT_NE(tags.out.find("\"cost-centre\""), std::string::npos) << tags;
  EXPECT_NE(tags.out.find("\"internal\""), std::string::npos) << tags;
  EXPECT_EQ(lakeinfra({"destroy", "--auto-approve"}).exit_code, 0);
}

TEST_F(S3LakeTest, NonEmptyBucketAndPrefixAreProtectedThenForceDestroyRemovesAllVersions) {
  write_config();
  ASSERT_EQ(lakeinfra({"apply", "--auto-approve"}).exit_code, 0);
  // Two versions of one object, then a delete marker: only old versions remain, still data.
  fs::path file = dir_ / "v.csv";
  std::ofstream(file) << "1\n";
  std::string url = "s3://" + bucket("bronze") + "/raw/v.csv";
  ASSERT_EQ(aws({"s3", "cp", file.string(), url}).exit_code, 0);
  ASSERT_EQ(aws({"s3", "cp", file.string(), url}).exit_code, 0);
  ASSERT_EQ(aws({"s3", "rm", url}).exit_code, 0);

  int64_t serial = state_serial();
  write_config(/*bronze_force_destroy=*/false, /*with_gold=*/true);
  auto destroy = lakeinfra({"destroy", "--auto-approve"});
  EXPECT_EQ(destroy.exit_code, 1) << destroy;
  EXPECT_NE(destroy.err.find("refusing to delete container.bronze.raw: s3://" + bucket("bronze") +
                             "/raw/ holds 2 entries"),
            std::string::npos)
      << destroy;
  EXPECT_EQ(state_serial(), serial) << "a refused plan changes nothing";
  EXPECT_EQ(aws({"s3api", "head-bucket", "--bucket", bucket("bronze")}).exit_code, 0);

  // force_destroy in the config alone is not enough; applied into state, it is.
  write_config(/*bronze_force_destroy=*/true);
  EXPECT_EQ(lakeinfra({"destroy", "--auto-approve"}).exit_code, 1);
  ASSERT_EQ(lakeinfra({"apply", "--auto-approve"}).exit_code, 0);
  auto forced = lakeinfra({"destroy", "--auto-approve"});
  ASSERT_EQ(forced.exit_code, 0) << forced;
  EXPECT_NE(forced.out.find("Destroy complete! Resources: 5 destroyed."), std::string::npos);
  EXPECT_NE(aws({"s3api", "head-bucket", "--bucket", bucket("bronze")}).exit_code, 0);
}

TEST_F(S3LakeTest, WrongSecretKeyIsAClearAuthenticationErrorAndChangesNoState) {
  write_config();
  ASSERT_EQ(lakeinfra({"plan"}).exit_code, 0);  // creates the empty state
  int64_t serial = state_serial();
  auto apply =
      lakeinfra({"apply", "--auto-approve"}, {{"AWS_SECRET_ACCESS_KEY", "not-the-secret-key"}});
  EXPECT_EQ(apply.exit_code, 1) << apply;
  // RGW with STS enabled answers a bad signature with AccessDenied (see the how-to).
  EXPECT_NE(apply.out.find("CreateBucket " + bucket("bronze") + ": HTTP 403"), std::string::npos)
      << apply;
  EXPECT_EQ(apply.out.find("not-the-secret-key"), std::string::npos);
  EXPECT_EQ(apply.err.find("not-the-secret-key"), std::string::npos);
  EXPECT_EQ(state_serial(), serial);
  EXPECT_NE(aws({"s3api", "head-bucket", "--bucket", bucket("bronze")}).exit_code, 0);
}

}  // namespace
}  // namespace lakeinfra::test_support
