#pragma once

// When and how long to wait before sending a failed request again: the AWS SDKs' "standard"
// retry mode (capped exponential backoff with full jitter).

#include <chrono>
#include <functional>

#include "providers/s3/s3_errors.h"

namespace lakeinfra::providers::s3 {

struct RetryPolicy {
  /// Attempts in all, the first included; 1 disables retries. Values below 1 count as 1.
  int max_attempts = 3;
  /// The backoff before retry n (n = 1, 2, ...) is jitter() * min(max_delay, base_delay * 2^(n-1)).
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{20'000};
  /// A number in [0, 1]; empty means a uniform pseudo-random number (thread-safe). Tests pass a
  /// constant.
  std::function<double()> jitter;
};

/// The wait before retry number `retry` (1 for the second attempt): `jitter` (clamped to [0, 1])
/// times the capped exponential backoff; never more than policy.max_delay.
std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int retry, double jitter);

/// A uniform pseudo-random number in [0, 1) from a per-thread generator.
double random_jitter();

/// Whether a failed attempt may be sent again: only transient failures; and a request that is
/// not idempotent only when it certainly never reached the server (the connection failed).
bool should_retry(const S3Failure& failure, bool idempotent);

}  // namespace lakeinfra::providers::s3
