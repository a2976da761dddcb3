#include "providers/s3/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <exception>
#include <map>

namespace lakeinfra::providers::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";

using Digest = std::array<unsigned char, 32>;

/// Zeroes key material when it goes out of scope.
template <typename T>
struct Cleanse {
  T& bytes;
  ~Cleanse() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

std::string to_hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xF]);
  }
  return out;
}

/// HMAC-SHA256 of `data` under `key`; false if OpenSSL fails.
bool hmac_sha256(const unsigned char* key, size_t key_size, std::string_view data, Digest& out) {
  unsigned int size = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), key, static_cast<int>(key_size),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size);
  return result != nullptr && size == out.size();
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// An RFC 9110 token (method, header name).
bool is_token(std::string_view s) {
  if (s.empty())
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return is_alpha(c) || is_digit(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7F;
}

/// Region, service, access key id: they are joined into the scope with '/' and ends with ','.
bool is_scope_part(std::string_view s) {
  if (s.empty())
    return false;
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return c == '/' || c == ',' || c == ' ' || is_control(c); });
}

bool valid_timestamp(std::string_view t) {
  if (t.size() != 16 || t[8] != 'T' || t[15] != 'Z')
    return false;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (!is_digit(t[i]))
      return false;
  }
  auto two = [&](size_t i) { return (t[i] - '0') * 10 + (t[i + 1] - '0'); };
  int month = two(4), day = two(6), hour = two(9), minute = two(11), second = two(13);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 &&
         second <= 60;
}

bool valid_payload_hash(std::string_view h) {
  if (h == kUnsignedPayload)
    return true;
  if (h.starts_with("STREAMING-"))
    return is_token(h);
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return is_digit(c) || (c >= 'a' && c <= 'f');
         });
}

/// Trims leading and trailing blanks and turns each run of blanks (space, tab) into one space.
std::string trim_all(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space)
      out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

/// RFC 3986 remove_dot_segments, with empty segments dropped too ("//a//" → "/a/"). The result
/// ends with a slash when the path ends with "/", "/." or "/.." (as the RFC's does).
std::vector<std::string_view> normalized_segments(std::string_view path, bool& trailing_slash) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty())
        segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string_view last = path.substr(path.rfind('/') + 1);
  trailing_slash = last.empty() || last == "." || last == "..";
  return segments;
}

/// Lowercased name → values joined with ','; sorted by name (byte order).
using CanonicalHeaders = std::map<std::string, std::string>;

Result<CanonicalHeaders> canonical_headers(const std::vector<NameValue>& headers) {
  CanonicalHeaders out;
  for (const auto& [name, value] : headers) {
    if (!is_token(name)) {
      return fail("invalid HTTP header name \"" + name + "\"",
                  "a header name is a non-empty token (letters, digits, !#$%&'*+-.^_`|~)");
    }
    if (std::any_of(value.begin(), value.end(),
                    [](char c) { return c != '\t' && is_control(c); })) {
      return fail("HTTP header \"" + name + "\" has a control character in its value",
                  "header values must not contain CR, LF or other control characters");
    }
    std::string lowered;
    lowered.reserve(name.size());
    for (char c : name)
      lowered.push_back(lower(c));
    auto [it, inserted] = out.try_emplace(std::move(lowered), trim_all(value));
    if (!inserted)
      it->second.append(",").append(trim_all(value));
  }
  return out;
}

