#include "providers/http/fake_client.h"

#include <gtest/gtest.h>

namespace lakeinfra::providers::http {
namespace {

/// A request without headers.
Request make_request(std::string method, std::string url, std::string body = {}) {
  Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  return r;
}

TEST(FakeClient, AnswersInScriptOrderThenFromTheHandler) {
  FakeClient fake;
  fake.push(FakeClient::response(503, "<Error/>", {{"x-amz-request-id", "r1"}}));
  fake.push(ErrorKind::kReset, "connection reset");
  fake.set_handler([](const Request& r) { return FakeClient::response(200, r.method); });

  auto first = fake.send(make_request("PUT", "http://h/a"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 503);
  EXPECT_EQ(first->header("x-amz-request-id"), "r1");
  auto second = fake.send(make_request("GET", "http://h/b"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::kReset);
  EXPECT_EQ(second.error().message, "connection reset");
  auto third = fake.send(make_request("DELETE", "http://h/c"));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->body, "DELETE");

  ASSERT_EQ(fake.calls(), 3u);
  EXPECT_EQ(fake.requests()[0].url, "http://h/a");
  EXPECT_EQ(fake.requests()[2].method, "DELETE");
  EXPECT_EQ(fake.pending(), 0u);
}

TEST(FakeClient, UnscriptedCallFails) {
  FakeClient fake;
  auto reply = fake.send(make_request("GET", "http://h/x"));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().kind, ErrorKind::kOther);
  EXPECT_EQ(reply.error().message, "FakeClient: no reply scripted for GET http://h/x");
}

TEST(HttpClient, ErrorKindNames) {
  EXPECT_STREQ(error_kind_name(ErrorKind::kConnect), "connect");
  EXPECT_STREQ(error_kind_name(ErrorKind::kTimeout), "timeout");
  EXPECT_STREQ(error_kind_name(ErrorKind::kReset), "reset");
  EXPECT_STREQ(error_kind_name(ErrorKind::kTls), "tls");
  EXPECT_STREQ(error_kind_name(ErrorKind::kOther), "other");
}

TEST(HttpClient, MissingHeaderIsEmpty) {
  Response r = FakeClient::response(200, "", {{"etag", "\"abc\""}});
  EXPECT_EQ(r.header("ETag"), "\"abc\"");
  EXPECT_EQ(r.header("x-amz-version-id"), "");
}

}  // namespace
}  // namespace lakeinfra::providers::http
