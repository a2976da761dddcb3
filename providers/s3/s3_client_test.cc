// S3Client over a FakeClient and a ManualClock: the requests it builds, how it reads answers,
// and when it retries.

#include "providers/s3/s3_client.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "config/log.h"
#include "providers/http/fake_client.h"

namespace lakeinfra::providers::s3 {
namespace {

using http::FakeClient;
using std::chrono::milliseconds;

const Credentials kCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr const char* kEndpoint = "http://127.0.0.1:7480";
// ManualClock starts at 1'700'000'000 s after the epoch.
constexpr const char* kStartDate = "20231114T221320Z";

/// A ManualClock that remembers every sleep.
class RecordingClock : public config::ManualClock {
 public:
  void sleep_for(milliseconds d) override {
    sleeps.push_back(d);
    ManualClock::sleep_for(d);
  }
  std::vector<milliseconds> sleeps;
};

/// Value of the header `name` (any case) in a request, or "<none>".
std::string header(const http::Request& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return value;
    }
  }
  return "<none>";
}

http::Response ok(std::string body = {}, http::Headers headers = {}) {
  return FakeClient::response(200, std::move(body), std::move(headers));
}

http::Response error(long status, const std::string& code, const std::string& message = {}) {
  return FakeClient::response(status,
                              "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
                                  "</Code><Message>" + message + "</Message><RequestId>tx-" + code +
                                  "</RequestId></Error>",
                              {{"x-amz-request-id", "tx-" + code}});
}

S3ClientConfig region(const std::string& name) {
  S3ClientConfig config;
  config.endpoint = kEndpoint;
  config.region = name;
  return config;
}

S3ClientConfig retrying(int attempts, milliseconds base, milliseconds cap,
                        std::function<double()> jitter) {
  S3ClientConfig config;
  config.endpoint = kEndpoint;
  config.retry.max_attempts = attempts;
  config.retry.base_delay = base;
  config.retry.max_delay = cap;
  config.retry.jitter = std::move(jitter);
  return config;
}

/// A non-idempotent IAM call.
CallRequest create_role() {
  CallRequest request;
  request.operation = "CreateRole";
  request.service = "iam";
  request.method = "POST";
  request.body = "Action=CreateRole";
  request.idempotent = false;
  return request;
}

class S3ClientTest : public ::testing::Test {
 protected:
  S3Client& client(S3ClientConfig config = {}) {
    if (config.endpoint.empty())
      config.endpoint = kEndpoint;
    if (!config.retry.jitter)
      config.retry.jitter = [] { return 1.0; };
    auto made = S3Client::create(fake_, credentials_, std::move(config), clock_);
    EXPECT_TRUE(made) << made.error().str();
    client_ = std::move(*made);
    return *client_;
  }
  const http::Request& sent(size_t i = 0) {
    requests_ = fake_.requests();
    EXPECT_GT(requests_.size(), i);
    return requests_.at(i);
  }

  /// Signs the decoded form of a sent request independently and checks that it carries exactly
  /// that Authorization, and that its wire path and query are the canonical encodings.
  void expect_signed_as_sent(const http::Request& wire, const std::string& decoded_path,
                             const std::vector<NameValue>& decoded_query,
                             const std::string& region = "us-east-1",
                             const std::string& service = "s3") {
    Request request;
    request.method = wire.method;
    request.path = decoded_path;
    request.query = decoded_query;
    for (const auto& h : wire.headers) {
      if (h.first != "Authorization")
        request.headers.push_back(h);
    }
    request.payload_sha256 = header(wire, "x-amz-content-sha256");
    auto signing = sign_request(request, credentials_, region, service, header(wire, "x-amz-date"));
    ASSERT_TRUE(signing) << signing.error().str();
    EXPECT_EQ(header(wire, "authorization"), signing->authorization);
    std::string query = canonical_query(decoded_query);
    std::string after_host = wire.url.substr(wire.url.find('/', wire.url.find("://") + 3));
    EXPECT_EQ(after_host,
              canonical_uri(decoded_path, UriMode::kS3) + (query.empty() ? "" : "?" + query));
  }

