#include "providers/s3/retry.h"

#include <algorithm>
#include <random>

namespace lakeinfra::providers::s3 {

std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int retry, double jitter) {
  using std::chrono::milliseconds;
  const milliseconds cap = std::max(policy.max_delay, milliseconds(0));
  const milliseconds base = std::clamp(policy.base_delay, milliseconds(0), cap);
  // Doubling stops at the cap, so no shift overflows whatever `retry` is.
  milliseconds backoff = base;
  for (int i = 1; i < retry && backoff < cap; ++i)
    backoff = std::min(cap, backoff * 2);
  if (!(jitter >= 0.0))  // Also catches NaN.
    jitter = 0.0;
  jitter = std::min(jitter, 1.0);
  return milliseconds(
      static_cast<milliseconds::rep>(static_cast<double>(backoff.count()) * jitter));
}

double random_jitter() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

bool should_retry(const S3Failure& failure, bool idempotent) {
  if (failure.kind != S3FailureKind::kTransient)
    return false;
  if (idempotent)
    return true;
  return failure.transport == http::ErrorKind::kConnect;
}

}  // namespace lakeinfra::providers::s3
