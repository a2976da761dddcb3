// S3Client + CurlClient against a real Ceph RGW, which checks signatures strictly. Skipped unless
// LAKEINFRA_RGW_ENV names the s3.env file that tests/support/rgw/rgw-up.sh writes (ctest sets
// it when the `rgw` fixture runs). Every test uses its own bucket and removes it.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/system.h"
#include "providers/http/curl_client.h"
#include "providers/s3/s3_client.h"

namespace lakeinfra::providers::s3 {
namespace {

/// The `export NAME=value` lines of an s3.env file (values may be single-quoted).
std::map<std::string, std::string> read_env_file(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("export "))
      line.erase(0, 7);
    size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos)
      continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
      value = value.substr(1, value.size() - 2);
    out[line.substr(0, eq)] = value;
  }
  return out;
}

/// Whether the RGW of this ceph.conf has its STS engine on (`rgw s3 auth use sts = true`). Then
/// it answers a bad signature or an unknown key with AccessDenied: the STS engine, tried after
/// the local one, has the last word. Without STS it says SignatureDoesNotMatch /
/// InvalidAccessKeyId.
bool sts_enabled(const std::string& ceph_conf) {
  std::ifstream in(ceph_conf);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("rgw s3 auth use sts") != std::string::npos &&
        line.find("true") != std::string::npos && line.find('#') == std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string unique_bucket(const std::string& prefix) {
  static std::atomic<int> counter{0};
  static const std::string run = [] {
    std::mt19937 gen{std::random_device{}()};
    std::string s;
    for (int i = 0; i < 6; ++i)
      s.push_back(static_cast<char>('a' + gen() % 26));
    return s;
  }();
  return "s3c-" + prefix + "-" + std::to_string(::getpid()) + "-" + run + "-" +
         std::to_string(counter++);
}

class RgwS3Client : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("LAKEINFRA_RGW_ENV");
    if (path == nullptr || *path == '\0')
      GTEST_SKIP() << "LAKEINFRA_RGW_ENV is not set (run through ctest, or point it at the s3.env "
                      "of tests/support/rgw/rgw-up.sh)";
    auto env = read_env_file(path);
    ASSERT_TRUE(env.count("S3_ENDPOINT") && env.count("AWS_ACCESS_KEY_ID") &&
                env.count("AWS_SECRET_ACCESS_KEY"))
        << path << " lacks S3_ENDPOINT, AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY";
    config_.endpoint = env["S3_ENDPOINT"];
    config_.region = env.count("AWS_DEFAULT_REGION") ? env["AWS_DEFAULT_REGION"] : "us-east-1";
    config_.addressing = Addressing::kPath;
    credentials_ = Credentials{env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""};
    user_ = env.count("RGW_USER") ? env["RGW_USER"] : "";
    sts_enabled_ = env.count("CEPH_CONF") && sts_enabled(env["CEPH_CONF"]);
    client_ = make(credentials_);
  }

  void TearDown() override {
    for (const auto& bucket : buckets_)
      purge(bucket);
  }

  std::unique_ptr<S3Client> make(const Credentials& credentials) {
    auto made = S3Client::create(http_, credentials, config_, clock_);
    EXPECT_TRUE(made) << made.error().str();
    return made ? std::move(*made) : nullptr;
  }

  /// A new bucket, removed with everything in it after the test.
  std::string create_bucket(const std::string& prefix) {
    std::string bucket = unique_bucket(prefix);
    auto created = client_->create_bucket(bucket);
    EXPECT_TRUE(created) << created.error().str();
    buckets_.push_back(bucket);
    return bucket;
  }

  /// Every version and delete marker under `prefix`, all pages.
  std::vector<ObjectVersion> all_versions(const std::string& bucket,
                                          const std::string& prefix = {}) {
    std::vector<ObjectVersion> out;
    ListVersionsRequest request;
    request.prefix = prefix;
    for (int page = 0; page < 100; ++page) {
      auto result = client_->list_object_versions(bucket, request);
      EXPECT_TRUE(result) << result.error().str();
      if (!result)
        break;
      out.insert(out.end(), result->versions.begin(), result->versions.end());
      if (!result->truncated)
        break;
      request.key_marker = result->next_key_marker;
      request.version_id_marker = result->next_version_id_marker;
    }
    return out;
  }

  void purge(const std::string& bucket) {
    auto exists = client_->head_bucket(bucket);
    if (!exists || !*exists)
      return;
    std::vector<ObjectId> ids;
    for (const auto& v : all_versions(bucket))
      ids.push_back({v.key, v.version_id});
    for (size_t i = 0; i < ids.size(); i += 1000) {
      std::vector<ObjectId> batch(
          ids.begin() + static_cast<std::ptrdiff_t>(i),
          ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + 1000)));
      EXPECT_TRUE(client_->delete_objects(bucket, batch));
    }
    auto deleted = client_->delete_bucket(bucket);
    EXPECT_TRUE(deleted) << deleted.error().str();
  }

  http::CurlClient http_;
  config::SystemClock clock_;
  S3ClientConfig config_;
  Credentials credentials_;
  std::unique_ptr<S3Client> client_;
  std::vector<std::string> buckets_;
  std::string user_;
  bool sts_enabled_ = false;
};

