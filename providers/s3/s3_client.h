#pragma once

// The S3 API calls lakeinfra makes, over the http::Client seam: signed with SigV4, retried with
// backoff when that is safe, and failing with a typed S3Failure (see s3_errors.h) that names the
// operation, bucket, key, HTTP status and S3 error code. Nothing here throws.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.h"
#include "config/system.h"
#include "providers/http/http_client.h"
#include "providers/s3/retry.h"
#include "providers/s3/s3_errors.h"
#include "providers/s3/s3_types.h"
#include "providers/s3/sigv4.h"

namespace lakeinfra::providers::s3 {

/// Where requests go: scheme, host and port of an endpoint URL.
struct Endpoint {
  std::string scheme;  ///< "http" or "https".
  std::string host;    ///< Lower-cased; an IPv6 address keeps its brackets.
  int port = 0;        ///< 0 when the URL names none (the scheme's default).

  /// The Host header: "host", or "host:port" unless the port is the scheme's default.
  std::string authority() const;
};

/// Parses "http://127.0.0.1:7480" or "https://s3.eu-west-2.amazonaws.com" (a trailing '/' is
/// allowed). Fails on another scheme, user info ("user:pass@"), a path, query or fragment, an
/// empty host or a bad port, naming the problem.
Result<Endpoint> parse_endpoint(std::string_view url);

/// The AWS endpoint of a region: "https://s3.REGION.amazonaws.com" (".amazonaws.com.cn" for the
/// cn- regions).
std::string default_endpoint(std::string_view region);

/// Base64 of the MD5 of `body`: the Content-MD5 header S3 requires on DeleteObjects.
std::string content_md5(std::string_view body);

struct S3ClientConfig {
  /// "http://127.0.0.1:7480"; empty means AWS for the region (default_endpoint).
  std::string endpoint;
  /// Signing region; also the LocationConstraint of new buckets unless "us-east-1".
  std::string region = "us-east-1";
  Addressing addressing = Addressing::kPath;
  RetryPolicy retry;
};

/// Any signed request, for APIs without a method here (IAM and STS take form-encoded POSTs to
/// the same endpoint: service "iam", method "POST", path "/", Content-Type
/// application/x-www-form-urlencoded, body "Action=CreateRole&...&Version=2010-05-08").
struct CallRequest {
  std::string operation;       ///< API name for messages and logs: "CreateRole".
  std::string service = "s3";  ///< SigV4 service name: "s3", "iam", "sts".
  std::string method = "GET";
  /// With a bucket, the URL is built by the client's Addressing from bucket and key; without,
  /// `path` (decoded, e.g. "/") is used as it is.
  std::string bucket;
  std::string key;
  std::string path = "/";
  /// Decoded (name, value) pairs; sent as canonical_query() encodes them.
  std::vector<NameValue> query;
  /// Headers to send and sign besides those the client adds (Host, X-Amz-Date,
  /// X-Amz-Content-Sha256, X-Amz-Security-Token, Authorization), e.g. Content-Type.
  std::vector<NameValue> headers;
  std::string body;
  /// Whether sending the request twice does no harm. A transient failure is retried only for
  /// idempotent requests, except a connect failure (nothing was sent), which is always retried.
  bool idempotent = true;
};

/// An S3 client for one endpoint, region and set of credentials. Thread-safe when the
/// http::Client and Clock are (CurlClient and SystemClock are): the executor's workers share one.
///
/// Every operation returns its value or an S3Failure; none throws. Each attempt is signed anew
/// (X-Amz-Date from the Clock), every payload is hashed into X-Amz-Content-Sha256, and the wire
/// path and query are exactly the canonical encodings that were signed (keys percent-encoded
/// per S3 rules, '/' kept). Transient failures (5xx, 429, SlowDown, RequestTimeout, connect
/// failures, timeouts, resets) are retried per RetryPolicy, waiting on the Clock; each retry is
/// counted and logged at debug level. All operations below are idempotent.
class S3Client {
 public:
  /// Checks the endpoint and region. `http` and `clock` must outlive the client. Registers the
  /// secret key and session token with config::add_secret so no log line can show them.
  static Result<std::unique_ptr<S3Client>> create(http::Client& http, Credentials credentials,
                                                  S3ClientConfig config, config::Clock& clock);

