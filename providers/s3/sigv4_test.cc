#include "providers/s3/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace lakeinfra::providers::s3 {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// The AWS SigV4 test suite: tests/data/aws-sig-v4-test-suite (Apache-2.0, see its LICENSE).
// Every case directory holds NAME.req (the request), NAME.creq (canonical request), NAME.sts
// (string to sign), NAME.authz (Authorization value) and NAME.sreq (the signed request).
// Its fixed inputs, as the .authz and .sts files show:
const Credentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr std::string_view kSuiteRegion = "us-east-1";
constexpr std::string_view kSuiteService = "service";
constexpr std::string_view kSuiteTime = "20150830T123600Z";
const SignOptions kGeneric{.uri_mode = UriMode::kGeneric};

fs::path suite_root() {
  const char* env = std::getenv("LAKEINFRA_SOURCE_DIR");
  fs::path source = env && *env ? fs::path(env) : fs::path(LAKEINFRA_SIGV4_DEFAULT_SOURCE_DIR);
  return source / "tests/data/aws-sig-v4-test-suite/aws-sig-v4-test-suite";
}

struct SuiteCase {
  std::string name;  ///< Directory relative to the suite root: "normalize-path/get-slash".
  fs::path dir;
  fs::path file(std::string_view extension) const {
    return dir / (dir.filename().string() + std::string(extension));
  }
};

/// Test names show the case, not the bytes of the struct.
void PrintTo(const SuiteCase& c, std::ostream* out) {
  *out << c.name;
}

/// Every directory DIR of the suite holding DIR.req, nested ones included, sorted by name.
const std::vector<SuiteCase>& suite_cases() {
  static const std::vector<SuiteCase> cases = [] {
    std::vector<SuiteCase> out;
    const fs::path root = suite_root();
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path dir = it->path();
      if (it->is_directory() && fs::exists(dir / (dir.filename().string() + ".req"))) {
        out.push_back({fs::relative(dir, root).generic_string(), dir});
      }
    }
    std::sort(out.begin(), out.end(),
              [](const SuiteCase& a, const SuiteCase& b) { return a.name < b.name; });
    return out;
  }();
  return cases;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

struct RawRequest {
  Request request;
  std::string body;
};

/// Parses a suite .req/.sreq file: "METHOD TARGET HTTP/1.1" (the target may hold spaces), header
/// lines "Name:value", an empty line, the body. A line starting with blanks continues the previous
/// header; the suite makes it another value of that header (get-header-value-multiline expects
/// "value1,value2,value3"). Values are kept raw: trimming is the signer's job. The target's path
/// and query are percent-decoded (Request holds decoded values). Fails with a message.
std::optional<RawRequest> parse_raw_request(std::string_view text, std::string& error) {
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    if (line.ends_with('\r'))
      line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  RawRequest out;
  std::string_view request_line = lines.front();
  size_t first = request_line.find(' ');
  size_t last = request_line.rfind(' ');
  if (first == last || !request_line.substr(last + 1).starts_with("HTTP/")) {
    error = "bad request line: " + std::string(request_line);
    return std::nullopt;
  }
  out.request.method = request_line.substr(0, first);
  std::string_view target = request_line.substr(first + 1, last - first - 1);
  std::string_view query =
      target.find('?') == target.npos ? "" : target.substr(target.find('?') + 1);
  out.request.path = percent_decode(target.substr(0, target.find('?')));
  for (size_t start = 0; start < query.size();) {
    size_t end = std::min(query.find('&', start), query.size());
    std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      out.request.query.emplace_back(
          percent_decode(pair.substr(0, eq)),
          eq == pair.npos ? std::string() : percent_decode(pair.substr(eq + 1)));
    }
    start = end + 1;
  }
  size_t i = 1;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    std::string_view line = lines[i];
    if (line.front() == ' ' || line.front() == '\t') {
      if (out.request.headers.empty()) {
        error = "continuation line without a header: " + std::string(line);
        return std::nullopt;
      }
      out.request.headers.emplace_back(out.request.headers.back().first, line);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == line.npos) {
      error = "header line without ':': " + std::string(line);
      return std::nullopt;
    }
    out.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  for (size_t b = i + 1; b < lines.size(); ++b) {
    if (b > i + 1)
      out.body.push_back('\n');
    out.body.append(lines[b]);
  }
  out.request.payload_sha256 = sha256_hex(out.body);
  return out;
}

