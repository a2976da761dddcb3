#pragma once

// What went wrong with an S3 (or IAM/STS) call: the typed failure every S3Client operation
// returns, and the parsing of error bodies behind it.

#include <tl/expected.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "providers/http/http_client.h"

namespace lakeinfra::providers::s3 {

/// What a caller can do about a failure. The provider maps these onto its own failure kinds.
enum class S3FailureKind {
  kNotFound,   ///< 404: NoSuchBucket, NoSuchKey, NoSuchEntity, ... (a HEAD 404 has no code).
  kAuth,       ///< 403 (AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId, ...) or an
               ///< auth code on another status (ExpiredToken, InvalidToken, ...).
  kConflict,   ///< 409: BucketNotEmpty, BucketAlreadyExists, OperationAborted, ...
  kTransient,  ///< 5xx, 429, SlowDown/Throttling/RequestTimeout, connect failures, timeouts,
               ///< connection resets: may succeed when tried again.
  kInvalid,    ///< Any other 4xx, a 3xx redirect, or a request that cannot be built or signed.
  kInternal,   ///< A TLS failure, an unreadable success response, anything else.
};

/// "not_found", "auth", "conflict", "transient", "invalid" or "internal".
const char* s3_failure_kind_name(S3FailureKind kind);

/// A failed S3/IAM call. Holds no credential, signature or Authorization value.
struct S3Failure {
  S3FailureKind kind = S3FailureKind::kInternal;
  std::string operation;  ///< The API name: "PutBucketTagging", "CreateRole".
  std::string bucket;     ///< Empty for calls without a bucket.
  std::string key;        ///< Empty for bucket-level calls.
  long status = 0;        ///< HTTP status; 0 when no response arrived.
  std::string code;       ///< The server's error code ("NoSuchBucket"); may be empty.
  std::string message;    ///< The server's message, or why no response arrived; may be empty.
  std::string request_id;
  /// Set when no response arrived: why (connect, timeout, reset, tls, other).
  std::optional<http::ErrorKind> transport;
  /// How many times the request was sent (1 when it was not retried).
  int attempts = 1;

  /// One line: "PutBucketTagging b: HTTP 403 SignatureDoesNotMatch: The request ... (request id
  /// tx1; 3 attempts)", omitting empty parts.
  std::string str() const;
};

template <typename T>
using S3Result = tl::expected<T, S3Failure>;

/// The fields of an error body.
struct ErrorBody {
  std::string code;
  std::string message;
  std::string request_id;
};

/// Reads an error body in either shape: S3's `<Error><Code/><Message/><RequestId/></Error>` or
/// IAM/STS's `<ErrorResponse><Error><Code/><Message/></Error><RequestId/></ErrorResponse>`.
/// Fields the body lacks are empty. A body that is not such XML (empty, HTML from a proxy, plain
/// text) yields an empty code and, when it has text, a message quoting its first words without
/// markup ("unexpected response: 502 Bad Gateway nginx"). Never throws.
ErrorBody parse_error_body(std::string_view body);

/// The kind of failure an HTTP status and error code mean (see S3FailureKind).
S3FailureKind classify(long status, std::string_view code);

/// The kind of failure a transport error means: connect, timeout and reset are transient.
S3FailureKind classify(http::ErrorKind kind);

/// The failure for a response with a non-2xx status: code and message from the body, request
/// id from the body or the x-amz-request-id header; for a redirect, the region the bucket lives
/// in (x-amz-bucket-region) is named in the message.
S3Failure failure_from_response(std::string operation, std::string bucket, std::string key,
                                const http::Response& response);

/// The failure for a request that got no response.
S3Failure failure_from_transport(std::string operation, std::string bucket, std::string key,
                                 const http::Error& error);

}  // namespace lakeinfra::providers::s3
