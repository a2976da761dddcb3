#include "providers/http/curl_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/log.h"

namespace lakeinfra::providers::http {

// Why a pool of easy handles and not one share handle with CURL_LOCK_DATA_CONNECT:
// - An easy handle keeps its connection cache between transfers (curl_easy_reset keeps it), so
//   a handle that goes back to the pool keeps its kept-alive connection for the next caller. With
//   the pool handing out the most recently returned handle first, a thread that calls repeatedly
//   reuses the same connection, and parallel callers each get their own handle and connection:
//   real concurrency with no lock held during a transfer.
// - A shared connection cache needs lock callbacks around every cache access and serialises
//   connection lookup across threads; in libcurl releases before 7.88 it had a history of
//   use-after-free and "connection in use by another handle" bugs. The pool needs one mutex taken
//   for a few instructions per call, and each handle is only ever used by one thread at a time,
//   which is all libcurl asks of an easy handle.
// - Cost: connections are not shared between handles, so up to one idle connection per handle
//   and host stays open; handles are created only when every existing one is busy, so their
//   number is the peak concurrency (the executor's worker count), and idle ones beyond
//   kMaxIdleHandles are closed.
struct CurlClient::Pool {
  static constexpr size_t kMaxIdleHandles = 64;

  std::mutex mutex;
  std::vector<CURL*> idle;  ///< Most recently returned last.
  size_t created = 0;

  ~Pool() {
    for (CURL* handle : idle)
      curl_easy_cleanup(handle);
  }

  CURL* acquire() {
    {
      std::lock_guard lock(mutex);
      if (!idle.empty()) {
        CURL* handle = idle.back();
        idle.pop_back();
        return handle;
      }
    }
    CURL* handle = curl_easy_init();
    if (handle != nullptr) {
      std::lock_guard lock(mutex);
      ++created;
    }
    return handle;
  }

  void release(CURL* handle) {
    {
      std::lock_guard lock(mutex);
      if (idle.size() < kMaxIdleHandles) {
        idle.push_back(handle);
        return;
      }
    }
    curl_easy_cleanup(handle);
  }

  /// A checked-out handle, returned to the pool however the call ends; null if curl_easy_init
  /// failed.
  class Lease {
   public:
    explicit Lease(Pool& pool) : pool_(pool), handle_(pool.acquire()) {}
    ~Lease() {
      if (handle_ != nullptr)
        pool_.release(handle_);
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    CURL* get() const { return handle_; }

   private:
    Pool& pool_;
    CURL* handle_;
  };
};

namespace {

/// curl_global_init is not thread-safe and must run once before any other curl call.
CURLcode global_init() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

class HeaderList {
 public:
  HeaderList() = default;
  ~HeaderList() { curl_slist_free_all(list_); }
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  bool append(const std::string& line) {
    curl_slist* next = curl_slist_append(list_, line.c_str());
    if (next == nullptr)
      return false;
    list_ = next;
    return true;
  }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

/// What the callbacks collect. They must not throw into curl: on failure they stop the transfer.
struct Collected {
  Response response;
  bool out_of_memory = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* collected = static_cast<Collected*>(user);
  try {
    collected->response.body.append(data, size * count);
    return size * count;
  } catch (...) {
    collected->out_of_memory = true;
    return 0;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* collected = static_cast<Collected*>(user);
  std::string_view line(data, size * count);
  try {
    if (line.starts_with("HTTP/")) {
      // A new response (after a 100 Continue or a proxy's CONNECT reply): keep only the last.
      collected->response.headers.clear();
      return size * count;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return size * count;  // The blank line ending the headers, or a malformed line.
    std::string name(trim(line.substr(0, colon)));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    collected->response.headers.emplace_back(std::move(name),
                                             std::string(trim(line.substr(colon + 1))));
    return size * count;
  } catch (...) {
    collected->out_of_memory = true;
    return 0;
  }
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7F;
  });
}

bool has_header(const Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) {
    return h.first.size() == name.size() &&
           std::equal(h.first.begin(), h.first.end(), name.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  });
}

ErrorKind kind_of(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return ErrorKind::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorKind::kTimeout;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return ErrorKind::kReset;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return ErrorKind::kTls;
    default:
      return ErrorKind::kOther;
  }
}

/// Sets every option of one transfer on a freshly reset handle; false if curl refused one.
bool configure(CURL* h, const Options& options, const Request& request, const HeaderList& headers,
               Collected& collected, char* error_buffer) {
  bool ok = true;
  auto set = [&ok](CURLcode rc) { ok = ok && rc == CURLE_OK; };
  set(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer));
  set(curl_easy_setopt(h, CURLOPT_URL, request.url.c_str()));
  set(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));  // Signals and threads do not mix.
  set(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                       static_cast<long>(options.connect_timeout.count())));
  set(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count())));
  set(curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L));
  set(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body));
  set(curl_easy_setopt(h, CURLOPT_WRITEDATA, &collected));
  set(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header));
  set(curl_easy_setopt(h, CURLOPT_HEADERDATA, &collected));
  set(curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get()));

  if (request.method == "GET" && request.body.empty()) {
    set(curl_easy_setopt(h, CURLOPT_HTTPGET, 1L));
  } else if (request.method == "HEAD") {
    set(curl_easy_setopt(h, CURLOPT_NOBODY, 1L));
  } else {
    // Every other method sends its body (maybe empty) with a Content-Length, as S3 requires for
    // a PUT; CUSTOMREQUEST replaces the word POST on the request line.
    set(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size())));
    set(curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data()));
    if (request.method != "POST")
      set(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
  }
  return ok;
}