RawRequest parse_case(const SuiteCase& c, std::string_view extension = ".req") {
  std::string error;
  auto raw = parse_raw_request(read_file(c.file(extension)), error);
  if (!raw)
    ADD_FAILURE() << c.name << extension << ": " << error;
  return raw.value_or(RawRequest{});
}

/// The value after `key` in an Authorization value, up to the next ','.
std::string authz_field(std::string_view authz, std::string_view key) {
  size_t start = authz.find(key);
  if (start == authz.npos)
    return "<no " + std::string(key) + ">";
  start += key.size();
  return std::string(authz.substr(start, authz.find(',', start) - start));
}

void remove_header(Request& request, std::string_view name) {
  std::erase_if(request.headers, [&](const NameValue& h) { return h.first == name; });
}

// Two cases of the suite contradict themselves: their .sts and .authz were made from another
// request than their .req and .creq show (the hash in .sts is not sha256 of .creq). The canonical
// request is still checked against .creq; the .sts and .authz are checked against the request
// they were made from, and the contradiction itself is asserted, so that a corrected suite fails
// here until the special case is removed.
struct Erratum {
  std::string why;
  /// Turns the .req request into the one the .sts and .authz were made from.
  void (*made_from)(Request&);
  /// Whether .authz matches in full; else only its Credential and Signature do.
  bool authz_in_full;
};

const std::map<std::string, Erratum>& errata() {
  static const std::map<std::string, Erratum> table = {
      {"post-x-www-form-urlencoded",
       {".req and .creq have Content-Length: 13; .sts, .authz and .sreq were made without it",
        [](Request& r) { remove_header(r, "Content-Length"); }, true}},
      {"post-x-www-form-urlencoded-parameters",
       {".req and .creq have Content-Length and \"charset=utf-8\"; .sts was made without "
        "Content-Length and with \"charset=utf8\", and .authz signs that .sts but lists "
        "content-length in SignedHeaders (no request can give both)",
        [](Request& r) {
          remove_header(r, "Content-Length");
          for (auto& [name, value] : r.headers) {
            if (name == "Content-Type")
              value = "application/x-www-form-urlencoded; charset=utf8";
          }
        },
        false}},
  };
  return table;
}

TEST(SigV4SuiteCasesTest, AllCasesAreFoundNestedOnesIncluded) {
  const auto& cases = suite_cases();
  ASSERT_GE(cases.size(), 25u) << "AWS SigV4 test suite not found under " << suite_root();
  std::vector<std::string> names;
  for (const auto& c : cases)
    names.push_back(c.name);
  for (const char* nested :
       {"normalize-path/get-space", "normalize-path/get-relative-relative",
        "post-sts-token/post-sts-header-before", "post-sts-token/post-sts-header-after"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), nested), names.end()) << nested;
  }
}

class SigV4SuiteTest : public testing::TestWithParam<SuiteCase> {};