  FakeClient fake_;
  RecordingClock clock_;
  Credentials credentials_ = kCredentials;
  std::unique_ptr<S3Client> client_;
  std::vector<http::Request> requests_;
};

// ---------------------------------------------------------------------------------------------
// Construction

TEST(S3ClientConfigTest, ParsesEndpoints) {
  auto local = parse_endpoint("http://127.0.0.1:7480/");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->scheme, "http");
  EXPECT_EQ(local->host, "127.0.0.1");
  EXPECT_EQ(local->port, 7480);
  EXPECT_EQ(local->authority(), "127.0.0.1:7480");
  auto aws = parse_endpoint("HTTPS://S3.eu-west-2.amazonaws.com");
  ASSERT_TRUE(aws);
  EXPECT_EQ(aws->authority(), "s3.eu-west-2.amazonaws.com");
  EXPECT_EQ(parse_endpoint("https://h:443")->authority(), "h");
  EXPECT_EQ(parse_endpoint("http://[::1]:9000")->authority(), "[::1]:9000");

  EXPECT_EQ(parse_endpoint("127.0.0.1:7480").error().items()[0].summary,
            "invalid S3 endpoint \"127.0.0.1:7480\": no scheme");
  EXPECT_EQ(parse_endpoint("ftp://h").error().items()[0].summary,
            "invalid S3 endpoint \"ftp://h\": the scheme must be http or https");
  EXPECT_EQ(parse_endpoint("http://h/prefix").error().items()[0].summary,
            "invalid S3 endpoint \"http://h/prefix\": a path, query or fragment is not allowed");
  EXPECT_EQ(parse_endpoint("http://h:0").error().items()[0].summary,
            "invalid S3 endpoint \"http://h:0\": the port must be a number from 1 to 65535");
  EXPECT_EQ(parse_endpoint("http://h:").error().items()[0].summary,
            "invalid S3 endpoint \"http://h:\": the port must be a number from 1 to 65535");
  auto userinfo = parse_endpoint("http://AKID:secret@h");
  ASSERT_FALSE(userinfo);
  EXPECT_EQ(userinfo.error().items()[0].summary.find("secret"), std::string::npos);
}

TEST(S3ClientConfigTest, DefaultEndpointAndBadRegion) {
  EXPECT_EQ(default_endpoint("eu-west-2"), "https://s3.eu-west-2.amazonaws.com");
  EXPECT_EQ(default_endpoint("cn-north-1"), "https://s3.cn-north-1.amazonaws.com.cn");
  FakeClient fake;
  config::ManualClock clock;
  S3ClientConfig config;
  config.region = "eu-west-2";
  auto client = S3Client::create(fake, kCredentials, config, clock);
  ASSERT_TRUE(client);
  EXPECT_EQ((*client)->endpoint().authority(), "s3.eu-west-2.amazonaws.com");
  config.region = "EU West";
  auto bad = S3Client::create(fake, kCredentials, config, clock);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().items()[0].summary, "invalid S3 region \"EU West\"");
}