Result<SigningResult> sign_unchecked(const Request& request, const Credentials& credentials,
                                     std::string_view region, std::string_view service,
                                     std::string_view timestamp, const SignOptions& options) {
  if (!valid_timestamp(timestamp)) {
    return fail("invalid SigV4 timestamp \"" + std::string(timestamp) + "\"",
                "expected UTC as YYYYMMDDTHHMMSSZ, e.g. 20150830T123600Z");
  }
  if (credentials.access_key_id.empty())
    return fail("the access key id is empty");
  if (!is_scope_part(credentials.access_key_id)) {
    return fail("the access key id contains '/', ',', a space or a control character");
  }
  if (credentials.secret_access_key.empty())
    return fail("the secret access key is empty");
  if (!is_scope_part(region)) {
    return fail("invalid SigV4 region \"" + std::string(region) + "\"",
                "the region is non-empty, without '/', ',', spaces or control characters");
  }
  if (!is_scope_part(service)) {
    return fail("invalid SigV4 service \"" + std::string(service) + "\"",
                "the service is non-empty, without '/', ',', spaces or control characters");
  }
  if (!is_token(request.method)) {
    return fail("invalid HTTP method \"" + request.method + "\"");
  }
  if (!request.path.empty() && request.path.front() != '/') {
    return fail("the request path does not start with '/'");
  }
  for (const auto& [name, value] : request.query) {
    if (name.empty())
      return fail("a query parameter has an empty name");
  }
  if (!valid_payload_hash(request.payload_sha256)) {
    return fail("invalid payload hash \"" + request.payload_sha256 + "\"",
                "expected lowercase hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-* constant");
  }

  auto headers = canonical_headers(request.headers);
  if (!headers)
    return tl::unexpected(std::move(headers.error()));
  if (!headers->count("host")) {
    return fail("the request to sign has no Host header", "SigV4 always signs Host");
  }
  if (auto date = headers->find("x-amz-date");
      date != headers->end() && date->second != timestamp) {
    return fail("the X-Amz-Date header differs from the signing time",
                "sign with the same timestamp the header carries");
  }

  SigningResult out;
  std::string header_block;
  for (const auto& [name, value] : *headers) {
    header_block.append(name).append(":").append(value).append("\n");
    if (!out.signed_headers.empty())
      out.signed_headers.push_back(';');
    out.signed_headers.append(name);
  }

  out.canonical_request.append(request.method)
      .append("\n")
      .append(canonical_uri(request.path, options.uri_mode))
      .append("\n")
      .append(canonical_query(request.query))
      .append("\n")
      .append(header_block)
      .append("\n")
      .append(out.signed_headers)
      .append("\n")
      .append(request.payload_sha256);

  std::string_view date = timestamp.substr(0, 8);
  out.credential_scope.append(date)
      .append("/")
      .append(region)
      .append("/")
      .append(service)
      .append("/")
      .append(kTerminator);

  std::string request_hash = sha256_hex(out.canonical_request);
  if (request_hash.empty())
    return fail("SHA-256 failed (OpenSSL)");
  out.string_to_sign.append(kAlgorithm)
      .append("\n")
      .append(timestamp)
      .append("\n")
      .append(out.credential_scope)
      .append("\n")
      .append(request_hash);

  // kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
  std::string secret;  // Built in place: no temporary copy of the secret is left behind.
  Cleanse<std::string> cleanse_secret{secret};
  secret.reserve(4 + credentials.secret_access_key.size());
  secret.append("AWS4").append(credentials.secret_access_key);
  Digest key{}, next{}, signature{};
  Cleanse<Digest> cleanse_key{key}, cleanse_next{next};
  bool ok =
      hmac_sha256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), date, key);
  for (std::string_view part : {region, service, kTerminator}) {
    ok = ok && hmac_sha256(key.data(), key.size(), part, next);
    key = next;
  }
  ok = ok && hmac_sha256(key.data(), key.size(), out.string_to_sign, signature);
  if (!ok)
    return fail("HMAC-SHA256 failed (OpenSSL)");
  out.signature = to_hex(signature.data(), signature.size());

  out.authorization.append(kAlgorithm)
      .append(" Credential=")
      .append(credentials.access_key_id)
      .append("/")
      .append(out.credential_scope)
      .append(", SignedHeaders=")
      .append(out.signed_headers)
      .append(", Signature=")
      .append(out.signature);
  return out;
}

bool has_header(const std::vector<NameValue>& headers, std::string_view lowercase_name) {
  return std::any_of(headers.begin(), headers.end(), [&](const NameValue& h) {
    return h.first.size() == lowercase_name.size() &&
           std::equal(h.first.begin(), h.first.end(), lowercase_name.begin(),
                      [](char a, char b) { return lower(a) == b; });
  });
}