TEST_P(SigV4SuiteTest, SignsAsTheSuiteExpects) {
  const SuiteCase& c = GetParam();
  RawRequest raw = parse_case(c);
  const std::string creq = read_file(c.file(".creq"));
  const std::string sts = read_file(c.file(".sts"));
  const std::string authz = read_file(c.file(".authz"));

  auto signing = sign_request(raw.request, kSuiteCredentials, kSuiteRegion, kSuiteService,
                              kSuiteTime, kGeneric);
  ASSERT_TRUE(signing) << signing.error().str();
  EXPECT_EQ(signing->canonical_request, creq);
  EXPECT_EQ(signing->authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" + signing->credential_scope +
                ", SignedHeaders=" + signing->signed_headers + ", Signature=" + signing->signature);

  auto erratum = errata().find(c.name);
  if (erratum == errata().end()) {
    EXPECT_EQ(signing->string_to_sign, sts);
    EXPECT_EQ(signing->authorization, authz);
    return;
  }

  SCOPED_TRACE("suite erratum: " + erratum->second.why);
  EXPECT_NE(sts.substr(sts.rfind('\n') + 1), sha256_hex(creq))
      << "the suite's .sts now matches its .creq: remove this case from errata()";
  Request made_from = raw.request;
  erratum->second.made_from(made_from);
  auto original =
      sign_request(made_from, kSuiteCredentials, kSuiteRegion, kSuiteService, kSuiteTime, kGeneric);
  ASSERT_TRUE(original) << original.error().str();
  EXPECT_EQ(original->string_to_sign, sts);
  if (erratum->second.authz_in_full) {
    EXPECT_EQ(original->authorization, authz);
  } else {
    EXPECT_EQ(authz_field(original->authorization, "Credential="),
              authz_field(authz, "Credential="));
    EXPECT_EQ(authz_field(original->authorization, "Signature="), authz_field(authz, "Signature="));
    EXPECT_NE(authz_field(original->authorization, "SignedHeaders="),
              authz_field(authz, "SignedHeaders="));
  }
}

INSTANTIATE_TEST_SUITE_P(Aws, SigV4SuiteTest, testing::ValuesIn(suite_cases()),
                         [](const testing::TestParamInfo<SuiteCase>& info) {
                           std::string name = info.param.name;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch)))
                               ch = '_';
                           }
                           return name;
                         });

// authorization_headers against the suite's signed requests (.sreq): the request without
// X-Amz-Date and the token, the headers it returns appended, equals the .sreq's headers.
void expect_signed_request_matches(const std::string& name, bool sign_session_token) {
  SCOPED_TRACE(name);
  auto found = std::find_if(suite_cases().begin(), suite_cases().end(),
                            [&](const SuiteCase& c) { return c.name == name; });
  ASSERT_NE(found, suite_cases().end());
  RawRequest raw = parse_case(*found);
  RawRequest sreq = parse_case(*found, ".sreq");
  Credentials credentials = kSuiteCredentials;
  for (const auto& [header, value] : sreq.request.headers) {
    if (header == "X-Amz-Security-Token")
      credentials.session_token = value;
  }
  remove_header(raw.request, "X-Amz-Date");
  remove_header(raw.request, "X-Amz-Security-Token");

  auto auth = authorization_headers(
      raw.request, credentials, kSuiteRegion, kSuiteService, kSuiteTime,
      {.sign = kGeneric, .add_content_sha256 = false, .sign_session_token = sign_session_token});
  ASSERT_TRUE(auth) << auth.error().str();
  std::vector<NameValue> sent = raw.request.headers;
  sent.insert(sent.end(), auth->headers.begin(), auth->headers.end());
  std::vector<NameValue> expected = sreq.request.headers;
  for (auto& [header, value] : expected) {
    value.erase(0, value.find_first_not_of(' '));
  }
  EXPECT_EQ(sent, expected);
  EXPECT_EQ(auth->signing.authorization, read_file(found->file(".authz")));
}

TEST(SigV4SuiteSignedRequestTest, Vanilla) {
  expect_signed_request_matches("get-vanilla", true);
}

TEST(SigV4SuiteSignedRequestTest, SessionTokenSignedBefore) {
  expect_signed_request_matches("post-sts-token/post-sts-header-before", true);
}

TEST(SigV4SuiteSignedRequestTest, SessionTokenAddedAfter) {
  expect_signed_request_matches("post-sts-token/post-sts-header-after", false);
}

// ---------------------------------------------------------------------------------------------
// S3 mode.

const Credentials kS3Credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                 ""};
constexpr std::string_view kS3Time = "20130524T000000Z";

Request s3_request(std::string method, std::string path, std::vector<NameValue> query = {}) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  return r;
}

/// Line `n` (0-based) of a canonical request.
std::string line(const std::string& text, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i < n; ++i)
    start = text.find('\n', start) + 1;
  return text.substr(start, text.find('\n', start) - start);
}

