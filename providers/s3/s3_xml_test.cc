#include "providers/s3/s3_xml.h"

#include <gtest/gtest.h>

namespace lakeinfra::providers::s3 {
namespace {

constexpr const char* kNs = R"( xmlns="http://s3.amazonaws.com/doc/2006-03-01/")";

std::string with_ns(const std::string& open_tag, const std::string& rest) {
  return "<" + open_tag + kNs + ">" + rest;
}

TEST(S3Xml, RequestBodies) {
  EXPECT_EQ(tagging_xml({{"lakeinfra:zone", "bronze"}, {"a&b", "<x>"}}),
            with_ns("Tagging",
                    "<TagSet><Tag><Key>a&amp;b</Key><Value>&lt;x&gt;</Value></Tag>"
                    "<Tag><Key>lakeinfra:zone</Key><Value>bronze</Value></Tag>"
                    "</TagSet></Tagging>"));
  EXPECT_EQ(
      versioning_xml(Versioning::kEnabled),
      with_ns("VersioningConfiguration", "<Status>Enabled</Status></VersioningConfiguration>"));
  EXPECT_EQ(
      versioning_xml(Versioning::kSuspended),
      with_ns("VersioningConfiguration", "<Status>Suspended</Status></VersioningConfiguration>"));
  EXPECT_EQ(create_bucket_xml("eu-west-2"),
            with_ns("CreateBucketConfiguration",
                    "<LocationConstraint>eu-west-2</LocationConstraint>"
                    "</CreateBucketConfiguration>"));
  EXPECT_EQ(delete_objects_xml({{"raw/", ""}, {"a&b.txt", "v1"}}),
            with_ns("Delete",
                    "<Quiet>false</Quiet><Object><Key>raw/</Key></Object>"
                    "<Object><Key>a&amp;b.txt</Key><VersionId>v1</VersionId></Object>"
                    "</Delete>"));
}

TEST(S3Xml, Tagging) {
  auto tags = parse_tagging(
      R"(<?xml version="1.0" encoding="UTF-8"?><Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      "<TagSet><Tag><Key>lakeinfra:tier</Key><Value>sensitive</Value></Tag>"
      "<Tag><Key>empty</Key><Value></Value></Tag></TagSet></Tagging>");
  ASSERT_TRUE(tags) << tags.error();
  EXPECT_EQ(*tags, (Tags{{"lakeinfra:tier", "sensitive"}, {"empty", ""}}));
  auto none = parse_tagging("<Tagging><TagSet/></Tagging>");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(S3Xml, Versioning) {
  EXPECT_EQ(parse_versioning(R"(<VersioningConfiguration xmlns="x"/>)").value(),
            Versioning::kNever);
  EXPECT_EQ(parse_versioning("<VersioningConfiguration><Status>Enabled</Status>"
                             "<MfaDelete>Disabled</MfaDelete></VersioningConfiguration>")
                .value(),
            Versioning::kEnabled);
  EXPECT_EQ(parse_versioning(
                "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>")
                .value(),
            Versioning::kSuspended);
  EXPECT_EQ(
      parse_versioning("<VersioningConfiguration><Status>Maybe</Status></VersioningConfiguration>")
          .error(),
      "unknown versioning status \"Maybe\"");
}

TEST(S3Xml, ListObjectsV2) {
  auto page = parse_list_objects_v2(
      R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>)"
      "<Prefix>raw/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36"
      "Hy4vbOwM=</NextContinuationToken>"
      "<Contents><Key>raw/</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>"
      "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size>"
      "<StorageClass>STANDARD</StorageClass></Contents>"
      "<Contents><Key>raw/a b.csv</Key><Size>12345678901</Size></Contents>"
      "<CommonPrefixes><Prefix>raw/2024/</Prefix></CommonPrefixes>"
      "<CommonPrefixes><Prefix>raw/2025/</Prefix></CommonPrefixes></ListBucketResult>");
  ASSERT_TRUE(page) << page.error();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "raw/");
  EXPECT_EQ(page->objects[0].size, 0u);
  EXPECT_EQ(page->objects[0].etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
  EXPECT_EQ(page->objects[0].last_modified, "2024-01-02T03:04:05.000Z");
  EXPECT_EQ(page->objects[1].key, "raw/a b.csv");
  EXPECT_EQ(page->objects[1].size, 12345678901u);
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"raw/2024/", "raw/2025/"}));
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

  EXPECT_EQ(parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated>"
                                  "</ListBucketResult>")
                .error(),
            "a truncated listing without NextContinuationToken");
  EXPECT_EQ(parse_list_objects_v2("<Error><Code>x</Code></Error>").error(),
            "expected <ListBucketResult>, got <Error>");
  EXPECT_EQ(parse_list_objects_v2("").error().substr(0, 14), "malformed XML ");
}

