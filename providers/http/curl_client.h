#pragma once

// The real HTTP client, on libcurl. Only this file's .cc includes curl headers.

#include <cstddef>
#include <memory>

#include "providers/http/http_client.h"

namespace lakeinfra::providers::http {

/// Sends requests with libcurl, reusing connections, from any number of threads at once.
///
/// Connections: a pool of curl easy handles. A call checks a handle out (the most recently
/// returned one first), sends on it, and puts it back; each handle keeps its own cache of open
/// connections, so consecutive calls from one thread travel over one kept-alive connection, and
/// N threads calling at once use N handles and N connections in parallel. See curl_client.cc for
/// why a pool rather than a share handle.
///
/// Each call: connect and total timeouts from Options; TLS peer and host verification unless
/// Options::verify_tls is false; only http and https; redirects are not followed; proxies from
/// the usual environment variables (http_proxy, https_proxy, no_proxy), as curl does. The body is
/// sent exactly as given, and no Content-Type or `Expect: 100-continue` is added. Response header
/// names are lower-cased; when the server sent several responses (a 100 Continue first), only the
/// last one's headers are kept. One debug line per call: verb, redacted URL, status or error, ms.
/// Never throws.
class CurlClient : public Client {
 public:
  explicit CurlClient(Options options = {});
  ~CurlClient() override;
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  /// Sends one request; a response of any status is a value, only the absence of a response is
  /// an Error (kind mapped from curl's code, message redacted). Never retries.
  tl::expected<Response, Error> send(const Request& request) override;

  /// How many curl easy handles this client has created: at most the largest number of calls
  /// that were ever in flight at once (for tests and diagnostics).
  size_t handles_created() const;

 private:
  struct Pool;
  Options options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace lakeinfra::providers::http