TEST(SigV4S3ModeTest, PathIsEncodedOnceAndNotNormalised) {
  EXPECT_EQ(canonical_uri("/my bucket/a//b/../c", UriMode::kS3), "/my%20bucket/a//b/../c");
  EXPECT_EQ(canonical_uri("/bucket/\xE1\x88\xB4/caf\xC3\xA9 1+1=2", UriMode::kS3),
            "/bucket/%E1%88%B4/caf%C3%A9%201%2B1%3D2");
  // The path is decoded: a '%' in it is a literal percent sign.
  EXPECT_EQ(canonical_uri("/bucket/100%", UriMode::kS3), "/bucket/100%25");
  EXPECT_EQ(canonical_uri("", UriMode::kS3), "/");

  auto signing = sign_request(s3_request("GET", "/my bucket/a//b/../c"), kS3Credentials,
                              "us-east-1", "s3", kS3Time);
  ASSERT_TRUE(signing) << signing.error().str();
  EXPECT_EQ(line(signing->canonical_request, 1), "/my%20bucket/a//b/../c");
}

TEST(SigV4S3ModeTest, GenericModeNormalisesThePath) {
  EXPECT_EQ(canonical_uri("/my bucket/a//b/../c", UriMode::kGeneric), "/my%20bucket/a/c");
  EXPECT_EQ(canonical_uri("/a/b/..", UriMode::kGeneric), "/a/");
  EXPECT_EQ(canonical_uri("/a/./b/.", UriMode::kGeneric), "/a/b/");
  EXPECT_EQ(canonical_uri("/../a", UriMode::kGeneric), "/a");
  EXPECT_EQ(canonical_uri("//", UriMode::kGeneric), "/");
  EXPECT_EQ(canonical_uri("", UriMode::kGeneric), "/");
}

TEST(SigV4S3ModeTest, QueryIsEncodedAndSorted) {
  const std::vector<NameValue> query = {{"list-type", "2"}, {"prefix", "dir/"}, {"delimiter", "/"}};
  EXPECT_EQ(canonical_query(query), "delimiter=%2F&list-type=2&prefix=dir%2F");
  auto signing =
      sign_request(s3_request("GET", "/bucket", query), kS3Credentials, "us-east-1", "s3", kS3Time);
  ASSERT_TRUE(signing) << signing.error().str();
  EXPECT_EQ(line(signing->canonical_request, 2), "delimiter=%2F&list-type=2&prefix=dir%2F");

  // Sorted by encoded name, then encoded value; space is %20 and '+' is %2B, never '+'.
  EXPECT_EQ(canonical_query({{"b", "x y"}, {"a", "2"}, {"a", "1+1"}, {"A", "=&"}}),
            "A=%3D%26&a=1%2B1&a=2&b=x%20y");
  EXPECT_EQ(canonical_query({}), "");
}

TEST(SigV4S3ModeTest, ParameterWithoutValueGetsAnEmptyValue) {
  auto signing = sign_request(s3_request("GET", "/bucket", {{"versioning", ""}}), kS3Credentials,
                              "us-east-1", "s3", kS3Time);
  ASSERT_TRUE(signing) << signing.error().str();
  EXPECT_EQ(line(signing->canonical_request, 2), "versioning=");
}