TEST_F(RgwS3Client, BucketLifecycleTagsAndVersioning) {
  std::string bucket = unique_bucket("life");
  auto before = client_->head_bucket(bucket);
  ASSERT_TRUE(before) << before.error().str();
  EXPECT_FALSE(*before);

  ASSERT_TRUE(client_->create_bucket(bucket));
  buckets_.push_back(bucket);
  auto again = client_->create_bucket(bucket);  // ours already: success
  EXPECT_TRUE(again) << again.error().str();
  auto after = client_->head_bucket(bucket);
  ASSERT_TRUE(after) << after.error().str();
  EXPECT_TRUE(*after);

  // Tagging.
  auto no_tags = client_->get_bucket_tagging(bucket);
  ASSERT_TRUE(no_tags) << no_tags.error().str();
  EXPECT_TRUE(no_tags->empty());
  Tags tags = {{"lakeinfra:lake", "healthetl"},
               {"lakeinfra:zone", "bronze"},
               {"lakeinfra:tier", "sensitive"},
               {"lakeinfra:managed-by", "lakeinfra"}};
  auto put_tags = client_->put_bucket_tagging(bucket, tags);
  ASSERT_TRUE(put_tags) << put_tags.error().str();
  auto got_tags = client_->get_bucket_tagging(bucket);
  ASSERT_TRUE(got_tags) << got_tags.error().str();
  EXPECT_EQ(*got_tags, tags);
  tags["lakeinfra:tier"] = "internal";
  ASSERT_TRUE(client_->put_bucket_tagging(bucket, tags));
  EXPECT_EQ(client_->get_bucket_tagging(bucket).value(), tags);
  auto cleared = client_->put_bucket_tagging(bucket, {});
  ASSERT_TRUE(cleared) << cleared.error().str();
  EXPECT_TRUE(client_->get_bucket_tagging(bucket).value().empty());

  // Versioning.
  auto never = client_->get_bucket_versioning(bucket);
  ASSERT_TRUE(never) << never.error().str();
  EXPECT_EQ(*never, Versioning::kNever);
  auto enable = client_->put_bucket_versioning(bucket, Versioning::kEnabled);
  ASSERT_TRUE(enable) << enable.error().str();
  EXPECT_EQ(client_->get_bucket_versioning(bucket).value(), Versioning::kEnabled);
  ASSERT_TRUE(client_->put_bucket_versioning(bucket, Versioning::kSuspended));
  EXPECT_EQ(client_->get_bucket_versioning(bucket).value(), Versioning::kSuspended);
  ASSERT_TRUE(client_->put_bucket_versioning(bucket, Versioning::kEnabled));

  // Deleting a bucket that does not exist.
  auto gone = client_->delete_bucket(unique_bucket("never-made"));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, S3FailureKind::kNotFound);
  EXPECT_EQ(gone.error().status, 404);
  EXPECT_EQ(gone.error().code, "NoSuchBucket");
}