TEST(S3ClientConfigTest, ContentMd5) {
  EXPECT_EQ(content_md5(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(content_md5("The quick brown fox jumps over the lazy dog"), "nhB9nTcrtoJr2B01QqQZ1g==");
}

// ---------------------------------------------------------------------------------------------
// Request shapes

TEST_F(S3ClientTest, HeadBucketIsASignedHeadOnThePath) {
  fake_.push(ok());
  auto exists = client().head_bucket("healthetl-dev01-bronze");
  ASSERT_TRUE(exists) << exists.error().str();
  EXPECT_TRUE(*exists);
  const http::Request& r = sent();
  EXPECT_EQ(r.method, "HEAD");
  EXPECT_EQ(r.url, "http://127.0.0.1:7480/healthetl-dev01-bronze");
  EXPECT_EQ(header(r, "host"), "127.0.0.1:7480");
  EXPECT_EQ(header(r, "x-amz-date"), kStartDate);
  EXPECT_EQ(header(r, "x-amz-content-sha256"), kEmptyPayloadSha256);
  EXPECT_TRUE(header(r, "authorization")
                  .starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/s3/"
                               "aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                               "Signature="))
      << header(r, "authorization");
  EXPECT_EQ(r.body, "");
  expect_signed_as_sent(r, "/healthetl-dev01-bronze", {});
}

TEST_F(S3ClientTest, HeadBucketNotFoundIsFalseForbiddenIsAuth) {
  fake_.push(FakeClient::response(404));
  fake_.push(FakeClient::response(403, "", {{"x-amz-request-id", "tx9"}}));
  S3Client& s3 = client();
  auto missing = s3.head_bucket("b");
  ASSERT_TRUE(missing) << missing.error().str();
  EXPECT_FALSE(*missing);
  auto forbidden = s3.head_bucket("b");
  ASSERT_FALSE(forbidden);
  EXPECT_EQ(forbidden.error().kind, S3FailureKind::kAuth);
  EXPECT_EQ(forbidden.error().str(), "HeadBucket b: HTTP 403 (request id tx9)");
}

TEST_F(S3ClientTest, CreateBucketInUsEast1HasNoBody) {
  fake_.push(ok());
  ASSERT_TRUE(client().create_bucket("b"));
  EXPECT_EQ(sent().method, "PUT");
  EXPECT_EQ(sent().url, "http://127.0.0.1:7480/b");
  EXPECT_EQ(sent().body, "");
}

TEST_F(S3ClientTest, CreateBucketElsewhereSendsTheLocationConstraint) {
  fake_.push(ok());
  ASSERT_TRUE(client(region("eu-west-2")).create_bucket("b"));
  const http::Request& r = sent();
  EXPECT_EQ(r.body,
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<LocationConstraint>eu-west-2</LocationConstraint></CreateBucketConfiguration>");
  EXPECT_EQ(header(r, "content-type"), "application/xml");
  EXPECT_EQ(header(r, "x-amz-content-sha256"), sha256_hex(r.body));
  EXPECT_NE(header(r, "authorization").find("/eu-west-2/s3/aws4_request"), std::string::npos);
  expect_signed_as_sent(r, "/b", {}, "eu-west-2");
}

TEST_F(S3ClientTest, CreateBucketAlreadyOwnedIsSuccessTakenIsConflict) {
  fake_.push(error(409, "BucketAlreadyOwnedByYou"));
  fake_.push(error(409, "BucketAlreadyExists", "The requested bucket name is not available."));
  S3Client& s3 = client();
  EXPECT_TRUE(s3.create_bucket("mine"));
  auto taken = s3.create_bucket("theirs");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind, S3FailureKind::kConflict);
  EXPECT_EQ(taken.error().str(),
            "CreateBucket theirs: HTTP 409 BucketAlreadyExists: The requested bucket name is not "
            "available. (request id tx-BucketAlreadyExists)");
}

TEST_F(S3ClientTest, DeleteBucketNotEmptyIsConflict) {
  fake_.push(FakeClient::response(204));
  fake_.push(error(409, "BucketNotEmpty"));
  S3Client& s3 = client();
  EXPECT_TRUE(s3.delete_bucket("b"));
  EXPECT_EQ(sent().method, "DELETE");
  auto full = s3.delete_bucket("b");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().kind, S3FailureKind::kConflict);
  EXPECT_EQ(full.error().code, "BucketNotEmpty");
}

TEST_F(S3ClientTest, PutBucketTaggingSendsXmlWithContentMd5) {
  fake_.push(ok());
  ASSERT_TRUE(client().put_bucket_tagging(
      "b", {{"lakeinfra:zone", "bronze"}, {"lakeinfra:managed-by", "lakeinfra"}}));
  const http::Request& r = sent();
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.url, "http://127.0.0.1:7480/b?tagging=");
  EXPECT_EQ(r.body,
            "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
            "<Tag><Key>lakeinfra:managed-by</Key><Value>lakeinfra</Value></Tag>"
            "<Tag><Key>lakeinfra:zone</Key><Value>bronze</Value></Tag></TagSet></Tagging>");
  EXPECT_EQ(header(r, "content-md5"), content_md5(r.body));
  EXPECT_EQ(header(r, "x-amz-content-sha256"), sha256_hex(r.body));
  EXPECT_NE(header(r, "authorization").find("SignedHeaders=content-md5;content-type;host;"),
            std::string::npos);
  expect_signed_as_sent(r, "/b", {{"tagging", ""}});
}

TEST_F(S3ClientTest, PutEmptyTagsDeletesTheTagSet) {
  fake_.push(FakeClient::response(204));
  ASSERT_TRUE(client().put_bucket_tagging("b", {}));
  EXPECT_EQ(sent().method, "DELETE");
  EXPECT_EQ(sent().url, "http://127.0.0.1:7480/b?tagging=");
}

TEST_F(S3ClientTest, GetBucketTagging) {
  fake_.push(ok("<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"));
  fake_.push(error(404, "NoSuchTagSet", "The TagSet does not exist"));
  fake_.push(error(404, "NoSuchBucket"));
  fake_.push(ok("<html>oops</html>"));
  S3Client& s3 = client();
  EXPECT_EQ(s3.get_bucket_tagging("b").value(), (Tags{{"k", "v"}}));
  EXPECT_EQ(sent().url, "http://127.0.0.1:7480/b?tagging=");
  EXPECT_EQ(s3.get_bucket_tagging("b").value(), Tags{});
  auto missing = s3.get_bucket_tagging("b");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, S3FailureKind::kNotFound);
  auto garbled = s3.get_bucket_tagging("b");
  ASSERT_FALSE(garbled);
  EXPECT_EQ(garbled.error().kind, S3FailureKind::kInternal);
  EXPECT_EQ(garbled.error().str(),
            "GetBucketTagging b: HTTP 200: unreadable response: expected <Tagging>, got <html>");
}

