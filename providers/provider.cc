#include "providers/provider.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace lakeinfra::providers {

std::vector<ProviderResult<std::optional<Observed>>> Provider::read_many(
    const std::vector<ReadRequest>& requests, int parallelism) {
  std::vector<ProviderResult<std::optional<Observed>>> out(requests.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < requests.size(); i = next++)
      out[i] = read(*requests[i].type, *requests[i].provider_id);
  };
  size_t threads = std::min<size_t>(std::max(1, parallelism), requests.size());
  if (threads <= 1) {
    worker();
    return out;
  }
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t)
    pool.emplace_back(worker);
  for (auto& t : pool)
    t.join();
  return out;
}

const char* failure_kind_name(FailureKind kind) {
  switch (kind) {
    case FailureKind::kInvalid:
      return "invalid";
    case FailureKind::kNotFound:
      return "not found";
    case FailureKind::kConflict:
      return "conflict";
    case FailureKind::kAuth:
      return "authentication";
    case FailureKind::kTransient:
      return "transient";
    case FailureKind::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace lakeinfra::providers
