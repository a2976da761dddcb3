// S3Client's core: endpoint parsing, addressing, signing, sending and retrying. The operations
// built on call() are in s3_operations.cc.

#include "providers/s3/s3_client.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <utility>

#include "config/log.h"

namespace lakeinfra::providers::s3 {
namespace {

bool is_bucket_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

S3Failure invalid(const CallRequest& request, std::string message) {
  S3Failure f;
  f.kind = S3FailureKind::kInvalid;
  f.operation = request.operation;
  f.bucket = request.bucket;
  f.key = request.key;
  f.message = std::move(message);
  return f;
}

bool is_success(long status) {
  return status >= 200 && status < 300;
}

/// "after HTTP 503 SlowDown" / "after timeout" for the retry log line.
std::string reason(const S3Failure& f) {
  if (f.transport)
    return std::string(http::error_kind_name(*f.transport));
  std::string out = "HTTP " + std::to_string(f.status);
  if (!f.code.empty())
    out += " " + f.code;
  return out;
}

}  // namespace

std::string Endpoint::authority() const {
  bool default_port =
      port == 0 || (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  return default_port ? host : host + ":" + std::to_string(port);
}

Result<Endpoint> parse_endpoint(std::string_view url) {
  const std::string shown(url);
  auto bad = [&](const std::string& why) {
    return fail("invalid S3 endpoint \"" + config::redact(shown) + "\": " + why,
                "write it as http://HOST:PORT or https://HOST, e.g. http://127.0.0.1:7480");
  };
  Endpoint out;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos)
    return bad("no scheme");
  out.scheme = std::string(url.substr(0, sep));
  std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (out.scheme != "http" && out.scheme != "https")
    return bad("the scheme must be http or https");
  std::string_view rest = url.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/')
    rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos)
    return bad("a path, query or fragment is not allowed");
  if (rest.find('@') != std::string_view::npos)
    return bad("credentials do not belong in the URL");
  std::string_view host = rest, port;
  if (rest.starts_with("[")) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos)
      return bad("unclosed '[' in an IPv6 address");
    host = rest.substr(0, close + 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return bad("unexpected text after the IPv6 address");
      port = after.substr(1);
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty())
    return bad("no host");
  for (char c : host) {
    auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u >= 0x7F || c == '%' || c == '\\')
      return bad("the host has a space, control or non-ASCII character");
  }
  out.host = std::string(host);
  std::transform(out.host.begin(), out.host.end(), out.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!port.empty() || rest.ends_with(":")) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || out.port < 1 ||
        out.port > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
  }
  return out;
}

std::string default_endpoint(std::string_view region) {
  std::string r = region.empty() ? "us-east-1" : std::string(region);
  std::string suffix = r.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://s3." + r + suffix;
}

std::string content_md5(std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(body.data(), body.size(), digest, &size, EVP_md5(), nullptr) != 1)
    return {};
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int length = EVP_EncodeBlock(encoded, digest, static_cast<int>(size));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(length));
}

Result<std::unique_ptr<S3Client>> S3Client::create(http::Client& http, Credentials credentials,
                                                   S3ClientConfig config, config::Clock& clock) {
  try {
    if (config.region.empty())
      config.region = "us-east-1";
    if (std::any_of(config.region.begin(), config.region.end(), [](char c) {
          return !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
        })) {
      return fail("invalid S3 region \"" + config.region + "\"",
                  "a region is lower-case letters, digits and '-', e.g. eu-west-2");
    }
    if (config.endpoint.empty())
      config.endpoint = default_endpoint(config.region);
    auto endpoint = parse_endpoint(config.endpoint);
    if (!endpoint)
      return tl::unexpected(std::move(endpoint.error()));
    config::add_secret(credentials.secret_access_key);
    config::add_secret(credentials.session_token);
    return std::unique_ptr<S3Client>(
        new S3Client(http, std::move(credentials), std::move(config), std::move(*endpoint), clock));
  } catch (const std::exception& e) {
    return fail(std::string("cannot set up the S3 client: ") + e.what());
  }
}

