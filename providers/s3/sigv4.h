#pragma once

// AWS Signature Version 4 (header-based, AWS4-HMAC-SHA256) for the S3 provider.
//
// Pure functions: the caller passes the time (from config::Clock, formatted by amz_timestamp)
// and gets back every intermediate part, so a server's SignatureDoesNotMatch can be explained by
// comparing canonical requests. Nothing here logs; the results hold no secret, but the
// Authorization value and the signature must still be redacted before anything is written.
// The helpers marked noexcept only allocate; running out of memory there ends the program.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/result.h"

namespace lakeinfra::providers::s3 {

/// Hex SHA-256 of the empty payload (a GET, a HEAD, a DELETE without body).
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Payload hash for a body that is not hashed (allowed by S3 over TLS).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

/// Access keys. `secret_access_key` and `session_token` are secrets: never log them.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  /// Empty for long-term keys; the STS session token for temporary credentials.
  std::string session_token;
};

/// A header or query parameter: (name, value).
using NameValue = std::pair<std::string, std::string>;

/// The parts of an HTTP request that are signed.
struct Request {
  /// HTTP method as sent ("GET"); not case-folded.
  std::string method;
  /// The decoded URI path ("/my bucket/ሴ"), not percent-encoded: the signer encodes it (see
  /// canonical_uri), and the wire path must be that same encoding. Empty means "/".
  std::string path;
  /// Query parameters as decoded (name, value) pairs, in any order; a parameter without value
  /// ("?versioning") has an empty value. The wire query should be canonical_query(query).
  std::vector<NameValue> query;
  /// Headers to sign, every one of them; must include Host. Names in any case; duplicates are
  /// joined with ',' in the order given.
  std::vector<NameValue> headers;
  /// Lowercase hex SHA-256 of the body (sha256_hex), kEmptyPayloadSha256, kUnsignedPayload, or an
  /// S3 "STREAMING-..." constant.
  std::string payload_sha256{kEmptyPayloadSha256};
};

/// How the URI path becomes the canonical URI.
enum class UriMode {
  /// What the AWS SigV4 test suite expects of services other than S3: dot segments removed,
  /// duplicate slashes collapsed, then each segment percent-encoded once.
  kGeneric,
  /// S3 (and Ceph RGW): the path as given, not normalised, percent-encoded once, '/' kept.
  kS3,
};

struct SignOptions {
  UriMode uri_mode = UriMode::kS3;
};

/// Every intermediate part of one signature.
struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  /// "20150830/us-east-1/service/aws4_request".
  std::string credential_scope;
  /// Lowercase header names joined by ';' ("host;x-amz-date").
  std::string signed_headers;
  /// Lowercase hex HMAC-SHA256 of string_to_sign.
  std::string signature;
  /// The Authorization header value: "AWS4-HMAC-SHA256 Credential=AKID/SCOPE,
  /// SignedHeaders=..., Signature=...".
  std::string authorization;
};

/// Signs exactly `request.headers` (it adds none; credentials.session_token is not used here).
/// `timestamp` is the request time as "YYYYMMDDTHHMMSSZ" (UTC); if the request carries an
/// X-Amz-Date header it must equal `timestamp`. Fails, naming the problem but never echoing a
/// secret or a header value, on: a malformed timestamp; an empty secret; an access key id, region
/// or service that is empty or holds '/', ',', a space or a control character; an invalid method
/// or header name; a header value with a control character (CR, LF, ...); a path not starting
/// with '/'; an empty query parameter name; a missing Host header; an invalid payload hash.
/// Never throws.
Result<SigningResult> sign_request(const Request& request, const Credentials& credentials,
                                   std::string_view region, std::string_view service,
                                   std::string_view timestamp, const SignOptions& options = {});

struct AuthHeaderOptions {
  SignOptions sign;
  /// Add and sign X-Amz-Content-Sha256 with request.payload_sha256 (S3 requires it).
  bool add_content_sha256 = true;
  /// With a session token: sign X-Amz-Security-Token (true; S3 requires it), or add it after
  /// signing, unsigned (false; the suite's post-sts-header-after variant).
  bool sign_session_token = true;
};

/// The headers authorization_headers adds, and how they were made.
struct AuthHeaders {
  /// In this order: X-Amz-Date, X-Amz-Content-Sha256 (if asked), X-Amz-Security-Token (if the
  /// credentials have a session token), Authorization.
  std::vector<NameValue> headers;
  SigningResult signing;
};

/// Signs `request` as sign_request does after adding X-Amz-Date (= timestamp), and as asked
/// X-Amz-Content-Sha256 and X-Amz-Security-Token; returns the headers to add to the request.
/// Fails as sign_request does, when the session token holds a control character, and when the
/// request already has one of the headers it would add (or Authorization). Never throws.
Result<AuthHeaders> authorization_headers(const Request& request, const Credentials& credentials,
                                          std::string_view region, std::string_view service,
                                          std::string_view timestamp,
                                          const AuthHeaderOptions& options = {});

/// Lowercase hex SHA-256 of `data`; "" only if OpenSSL fails (which sign_request then rejects).
std::string sha256_hex(std::string_view data) noexcept;

/// "YYYYMMDDTHHMMSSZ" of `time` in UTC, truncated to the second (years 0000-9999).
std::string amz_timestamp(std::chrono::system_clock::time_point time) noexcept;

/// Percent-encodes every byte outside the RFC 3986 unreserved set (A-Z a-z 0-9 - . _ ~) as %XX
/// with uppercase hex; '/' is kept when `keep_slash`.
std::string uri_encode(std::string_view text, bool keep_slash) noexcept;

/// The canonical URI of a decoded path in `mode` (see UriMode); also the path to send on the
/// wire. Does not validate the path (sign_request does).
std::string canonical_uri(std::string_view path, UriMode mode) noexcept;

/// The canonical query string: names and values percent-encoded (uri_encode, '/' encoded), sorted
/// by encoded name then encoded value, "name=value" joined by '&'; "" when there are none. Also
/// the query string to send on the wire.
std::string canonical_query(const std::vector<NameValue>& query) noexcept;

}  // namespace lakeinfra::providers::s3
