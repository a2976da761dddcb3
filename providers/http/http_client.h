#pragma once

#include <tl/expected.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace lakeinfra::providers::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url;  ///< Full URL, query already percent-encoded.
  Headers headers;
  std::string body;
};

struct Response {
  long status = 0;
  Headers headers;  ///< Names lower-cased.
  std::string body;

  /// Value of the first header with this name (compared case-insensitively), or "".
  std::string header(const std::string& name) const;
};

/// Why no response arrived.
enum class ErrorKind {
  /// No connection was made (refused, DNS, unreachable, connect timeout, TLS handshake timeout):
  /// the request was certainly not sent, so even a non-idempotent request may be retried.
  kConnect,
  kTimeout,  ///< The total timeout passed after the request may have been sent.
  kReset,    ///< Connection reset or closed mid-exchange.
  kTls,      ///< TLS handshake or peer verification failed.
  kOther,
};

/// "connect", "timeout", "reset", "tls" or "other".
const char* error_kind_name(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kOther;
  std::string message;  ///< Redacted: never contains credentials.
};

struct Options {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds total_timeout{60'000};
  bool verify_tls = true;  ///< Peer and host verification for https.
};

/// Sends HTTP requests. The one seam for all HTTP traffic: the real client reuses connections
/// across calls and is safe to call from several threads at once; tests use a fake. A call
/// never retries: retry policy belongs to the caller, which knows what is idempotent.
class Client {
 public:
  virtual ~Client() = default;
  virtual tl::expected<Response, Error> send(const Request& request) = 0;
};

}  // namespace lakeinfra::providers::http
