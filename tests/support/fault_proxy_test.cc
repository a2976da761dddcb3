// The fault proxy itself, against a tiny upstream server on 127.0.0.1 and libcurl as the client.
#include "tests/support/fault_proxy.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace lakeinfra::test_support {
namespace {

/// Answers every request on keep-alive connections: GET /chunked with a chunked body, anything
/// else with "ok <method> <target>" and a Content-Length. Counts the requests it answered.
class Upstream {
 public:
  Upstream() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0)
          return;
        clients_.push_back(c);
        workers_.emplace_back([this, c] { serve(c); });
      }
    });
  }
  ~Upstream() {
    ::shutdown(fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(fd_);
    for (int c : clients_)
      ::shutdown(c, SHUT_RDWR);
    for (auto& t : workers_)
      t.join();
    for (int c : clients_)
      ::close(c);
  }
  int port() const { return port_; }
  int requests() const { return requests_.load(); }

 private:
  void serve(int c) {
    std::string buf;
    char chunk[4096];
    for (;;) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0)
          return;
        buf.append(chunk, static_cast<size_t>(n));
      }
      std::string head = buf.substr(0, end);
      size_t length = 0;
      if (size_t cl = head.find("Content-Length: "); cl != std::string::npos)
        length = std::stoul(head.substr(cl + 16));
      while (buf.size() < end + 4 + length) {
        ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0)
          return;
        buf.append(chunk, static_cast<size_t>(n));
      }
      buf.erase(0, end + 4 + length);
      std::string line = head.substr(0, head.find("\r\n"));
      std::string method = line.substr(0, line.find(' '));
      std::string target = line.substr(line.find(' ') + 1);
      target = target.substr(0, target.find(' '));
      ++requests_;
      std::string response;
      if (target == "/chunked") {
        response =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
      } else {
        std::string body = "ok " + method + " " + target;
        response = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\n\r\n" + (method == "HEAD" ? "" : body);
      }
      if (::send(c, response.data(), response.size(), MSG_NOSIGNAL) < 0)
        return;
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread acceptor_;
  std::vector<int> clients_;
  std::vector<std::thread> workers_;
};

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct Reply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
};

/// One request on `curl` (a handle keeps its connection alive between calls).
Reply send(CURL* curl, const std::string& url, const std::string& method = "GET",
           const std::string& body = {}, long timeout_ms = 5'000) {
  Reply r;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_NOBODY, method == "HEAD" ? 1L : 0L);
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl, CURLOPT_NOBODY, method == "HEAD" ? 1L : 0L);
  }
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  r.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

struct Handle {
  Handle() : curl(curl_easy_init()) {}
  ~Handle() { curl_easy_cleanup(curl); }
  CURL* curl;
};

FaultProxyOptions only(Fault fault, int port) {
  FaultProxyOptions o;
  o.upstream_port = port;
  o.fault_percent = 100;
  o.faults = {fault};
  return o;
}

TEST(FaultProxyTest, DrawIsSeededStableAndAboutTheShareAsked) {
  FaultProxyOptions o;
  o.seed = 42;
  o.fault_percent = 10;
  int faults = 0;
  std::set<Fault> kinds;
  for (int i = 0; i < 2000; ++i) {
    std::string id = "PUT /bucket-" + std::to_string(i) + "\n";
    Fault f = FaultProxy::draw(o, id);
    EXPECT_EQ(f, FaultProxy::draw(o, id));
    faults += f != Fault::kNone;
    kinds.insert(f);
  }
  EXPECT_GT(faults, 120);
  EXPECT_LT(faults, 280);
  EXPECT_EQ(kinds.size(), 6u);  // none and all five faults
  // The random lake name does not change the schedule.
  o.stable_name = "lake-abc";
  FaultProxyOptions p = o;
  p.stable_name = "lake-xyz";
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(FaultProxy::draw(o, "GET /lake-abc-" + std::to_string(i)),
              FaultProxy::draw(p, "GET /lake-xyz-" + std::to_string(i)));
  }
}

