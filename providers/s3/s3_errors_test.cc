#include "providers/s3/s3_errors.h"

#include <gtest/gtest.h>

namespace lakeinfra::providers::s3 {
namespace {

TEST(ParseErrorBody, S3Shape) {
  ErrorBody e = parse_error_body(
      R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>)"
      R"(<BucketName>b1</BucketName><RequestId>4442587FB7D0A2F9</RequestId><HostId>h</HostId></Error>)");
  EXPECT_EQ(e.code, "NoSuchBucket");
  EXPECT_EQ(e.message, "The specified bucket does not exist");
  EXPECT_EQ(e.request_id, "4442587FB7D0A2F9");
}

TEST(ParseErrorBody, IamShape) {
  ErrorBody e = parse_error_body(
      R"(<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <Error><Type>Sender</Type><Code>NoSuchEntity</Code>
    <Message>The role with name lake-reader cannot be found.</Message></Error>
  <RequestId>a7c2e1d0-0000-4000-8000-000000000000</RequestId>
</ErrorResponse>)");
  EXPECT_EQ(e.code, "NoSuchEntity");
  EXPECT_EQ(e.message, "The role with name lake-reader cannot be found.");
  EXPECT_EQ(e.request_id, "a7c2e1d0-0000-4000-8000-000000000000");
}

TEST(ParseErrorBody, RgwEmptyMessage) {
  // What Ceph RGW sends, for S3 and IAM calls alike.
  ErrorBody e = parse_error_body(
      R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code>)"
      R"(<Message></Message><BucketName>b</BucketName>)"
      R"(<RequestId>tx00000a1b2c3d4e5f60718-0065a1b2c3-1014-default</RequestId>)"
      R"(<HostId>1014-default-default</HostId></Error>)");
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  EXPECT_EQ(e.message, "");
  EXPECT_EQ(e.request_id, "tx00000a1b2c3d4e5f60718-0065a1b2c3-1014-default");

  ErrorBody self_closing = parse_error_body("<Error><Code>AccessDenied</Code><Message/></Error>");
  EXPECT_EQ(self_closing.code, "AccessDenied");
  EXPECT_EQ(self_closing.message, "");
}

