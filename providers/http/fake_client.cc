#include "providers/http/fake_client.h"

#include <utility>

namespace lakeinfra::providers::http {

Response FakeClient::response(long status, std::string body, Headers headers) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

void FakeClient::push(Response response) {
  std::lock_guard lock(mutex_);
  script_.emplace_back(std::move(response));
}

void FakeClient::push(ErrorKind kind, std::string message) {
  std::lock_guard lock(mutex_);
  script_.emplace_back(tl::unexpected(Error{kind, std::move(message)}));
}

void FakeClient::set_handler(Handler handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

std::vector<Request> FakeClient::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

size_t FakeClient::calls() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

size_t FakeClient::pending() const {
  std::lock_guard lock(mutex_);
  return script_.size();
}

FakeClient::Reply FakeClient::send(const Request& request) {
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    if (!script_.empty()) {
      Reply reply = std::move(script_.front());
      script_.pop_front();
      return reply;
    }
    handler = handler_;
  }
  if (handler)
    return handler(request);
  return tl::unexpected(Error{ErrorKind::kOther, "FakeClient: no reply scripted for " +
                                                     request.method + " " + request.url});
}

}  // namespace lakeinfra::providers::http