TEST_F(S3ClientTest, BucketVersioning) {
  fake_.push(ok("<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>"));
  fake_.push(ok());
  fake_.push(ok("<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"));
  S3Client& s3 = client();
  EXPECT_EQ(s3.get_bucket_versioning("b").value(), Versioning::kNever);
  EXPECT_EQ(sent(0).url, "http://127.0.0.1:7480/b?versioning=");
  ASSERT_TRUE(s3.put_bucket_versioning("b", Versioning::kEnabled));
  const http::Request& put = sent(1);
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.body,
            "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Status>Enabled</Status></VersioningConfiguration>");
  EXPECT_EQ(header(put, "content-md5"), content_md5(put.body));
  EXPECT_EQ(s3.get_bucket_versioning("b").value(), Versioning::kSuspended);

  auto never = s3.put_bucket_versioning("b", Versioning::kNever);
  ASSERT_FALSE(never);
  EXPECT_EQ(never.error().kind, S3FailureKind::kInvalid);
  EXPECT_EQ(fake_.calls(), 3u);  // refused without a request
}

TEST_F(S3ClientTest, ObjectKeysAreEncodedOnceAndSignedAsSent) {
  fake_.push(ok("", {{"etag", "\"abc\""}, {"x-amz-version-id", "v1"}}));
  const std::string key = "raw/2024 01/a+b=c&d~é.csv";
  auto put = client().put_object("b", key, "x,y\n1,2\n", "text/csv");
  ASSERT_TRUE(put) << put.error().str();
  EXPECT_EQ(put->etag, "\"abc\"");
  EXPECT_EQ(put->version_id, "v1");
  const http::Request& r = sent();
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.url, "http://127.0.0.1:7480/b/raw/2024%2001/a%2Bb%3Dc%26d~%C3%A9.csv");
  EXPECT_EQ(header(r, "content-type"), "text/csv");
  EXPECT_EQ(header(r, "x-amz-content-sha256"), sha256_hex("x,y\n1,2\n"));
  EXPECT_EQ(r.body, "x,y\n1,2\n");
  expect_signed_as_sent(r, "/b/" + key, {});
}

TEST_F(S3ClientTest, PrefixMarkerObject) {
  fake_.push(ok());
  ASSERT_TRUE(client().put_object("b", "raw/", ""));
  EXPECT_EQ(sent().url, "http://127.0.0.1:7480/b/raw/");
  EXPECT_EQ(header(sent(), "content-type"), "<none>");
  EXPECT_EQ(header(sent(), "x-amz-content-sha256"), kEmptyPayloadSha256);
}