TEST(SigV4S3ModeTest, ContentSha256IsAddedAndSigned) {
  Request request = s3_request("PUT", "/bucket/key");
  request.payload_sha256 = sha256_hex("hello");
  auto auth = authorization_headers(request, kS3Credentials, "us-east-1", "s3", kS3Time);
  ASSERT_TRUE(auth) << auth.error().str();
  const std::string hash = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  ASSERT_EQ(auth->headers.size(), 3u);
  EXPECT_EQ(auth->headers[0], NameValue("X-Amz-Date", "20130524T000000Z"));
  EXPECT_EQ(auth->headers[1], NameValue("X-Amz-Content-Sha256", hash));
  EXPECT_EQ(auth->headers[2], NameValue("Authorization", auth->signing.authorization));
  EXPECT_EQ(auth->signing.signed_headers, "host;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(
      auth->signing.canonical_request,
      "PUT\n/bucket/key\n\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" + hash +
          "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" + hash);

  request.payload_sha256 = kUnsignedPayload;
  auto unsigned_payload =
      authorization_headers(request, kS3Credentials, "us-east-1", "s3", kS3Time);
  ASSERT_TRUE(unsigned_payload) << unsigned_payload.error().str();
  EXPECT_EQ(unsigned_payload->headers[1], NameValue("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"));
  EXPECT_TRUE(unsigned_payload->signing.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}

TEST(SigV4S3ModeTest, SessionTokenIsSigned) {
  Credentials credentials = kS3Credentials;
  credentials.session_token = "FQoGZXIvYXdzEXAMPLE/token+==";
  auto auth =
      authorization_headers(s3_request("GET", "/bucket"), credentials, "us-east-1", "s3", kS3Time);
  ASSERT_TRUE(auth) << auth.error().str();
  ASSERT_EQ(auth->headers.size(), 4u);
  EXPECT_EQ(auth->headers[2], NameValue("X-Amz-Security-Token", credentials.session_token));
  EXPECT_EQ(auth->signing.signed_headers,
            "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_NE(
      auth->signing.canonical_request.find("\nx-amz-security-token:FQoGZXIvYXdzEXAMPLE/token+==\n"),
      std::string::npos);

  AuthHeaderOptions unsigned_token;
  unsigned_token.sign_session_token = false;
  auto after = authorization_headers(s3_request("GET", "/bucket"), credentials, "us-east-1", "s3",
                                     kS3Time, unsigned_token);
  ASSERT_TRUE(after) << after.error().str();
  EXPECT_EQ(after->headers[2], NameValue("X-Amz-Security-Token", credentials.session_token));
  EXPECT_EQ(after->signing.signed_headers, "host;x-amz-content-sha256;x-amz-date");
}

TEST(SigV4S3ModeTest, HeadersAreLowercasedTrimmedJoinedAndSorted) {
  Request request = s3_request("GET", "/bucket");
  request.headers.push_back({"X-Amz-Meta-B", "\t one \t  two  "});
  request.headers.push_back({"x-amz-meta-a", ""});
  request.headers.push_back({"X-AMZ-META-B", "three"});
  auto signing = sign_request(request, kS3Credentials, "us-east-1", "s3", kS3Time);
  ASSERT_TRUE(signing) << signing.error().str();
  EXPECT_EQ(signing->canonical_request,
            "GET\n/bucket\n\nhost:examplebucket.s3.amazonaws.com\nx-amz-meta-a:\n"
            "x-amz-meta-b:one two,three\n\nhost;x-amz-meta-a;x-amz-meta-b\n" +
                std::string(kEmptyPayloadSha256));
}

// The examples of "Signature Calculations for the Authorization Header: Transferring Payload in a
// Single Chunk" (Amazon S3 API Reference, sig-v4-header-based-auth).
TEST(SigV4S3ExamplesTest, GetObjectWithRange) {
  Request request = s3_request("GET", "/test.txt");
  request.headers.push_back({"Range", "bytes=0-9"});
  request.headers.push_back({"x-amz-content-sha256", std::string(kEmptyPayloadSha256)});
  request.headers.push_back({"x-amz-date", "20130524T000000Z"});
  auto signing = sign_request(request, kS3Credentials, "us-east-1", "s3", kS3Time);
  ASSERT_TRUE(signing) << signing.error().str();
  EXPECT_EQ(
      signing->canonical_request,
      "GET\n"
      "/test.txt\n"
      "\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "range:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n"
      "\n"
      "host;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(signing->string_to_sign,
            "AWS4-HMAC-SHA256\n"
            "20130524T000000Z\n"
            "20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(signing->signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(signing->authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

  // The same through authorization_headers, which adds x-amz-date and x-amz-content-sha256.
  Request bare = s3_request("GET", "/test.txt");
  bare.headers.push_back({"Range", "bytes=0-9"});
  auto auth = authorization_headers(bare, kS3Credentials, "us-east-1", "s3", kS3Time);
  ASSERT_TRUE(auth) << auth.error().str();
  EXPECT_EQ(auth->signing.signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3ExamplesTest, PutObject) {
  Request request = s3_request("PUT", "/test$file.text");
  request.payload_sha256 = sha256_hex("Welcome to Amazon S3.");
  EXPECT_EQ(request.payload_sha256,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  request.headers.push_back({"Date", "Fri, 24 May 2013 00:00:00 GMT"});
  request.headers.push_back({"x-amz-storage-class", "REDUCED_REDUNDANCY"});
  auto auth = authorization_headers(request, kS3Credentials, "us-east-1", "s3", kS3Time);
  ASSERT_TRUE(auth) << auth.error().str();
  EXPECT_EQ(line(auth->signing.canonical_request, 1), "/test%24file.text");
  EXPECT_EQ(auth->signing.signed_headers,
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  EXPECT_EQ(line(auth->signing.string_to_sign, 3),
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(auth->signing.signature,
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4S3ExamplesTest, GetBucketLifecycle) {
  auto auth = authorization_headers(s3_request("GET", "/", {{"lifecycle", ""}}), kS3Credentials,
                                    "us-east-1", "s3", kS3Time);
  ASSERT_TRUE(auth) << auth.error().str();
  EXPECT_EQ(line(auth->signing.canonical_request, 2), "lifecycle=");
  EXPECT_EQ(auth->signing.signature,
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4S3ExamplesTest, ListObjects) {
  auto auth = authorization_headers(s3_request("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}),
                                    kS3Credentials, "us-east-1", "s3", kS3Time);
  ASSERT_TRUE(auth) << auth.error().str();
  EXPECT_EQ(line(auth->signing.canonical_request, 2), "max-keys=2&prefix=J");
  EXPECT_EQ(line(auth->signing.string_to_sign, 3),
            "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
  EXPECT_EQ(auth->signing.signature,
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// ---------------------------------------------------------------------------------------------
// Failures: typed, never thrown, never echoing a secret or a header value.

std::string sign_error(const Request& request, const Credentials& credentials = kS3Credentials,
                       std::string_view timestamp = kS3Time,
                       std::string_view region = "us-east-1") {
  auto signing = sign_request(request, credentials, region, "s3", timestamp);
  if (signing)
    return "<signed>";
  std::string text = signing.error().str();
  if (!credentials.secret_access_key.empty()) {
    EXPECT_EQ(text.find(credentials.secret_access_key), std::string::npos) << text;
  }
  return text;
}

TEST(SigV4ErrorsTest, RejectsMalformedInput) {
  const Request ok = s3_request("GET", "/bucket");
  EXPECT_EQ(sign_error(ok), "<signed>");
  EXPECT_EQ(sign_error(ok, kS3Credentials, "2013-05-24T00:00:00Z"),
            "error: invalid SigV4 timestamp \"2013-05-24T00:00:00Z\"\n"
            "  hint: expected UTC as YYYYMMDDTHHMMSSZ, e.g. 20150830T123600Z\n");
  EXPECT_EQ(sign_error(ok, kS3Credentials, "20131324T000000Z"),
            "error: invalid SigV4 timestamp \"20131324T000000Z\"\n"
            "  hint: expected UTC as YYYYMMDDTHHMMSSZ, e.g. 20150830T123600Z\n");
  EXPECT_EQ(sign_error(ok, kS3Credentials, kS3Time, "us/east"),
            "error: invalid SigV4 region \"us/east\"\n"
            "  hint: the region is non-empty, without '/', ',', spaces or control characters\n");
  EXPECT_EQ(sign_error(ok, {"AKID", "", ""}), "error: the secret access key is empty\n");
  EXPECT_EQ(sign_error(ok, {"", "secret", ""}), "error: the access key id is empty\n");
  EXPECT_EQ(sign_error(ok, {"AK/ID", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""}),
            "error: the access key id contains '/', ',', a space or a control character\n");

  Request no_host = ok;
  no_host.headers.clear();
  EXPECT_EQ(sign_error(no_host),
            "error: the request to sign has no Host header\n  hint: SigV4 always signs Host\n");

  Request injected = ok;
  injected.headers.push_back({"X-Amz-Meta-Note", "a\r\nX-Evil: 1"});
  EXPECT_EQ(sign_error(injected),
            "error: HTTP header \"X-Amz-Meta-Note\" has a control character in its value\n"
            "  hint: header values must not contain CR, LF or other control characters\n");

  Request bad_name = ok;
  bad_name.headers.push_back({"Bad Header", "x"});
  EXPECT_EQ(sign_error(bad_name),
            "error: invalid HTTP header name \"Bad Header\"\n"
            "  hint: a header name is a non-empty token (letters, digits, !#$%&'*+-.^_`|~)\n");

  Request other_date = ok;
  other_date.headers.push_back({"X-Amz-Date", "20130524T000001Z"});
  EXPECT_EQ(sign_error(other_date),
            "error: the X-Amz-Date header differs from the signing time\n"
            "  hint: sign with the same timestamp the header carries\n");

  Request upper_hash = ok;
  upper_hash.payload_sha256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
  EXPECT_EQ(sign_error(upper_hash),
            "error: invalid payload hash "
            "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"\n"
            "  hint: expected lowercase hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-* constant\n");

  Request relative = ok;
  relative.path = "bucket/key";
  EXPECT_EQ(sign_error(relative), "error: the request path does not start with '/'\n");

  Request empty_param = ok;
  empty_param.query = {{"", "x"}};
  EXPECT_EQ(sign_error(empty_param), "error: a query parameter has an empty name\n");

  Request bad_method = ok;
  bad_method.method = "GET /";
  EXPECT_EQ(sign_error(bad_method), "error: invalid HTTP method \"GET /\"\n");
}

TEST(SigV4ErrorsTest, AuthorizationHeadersRefuseToAddAHeaderTwice) {
  Request request = s3_request("GET", "/bucket");
  request.headers.push_back({"x-amz-date", std::string(kS3Time)});
  auto auth = authorization_headers(request, kS3Credentials, "us-east-1", "s3", kS3Time);
  ASSERT_FALSE(auth);
  EXPECT_EQ(auth.error().str(),
            "error: the request already has the header x-amz-date\n"
            "  hint: authorization_headers adds it; leave it out of the request\n");

  Credentials with_token = kS3Credentials;
  with_token.session_token = "token-secret";
  Request has_token = s3_request("GET", "/bucket");
  has_token.headers.push_back({"X-Amz-Security-Token", "token-secret"});
  auto twice = authorization_headers(has_token, with_token, "us-east-1", "s3", kS3Time);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().str().find("token-secret"), std::string::npos);

  Credentials bad_token = kS3Credentials;
  bad_token.session_token = "token\r\nX-Evil: 1";
  AuthHeaderOptions unsigned_token;
  unsigned_token.sign_session_token = false;
  auto injected = authorization_headers(s3_request("GET", "/bucket"), bad_token, "us-east-1", "s3",
                                        kS3Time, unsigned_token);
  ASSERT_FALSE(injected);
  EXPECT_EQ(injected.error().str(), "error: the session token contains a control character\n");
}

// ---------------------------------------------------------------------------------------------
// Helpers.

TEST(SigV4HelpersTest, Sha256Hex) {
  EXPECT_EQ(sha256_hex(""), kEmptyPayloadSha256);
  EXPECT_EQ(sha256_hex("Param1=value1"),
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
}

TEST(SigV4HelpersTest, AmzTimestamp) {
  std::chrono::system_clock::time_point t{1440938160s};
  EXPECT_EQ(amz_timestamp(t), "20150830T123600Z");
  EXPECT_EQ(amz_timestamp(t + 999ms), "20150830T123600Z");
  EXPECT_EQ(amz_timestamp(std::chrono::system_clock::time_point{1369353600s}), "20130524T000000Z");
}

TEST(SigV4HelpersTest, UriEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(uri_encode("AZaz09-._~", false), "AZaz09-._~");
  EXPECT_EQ(uri_encode("a/b c+d*e%", false), "a%2Fb%20c%2Bd%2Ae%25");
  EXPECT_EQ(uri_encode("a/b c", true), "a/b%20c");
  EXPECT_EQ(uri_encode("\xFF", true), "%FF");
}

}  // namespace
}  // namespace lakeinfra::providers::s3