TEST_F(RgwS3Client, ObjectsListingsVersionsAndBatchDelete) {
  std::string bucket = create_bucket("objects");
  ASSERT_TRUE(client_->put_bucket_versioning(bucket, Versioning::kEnabled));

  // Markers and objects, with keys that need encoding.
  const std::vector<std::string> keys = {"raw/", "raw/2024/01/part-0.csv", "raw/a b+c=d&e~é.csv",
                                         "landing/"};
  for (const auto& key : keys) {
    auto put = client_->put_object(bucket, key, key.ends_with("/") ? "" : "data of " + key,
                                   key.ends_with("/") ? "" : "text/csv");
    ASSERT_TRUE(put) << put.error().str();
    EXPECT_FALSE(put->version_id.empty()) << key;
  }
  auto info = client_->head_object(bucket, "raw/a b+c=d&e~é.csv");
  ASSERT_TRUE(info) << info.error().str();
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->size, std::string("data of raw/a b+c=d&e~é.csv").size());
  EXPECT_EQ((*info)->content_type, "text/csv");
  auto marker = client_->head_object(bucket, "raw/");
  ASSERT_TRUE(marker && marker->has_value());
  EXPECT_EQ((*marker)->size, 0u);
  auto missing = client_->head_object(bucket, "raw/missing");
  ASSERT_TRUE(missing) << missing.error().str();
  EXPECT_FALSE(missing->has_value());

  // List v2 with prefix and delimiter.
  ListObjectsRequest request;
  request.prefix = "raw/";
  request.delimiter = "/";
  auto page = client_->list_objects_v2(bucket, request);
  ASSERT_TRUE(page) << page.error().str();
  std::vector<std::string> listed;
  for (const auto& o : page->objects)
    listed.push_back(o.key);
  EXPECT_EQ(listed, (std::vector<std::string>{"raw/", "raw/a b+c=d&e~é.csv"}));
  EXPECT_EQ(page->common_prefixes, std::vector<std::string>{"raw/2024/"});
  EXPECT_FALSE(page->truncated);
  // Top level: only common prefixes.
  ListObjectsRequest top;
  top.delimiter = "/";
  auto roots = client_->list_objects_v2(bucket, top);
  ASSERT_TRUE(roots) << roots.error().str();
  EXPECT_TRUE(roots->objects.empty());
  EXPECT_EQ(roots->common_prefixes, (std::vector<std::string>{"landing/", "raw/"}));

  // Pagination, one key per page.
  ListObjectsRequest paged;
  paged.max_keys = 1;
  std::set<std::string> all;
  int pages = 0;
  for (; pages < 20; ++pages) {
    auto p = client_->list_objects_v2(bucket, paged);
    ASSERT_TRUE(p) << p.error().str();
    for (const auto& o : p->objects)
      all.insert(o.key);
    if (!p->truncated)
      break;
    paged.continuation_token = p->next_continuation_token;
  }
  EXPECT_EQ(all, std::set<std::string>(keys.begin(), keys.end()));
  EXPECT_GE(pages, 3);

  // A second version and a delete marker.
  ASSERT_TRUE(client_->put_object(bucket, "raw/2024/01/part-0.csv", "v2"));
  auto deleted = client_->delete_object(bucket, "raw/2024/01/part-0.csv");
  ASSERT_TRUE(deleted) << deleted.error().str();
  EXPECT_TRUE(deleted->delete_marker);
  auto versions = all_versions(bucket);
  int markers = 0, objects = 0;
  for (const auto& v : versions)
    (v.delete_marker ? markers : objects)++;
  EXPECT_EQ(markers, 1);
  EXPECT_EQ(objects, 5);
  auto hidden = client_->head_object(bucket, "raw/2024/01/part-0.csv");
  ASSERT_TRUE(hidden);
  EXPECT_FALSE(hidden->has_value());

  // Not empty: refused.
  auto refused = client_->delete_bucket(bucket);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, S3FailureKind::kConflict);
  EXPECT_EQ(refused.error().code, "BucketNotEmpty");

  // Every version and marker in one batch, then the bucket.
  std::vector<ObjectId> ids;
  for (const auto& v : versions)
    ids.push_back({v.key, v.version_id});
  auto batch = client_->delete_objects(bucket, ids);
  ASSERT_TRUE(batch) << batch.error().str();
  EXPECT_TRUE(batch->errors.empty()) << batch->errors.front().code;
  EXPECT_EQ(batch->deleted.size(), ids.size());
  EXPECT_TRUE(all_versions(bucket).empty());
  auto removed = client_->delete_bucket(bucket);
  ASSERT_TRUE(removed) << removed.error().str();
  EXPECT_FALSE(client_->head_bucket(bucket).value());
}