TEST(FaultProxyTest, RelaysKeepAliveRequestsAndChunkedBodies) {
  Upstream up;
  FaultProxyOptions o;
  o.upstream_port = up.port();
  o.fault_percent = 0;
  FaultProxy proxy(o);
  ASSERT_TRUE(proxy.start()) << proxy.error();
  Handle h;
  auto a = send(h.curl, proxy.endpoint() + "/b/k?x=1", "PUT", "data");
  EXPECT_EQ(a.code, CURLE_OK);
  EXPECT_EQ(a.body, "ok PUT /b/k?x=1");
  auto b = send(h.curl, proxy.endpoint() + "/chunked");
  EXPECT_EQ(b.code, CURLE_OK);
  EXPECT_EQ(b.body, "hello world");
  auto c = send(h.curl, proxy.endpoint() + "/head", "HEAD");
  EXPECT_EQ(c.code, CURLE_OK);
  EXPECT_EQ(c.status, 200);
  long connects = 0;
  curl_easy_getinfo(h.curl, CURLINFO_NUM_CONNECTS, &connects);
  EXPECT_EQ(connects, 0);  // the last call reused the first connection
  auto log = proxy.log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].method, "PUT");
  EXPECT_EQ(log[0].path, "/b/k");
  EXPECT_EQ(log[0].query, "x=1");
  EXPECT_EQ(log[0].upstream_status, 200);
  EXPECT_EQ(up.requests(), 3);
}

TEST(FaultProxyTest, AnswersSlowDownItselfOnceThenForwards) {
  Upstream up;
  FaultProxy proxy(only(Fault::kSlowDown, up.port()));
  ASSERT_TRUE(proxy.start());
  Handle h;
  auto first = send(h.curl, proxy.endpoint() + "/b");
  EXPECT_EQ(first.status, 503);
  EXPECT_NE(first.body.find("<Code>SlowDown</Code>"), std::string::npos) << first.body;
  EXPECT_EQ(up.requests(), 0);
  auto second = send(h.curl, proxy.endpoint() + "/b");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(up.requests(), 1);
  auto log = proxy.log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].fault, Fault::kSlowDown);
  EXPECT_EQ(log[0].upstream_status, 0);
  EXPECT_EQ(log[1].fault, Fault::kNone);
}

TEST(FaultProxyTest, ResetAfterForwardingReachesUpstreamButNotTheClient) {
  Upstream up;
  FaultProxy proxy(only(Fault::kResetAfter, up.port()));
  ASSERT_TRUE(proxy.start());
  Handle h;
  auto r = send(h.curl, proxy.endpoint() + "/b/k", "PUT", "x");
  EXPECT_NE(r.code, CURLE_OK);
  EXPECT_EQ(up.requests(), 1);
  auto log = proxy.log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].fault, Fault::kResetAfter);
  EXPECT_EQ(log[0].upstream_status, 200);
}

TEST(FaultProxyTest, ResetBeforeForwardingReachesNothing) {
  Upstream up;
  FaultProxy proxy(only(Fault::kResetBefore, up.port()));
  ASSERT_TRUE(proxy.start());
  Handle h;
  auto r = send(h.curl, proxy.endpoint() + "/b/k", "PUT", "x");
  EXPECT_NE(r.code, CURLE_OK);
  EXPECT_EQ(up.requests(), 0);
}

TEST(FaultProxyTest, DelayOutlastsTheClientTimeout) {
  Upstream up;
  auto o = only(Fault::kDelay, up.port());
  o.delay = std::chrono::milliseconds(600);
  FaultProxy proxy(o);
  ASSERT_TRUE(proxy.start());
  Handle h;
  auto r = send(h.curl, proxy.endpoint() + "/b", "GET", {}, 200);
  EXPECT_EQ(r.code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(up.requests(), 1);
  // IAM form posts are logged with their action and names.
  auto o2 = o;
  o2.fault_percent = 0;
  FaultProxy plain(o2);
  ASSERT_TRUE(plain.start());
  Handle h2;
  struct curl_slist* headers =
      curl_slist_append(nullptr, "Content-Type: application/x-www-form-urlencoded; charset=utf-8");
  curl_easy_setopt(h2.curl, CURLOPT_HTTPHEADER, headers);
  auto post = send(h2.curl, plain.endpoint() + "/", "POST",
                   "Action=CreateRole&RoleName=lake-dev-engineer&Path=%2F&Version=2010-05-08");
  curl_slist_free_all(headers);
  EXPECT_EQ(post.code, CURLE_OK);
  auto log = plain.log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, "CreateRole");
  EXPECT_EQ(log[0].role_name, "lake-dev-engineer");
}

}  // namespace
}  // namespace lakeinfra::test_support
