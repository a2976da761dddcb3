#include "providers/registry.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <utility>

#include "providers/http/curl_client.h"
#include "providers/local/local_provider.h"
#include "providers/s3/credentials.h"
#include "providers/s3/s3_provider.h"

namespace lakeinfra::providers {

std::vector<std::string> provider_kinds() {
  return {"local", "s3"};
}

Result<std::unique_ptr<Provider>> make_provider(const config::Storage& storage,
                                                const Seams& seams) {
  if (storage.provider == "local") {
    if (seams.fs == nullptr) {
      return fail("local storage provider needs a filesystem", {}, storage.location);
    }
    if (storage.root.empty()) {
      return fail("local storage provider needs a root directory",
                  "set storage.root to the directory that holds the lake", storage.location);
    }
    LocalMarkerCache cache;
    if (!seams.cache_dir.empty()) {
      cache.file = seams.cache_dir / "marker-cache";
      cache.clock = seams.clock;
    }
    return make_local_provider(storage.root, *seams.fs, std::move(cache));
  }

  if (storage.provider == "s3") {
    if (!seams.fs || !seams.env || !seams.clock)
      return fail("s3 storage provider needs a filesystem, environment and clock");
    auto credentials = s3::resolve_credentials(*seams.env, *seams.fs, storage.profile);
    if (!credentials)
      return tl::unexpected(credentials.error());
    http::Options options;
    options.verify_tls = storage.verify_tls;
    // The per-request limit (connect, send, wait, receive); default 60 s. Tests that delay
    // responses on purpose (tests/support/fault_proxy.h) shorten it.
    if (auto v = seams.env->get(std::string(kHttpTimeoutVariable)); v && !v->empty()) {
      long ms = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), ms);
      if (ec != std::errc() || end != v->data() + v->size() || ms < 1 || ms > 3'600'000) {
        return fail(std::string("invalid ") + kHttpTimeoutVariable + " \"" + *v + "\"",
                    "milliseconds from 1 to 3600000, e.g. 5000");
      }
      options.total_timeout = std::chrono::milliseconds(ms);
      options.connect_timeout = std::min(options.connect_timeout, options.total_timeout);
    }
    auto http = std::make_unique<http::CurlClient>(options);
    s3::S3ClientConfig config;
    config.endpoint = storage.endpoint;
    config.region = storage.region;
    config.addressing =
        storage.addressing == "virtual" ? s3::Addressing::kVirtual : s3::Addressing::kPath;
    s3::Credentials keys{credentials->access_key_id, credentials->secret_access_key,
                         credentials->session_token};
    auto client = s3::S3Client::create(*http, keys, config, *seams.clock);
    if (!client)
      return tl::unexpected(client.error());
    // IAM (roles and grants): on AWS a global service of its own, signed for us-east-1; S3
    // servers given by `endpoint` (Ceph RGW, MinIO) answer it at the same endpoint.
    std::unique_ptr<s3::S3Client> iam;
    if (storage.endpoint.empty()) {
      s3::S3ClientConfig iam_config = config;
      iam_config.endpoint = storage.region.starts_with("cn-") ? "https://iam.amazonaws.com.cn"
                                                              : "https://iam.amazonaws.com";
      iam_config.region = storage.region.starts_with("cn-") ? "cn-north-1" : "us-east-1";
      auto iam_client = s3::S3Client::create(*http, keys, iam_config, *seams.clock);
      if (!iam_client)
        return tl::unexpected(iam_client.error());
      iam = std::move(*iam_client);
    }
    return s3::make_s3_provider(std::move(http), std::move(*client), *seams.fs, std::move(iam));
  }

  std::string known;
  for (const auto& kind : provider_kinds())
    known += (known.empty() ? "" : ", ") + kind;
  std::string hint;
  std::string suggestion = config::closest_match(storage.provider, provider_kinds());
  if (!suggestion.empty())
    hint = "did you mean \"" + suggestion + "\"? ";
  hint += "known providers: " + known;
  return fail("unknown storage provider \"" + storage.provider + "\"", std::move(hint),
              storage.location);
}

}  // namespace lakeinfra::providers