TEST(ParseErrorBody, HtmlFromAProxy) {
  ErrorBody e = parse_error_body(
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
      "Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
  EXPECT_EQ(e.code, "");
  EXPECT_EQ(e.message, "unexpected response: 502 Bad Gateway 502 Bad Gateway nginx");
  EXPECT_EQ(e.request_id, "");
}

TEST(ParseErrorBody, EmptyTextAndBrokenBodies) {
  EXPECT_EQ(parse_error_body("").message, "");
  EXPECT_EQ(parse_error_body("").code, "");
  EXPECT_EQ(parse_error_body("Service Unavailable").message,
            "unexpected response: Service Unavailable");
  ErrorBody truncated = parse_error_body("<Error><Code>SlowDown</Code><Mess");
  EXPECT_EQ(truncated.code, "");
  EXPECT_EQ(truncated.message, "unexpected response: SlowDown");
  EXPECT_EQ(parse_error_body(std::string(500, 'x')).message.size(),
            std::string("unexpected response: ").size() + 160 + 3);
}

TEST(Classify, StatusesAndCodes) {
  EXPECT_EQ(classify(404, "NoSuchBucket"), S3FailureKind::kNotFound);
  EXPECT_EQ(classify(404, "NoSuchKey"), S3FailureKind::kNotFound);
  EXPECT_EQ(classify(404, ""), S3FailureKind::kNotFound);  // HEAD: no body
  EXPECT_EQ(classify(403, "InvalidAccessKeyId"), S3FailureKind::kAuth);
  EXPECT_EQ(classify(403, "SignatureDoesNotMatch"), S3FailureKind::kAuth);
  EXPECT_EQ(classify(403, "AccessDenied"), S3FailureKind::kAuth);
  EXPECT_EQ(classify(403, ""), S3FailureKind::kAuth);
  EXPECT_EQ(classify(400, "ExpiredToken"), S3FailureKind::kAuth);
  EXPECT_EQ(classify(409, "BucketNotEmpty"), S3FailureKind::kConflict);
  EXPECT_EQ(classify(409, "BucketAlreadyExists"), S3FailureKind::kConflict);
  EXPECT_EQ(classify(409, "OperationAborted"), S3FailureKind::kConflict);
  EXPECT_EQ(classify(500, "InternalError"), S3FailureKind::kTransient);
  EXPECT_EQ(classify(502, ""), S3FailureKind::kTransient);
  EXPECT_EQ(classify(503, "SlowDown"), S3FailureKind::kTransient);
  EXPECT_EQ(classify(429, ""), S3FailureKind::kTransient);
  EXPECT_EQ(classify(400, "RequestTimeout"), S3FailureKind::kTransient);
  EXPECT_EQ(classify(400, "Throttling"), S3FailureKind::kTransient);
  EXPECT_EQ(classify(400, "MalformedXML"), S3FailureKind::kInvalid);
  EXPECT_EQ(classify(400, "InvalidBucketName"), S3FailureKind::kInvalid);
  EXPECT_EQ(classify(301, "PermanentRedirect"), S3FailureKind::kInvalid);
  EXPECT_EQ(classify(411, "MissingContentLength"), S3FailureKind::kInvalid);
  EXPECT_EQ(classify(http::ErrorKind::kConnect), S3FailureKind::kTransient);
  EXPECT_EQ(classify(http::ErrorKind::kTimeout), S3FailureKind::kTransient);
  EXPECT_EQ(classify(http::ErrorKind::kReset), S3FailureKind::kTransient);
  EXPECT_EQ(classify(http::ErrorKind::kTls), S3FailureKind::kInternal);
  EXPECT_EQ(classify(http::ErrorKind::kOther), S3FailureKind::kInternal);
}

TEST(S3Failure, MessageNamesOperationBucketStatusAndCode) {
  http::Response r;
  r.status = 403;
  r.body =
      "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
      "does not match the signature you provided.</Message></Error>";
  S3Failure f = failure_from_response("PutBucketTagging", "healthetl-dev01-bronze", "", r);
  EXPECT_EQ(f.kind, S3FailureKind::kAuth);
  EXPECT_EQ(f.str(),
            "PutBucketTagging healthetl-dev01-bronze: HTTP 403 SignatureDoesNotMatch: The "
            "request signature we calculated does not match the signature you provided.");
}

TEST(S3Failure, MessageOmitsEmptyParts) {
  http::Response head404;
  head404.status = 404;
  head404.headers = {{"x-amz-request-id", "tx1"}};
  S3Failure f = failure_from_response("HeadObject", "b", "raw/", head404);
  EXPECT_EQ(f.kind, S3FailureKind::kNotFound);
  EXPECT_EQ(f.request_id, "tx1");
  EXPECT_EQ(f.str(), "HeadObject b/raw/: HTTP 404 (request id tx1)");

  http::Response rgw;
  rgw.status = 403;
  rgw.body = "<Error><Code>AccessDenied</Code><Message/><RequestId>tx2</RequestId></Error>";
  S3Failure g = failure_from_response("CreateRole", "", "", rgw);
  g.attempts = 1;
  EXPECT_EQ(g.str(), "CreateRole: HTTP 403 AccessDenied (request id tx2)");

  S3Failure h;
  h.operation = "GetBucketVersioning";
  h.bucket = "b";
  h.status = 503;
  h.code = "SlowDown";
  h.attempts = 3;
  EXPECT_EQ(h.str(), "GetBucketVersioning b: HTTP 503 SlowDown (3 attempts)");
}

TEST(S3Failure, TransportFailure) {
  S3Failure f = failure_from_transport(
      "HeadBucket", "b", "",
      http::Error{http::ErrorKind::kConnect, "HEAD http://127.0.0.1:1/b: connect: refused"});
  EXPECT_EQ(f.kind, S3FailureKind::kTransient);
  EXPECT_EQ(f.status, 0);
  ASSERT_TRUE(f.transport);
  EXPECT_EQ(*f.transport, http::ErrorKind::kConnect);
  EXPECT_EQ(f.str(),
            "HeadBucket b: could not connect: HEAD http://127.0.0.1:1/b: connect: refused");
}

TEST(S3Failure, RedirectNamesTheBucketRegion) {
  http::Response r;
  r.status = 301;
  r.headers = {{"x-amz-bucket-region", "eu-west-2"}};
  r.body =
      "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access "
      "must be addressed using the specified endpoint.</Message></Error>";
  S3Failure f = failure_from_response("HeadBucket", "b", "", r);
  EXPECT_EQ(f.kind, S3FailureKind::kInvalid);
  EXPECT_NE(f.message.find("(the bucket is in region eu-west-2;"), std::string::npos) << f.message;
}

TEST(S3FailureKind, Names) {
  EXPECT_STREQ(s3_failure_kind_name(S3FailureKind::kNotFound), "not_found");
  EXPECT_STREQ(s3_failure_kind_name(S3FailureKind::kAuth), "auth");
  EXPECT_STREQ(s3_failure_kind_name(S3FailureKind::kConflict), "conflict");
  EXPECT_STREQ(s3_failure_kind_name(S3FailureKind::kTransient), "transient");
  EXPECT_STREQ(s3_failure_kind_name(S3FailureKind::kInvalid), "invalid");
  EXPECT_STREQ(s3_failure_kind_name(S3FailureKind::kInternal), "internal");
}

}  // namespace
}  // namespace lakeinfra::providers::s3