TEST_F(S3ClientTest, HeadObject) {
  fake_.push(ok("", {{"content-length", "42"},
                     {"etag", "\"e\""},
                     {"content-type", "text/csv"},
                     {"last-modified", "Tue, 02 Jan 2024 03:04:05 GMT"},
                     {"x-amz-version-id", "v7"}}));
  fake_.push(FakeClient::response(404));
  S3Client& s3 = client();
  auto info = s3.head_object("b", "raw/a.csv", "v7");
  ASSERT_TRUE(info) << info.error().str();
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->size, 42u);
  EXPECT_EQ((*info)->etag, "\"e\"");
  EXPECT_EQ((*info)->content_type, "text/csv");
  EXPECT_EQ((*info)->last_modified, "Tue, 02 Jan 2024 03:04:05 GMT");
  EXPECT_EQ((*info)->version_id, "v7");
  EXPECT_EQ(sent().url, "http://127.0.0.1:7480/b/raw/a.csv?versionId=v7");
  auto missing = s3.head_object("b", "raw/none");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_F(S3ClientTest, DeleteObjectVersion) {
  fake_.push(FakeClient::response(
      204, "", {{"x-amz-version-id", "v+1/x"}, {"x-amz-delete-marker", "true"}}));
  auto deleted = client().delete_object("b", "raw/", "v+1/x");
  ASSERT_TRUE(deleted) << deleted.error().str();
  EXPECT_TRUE(deleted->delete_marker);
  EXPECT_EQ(deleted->version_id, "v+1/x");
  EXPECT_EQ(sent().method, "DELETE");
  EXPECT_EQ(sent().url, "http://127.0.0.1:7480/b/raw/?versionId=v%2B1%2Fx");
  expect_signed_as_sent(sent(), "/b/raw/", {{"versionId", "v+1/x"}});
}

TEST_F(S3ClientTest, DeleteObjectsPostsXmlWithContentMd5AndReadsPerKeyErrors) {
  fake_.push(
      ok("<DeleteResult><Deleted><Key>raw/</Key><VersionId>v1</VersionId></Deleted>"
         "<Error><Key>a&amp;b</Key><VersionId>v2</VersionId><Code>AccessDenied</Code>"
         "<Message>Access Denied</Message></Error></DeleteResult>"));
  auto result = client().delete_objects("b", {{"raw/", "v1"}, {"a&b", "v2"}});
  ASSERT_TRUE(result) << result.error().str();
  const http::Request& r = sent();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://127.0.0.1:7480/b?delete=");
  EXPECT_EQ(r.body,
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>false</Quiet>"
            "<Object><Key>raw/</Key><VersionId>v1</VersionId></Object>"
            "<Object><Key>a&amp;b</Key><VersionId>v2</VersionId></Object></Delete>");
  EXPECT_EQ(header(r, "content-md5"), content_md5(r.body));
  EXPECT_EQ(header(r, "content-type"), "application/xml");
  EXPECT_EQ(header(r, "x-amz-content-sha256"), sha256_hex(r.body));
  expect_signed_as_sent(r, "/b", {{"delete", ""}});
  EXPECT_EQ(result->deleted, (std::vector<ObjectId>{{"raw/", "v1"}}));
  ASSERT_EQ(result->errors.size(), 1u);
  EXPECT_EQ(result->errors[0].key, "a&b");
  EXPECT_EQ(result->errors[0].code, "AccessDenied");
}

TEST_F(S3ClientTest, DeleteObjectsLimits) {
  S3Client& s3 = client();
  auto none = s3.delete_objects("b", {});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->deleted.empty());
  auto too_many = s3.delete_objects("b", std::vector<ObjectId>(1001, ObjectId{"k", ""}));
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().kind, S3FailureKind::kInvalid);
  EXPECT_EQ(too_many.error().str(),
            "DeleteObjects b: 1001 objects in one request; the limit is 1000");
  EXPECT_EQ(fake_.calls(), 0u);
}

std::string list_page(const std::vector<std::string>& keys, const std::string& next_token) {
  std::string xml = "<ListBucketResult><Name>b</Name>";
  for (const auto& key : keys)
    xml += "<Contents><Key>" + key + "</Key><Size>1</Size></Contents>";
  xml += "<IsTruncated>" + std::string(next_token.empty() ? "false" : "true") + "</IsTruncated>";
  if (!next_token.empty())
    xml += "<NextContinuationToken>" + next_token + "</NextContinuationToken>";
  return xml + "</ListBucketResult>";
}

