#include "providers/s3/retry.h"

#include <gtest/gtest.h>

#include <limits>

namespace lakeinfra::providers::s3 {
namespace {

using std::chrono::milliseconds;

TEST(RetryDelay, DoublesFromTheBaseUpToTheCap) {
  RetryPolicy policy;  // 100 ms base, 20 s cap
  EXPECT_EQ(retry_delay(policy, 1, 1.0), milliseconds(100));
  EXPECT_EQ(retry_delay(policy, 2, 1.0), milliseconds(200));
  EXPECT_EQ(retry_delay(policy, 3, 1.0), milliseconds(400));
  EXPECT_EQ(retry_delay(policy, 8, 1.0), milliseconds(12'800));
  EXPECT_EQ(retry_delay(policy, 9, 1.0), milliseconds(20'000));
  EXPECT_EQ(retry_delay(policy, 1'000'000, 1.0), milliseconds(20'000));
}

TEST(RetryDelay, FullJitterScalesTheBackoff) {
  RetryPolicy policy;
  EXPECT_EQ(retry_delay(policy, 3, 0.0), milliseconds(0));
  EXPECT_EQ(retry_delay(policy, 3, 0.5), milliseconds(200));
  EXPECT_EQ(retry_delay(policy, 3, 2.0), milliseconds(400));  // clamped to 1
  EXPECT_EQ(retry_delay(policy, 3, -1.0), milliseconds(0));
  EXPECT_EQ(retry_delay(policy, 3, std::numeric_limits<double>::quiet_NaN()), milliseconds(0));
  for (int i = 0; i < 1000; ++i) {
    double j = random_jitter();
    ASSERT_GE(j, 0.0);
    ASSERT_LT(j, 1.0);
    ASSERT_LE(retry_delay(policy, 20, j), milliseconds(20'000));
  }
}

TEST(RetryDelay, OddPolicies) {
  RetryPolicy base_above_cap{.max_attempts = 3,
                             .base_delay = milliseconds(5'000),
                             .max_delay = milliseconds(1'000),
                             .jitter = {}};
  EXPECT_EQ(retry_delay(base_above_cap, 1, 1.0), milliseconds(1'000));
  RetryPolicy zero{.max_attempts = 3,
                   .base_delay = milliseconds(0),
                   .max_delay = milliseconds(1'000),
                   .jitter = {}};
  EXPECT_EQ(retry_delay(zero, 5, 1.0), milliseconds(0));
}

S3Failure failure(S3FailureKind kind, std::optional<http::ErrorKind> transport = std::nullopt) {
  S3Failure f;
  f.kind = kind;
  f.transport = transport;
  return f;
}

TEST(ShouldRetry, OnlyTransientFailures) {
  EXPECT_TRUE(should_retry(failure(S3FailureKind::kTransient), true));
  EXPECT_FALSE(should_retry(failure(S3FailureKind::kAuth), true));
  EXPECT_FALSE(should_retry(failure(S3FailureKind::kNotFound), true));
  EXPECT_FALSE(should_retry(failure(S3FailureKind::kConflict), true));
  EXPECT_FALSE(should_retry(failure(S3FailureKind::kInvalid), true));
  EXPECT_FALSE(should_retry(failure(S3FailureKind::kInternal, http::ErrorKind::kTls), true));
}

TEST(ShouldRetry, NonIdempotentOnlyWhenNothingWasSent) {
  EXPECT_TRUE(should_retry(failure(S3FailureKind::kTransient, http::ErrorKind::kConnect), false));
  EXPECT_FALSE(should_retry(failure(S3FailureKind::kTransient, http::ErrorKind::kReset), false));
  EXPECT_FALSE(should_retry(failure(S3FailureKind::kTransient, http::ErrorKind::kTimeout), false));
  EXPECT_FALSE(should_retry(failure(S3FailureKind::kTransient), false));  // a 503
}

}  // namespace
}  // namespace lakeinfra::providers::s3
