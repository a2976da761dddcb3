#include "config/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lakeinfra::config {
namespace {

TEST(Redact, UserinfoInUrls) {
  EXPECT_EQ(redact("cloning https://bob:ghp_tok3n@github.com/org/repo.git now"),
            "cloning https://***@github.com/org/repo.git now");
  EXPECT_EQ(redact("https://x-access-token@host/r"), "https://***@host/r");
  EXPECT_EQ(redact("https://host/path@v1"), "https://host/path@v1");  // '@' after the path
  EXPECT_EQ(redact("mail me@example.org"), "mail me@example.org");
}

TEST(Redact, AuthorizationHeaderValue) {
  EXPECT_EQ(redact("Authorization: AWS4-HMAC-SHA256 Credential=AKID/x, Signature=abc\r\nHost: h"),
            "Authorization: ***\r\nHost: h");
  EXPECT_EQ(redact("authorization:Bearer xyz"), "authorization:***");
}

TEST(Redact, PresignedQueryValues) {
  EXPECT_EQ(redact("GET /b/k?X-Amz-Credential=AKID%2F1&X-Amz-Signature=f00d&x=1 200"),
            "GET /b/k?X-Amz-Credential=***&X-Amz-Signature=***&x=1 200");
  EXPECT_EQ(redact("?X-Amz-Security-Token=IQoJb3JpZ2lu"), "?X-Amz-Security-Token=***");
}

TEST(Redact, RegisteredSecretsAnywhere) {
  add_secret("s3cr3t-value-42");
  add_secret("abc");  // too short to register: would redact ordinary words
  EXPECT_EQ(redact("key=s3cr3t-value-42;again s3cr3t-value-42"), "key=***;again ***");
  EXPECT_EQ(redact("abc"), "abc");
}

TEST(Log, WritesRedactedLinesOnlyWhenEnabled) {
  std::vector<std::string> lines;
  Log::set_sink([&](std::string_view l) { lines.emplace_back(l); });
  Log::set_level(LogLevel::kInfo);
  Log::write(LogLevel::kDebug, "hidden");
  Log::write(LogLevel::kInfo, "GET https://u:p@host/ 200");
  Log::set_sink(nullptr);
  Log::set_level(LogLevel::kWarn);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "lakeinfra info: GET https://***@host/ 200");
}

}  // namespace
}  // namespace lakeinfra::config