TEST_F(S3ClientTest, ListObjectsV2Paginates) {
  fake_.push(ok(list_page({"raw/1", "raw/2"}, "tok/en+1=")));
  fake_.push(ok(list_page({"raw/3"}, "")));
  S3Client& s3 = client();
  std::vector<std::string> keys;
  ListObjectsRequest request;
  request.prefix = "raw/";
  request.delimiter = "/";
  request.max_keys = 2;
  for (int page = 0; page < 10; ++page) {
    auto result = s3.list_objects_v2("b", request);
    ASSERT_TRUE(result) << result.error().str();
    for (const auto& object : result->objects)
      keys.push_back(object.key);
    if (!result->truncated)
      break;
    request.continuation_token = result->next_continuation_token;
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"raw/1", "raw/2", "raw/3"}));
  ASSERT_EQ(fake_.calls(), 2u);
  EXPECT_EQ(sent(0).url,
            "http://127.0.0.1:7480/b?delimiter=%2F&list-type=2&max-keys=2&prefix=raw%2F");
  EXPECT_EQ(sent(1).url,
            "http://127.0.0.1:7480/b?continuation-token=tok%2Fen%2B1%3D&delimiter=%2F&"
            "list-type=2&max-keys=2&prefix=raw%2F");
  expect_signed_as_sent(sent(1), "/b",
                        {{"list-type", "2"},
                         {"prefix", "raw/"},
                         {"delimiter", "/"},
                         {"continuation-token", "tok/en+1="},
                         {"max-keys", "2"}});
}

TEST_F(S3ClientTest, ListObjectVersions) {
  fake_.push(
      ok("<ListVersionsResult><IsTruncated>false</IsTruncated>"
         "<Version><Key>raw/</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest>"
         "<Size>0</Size></Version>"
         "<DeleteMarker><Key>raw/x</Key><VersionId>v2</VersionId></DeleteMarker>"
         "</ListVersionsResult>"));
  ListVersionsRequest request;
  request.prefix = "raw/";
  request.key_marker = "raw/";
  request.version_id_marker = "v0";
  auto page = client().list_object_versions("b", request);
  ASSERT_TRUE(page) << page.error().str();
  EXPECT_EQ(sent().url,
            "http://127.0.0.1:7480/b?key-marker=raw%2F&prefix=raw%2F&version-id-marker=v0&"
            "versions=");
  ASSERT_EQ(page->versions.size(), 2u);
  EXPECT_FALSE(page->versions[0].delete_marker);
  EXPECT_TRUE(page->versions[1].delete_marker);
}

TEST_F(S3ClientTest, VirtualHostedAddressing) {
  fake_.push(ok());
  fake_.push(ok());
  S3ClientConfig config = region("eu-west-2");
  config.endpoint = "https://s3.eu-west-2.amazonaws.com";
  config.addressing = Addressing::kVirtual;
  S3Client& s3 = client(config);
  ASSERT_TRUE(s3.put_object("healthetl-dev01-bronze", "raw/a b", "x"));
  EXPECT_EQ(sent(0).url, "https://healthetl-dev01-bronze.s3.eu-west-2.amazonaws.com/raw/a%20b");
  EXPECT_EQ(header(sent(0), "host"), "healthetl-dev01-bronze.s3.eu-west-2.amazonaws.com");
  expect_signed_as_sent(sent(0), "/raw/a b", {}, "eu-west-2");
  ASSERT_TRUE(s3.head_bucket("healthetl-dev01-bronze"));
  EXPECT_EQ(sent(1).url, "https://healthetl-dev01-bronze.s3.eu-west-2.amazonaws.com/");
}

TEST_F(S3ClientTest, RejectsBucketNamesThatWouldChangeTheUrl) {
  S3Client& s3 = client();
  for (std::string bad : {"", "a/b", "a?b", "a b", "a@b"}) {
    auto result = s3.head_bucket(bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().kind, S3FailureKind::kInvalid) << bad;
  }
  EXPECT_EQ(fake_.calls(), 0u);
}

