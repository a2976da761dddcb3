#pragma once

// A scripted http::Client for unit tests: no network.

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "providers/http/http_client.h"

namespace lakeinfra::providers::http {

/// Answers each call with the next scripted reply (a response or an error), or, once the script
/// is used up, with the handler's answer; without a handler an unscripted call fails with
/// ErrorKind::kOther ("FakeClient: no reply scripted for ..."). Records every request it was sent,
/// in order. Thread-safe (the handler runs outside the lock, so it may block).
class FakeClient : public Client {
 public:
  using Reply = tl::expected<Response, Error>;
  using Handler = std::function<Reply(const Request&)>;

  /// A response with `status`, `body` and `headers` (names as given; use lower case).
  static Response response(long status, std::string body = {}, Headers headers = {});

  /// Queues `response` as the reply to a future call.
  void push(Response response);
  /// Queues a transport error (no response) as the reply to a future call.
  void push(ErrorKind kind, std::string message = "scripted error");
  /// Answers calls once the queue is empty.
  void set_handler(Handler handler);

  /// Every request sent so far, in order.
  std::vector<Request> requests() const;
  /// How many calls were made.
  size_t calls() const;
  /// How many scripted replies are still queued.
  size_t pending() const;

  Reply send(const Request& request) override;

 private:
  mutable std::mutex mutex_;
  std::deque<Reply> script_;
  Handler handler_;
  std::vector<Request> requests_;
};

}  // namespace lakeinfra::providers::http
