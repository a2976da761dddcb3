#include "tests/support/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

namespace lakeinfra::test_support {
namespace {

constexpr size_t kMaxHead = 64 * 1024;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

/// The value of header `name` (lower case) in an HTTP head, or "".
std::string header(const std::string& head, const std::string& name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    if (end == std::string::npos)
      end = head.size();
    std::string line = head.substr(start, end - start);
    size_t colon = line.find(':');
    if (colon != std::string::npos && lower(trim(line.substr(0, colon))) == name)
      return trim(line.substr(colon + 1));
    pos = end == head.size() ? std::string::npos : end;
  }
  return {};
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// The decoded value of `name` in a form-encoded body, or "".
std::string form_value(const std::string& body, const std::string& name) {
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    std::string pair = body.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == name)
      return url_decode(pair.substr(eq + 1));
    if (amp == std::string::npos)
      break;
    pos = amp + 1;
  }
  return {};
}

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

/// Appends what `fd` has to `buf`; false on EOF or error.
bool read_more(int fd, std::string& buf) {
  char chunk[65536];
  for (;;) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    buf.append(chunk, static_cast<size_t>(n));
    return true;
  }
}

/// Reads until `buf` holds `n` bytes.
bool read_until_size(int fd, std::string& buf, size_t n) {
  while (buf.size() < n) {
    if (!read_more(fd, buf))
      return false;
  }
  return true;
}

/// Reads until `buf` holds CRLFCRLF; returns the index after it, or npos.
size_t read_head(int fd, std::string& buf) {
  for (;;) {
    size_t end = buf.find("\r\n\r\n");
    if (end != std::string::npos)
      return end + 4;
    if (buf.size() > kMaxHead || !read_more(fd, buf))
      return std::string::npos;
  }
}

/// The end of a chunked body that starts at `start` in `buf` (reading more as needed), or npos.
size_t read_chunked(int fd, std::string& buf, size_t start) {
  size_t pos = start;
  for (;;) {
    size_t eol;
    while ((eol = buf.find("\r\n", pos)) == std::string::npos) {
      if (!read_more(fd, buf))
        return std::string::npos;
    }
    size_t size = std::strtoul(buf.substr(pos, eol - pos).c_str(), nullptr, 16);
    pos = eol + 2;
    if (size == 0) {
      // Trailers, then an empty line.
      for (;;) {
        while ((eol = buf.find("\r\n", pos)) == std::string::npos) {
          if (!read_more(fd, buf))
            return std::string::npos;
        }
        bool empty = eol == pos;
        pos = eol + 2;
        if (empty)
          return pos;
      }
    }
    if (!read_until_size(fd, buf, pos + size + 2))
      return std::string::npos;
    pos += size + 2;
  }
}

void reset(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

std::string error_response(int status, const std::string& reason, const std::string& code,
                           const std::string& message) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code +
                     "</Code><Message>" + message +
                     "</Message><RequestId>fault-proxy</RequestId></Error>";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nx-amz-request-id: fault-proxy\r\nConnection: keep-alive\r\n\r\n" + body;
}

}  // namespace

const char* fault_name(Fault fault) {
  switch (fault) {
    case Fault::kNone:
      return "none";
    case Fault::kSlowDown:
      return "503 SlowDown";
    case Fault::kInternalError:
      return "500 InternalError";
    case Fault::kResetBefore:
      return "reset before";
    case Fault::kResetAfter:
      return "reset after";
    case Fault::kDelay:
      return "delay";
  }
  return "?";
}