S3Client::S3Client(http::Client& http, Credentials credentials, S3ClientConfig config,
                   Endpoint endpoint, config::Clock& clock)
    : http_(http),
      credentials_(std::move(credentials)),
      config_(std::move(config)),
      endpoint_(std::move(endpoint)),
      clock_(clock) {}

S3Result<http::Response> S3Client::call(const CallRequest& request) {
  try {
    return call_unchecked(request);
  } catch (const std::exception& e) {
    S3Failure f = invalid(request, std::string("internal error: ") + e.what());
    f.kind = S3FailureKind::kInternal;
    return tl::unexpected(std::move(f));
  }
}

S3Result<http::Response> S3Client::call_unchecked(const CallRequest& request) {
  // Where the request goes: the bucket in the path or in the host name.
  std::string host = endpoint_.authority();
  std::string path;
  if (!request.bucket.empty()) {
    if (!std::all_of(request.bucket.begin(), request.bucket.end(), is_bucket_char)) {
      return tl::unexpected(
          invalid(request, "invalid bucket name (letters, digits, '.', '-' and '_' only)"));
    }
    if (config_.addressing == Addressing::kVirtual) {
      host = request.bucket + "." + host;
      path = "/" + request.key;
    } else {
      path = "/" + request.bucket + (request.key.empty() ? "" : "/" + request.key);
    }
  } else {
    if (!request.key.empty())
      return tl::unexpected(invalid(request, "a key needs a bucket"));
    path = request.path.empty() ? "/" : request.path;
  }
  // What is signed is what is sent: the canonical path and query are the wire encodings.
  const std::string url = endpoint_.scheme + "://" + host + canonical_uri(path, UriMode::kS3) +
                          (request.query.empty() ? "" : "?" + canonical_query(request.query));

  Request to_sign;
  to_sign.method = request.method;
  to_sign.path = path;
  to_sign.query = request.query;
  to_sign.headers.emplace_back("Host", host);
  to_sign.headers.insert(to_sign.headers.end(), request.headers.begin(), request.headers.end());
  to_sign.payload_sha256 =
      request.body.empty() ? std::string(kEmptyPayloadSha256) : sha256_hex(request.body);

  const int max_attempts = std::max(1, config_.retry.max_attempts);
  for (int attempt = 1;; ++attempt) {
    auto auth = authorization_headers(to_sign, credentials_, config_.region, request.service,
                                      amz_timestamp(clock_.now()));
    if (!auth) {
      return tl::unexpected(invalid(request, "cannot sign the request: " + auth.error().str()));
    }
    http::Request wire;
    wire.method = request.method;
    wire.url = url;
    wire.headers = to_sign.headers;
    wire.headers.insert(wire.headers.end(), auth->headers.begin(), auth->headers.end());
    wire.body = request.body;

    auto reply = http_.send(wire);
    if (reply && is_success(reply->status))
      return std::move(*reply);
    S3Failure failure =
        reply
            ? failure_from_response(request.operation, request.bucket, request.key, *reply)
            : failure_from_transport(request.operation, request.bucket, request.key, reply.error());
    failure.attempts = attempt;
    if (attempt >= max_attempts || !should_retry(failure, request.idempotent))
      return tl::unexpected(std::move(failure));

    double jitter = config_.retry.jitter ? config_.retry.jitter() : random_jitter();
    std::chrono::milliseconds delay = retry_delay(config_.retry, attempt, jitter);
    ++retries_;
    if (config::Log::enabled(config::LogLevel::kDebug)) {
      std::string target = request.bucket + (request.key.empty() ? "" : "/" + request.key);
      config::Log::write(config::LogLevel::kDebug,
                         "s3 retry: " + request.operation + (target.empty() ? "" : " " + target) +
                             " attempt " + std::to_string(attempt + 1) + " of " +
                             std::to_string(max_attempts) + " after " + reason(failure) +
                             "; waiting " + std::to_string(delay.count()) + " ms");
    }
    clock_.sleep_for(delay);
  }
}

}  // namespace lakeinfra::providers::s3
