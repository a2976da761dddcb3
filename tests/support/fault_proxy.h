#pragma once

// A fault-injecting HTTP/1.1 proxy for tests: it listens on 127.0.0.1 (an ephemeral port),
// forwards each request to one upstream server (the test RGW) and, for about `fault_percent` of
// the requests, on a seeded schedule, does something bad instead:
//
//   kSlowDown          answers 503 SlowDown itself (S3 XML error body); nothing reaches upstream
//   kInternalError     answers 500 InternalError itself; nothing reaches upstream
//   kResetBefore       resets the connection (SO_LINGER 0, close) before forwarding
//   kResetAfter        forwards, reads upstream's answer, then resets: the operation happened
//                      but the client never saw the answer
//   kDelay             forwards, then holds upstream's answer for `delay` (longer than the
//                      client's timeout) before relaying it
//
// It understands HTTP/1.1 just enough to find request and response boundaries (head up to
// CRLFCRLF, Content-Length or chunked bodies, none for HEAD/204/304), so a kept-alive connection
// carries many requests. Bytes are relayed unchanged (the Host header that SigV4 signs included).
//
// The schedule: each request is identified by method, target and body with every occurrence of
// `stable_name` replaced (tests put their random lake name there), and its fate is drawn from a
// std::mt19937 seeded with `seed` and that identity. An identity is faulted at most once, so a
// client that retries sees the second attempt go through, and the set of faults for a seed does
// not depend on the order in which parallel workers send.
//
// One thread per connection; nothing is reachable from another machine. Not for production.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lakeinfra::test_support {

enum class Fault { kNone, kSlowDown, kInternalError, kResetBefore, kResetAfter, kDelay };

/// "none", "503 SlowDown", "500 InternalError", "reset before", "reset after", "delay".
const char* fault_name(Fault fault);

struct FaultProxyOptions {
  std::string upstream_host = "127.0.0.1";
  int upstream_port = 0;
  uint32_t seed = 1;
  /// Share of requests that get a fault, 0..100.
  int fault_percent = 10;
  /// Faults to draw from, uniformly; empty means all five.
  std::vector<Fault> faults;
  /// How long kDelay holds the answer: make it longer than the client's timeout.
  std::chrono::milliseconds delay{3'000};
  /// Replaced by "*" in request identities before they are hashed (see above).
  std::string stable_name;
};

/// One request as the proxy saw it.
struct ProxyLogEntry {
  std::string method;  ///< "PUT"
  std::string path;    ///< "/bucket/raw/", still percent-encoded as sent
  std::string query;   ///< after '?', as sent; "" when none
  /// IAM/STS form posts: the Action= and the RoleName= / PolicyName= of the body (decoded).
  std::string action;
  std::string role_name;
  std::string policy_name;
  Fault fault = Fault::kNone;
  /// Upstream's status when the request reached it (kNone, kResetAfter, kDelay), else 0.
  int upstream_status = 0;
  /// Upstream's response body, for IAM/S3 error codes (first 4 KiB).
  std::string upstream_body;
};

class FaultProxy {
 public:
  explicit FaultProxy(FaultProxyOptions options);
  /// Stops listening, resets open connections and joins every thread.
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  /// Binds 127.0.0.1:0 and starts accepting; false (with a message in error()) on failure.
  bool start();
  int port() const { return port_; }
  /// "http://127.0.0.1:PORT".
  std::string endpoint() const;
  const std::string& error() const { return error_; }

  /// A copy of the log so far, in the order requests completed.
  std::vector<ProxyLogEntry> log() const;
  void clear_log();

  /// The fault a request with this identity would get on first sight; for tests of the proxy.
  static Fault draw(const FaultProxyOptions& options, const std::string& identity);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::string error_;
};

}  // namespace lakeinfra::test_support