Fault FaultProxy::draw(const FaultProxyOptions& options, const std::string& identity) {
  std::string id = identity;
  if (!options.stable_name.empty()) {
    for (size_t p = id.find(options.stable_name); p != std::string::npos;
         p = id.find(options.stable_name, p + 1)) {
      id.replace(p, options.stable_name.size(), "*");
    }
  }
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  std::seed_seq seq{options.seed, static_cast<uint32_t>(h), static_cast<uint32_t>(h >> 32)};
  std::mt19937 rng(seq);
  if (static_cast<int>(rng() % 100) >= options.fault_percent)
    return Fault::kNone;
  static const std::vector<Fault> kAll = {Fault::kSlowDown, Fault::kInternalError,
                                          Fault::kResetBefore, Fault::kResetAfter, Fault::kDelay};
  const auto& from = options.faults.empty() ? kAll : options.faults;
  return from[rng() % from.size()];
}

struct FaultProxy::Impl {
  FaultProxyOptions options;
  int listen_fd = -1;
  std::atomic<bool> stopping{false};
  std::thread acceptor;
  mutable std::mutex mutex;
  std::condition_variable stop_cv;
  std::vector<std::thread> threads;
  std::set<int> open_fds;
  std::set<std::string> faulted;
  std::vector<ProxyLogEntry> log;

  void track(int fd) {
    std::lock_guard lock(mutex);
    open_fds.insert(fd);
  }
  void untrack(int fd) {
    std::lock_guard lock(mutex);
    open_fds.erase(fd);
  }
  void record(ProxyLogEntry entry) {
    std::lock_guard lock(mutex);
    log.push_back(std::move(entry));
  }

  int connect_upstream() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(options.upstream_port));
    ::inet_pton(AF_INET, options.upstream_host.c_str(), &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return -1;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    track(fd);
    return fd;
  }
  void close_fd(int& fd) {
    if (fd >= 0) {
      untrack(fd);
      ::close(fd);
      fd = -1;
    }
  }

  /// Sends `request` upstream (reconnecting once if a kept-alive connection went stale) and
  /// reads the whole response into `response`; false when there is none.
  bool exchange(int& up, const std::string& request, bool head_request, std::string& response,
                int& status) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      response.clear();
      if (up < 0)
        up = connect_upstream();
      if (up < 0)
        return false;
      if (!write_all(up, request)) {
        close_fd(up);
        continue;
      }
      // No 1xx: the client never sends `Expect: 100-continue`.
      size_t body_start = read_head(up, response);
      if (body_start != std::string::npos)
        status = std::atoi(response.c_str() + response.find(' ') + 1);
      if (body_start == std::string::npos) {
        close_fd(up);
        if (response.empty())
          continue;  // A stale connection: nothing was answered; send again on a new one.
        return false;
      }
      const std::string head = response.substr(0, body_start);
      size_t end = body_start;
      bool close_after = lower(header(head, "connection")) == "close";
      if (head_request || status == 204 || status == 304) {
        end = body_start;
      } else if (lower(header(head, "transfer-encoding")).find("chunked") != std::string::npos) {
        end = read_chunked(up, response, body_start);
      } else if (std::string cl = header(head, "content-length"); !cl.empty()) {
        end = body_start + std::stoul(cl);
        if (!read_until_size(up, response, end))
          end = std::string::npos;
      } else {
        while (read_more(up, response)) {
        }
        end = response.size();
        close_after = true;
      }
      if (end == std::string::npos) {
        close_fd(up);
        return false;
      }
      response.resize(end);
      if (close_after)
        close_fd(up);
      return true;
    }
    return false;
  }

  void serve(int client) {
    int up = -1;
    std::string buf;
    for (;;) {
      size_t body_start = read_head(client, buf);
      if (body_start == std::string::npos)
        break;
      const std::string head = buf.substr(0, body_start);
      size_t length = 0;
      if (std::string cl = header(head, "content-length"); !cl.empty())
        length = std::stoul(cl);
      if (!read_until_size(client, buf, body_start + length))
        break;
      const std::string request = buf.substr(0, body_start + length);
      const std::string body = buf.substr(body_start, length);
      buf.erase(0, body_start + length);

      ProxyLogEntry entry;
      const std::string line = head.substr(0, head.find("\r\n"));
      size_t sp1 = line.find(' ');
      size_t sp2 = line.find(' ', sp1 + 1);
      entry.method = line.substr(0, sp1);
      const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t q = target.find('?');
      entry.path = target.substr(0, q);
      entry.query = q == std::string::npos ? std::string() : target.substr(q + 1);
      if (lower(header(head, "content-type")).starts_with("application/x-www-form-urlencoded")) {
        entry.action = form_value(body, "Action");
        entry.role_name = form_value(body, "RoleName");
        entry.policy_name = form_value(body, "PolicyName");
      }

      const std::string identity = entry.method + " " + target + "\n" + body;
      Fault fault = draw(options, identity);
      if (fault != Fault::kNone) {
        std::lock_guard lock(mutex);
        if (!faulted.insert(identity).second)
          fault = Fault::kNone;
      }
      entry.fault = fault;

      if (fault == Fault::kSlowDown || fault == Fault::kInternalError) {
        record(entry);
        bool ok = fault == Fault::kSlowDown
                      ? write_all(client, error_response(503, "Slow Down", "SlowDown",
                                                         "Please reduce your request rate."))
                      : write_all(client, error_response(500, "Internal Server Error",
                                                         "InternalError", "Injected fault."));
        if (!ok)
          break;
        continue;
      }
      if (fault == Fault::kResetBefore) {
        record(entry);
        untrack(client);
        reset(client);
        client = -1;
        break;
      }

      std::string response;
      int status = 0;
      bool head_request = entry.method == "HEAD";
      if (!exchange(up, request, head_request, response, status)) {
        record(entry);  // upstream_status 0: upstream did not answer
        break;
      }
      entry.upstream_status = status;
      size_t body_at = response.find("\r\n\r\n");
      if (body_at != std::string::npos)
        entry.upstream_body = response.substr(body_at + 4, 4096);
      record(entry);

      if (fault == Fault::kResetAfter) {
        untrack(client);
        reset(client);
        client = -1;
        break;
      }
      if (fault == Fault::kDelay) {
        std::unique_lock lock(mutex);
        stop_cv.wait_for(lock, options.delay, [&] { return stopping.load(); });
        if (stopping)
          break;
      }
      if (!write_all(client, response))
        break;
    }
    close_fd(up);
    if (client >= 0) {
      untrack(client);
      ::close(client);
    }
  }

  void accept_loop() {
    for (;;) {
      int client = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        return;
      }
      if (stopping) {
        ::close(client);
        return;
      }
      int one = 1;
      ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mutex);
      open_fds.insert(client);
      threads.emplace_back([this, client] { serve(client); });
    }
  }
};