Result<AuthHeaders> authorization_headers_unchecked(
    const Request& request, const Credentials& credentials, std::string_view region,
    std::string_view service, std::string_view timestamp, const AuthHeaderOptions& options) {
  const bool token = !credentials.session_token.empty();
  std::vector<NameValue> added;
  added.emplace_back("X-Amz-Date", std::string(timestamp));
  if (options.add_content_sha256) {
    added.emplace_back("X-Amz-Content-Sha256", request.payload_sha256);
  }
  if (token)
    added.emplace_back("X-Amz-Security-Token", credentials.session_token);
  if (std::any_of(credentials.session_token.begin(), credentials.session_token.end(), is_control)) {
    return fail("the session token contains a control character");
  }

  for (std::string_view name :
       {"authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}) {
    bool adds = name == "authorization" || name == "x-amz-date" ||
                (name == "x-amz-content-sha256" && options.add_content_sha256) ||
                (name == "x-amz-security-token" && token);
    if (adds && has_header(request.headers, name)) {
      return fail("the request already has the header " + std::string(name),
                  "authorization_headers adds it; leave it out of the request");
    }
  }

  Request signed_request = request;
  for (const auto& header : added) {
    if (header.first == "X-Amz-Security-Token" && !options.sign_session_token)
      continue;
    signed_request.headers.push_back(header);
  }
  auto signing =
      sign_unchecked(signed_request, credentials, region, service, timestamp, options.sign);
  if (!signing)
    return tl::unexpected(std::move(signing.error()));
  AuthHeaders out;
  out.headers = std::move(added);
  out.headers.emplace_back("Authorization", signing->authorization);
  out.signing = std::move(*signing);
  return out;
}

}  // namespace

Result<SigningResult> sign_request(const Request& request, const Credentials& credentials,
                                   std::string_view region, std::string_view service,
                                   std::string_view timestamp, const SignOptions& options) {
  try {
    return sign_unchecked(request, credentials, region, service, timestamp, options);
  } catch (const std::exception& e) {
    return fail(std::string("SigV4 signing failed: ") + e.what());
  } catch (...) {
    return fail("SigV4 signing failed: unknown exception");
  }
}

Result<AuthHeaders> authorization_headers(const Request& request, const Credentials& credentials,
                                          std::string_view region, std::string_view service,
                                          std::string_view timestamp,
                                          const AuthHeaderOptions& options) {
  try {
    return authorization_headers_unchecked(request, credentials, region, service, timestamp,
                                           options);
  } catch (const std::exception& e) {
    return fail(std::string("SigV4 signing failed: ") + e.what());
  } catch (...) {
    return fail("SigV4 signing failed: unknown exception");
  }
}

std::string sha256_hex(std::string_view data) noexcept {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1 ||
      size != 32) {
    return {};
  }
  return to_hex(digest, size);
}

std::string amz_timestamp(std::chrono::system_clock::time_point time) noexcept {
  using namespace std::chrono;
  const auto seconds = floor<std::chrono::seconds>(time);
  const auto day = floor<days>(seconds);
  const year_month_day ymd{day};
  const hh_mm_ss hms{seconds - day};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buffer;
}

std::string uri_encode(std::string_view text, bool keep_slash) noexcept {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kDigits[u >> 4]);
      out.push_back(kDigits[u & 0xF]);
    }
  }
  return out;
}

std::string canonical_uri(std::string_view path, UriMode mode) noexcept {
  if (path.empty())
    return "/";
  if (mode == UriMode::kS3)
    return uri_encode(path, /*keep_slash=*/true);
  bool trailing_slash = false;
  auto segments = normalized_segments(path, trailing_slash);
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0)
      out.push_back('/');
    out.append(uri_encode(segments[i], /*keep_slash=*/false));
  }
  if (trailing_slash && !segments.empty())
    out.push_back('/');
  return out;
}

std::string canonical_query(const std::vector<NameValue>& query) noexcept {
  std::vector<NameValue> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty())
      out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

}  // namespace lakeinfra::providers::s3