/// The request line for logs, e.g. "PUT http://host/b?tagging=": secrets redacted.
std::string describe(const Request& request) {
  return request.method + " " + config::redact(request.url);
}

tl::expected<Response, Error> send_on(CURL* h, const Options& options, const Request& request) {
  if (request.method.empty() ||
      std::any_of(request.method.begin(), request.method.end(),
                  [](unsigned char c) { return !std::isupper(c) && c != '-' && c != '_'; })) {
    return tl::unexpected(Error{ErrorKind::kOther, "invalid HTTP method \"" + request.method +
                                                       "\": " + config::redact(request.url)});
  }
  if (has_control(request.url) || request.url.find(' ') != std::string::npos) {
    return tl::unexpected(Error{ErrorKind::kOther, "invalid URL (space or control character): " +
                                                       config::redact(request.url)});
  }

  HeaderList headers;
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || has_control(name) || name.find(':') != std::string::npos ||
        has_control(value)) {
      return tl::unexpected(Error{ErrorKind::kOther, "invalid HTTP header \"" + name +
                                                         "\" (empty, or a control character)"});
    }
    // "Name:" would remove a header; "Name;" is curl's syntax for an empty value.
    if (!headers.append(value.empty() ? name + ";" : name + ": " + value))
      return tl::unexpected(Error{ErrorKind::kOther, "out of memory"});
  }
  // Send exactly what the caller built: no Expect: 100-continue round trip, no default
  // Content-Type for a POST body, no Accept.
  for (std::string_view name : {"Expect", "Content-Type", "Accept"}) {
    if (!has_header(request.headers, name) && !headers.append(std::string(name) + ":"))
      return tl::unexpected(Error{ErrorKind::kOther, "out of memory"});
  }

  Collected collected;
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_reset(h);  // Clears options; keeps the connection cache.
  if (!configure(h, options, request, headers, collected, error_buffer)) {
    return tl::unexpected(
        Error{ErrorKind::kOther, "libcurl refused an option for " + describe(request)});
  }
  CURLcode rc = curl_easy_perform(h);
  if (collected.out_of_memory)
    return tl::unexpected(Error{ErrorKind::kOther, "out of memory reading the response"});
  if (rc != CURLE_OK) {
    ErrorKind kind = kind_of(rc);
    if (kind == ErrorKind::kTimeout) {
      // A timeout before any byte of the request went out is a connect failure: the request was
      // certainly not sent (a non-idempotent call may be retried).
      curl_off_t request_size = 0, pretransfer = 0;
      bool known = curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size) == CURLE_OK &&
                   curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) == CURLE_OK;
      if (known && request_size == 0 && pretransfer == 0)
        kind = ErrorKind::kConnect;
    }
    std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    return tl::unexpected(Error{
        kind, config::redact(describe(request) + ": " + error_kind_name(kind) + ": " + detail)});
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  collected.response.status = status;
  return std::move(collected.response);
}

}  // namespace

CurlClient::CurlClient(Options options) : options_(options), pool_(std::make_unique<Pool>()) {}

CurlClient::~CurlClient() = default;

size_t CurlClient::handles_created() const {
  std::lock_guard lock(pool_->mutex);
  return pool_->created;
}

tl::expected<Response, Error> CurlClient::send(const Request& request) {
  try {
    auto started = std::chrono::steady_clock::now();
    if (CURLcode rc = global_init(); rc != CURLE_OK) {
      return tl::unexpected(Error{
          ErrorKind::kOther, std::string("curl_global_init failed: ") + curl_easy_strerror(rc)});
    }
    tl::expected<Response, Error> result;
    {
      Pool::Lease lease(*pool_);
      if (lease.get() == nullptr)
        return tl::unexpected(Error{ErrorKind::kOther, "curl_easy_init failed"});
      result = send_on(lease.get(), options_, request);
    }
    if (config::Log::enabled(config::LogLevel::kDebug)) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
      std::string outcome =
          result ? std::to_string(result->status)
                 : std::string("failed (") + error_kind_name(result.error().kind) + ")";
      config::Log::write(config::LogLevel::kDebug, "http " + describe(request) + " " + outcome +
                                                       " " + std::to_string(ms) + " ms");
    }
    return result;
  } catch (const std::exception& e) {
    return tl::unexpected(Error{ErrorKind::kOther, std::string("HTTP client: ") + e.what()});
  } catch (...) {
    return tl::unexpected(Error{ErrorKind::kOther, "HTTP client: unknown exception"});
  }
}

}  // namespace lakeinfra::providers::http