TEST_F(S3ClientTest, SessionTokenIsSentAndSigned) {
  credentials_.session_token = "FwoGZXIvYXdzEXAMPLETOKEN";
  fake_.push(ok());
  ASSERT_TRUE(client().head_bucket("b"));
  EXPECT_EQ(header(sent(), "x-amz-security-token"), "FwoGZXIvYXdzEXAMPLETOKEN");
  EXPECT_NE(header(sent(), "authorization").find(";x-amz-security-token,"), std::string::npos);
  expect_signed_as_sent(sent(), "/b", {});
}

TEST_F(S3ClientTest, GenericCallForIam) {
  fake_.push(FakeClient::response(
      409, R"(<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>)"
           "<Type>Sender</Type><Code>EntityAlreadyExists</Code><Message>Role with name r "
           "already exists.</Message></Error><RequestId>req-1</RequestId></ErrorResponse>"));
  CallRequest request;
  request.operation = "CreateRole";
  request.service = "iam";
  request.method = "POST";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = "Action=CreateRole&RoleName=r&Version=2010-05-08";
  request.idempotent = false;
  auto response = client().call(request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, S3FailureKind::kConflict);
  EXPECT_EQ(response.error().str(),
            "CreateRole: HTTP 409 EntityAlreadyExists: Role with name r already exists. (request "
            "id req-1)");
  const http::Request& r = sent();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://127.0.0.1:7480/");
  EXPECT_NE(header(r, "authorization").find("/us-east-1/iam/aws4_request"), std::string::npos);
  expect_signed_as_sent(r, "/", {}, "us-east-1", "iam");
}

TEST_F(S3ClientTest, FailuresNeverShowSecrets) {
  fake_.push(error(403, "SignatureDoesNotMatch",
                   "The request signature we calculated does not match the signature you "
                   "provided. Check your key and signing method."));
  auto result = client().put_bucket_tagging("b", {{"k", "v"}});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, S3FailureKind::kAuth);
  std::string text = result.error().str();
  EXPECT_EQ(text.find(kCredentials.secret_access_key), std::string::npos);
  EXPECT_EQ(text.find("Signature="), std::string::npos);
  EXPECT_EQ(text,
            "PutBucketTagging b: HTTP 403 SignatureDoesNotMatch: The request signature we "
            "calculated does not match the signature you provided. Check your key and signing "
            "method. (request id tx-SignatureDoesNotMatch)");
}

// ---------------------------------------------------------------------------------------------
// Retries

TEST_F(S3ClientTest, RetriesSlowDownWithGrowingCappedDelaysAndFreshSignatures) {
  for (int i = 0; i < 4; ++i)
    fake_.push(error(503, "SlowDown", "Please reduce your request rate."));
  fake_.push(ok("<Tagging><TagSet/></Tagging>"));
  S3Client& s3 = client(retrying(5, milliseconds(1'000), milliseconds(3'000), [] { return 1.0; }));
  auto tags = s3.get_bucket_tagging("b");
  ASSERT_TRUE(tags) << tags.error().str();
  EXPECT_EQ(clock_.sleeps, (std::vector<milliseconds>{milliseconds(1'000), milliseconds(2'000),
                                                      milliseconds(3'000), milliseconds(3'000)}));
  EXPECT_EQ(s3.retry_count(), 4u);
  ASSERT_EQ(fake_.calls(), 5u);
  std::set<std::string> dates, signatures;
  for (const auto& r : fake_.requests()) {
    dates.insert(header(r, "x-amz-date"));
    signatures.insert(header(r, "authorization"));
  }
  EXPECT_EQ(dates.size(), 5u);  // re-signed at every attempt, with the Clock's time
  EXPECT_EQ(signatures.size(), 5u);
  EXPECT_EQ(*dates.rbegin(), "20231114T221329Z");  // 1+2+3+3 s later
}