  /// True if the bucket exists and these credentials may use it; false on 404. A bucket owned
  /// by someone else fails with kAuth (403).
  S3Result<bool> head_bucket(const std::string& bucket);
  /// Creates the bucket, with a LocationConstraint when the region is not us-east-1. Succeeds
  /// when it already exists and is ours (BucketAlreadyOwnedByYou); kConflict
  /// (BucketAlreadyExists) when someone else has the name.
  S3Result<void> create_bucket(const std::string& bucket);
  /// Deletes an empty bucket; kConflict (BucketNotEmpty) when objects or versions remain,
  /// kNotFound when it does not exist.
  S3Result<void> delete_bucket(const std::string& bucket);

  /// The bucket's tags; empty when it has none (NoSuchTagSet).
  S3Result<Tags> get_bucket_tagging(const std::string& bucket);
  /// Replaces all of the bucket's tags; empty `tags` deletes them (delete_bucket_tagging).
  S3Result<void> put_bucket_tagging(const std::string& bucket, const Tags& tags);
  S3Result<void> delete_bucket_tagging(const std::string& bucket);

  S3Result<Versioning> get_bucket_versioning(const std::string& bucket);
  /// Sets kEnabled or kSuspended; kNever fails with kInvalid (S3 cannot go back to it).
  S3Result<void> put_bucket_versioning(const std::string& bucket, Versioning versioning);

  /// Writes an object; `content_type` empty sends none (S3 stores binary/octet-stream).
  /// `metadata` is sent as x-amz-meta-NAME headers (names lowercase).
  S3Result<PutObjectResult> put_object(const std::string& bucket, const std::string& key,
                                       std::string body, const std::string& content_type = {},
                                       const Tags& metadata = {});
  /// The object's bytes, or nullopt when it (or the bucket) does not exist.
  S3Result<std::optional<std::string>> get_object(const std::string& bucket,
                                                  const std::string& key);
  /// The object's metadata, or nullopt when it (or that version, or the bucket) does not exist.
  S3Result<std::optional<ObjectInfo>> head_object(const std::string& bucket, const std::string& key,
                                                  const std::string& version_id = {});
  /// Deletes the object (creating a delete marker in a versioned bucket) or, with a version id,
  /// that version for good. Deleting what does not exist succeeds.
  S3Result<DeleteObjectResult> delete_object(const std::string& bucket, const std::string& key,
                                             const std::string& version_id = {});
  /// Deletes up to 1000 objects or versions in one POST ?delete (with Content-MD5). Keys that
  /// could not be deleted are listed in the result's `errors`, not as a failure; more than 1000
  /// fails with kInvalid; none sends nothing.
  S3Result<DeleteObjectsResult> delete_objects(const std::string& bucket,
                                               const std::vector<ObjectId>& objects);

  /// One page of ListObjectsV2; pass next_continuation_token back for the next.
  S3Result<ListObjectsPage> list_objects_v2(const std::string& bucket,
                                            const ListObjectsRequest& request = {});
  /// One page of ListObjectVersions (versions and delete markers); pass next_key_marker and
  /// next_version_id_marker back for the next.
  S3Result<ListVersionsPage> list_object_versions(const std::string& bucket,
                                                  const ListVersionsRequest& request = {});

  /// Sends any signed request with the retry rules above; a 2xx response is the value, any other
  /// status a failure built from its body (both S3 and IAM/STS error shapes).
  S3Result<http::Response> call(const CallRequest& request);

  /// How many retries (attempts after the first) all calls of this client have made.
  uint64_t retry_count() const { return retries_.load(); }
  const S3ClientConfig& config() const { return config_; }
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  S3Client(http::Client& http, Credentials credentials, S3ClientConfig config, Endpoint endpoint,
           config::Clock& clock);
  S3Result<http::Response> call_unchecked(const CallRequest& request);

  http::Client& http_;
  const Credentials credentials_;
  const S3ClientConfig config_;
  const Endpoint endpoint_;
  config::Clock& clock_;
  std::atomic<uint64_t> retries_{0};
};

}  // namespace lakeinfra::providers::s3