TEST_F(RgwS3Client, WrongSecretKeyIsAnAuthFailure) {
  std::string bucket = create_bucket("auth");
  Credentials wrong = credentials_;
  wrong.secret_access_key = "not-the-secret-key-0000000000000000000000";
  auto bad = make(wrong);
  ASSERT_TRUE(bad);
  auto result = bad->put_bucket_tagging(bucket, {{"k", "v"}});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, S3FailureKind::kAuth) << result.error().str();
  EXPECT_EQ(result.error().status, 403) << result.error().str();
  EXPECT_EQ(result.error().code, sts_enabled_ ? "AccessDenied" : "SignatureDoesNotMatch")
      << result.error().str() << (sts_enabled_ ? " (RGW with STS on)" : " (RGW without STS)");
  EXPECT_EQ(result.error().attempts, 1);
  EXPECT_EQ(result.error().str().find(wrong.secret_access_key), std::string::npos);
  std::cerr << "  RGW" << (sts_enabled_ ? " (STS on)" : "") << " says: " << result.error().str()
            << "\n";
  // Nothing changed.
  EXPECT_TRUE(client_->get_bucket_tagging(bucket).value().empty());

  Credentials unknown = credentials_;
  unknown.access_key_id = "AKIDNOTKNOWNTORGW000";
  auto stranger = make(unknown);
  auto listing = stranger->list_objects_v2(bucket);
  ASSERT_FALSE(listing);
  EXPECT_EQ(listing.error().kind, S3FailureKind::kAuth) << listing.error().str();
  EXPECT_EQ(listing.error().status, 403);
  EXPECT_EQ(listing.error().code, sts_enabled_ ? "AccessDenied" : "InvalidAccessKeyId")
      << listing.error().str();
}

TEST_F(RgwS3Client, ParallelWorkersShareOneClient) {
  std::string bucket = create_bucket("parallel");
  constexpr int kThreads = 8, kObjects = 10;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kObjects; ++i) {
        std::string key = "w" + std::to_string(t) + "/o" + std::to_string(i);
        if (client_->put_object(bucket, key, key))
          ++ok;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(ok.load(), kThreads * kObjects);
  EXPECT_LE(http_.handles_created(), static_cast<size_t>(kThreads + 1));
  ListObjectsRequest request;
  auto page = client_->list_objects_v2(bucket, request);
  ASSERT_TRUE(page) << page.error().str();
  EXPECT_EQ(page->objects.size(), static_cast<size_t>(kThreads * kObjects));
}

/// An IAM call: POST / with a form body, service "iam" in the signature scope.
CallRequest iam(const std::string& operation, const std::string& parameters, bool idempotent) {
  CallRequest request;
  request.operation = operation;
  request.service = "iam";
  request.method = "POST";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = "Action=" + operation + "&" + parameters + "&Version=2010-05-08";
  request.idempotent = idempotent;
  return request;
}

TEST_F(RgwS3Client, GenericCallSpeaksIam) {
  ASSERT_FALSE(user_.empty()) << "s3.env lacks RGW_USER";
  const std::string role = unique_bucket("role");
  const std::string trust =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":)"
      R"(["arn:aws:iam:::user/)" +
      user_ + R"("]},"Action":["sts:AssumeRole"]}]})";

  auto missing = client_->call(iam("GetRole", "RoleName=" + role, true));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().status, 404) << missing.error().str();
  EXPECT_EQ(missing.error().kind, S3FailureKind::kNotFound) << missing.error().str();
  EXPECT_EQ(missing.error().code, "NoSuchEntity") << missing.error().str();

  auto created = client_->call(
      iam("CreateRole",
          "AssumeRolePolicyDocument=" + uri_encode(trust, false) + "&Path=%2F&RoleName=" + role,
          false));
  ASSERT_TRUE(created) << created.error().str();
  EXPECT_NE(created->body.find("<RoleName>" + role + "</RoleName>"), std::string::npos)
      << created->body;
  auto duplicate = client_->call(
      iam("CreateRole",
          "AssumeRolePolicyDocument=" + uri_encode(trust, false) + "&Path=%2F&RoleName=" + role,
          false));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().kind, S3FailureKind::kConflict) << duplicate.error().str();
  EXPECT_EQ(duplicate.error().code, "EntityAlreadyExists") << duplicate.error().str();

  auto got = client_->call(iam("GetRole", "RoleName=" + role, true));
  ASSERT_TRUE(got) << got.error().str();
  EXPECT_NE(got->body.find("arn:aws:iam:::role/" + role), std::string::npos) << got->body;
  auto deleted = client_->call(iam("DeleteRole", "RoleName=" + role, true));
  ASSERT_TRUE(deleted) << deleted.error().str();
  auto after = client_->call(iam("GetRole", "RoleName=" + role, true));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().kind, S3FailureKind::kNotFound) << after.error().str();
}

}  // namespace
}  // namespace lakeinfra::providers::s3
