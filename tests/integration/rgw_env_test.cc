// Unit tests (no server) of the harness's s3.env reader and bucket names.

#include "tests/support/rgw_env.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace lakeinfra::test_support {
namespace {

constexpr const char* kWritten = R"(# Written by rgw-up.sh: the throw-away test RGW.
export S3_ENDPOINT=http://127.0.0.1:31095
export AWS_ACCESS_KEY_ID=0555b35654ad1656d804
export AWS_SECRET_ACCESS_KEY='h7GhxuBLTrlhVUyxSPUKUV8r/2EI4ngqJxD7iBdBYLhwluN30JaT3Q=='
export AWS_DEFAULT_REGION=us-east-1
export AWS_REGION=us-east-1
export RGW_USER=lakeinfra-test
export CEPH_CONF=/work/build/rgw/ceph.conf
)";

TEST(ParseRgwEnv, ReadsWhatRgwUpWrites) {
  auto env = parse_rgw_env(kWritten);
  ASSERT_TRUE(env) << env.error();
  EXPECT_EQ(env->endpoint, "http://127.0.0.1:31095");
  EXPECT_EQ(env->host, "127.0.0.1");
  EXPECT_EQ(env->port, 31095);
  EXPECT_EQ(env->access_key, "0555b35654ad1656d804");
  EXPECT_EQ(env->secret_key, "h7GhxuBLTrlhVUyxSPUKUV8r/2EI4ngqJxD7iBdBYLhwluN30JaT3Q==");
  EXPECT_EQ(env->region, "us-east-1");
  EXPECT_EQ(env->user, "lakeinfra-test");
  EXPECT_EQ(env->ceph_conf, "/work/build/rgw/ceph.conf");
  EXPECT_EQ(env->dir, "/work/build/rgw");
  EXPECT_EQ(env->aws_environment().at("AWS_SECRET_ACCESS_KEY"), env->secret_key);
  EXPECT_EQ(env->aws_environment().at("AWS_CONFIG_FILE"), "/dev/null");
}

TEST(ParseRgwEnv, PlainAssignmentsAndCarriageReturns) {
  auto env = parse_rgw_env(
      "S3_ENDPOINT=http://127.0.0.1:7480\r\nAWS_ACCESS_KEY_ID=AK\r\nAWS_SECRET_ACCESS_KEY=SK\r\n"
      "AWS_DEFAULT_REGION=eu-west-2\r\nRGW_USER=u\r\nCEPH_CONF=/c/ceph.conf");
  ASSERT_TRUE(env) << env.error();
  EXPECT_EQ(env->port, 7480);
  EXPECT_EQ(env->secret_key, "SK");
  EXPECT_EQ(env->region, "eu-west-2");
}

TEST(ParseRgwEnv, NamesTheMissingVariable) {
  std::string text = kWritten;
  text.erase(text.find("export RGW_USER"), std::string("export RGW_USER=lakeinfra-test\n").size());
  auto env = parse_rgw_env(text);
  ASSERT_FALSE(env);
  EXPECT_EQ(env.error(), "RGW_USER is missing");
}

TEST(ParseRgwEnv, RefusesAnyHostButLoopback) {
  for (const char* endpoint :
       {"http://10.0.0.5:7480", "https://127.0.0.1:7480", "http://localhost:7480",
        "http://127.0.0.1:", "http://127.0.0.1:99999", "http://127.0.0.1:80/x"}) {
    std::string text = std::string("S3_ENDPOINT=") + endpoint +
                       "\nAWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=b\nAWS_DEFAULT_REGION=r\n"
                       "RGW_USER=u\nCEPH_CONF=/c\n";
    auto env = parse_rgw_env(text);
    ASSERT_FALSE(env) << endpoint;
    EXPECT_EQ(env.error(), std::string("S3_ENDPOINT must be http://127.0.0.1:PORT (tests only "
                                       "talk to this machine), got \"") +
                               endpoint + "\"");
  }
}

TEST(ParseRgwEnv, PointsAtAnUnreadableLine) {
  auto bad = parse_rgw_env("# header\n\nexport S3_ENDPOINT\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "line 3: expected NAME=value, got \"S3_ENDPOINT\"");
  auto quote = parse_rgw_env("AWS_SECRET_ACCESS_KEY='abc\n");
  ASSERT_FALSE(quote);
  EXPECT_EQ(quote.error(), "line 1: unterminated quote");
}

TEST(LastAwsResponse, StatusAndCodeOfTheLastResponse) {
  // Excerpts of `aws --debug s3api delete-bucket` against RGW.
  std::string log =
      R"(2026-11-21 15:35:04,101 - MainThread - urllib3.connectionpool - DEBUG - http://127.0.0.1:17679 "GET /bkt1?list-type=2 HTTP/1.1" 200 312
2026-11-21 15:35:05,545 - MainThread - urllib3.connectionpool - DEBUG - http://127.0.0.1:17679 "DELETE /bkt1 HTTP/1.1" 409 235
2026-11-21 15:35:05,545 - MainThread - botocore.parsers - DEBUG - Response body:
b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>BucketNotEmpty</Code><Message></Message><BucketName>bkt1</BucketName></Error>'
Traceback (most recent call last):
TypeError: argument of type 'NoneType' is not iterable
)";
  AwsResponse response = last_aws_response(log);
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(response.code, "BucketNotEmpty");

  AwsResponse head = last_aws_response(
      R"(DEBUG - http://127.0.0.1:1 "HEAD /nope HTTP/1.1" 404 0\nAn error occurred (404))");
  EXPECT_EQ(head.status, 404);
  EXPECT_EQ(head.code, "");

  EXPECT_EQ(last_aws_response("Could not connect to the endpoint URL").status, 0);
}

TEST(UniqueBucketName, ValidAndDistinct) {
  std::set<std::string> names;
  for (int i = 0; i < 100; ++i)
    names.insert(unique_bucket_name("Smoke_Test"));
  EXPECT_EQ(names.size(), 100u);
  for (const auto& name : names) {
    EXPECT_EQ(name.rfind("smoke-test-", 0), 0u) << name;
    EXPECT_LE(name.size(), 63u);
    for (char c : name)
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << name;
  }
  std::string longest = unique_bucket_name(std::string(80, 'a'));
  EXPECT_EQ(longest.size(), 63u);
  EXPECT_EQ(unique_bucket_name("-x").front(), 't');
}

}  // namespace
}  // namespace lakeinfra::test_support