FaultProxy::FaultProxy(FaultProxyOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

FaultProxy::~FaultProxy() {
  impl_->stopping = true;
  impl_->stop_cv.notify_all();
  if (impl_->listen_fd >= 0)
    ::shutdown(impl_->listen_fd, SHUT_RDWR);
  if (impl_->acceptor.joinable())
    impl_->acceptor.join();
  if (impl_->listen_fd >= 0)
    ::close(impl_->listen_fd);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->mutex);
    for (int fd : impl_->open_fds)
      ::shutdown(fd, SHUT_RDWR);
    threads.swap(impl_->threads);
  }
  impl_->stop_cv.notify_all();
  for (auto& t : threads)
    t.join();
}

bool FaultProxy::start() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    error_ = std::string("cannot listen on 127.0.0.1: ") + std::strerror(errno);
    ::close(fd);
    return false;
  }
  impl_->listen_fd = fd;
  port_ = ntohs(addr.sin_port);
  impl_->acceptor = std::thread([this] { impl_->accept_loop(); });
  return true;
}

std::string FaultProxy::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<ProxyLogEntry> FaultProxy::log() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->log;
}

void FaultProxy::clear_log() {
  std::lock_guard lock(impl_->mutex);
  impl_->log.clear();
}

}  // namespace lakeinfra::test_support
