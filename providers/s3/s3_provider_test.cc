#include "providers/s3/s3_provider.h"

#include <gtest/gtest.h>

#include "providers/http/fake_client.h"

namespace lakeinfra::providers::s3 {
namespace {

using http::FakeClient;

class S3ProviderTest : public ::testing::Test {
 protected:
  S3ProviderTest() {
    S3ClientConfig config;
    config.endpoint = "http://127.0.0.1:7480";
    config.retry.max_attempts = 1;
    auto client = S3Client::create(http_, {"AKID", "SECRET", ""}, config, clock_);
    EXPECT_TRUE(client.has_value());
    provider_ = make_s3_provider(nullptr, std::move(*client), fs_);
  }
  /// Answers ListObjectVersions with these (key, size, delete marker) entries.
  static std::string versions_xml(
      const std::vector<std::tuple<std::string, uint64_t, bool>>& entries) {
    std::string xml = "<ListVersionsResult><IsTruncated>false</IsTruncated>";
    for (const auto& [key, size, marker] : entries) {
      if (marker) {
        xml += "<DeleteMarker><Key>" + key + "</Key><VersionId>d1</VersionId></DeleteMarker>";
      } else {
        xml += "<Version><Key>" + key + "</Key><VersionId>v1</VersionId><Size>" +
               std::to_string(size) + "</Size></Version>";
      }
    }
    return xml + "</ListVersionsResult>";
  }
  config::ResourceRecord record(const std::string& type, const std::string& id) {
    config::ResourceRecord r;
    r.type = type;
    r.provider_id = id;
    return r;
  }

  config::ManualClock clock_;
  config::RealFileSystem fs_;
  FakeClient http_;
  std::unique_ptr<Provider> provider_;
};

TEST_F(S3ProviderTest, DescribesBucketsAndPrefixes) {
  EXPECT_EQ(provider_->describe("zone", "lake-dev-bronze"), "s3://lake-dev-bronze");
  EXPECT_EQ(provider_->describe("container", "lake-dev-bronze/raw"), "s3://lake-dev-bronze/raw/");
}

TEST_F(S3ProviderTest, DataCountSkipsMarkersAndDeleteMarkers) {
  http_.push(FakeClient::response(200, versions_xml({{"raw/", 0, false},
                                                     {"raw/a.csv", 10, false},
                                                     {"raw/b.csv", 0, true},
                                                     {"landing/", 0, false},
                                                     {"raw/old.csv", 5, false}})));
  auto n = provider_->count_data("zone", "lake-dev-bronze", {});
  ASSERT_TRUE(n.has_value()) << n.error().message;
  EXPECT_EQ(*n, 2u);
  ASSERT_EQ(http_.requests().size(), 1u);
  EXPECT_NE(http_.requests()[0].url.find("?versions"), std::string::npos);
}

TEST_F(S3ProviderTest, RemoveWithoutForceRefusesDataAndDeletesNothing) {
  http_.push(
      FakeClient::response(200, versions_xml({{"raw/", 0, false}, {"raw/a.csv", 1, false}})));
  auto r = provider_->remove(record("container", "lake-dev-bronze/raw"), /*force=*/false);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, FailureKind::kConflict);
  EXPECT_EQ(r.error().message,
            "s3://lake-dev-bronze/raw/ holds 1 object version; refusing to delete data");
  EXPECT_EQ(http_.requests().size(), 1u);  // only the listing
}

TEST_F(S3ProviderTest, RemoveOfEmptyPrefixDeletesEveryVersionOfItsMarker) {
  http_.push(FakeClient::response(200, versions_xml({{"raw/", 0, false}, {"raw/", 0, true}})));
  http_.push(FakeClient::response(200, "<DeleteResult/>"));
  auto r = provider_->remove(record("container", "lake-dev-bronze/raw"), false);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(http_.requests().size(), 2u);
  const auto& del = http_.requests()[1];
  EXPECT_EQ(del.method, "POST");
  EXPECT_NE(del.body.find("<VersionId>v1</VersionId>"), std::string::npos);
  EXPECT_NE(del.body.find("<VersionId>d1</VersionId>"), std::string::npos);
}

TEST_F(S3ProviderTest, AuthFailureIsAuthKindWithTheS3Code) {
  http_.push(FakeClient::response(
      403, "<Error><Code>SignatureDoesNotMatch</Code><Message></Message></Error>"));
  auto r = provider_->read("container", "lake-dev-bronze/raw");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, FailureKind::kAuth);
  EXPECT_NE(r.error().message.find("403"), std::string::npos) << r.error().message;
}

TEST_F(S3ProviderTest, InvalidIdsAreRefusedWithoutARequest) {
  EXPECT_FALSE(provider_->read("zone", "a/b").has_value());
  EXPECT_FALSE(provider_->read("container", "bucket").has_value());
  EXPECT_FALSE(provider_->read("role", "x").has_value());
  EXPECT_EQ(http_.requests().size(), 0u);
}

}  // namespace
}  // namespace lakeinfra::providers::s3
