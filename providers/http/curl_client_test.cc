// CurlClient against local servers on 127.0.0.1: cpp-httplib for well-behaved HTTP, raw sockets
// for servers that misbehave (close without answering, never accept).

#include "providers/http/curl_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/log.h"

namespace lakeinfra::providers::http {
namespace {

using namespace std::chrono_literals;

/// A request without headers.
Request make_request(std::string method, std::string url, std::string body = {}) {
  Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  return r;
}

/// An HTTP server on 127.0.0.1 at a free port, in its own thread, counting the distinct client
/// connections (remote ports) it served.
class TestServer {
 public:
  TestServer() {
    server_.new_task_queue = [] { return new httplib::ThreadPool(32); };
    server_.set_keep_alive_max_count(10'000);
    server_.set_keep_alive_timeout(30);
    server_.set_tcp_nodelay(true);
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard lock(mutex_);
      ports_.insert(req.remote_port);
      return httplib::Server::HandlerResponse::Unhandled;
    });
  }
  ~TestServer() { stop(); }

  httplib::Server& routes() { return server_; }

  /// Binds and starts serving; the routes must be set before.
  void start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // The socket already listens; wait until the loop runs, so that stop() can end it.
    for (int i = 0; i < 500 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(10ms);
  }
  void stop() {
    server_.stop();
    if (thread_.joinable())
      thread_.join();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  size_t connections() const {
    std::lock_guard lock(mutex_);
    return ports_.size();
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::set<int> ports_;
};

/// A listening socket on 127.0.0.1 that a test drives by hand; closed on destruction.
class RawListener {
 public:
  explicit RawListener(int backlog) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, backlog) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~RawListener() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int fd() const { return fd_; }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
int closed_port() {
  RawListener listener(1);
  return listener.port();
}

TEST(CurlClient, RoundTripsStatusBodyAndHeaders) {
  TestServer server;
  std::string seen_method, seen_body, seen_header, seen_content_type, seen_expect;
  server.routes().Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
    seen_method = req.method;
    seen_body = req.body;
    seen_header = req.get_header_value("X-Test");
    seen_content_type = req.get_header_value("Content-Type");
    seen_expect = req.get_header_value("Expect");
    res.status = 201;
    res.set_header("X-Reply", "Yes");
    res.set_content("got: " + req.body, "text/plain");
  });
  server.start();

  CurlClient client;
  Request request;
  request.method = "POST";
  request.url = server.url("/echo");
  request.headers = {{"X-Test", "value 1"}};
  request.body = std::string(2'000'000, 'x');  // Large enough for curl to think of Expect.
  auto response = client.send(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "got: " + request.body);
  EXPECT_EQ(response->header("x-reply"), "Yes");
  EXPECT_EQ(response->header("X-Reply"), "Yes");  // Lookup is case-insensitive.
  EXPECT_EQ(response->header("content-type"), "text/plain");
  for (const auto& [name, value] : response->headers) {
    for (char c : name)
      EXPECT_FALSE(c >= 'A' && c <= 'Z') << "header name not lower-cased: " << name;
  }
  EXPECT_EQ(seen_method, "POST");
  EXPECT_EQ(seen_body, request.body);
  EXPECT_EQ(seen_header, "value 1");
  EXPECT_EQ(seen_content_type, "");  // Nothing added to what the caller built.
  EXPECT_EQ(seen_expect, "");
}

TEST(CurlClient, SendsEveryMethodWithItsBody) {
  TestServer server;
  std::mutex mutex;
  std::vector<std::string> seen;
  auto record = [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    seen.push_back(req.method + " " + req.target + " [" + req.body +
                   "] length=" + req.get_header_value("Content-Length"));
    res.set_header("X-Method", req.method);
    res.status = req.method == "DELETE" ? 204 : 200;
  };
  server.routes().Put("/b", record);
  server.routes().Delete("/b", record);
  server.routes().Get("/b", record);
  server.routes().Options("/b", record);
  server.start();

  CurlClient client;
  auto send = [&](std::string method, std::string body) {
    Request request;
    request.method = std::move(method);
    request.url = server.url("/b?versioning=&x=%2F");
    request.body = std::move(body);
    return client.send(request);
  };
  auto put = send("PUT", "");
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(put->status, 200);
  ASSERT_TRUE(send("PUT", "<xml/>"));
  auto del = send("DELETE", "");
  ASSERT_TRUE(del) << del.error().message;
  EXPECT_EQ(del->status, 204);
  ASSERT_TRUE(send("GET", ""));
  ASSERT_TRUE(send("OPTIONS", ""));
  auto head = send("HEAD", "");  // httplib answers HEAD with the GET handler, without a body.
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("x-method"), "HEAD");
  EXPECT_EQ(head->body, "");

  std::vector<std::string> expected = {
      "PUT /b?versioning=&x=%2F [] length=0",     "PUT /b?versioning=&x=%2F [<xml/>] length=6",
      "DELETE /b?versioning=&x=%2F [] length=0",  "GET /b?versioning=&x=%2F [] length=",
      "OPTIONS /b?versioning=&x=%2F [] length=0", "HEAD /b?versioning=&x=%2F [] length=",
  };
  EXPECT_EQ(seen, expected);
}