TEST_F(S3ClientTest, RandomJitterStaysWithinTheCap) {
  for (int i = 0; i < 9; ++i)
    fake_.push(FakeClient::response(500, "<Error><Code>InternalError</Code></Error>"));
  S3Client& s3 = client(retrying(10, milliseconds(100), milliseconds(1'000), random_jitter));
  fake_.push(ok());
  ASSERT_TRUE(s3.delete_bucket("b"));
  ASSERT_EQ(clock_.sleeps.size(), 9u);
  for (size_t i = 0; i < clock_.sleeps.size(); ++i) {
    milliseconds ceiling = std::min(milliseconds(1'000), milliseconds(100) * (1 << i));
    EXPECT_LE(clock_.sleeps[i], ceiling) << "retry " << i + 1;
    EXPECT_GE(clock_.sleeps[i], milliseconds(0));
  }
}

TEST_F(S3ClientTest, GivesUpAfterMaxAttempts) {
  for (int i = 0; i < 3; ++i)
    fake_.push(error(503, "SlowDown"));
  std::vector<std::string> lines;
  config::Log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
  config::Log::set_level(config::LogLevel::kDebug);
  auto result = client().put_bucket_versioning("b", Versioning::kEnabled);
  config::Log::set_level(config::LogLevel::kWarn);
  config::Log::set_sink(nullptr);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, S3FailureKind::kTransient);
  EXPECT_EQ(result.error().attempts, 3);
  EXPECT_EQ(result.error().str(),
            "PutBucketVersioning b: HTTP 503 SlowDown (request id tx-SlowDown; 3 attempts)");
  EXPECT_EQ(fake_.calls(), 3u);
  EXPECT_EQ(clock_.sleeps, (std::vector<milliseconds>{milliseconds(100), milliseconds(200)}));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "lakeinfra debug: s3 retry: PutBucketVersioning b attempt 2 of 3 after "
                       "HTTP 503 SlowDown; waiting 100 ms",
                       "lakeinfra debug: s3 retry: PutBucketVersioning b attempt 3 of 3 after "
                       "HTTP 503 SlowDown; waiting 200 ms"}));
}

TEST_F(S3ClientTest, NoRetryOnAuthFailure) {
  fake_.push(error(403, "InvalidAccessKeyId"));
  auto result = client().head_object("b", "k");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, S3FailureKind::kAuth);
  EXPECT_EQ(result.error().attempts, 1);
  EXPECT_EQ(fake_.calls(), 1u);
  EXPECT_TRUE(clock_.sleeps.empty());
  EXPECT_EQ(client_->retry_count(), 0u);
}

TEST_F(S3ClientTest, IdempotentCallsRetryResetsAndTimeouts) {
  fake_.push(http::ErrorKind::kReset, "connection reset by peer");
  fake_.push(http::ErrorKind::kTimeout, "timed out");
  fake_.push(ok());
  EXPECT_TRUE(client().put_object("b", "k", "body"));
  EXPECT_EQ(fake_.calls(), 3u);
}

TEST_F(S3ClientTest, NonIdempotentCallIsNotRetriedAfterAReset) {
  fake_.push(http::ErrorKind::kReset, "connection reset by peer");
  fake_.push(ok());
  auto result = client().call(create_role());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, S3FailureKind::kTransient);
  EXPECT_EQ(result.error().transport, http::ErrorKind::kReset);
  EXPECT_EQ(result.error().str(), "CreateRole: connection reset: connection reset by peer");
  EXPECT_EQ(fake_.calls(), 1u);
}

TEST_F(S3ClientTest, NonIdempotentCallIsRetriedWhenTheConnectionFailed) {
  fake_.push(http::ErrorKind::kConnect, "connection refused");
  fake_.push(ok("<CreateRoleResponse/>"));
  auto result = client().call(create_role());
  ASSERT_TRUE(result) << result.error().str();
  EXPECT_EQ(result->body, "<CreateRoleResponse/>");
  EXPECT_EQ(fake_.calls(), 2u);
  EXPECT_EQ(client_->retry_count(), 1u);
}

TEST_F(S3ClientTest, NonIdempotentCallIsNotRetriedOn503) {
  fake_.push(error(503, "ServiceUnavailable"));
  EXPECT_FALSE(client().call(create_role()));
  EXPECT_EQ(fake_.calls(), 1u);
}

}  // namespace
}  // namespace lakeinfra::providers::s3