TEST(S3Xml, ListVersionsKeepsVersionsAndDeleteMarkersInOrder) {
  auto page = parse_list_versions(
      "<ListVersionsResult><Name>b</Name><IsTruncated>true</IsTruncated>"
      "<NextKeyMarker>raw/b</NextKeyMarker><NextVersionIdMarker>v3</NextVersionIdMarker>"
      "<DeleteMarker><Key>raw/a</Key><VersionId>v9</VersionId><IsLatest>true</IsLatest>"
      "<LastModified>2024-01-02T00:00:00.000Z</LastModified></DeleteMarker>"
      "<Version><Key>raw/a</Key><VersionId>v8</VersionId><IsLatest>false</IsLatest>"
      "<ETag>\"e\"</ETag><Size>3</Size></Version>"
      "<Version><Key>raw/b</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>"
      "<Size>0</Size></Version>"
      "<CommonPrefixes><Prefix>raw/x/</Prefix></CommonPrefixes></ListVersionsResult>");
  ASSERT_TRUE(page) << page.error();
  ASSERT_EQ(page->versions.size(), 3u);
  EXPECT_TRUE(page->versions[0].delete_marker);
  EXPECT_TRUE(page->versions[0].is_latest);
  EXPECT_EQ(page->versions[0].version_id, "v9");
  EXPECT_FALSE(page->versions[1].delete_marker);
  EXPECT_EQ(page->versions[1].size, 3u);
  EXPECT_EQ(page->versions[1].etag, "\"e\"");
  EXPECT_EQ(page->versions[2].version_id, "null");
  EXPECT_EQ(page->common_prefixes, std::vector<std::string>{"raw/x/"});
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_key_marker, "raw/b");
  EXPECT_EQ(page->next_version_id_marker, "v3");
}

TEST(S3Xml, DeleteResultWithPerKeyErrors) {
  auto result = parse_delete_result(
      R"(<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      "<Deleted><Key>raw/</Key></Deleted>"
      "<Deleted><Key>a</Key><VersionId>v1</VersionId><DeleteMarker>true</DeleteMarker></Deleted>"
      "<Error><Key>locked</Key><VersionId>v2</VersionId><Code>AccessDenied</Code>"
      "<Message>Access Denied</Message></Error></DeleteResult>");
  ASSERT_TRUE(result) << result.error();
  EXPECT_EQ(result->deleted, (std::vector<ObjectId>{{"raw/", ""}, {"a", "v1"}}));
  ASSERT_EQ(result->errors.size(), 1u);
  EXPECT_EQ(result->errors[0].key, "locked");
  EXPECT_EQ(result->errors[0].version_id, "v2");
  EXPECT_EQ(result->errors[0].code, "AccessDenied");
  EXPECT_EQ(result->errors[0].message, "Access Denied");
}

TEST(S3Xml, VersioningNames) {
  EXPECT_STREQ(versioning_name(Versioning::kNever), "never");
  EXPECT_STREQ(versioning_name(Versioning::kEnabled), "enabled");
  EXPECT_STREQ(versioning_name(Versioning::kSuspended), "suspended");
}

}  // namespace
}  // namespace lakeinfra::providers::s3