TEST(CurlClient, TotalTimeoutIsATimeout) {
  TestServer server;
  server.routes().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(1500ms);
    res.set_content("late", "text/plain");
  });
  server.start();

  CurlClient client(Options{.connect_timeout = 1000ms, .total_timeout = 200ms});
  auto started = std::chrono::steady_clock::now();
  auto response = client.send(make_request("GET", server.url("/slow")));
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, ErrorKind::kTimeout) << response.error().message;
  EXPECT_LT(took, 1200ms);
  EXPECT_NE(response.error().message.find("GET http://127.0.0.1:"), std::string::npos)
      << response.error().message;
}

TEST(CurlClient, RefusedConnectionIsAConnectFailure) {
  CurlClient client;
  std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  auto response = client.send(make_request("GET", url));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, ErrorKind::kConnect) << response.error().message;
}

TEST(CurlClient, ConnectTimeoutIsAConnectFailure) {
  // A listener whose accept queue (backlog 0: one connection) is full and never drained: the
  // kernel drops further SYNs, so the next connect hangs until curl's connect timeout.
  RawListener listener(0);
  ASSERT_GE(listener.fd(), 0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(listener.port()));
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(100ms);

  CurlClient client(Options{.connect_timeout = 300ms, .total_timeout = 5000ms});
  auto response =
      client.send(make_request("GET", "http://127.0.0.1:" + std::to_string(listener.port())));
  for (int fd : fillers)
    ::close(fd);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, ErrorKind::kConnect) << response.error().message;
  // curl says "Failed to connect ... after 300 ms: Timeout was reached" or "Connection timeout
  // after 300 ms", depending on where the wait ended.
  std::string lowered = response.error().message;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  EXPECT_NE(lowered.find("timeout"), std::string::npos) << response.error().message;
}

TEST(CurlClient, ConnectionClosedWithoutAnswerIsAReset) {
  RawListener listener(8);
  ASSERT_GE(listener.fd(), 0);
  std::thread server([&] {
    int fd = ::accept(listener.fd(), nullptr, nullptr);
    char buffer[4096];
    [[maybe_unused]] auto n = ::read(fd, buffer, sizeof buffer);  // The request, then hang up.
    ::close(fd);
  });
  CurlClient client;
  auto response =
      client.send(make_request("GET", "http://127.0.0.1:" + std::to_string(listener.port())));
  server.join();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, ErrorKind::kReset) << response.error().message;
}

TEST(CurlClient, HttpsToAPlainHttpServerIsATlsFailure) {
  TestServer server;
  server.routes().Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("plain", "text/plain");
  });
  server.start();
  std::string url = server.url("/");
  url.replace(0, 4, "https");
  CurlClient client;
  auto response = client.send(make_request("GET", url));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, ErrorKind::kTls) << response.error().message;
}

TEST(CurlClient, RejectsHeaderInjection) {
  CurlClient client;
  Request request = make_request("GET", "http://127.0.0.1:1/");
  request.headers = {{"X-Evil", "a\r\nAuthorization: stolen"}};
  auto response = client.send(request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, ErrorKind::kOther);
  EXPECT_EQ(response.error().message.find("stolen"), std::string::npos);
}

TEST(CurlClient, ReusesOneConnectionForSequentialRequests) {
  TestServer server;
  server.routes().Get("/n", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  server.start();

  CurlClient client;
  for (int i = 0; i < 20; ++i) {
    auto response = client.send(make_request("GET", server.url("/n")));
    ASSERT_TRUE(response) << response.error().message;
    ASSERT_EQ(response->status, 200);
  }
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(client.handles_created(), 1u);
}

TEST(CurlClient, ServesParallelCallersOnSeveralConnections) {
  TestServer server;
  std::atomic<int> in_flight{0}, most_in_flight{0};
  server.routes().Put("/p", [&](const httplib::Request& req, httplib::Response& res) {
    int now = ++in_flight;
    int seen = most_in_flight.load();
    while (now > seen && !most_in_flight.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(20ms);
    --in_flight;
    res.set_content(req.body, "text/plain");
  });
  server.start();

  CurlClient client;
  constexpr int kThreads = 8, kRequests = 10;
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRequests; ++i) {
        std::string body = std::to_string(t) + "/" + std::to_string(i);
        auto response = client.send(make_request("PUT", server.url("/p"), body));
        if (response && response->status == 200 && response->body == body)
          ++succeeded;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(succeeded.load(), kThreads * kRequests);
  EXPECT_GT(server.connections(), 1u);
  EXPECT_LE(server.connections(), static_cast<size_t>(kThreads));
  EXPECT_GT(most_in_flight.load(), 1);
  EXPECT_LE(client.handles_created(), static_cast<size_t>(kThreads));
}

TEST(CurlClient, LogsOneRedactedDebugLinePerCall) {
  TestServer server;
  server.routes().Get("/b/k",
                      [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
  server.start();

  std::vector<std::string> lines;
  config::Log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
  config::Log::set_level(config::LogLevel::kDebug);
  CurlClient client;
  auto response =
      client.send(make_request("GET", server.url("/b/k?X-Amz-Signature=deadbeef&list-type=2")));
  config::Log::set_level(config::LogLevel::kWarn);
  config::Log::set_sink(nullptr);

  ASSERT_TRUE(response) << response.error().message;
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(
      lines[0].find("http GET " + server.url("/b/k?X-Amz-Signature=***&list-type=2") + " 404 "),
      std::string::npos)
      << lines[0];
  EXPECT_TRUE(lines[0].ends_with(" ms")) << lines[0];
  EXPECT_EQ(lines[0].find("deadbeef"), std::string::npos);
}

}  // namespace
}  // namespace lakeinfra::providers::http
