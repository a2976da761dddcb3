// The S3 operations of S3Client, each one request built on call().

#include <exception>
#include <utility>

#include "providers/s3/s3_client.h"
#include "providers/s3/s3_xml.h"

namespace lakeinfra::providers::s3 {
namespace {

constexpr size_t kMaxDeleteObjects = 1000;
constexpr const char* kXml = "application/xml";

CallRequest make(std::string operation, std::string method, const std::string& bucket,
                 const std::string& key = {}) {
  CallRequest r;
  r.operation = std::move(operation);
  r.method = std::move(method);
  r.bucket = bucket;
  r.key = key;
  return r;
}

/// An XML body with the Content-MD5 that S3 requires of some (tagging, DeleteObjects) calls.
void set_xml_body(CallRequest& r, std::string body) {
  r.headers.emplace_back("Content-Type", kXml);
  r.headers.emplace_back("Content-MD5", content_md5(body));
  r.body = std::move(body);
}

void add_if(CallRequest& r, const char* name, const std::string& value) {
  if (!value.empty())
    r.query.emplace_back(name, value);
}

S3Failure failure(S3FailureKind kind, const CallRequest& r, std::string message) {
  S3Failure f;
  f.kind = kind;
  f.operation = r.operation;
  f.bucket = r.bucket;
  f.key = r.key;
  f.message = std::move(message);
  return f;
}

/// A 2xx response whose body could not be read.
S3Failure unreadable(const CallRequest& r, const http::Response& response, const std::string& why) {
  S3Failure f = failure(S3FailureKind::kInternal, r, "unreadable response: " + why);
  f.status = response.status;
  f.request_id = response.header("x-amz-request-id");
  return f;
}

/// Parses a success body with `parse`, or fails naming the operation.
template <typename T, typename Parse>
S3Result<T> parse_with(const CallRequest& r, const S3Result<http::Response>& response,
                       Parse parse) {
  if (!response)
    return tl::unexpected(response.error());
  auto parsed = parse(response->body);
  if (!parsed)
    return tl::unexpected(unreadable(r, *response, parsed.error()));
  return std::move(*parsed);
}

bool is_status(const S3Result<http::Response>& response, long status) {
  return !response && response.error().status == status;
}

uint64_t to_size(const std::string& text) {
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return 0;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

/// Runs an operation body, turning an exception (out of memory) into a failure.
/// Refuses an empty bucket name (the request would go to the service root); runs the rest.
template <typename F>
auto guarded(const char* operation, const std::string& bucket, F&& run) -> decltype(run()) {
  try {
    if (bucket.empty()) {
      S3Failure f;
      f.kind = S3FailureKind::kInvalid;
      f.operation = operation;
      f.message = "the bucket name is empty";
      return tl::unexpected(std::move(f));
    }
    return run();
  } catch (const std::exception& e) {
    S3Failure f;
    f.operation = operation;
    f.bucket = bucket;
    f.message = std::string("internal error: ") + e.what();
    return tl::unexpected(std::move(f));
  }
}

}  // namespace

S3Result<bool> S3Client::head_bucket(const std::string& bucket) {
  return guarded("HeadBucket", bucket, [&]() -> S3Result<bool> {
    auto response = call(make("HeadBucket", "HEAD", bucket));
    if (is_status(response, 404))
      return false;
    if (!response)
      return tl::unexpected(response.error());
    return true;
  });
}

S3Result<void> S3Client::create_bucket(const std::string& bucket) {
  return guarded("CreateBucket", bucket, [&]() -> S3Result<void> {
    CallRequest r = make("CreateBucket", "PUT", bucket);
    if (config().region != "us-east-1") {
      r.headers.emplace_back("Content-Type", kXml);
      r.body = create_bucket_xml(config().region);
    }
    auto response = call(r);
    if (!response && response.error().code == "BucketAlreadyOwnedByYou")
      return {};
    if (!response)
      return tl::unexpected(response.error());
    return {};
  });
}

S3Result<void> S3Client::delete_bucket(const std::string& bucket) {
  return guarded("DeleteBucket", bucket, [&]() -> S3Result<void> {
    auto response = call(make("DeleteBucket", "DELETE", bucket));
    if (!response)
      return tl::unexpected(response.error());
    return {};
  });
}

S3Result<Tags> S3Client::get_bucket_tagging(const std::string& bucket) {
  return guarded("GetBucketTagging", bucket, [&]() -> S3Result<Tags> {
    CallRequest r = make("GetBucketTagging", "GET", bucket);
    r.query = {{"tagging", ""}};
    auto response = call(r);
    // S3 says NoSuchTagSet; some RGW releases say NoSuchTagSetError.
    if (!response && response.error().status == 404 &&
        (response.error().code == "NoSuchTagSet" || response.error().code == "NoSuchTagSetError")) {
      return Tags{};
    }
    return parse_with<Tags>(r, response, parse_tagging);
  });
}

S3Result<void> S3Client::put_bucket_tagging(const std::string& bucket, const Tags& tags) {
  if (tags.empty())
    return delete_bucket_tagging(bucket);
  return guarded("PutBucketTagging", bucket, [&]() -> S3Result<void> {
    CallRequest r = make("PutBucketTagging", "PUT", bucket);
    r.query = {{"tagging", ""}};
    set_xml_body(r, tagging_xml(tags));
    auto response = call(r);
    if (!response)
      return tl::unexpected(response.error());
    return {};
  });
}

S3Result<void> S3Client::delete_bucket_tagging(const std::string& bucket) {
  return guarded("DeleteBucketTagging", bucket, [&]() -> S3Result<void> {
    CallRequest r = make("DeleteBucketTagging", "DELETE", bucket);
    r.query = {{"tagging", ""}};
    auto response = call(r);
    if (!response)
      return tl::unexpected(response.error());
    return {};
  });
}

S3Result<Versioning> S3Client::get_bucket_versioning(const std::string& bucket) {
  return guarded("GetBucketVersioning", bucket, [&]() -> S3Result<Versioning> {
    CallRequest r = make("GetBucketVersioning", "GET", bucket);
    r.query = {{"versioning", ""}};
    return parse_with<Versioning>(r, call(r), parse_versioning);
  });
}

S3Result<void> S3Client::put_bucket_versioning(const std::string& bucket, Versioning versioning) {
  return guarded("PutBucketVersioning", bucket, [&]() -> S3Result<void> {
    CallRequest r = make("PutBucketVersioning", "PUT", bucket);
    if (versioning == Versioning::kNever) {
      return tl::unexpected(failure(S3FailureKind::kInvalid, r,
                                    "versioning cannot be turned off once enabled, only "
                                    "suspended"));
    }
    r.query = {{"versioning", ""}};
    set_xml_body(r, versioning_xml(versioning));
    auto response = call(r);
    if (!response)
      return tl::unexpected(response.error());
    return {};
  });
}

S3Result<PutObjectResult> S3Client::put_object(const std::string& bucket, const std::string& key,
                                               std::string body, const std::string& content_type,
                                               const Tags& metadata) {
  return guarded("PutObject", bucket, [&]() -> S3Result<PutObjectResult> {
    CallRequest r = make("PutObject", "PUT", bucket, key);
    if (key.empty())
      return tl::unexpected(failure(S3FailureKind::kInvalid, r, "the object key is empty"));
    if (!content_type.empty())
      r.headers.emplace_back("Content-Type", content_type);
    for (const auto& [name, value] : metadata)
      r.headers.emplace_back("x-amz-meta-" + name, value);
    r.body = std::move(body);
    auto response = call(r);
    if (!response)
      return tl::unexpected(response.error());
    return PutObjectResult{response->header("etag"), response->header("x-amz-version-id")};
  });
}

S3Result<std::optional<ObjectInfo>> S3Client::head_object(const std::string& bucket,
                                                          const std::string& key,
                                                          const std::string& version_id) {
  return guarded("HeadObject", bucket, [&]() -> S3Result<std::optional<ObjectInfo>> {
    CallRequest r = make("HeadObject", "HEAD", bucket, key);
    if (key.empty())
      return tl::unexpected(failure(S3FailureKind::kInvalid, r, "the object key is empty"));
    add_if(r, "versionId", version_id);
    auto response = call(r);
    if (is_status(response, 404))
      return std::nullopt;
    if (!response)
      return tl::unexpected(response.error());
    ObjectInfo info{.size = to_size(response->header("content-length")),
                    .etag = response->header("etag"),
                    .content_type = response->header("content-type"),
                    .last_modified = response->header("last-modified"),
                    .version_id = response->header("x-amz-version-id"),
                    .metadata = {}};
    const std::string prefix = "x-amz-meta-";
    for (const auto& [name, value] : response->headers) {
      if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0)
        info.metadata[name.substr(prefix.size())] = value;
    }
    return info;
  });
}

S3Result<std::optional<std::string>> S3Client::get_object(const std::string& bucket,
                                                          const std::string& key) {
  return guarded("GetObject", bucket, [&]() -> S3Result<std::optional<std::string>> {
    CallRequest r = make("GetObject", "GET", bucket, key);
    if (key.empty())
      return tl::unexpected(failure(S3FailureKind::kInvalid, r, "the object key is empty"));
    auto response = call(r);
    if (is_status(response, 404))
      return std::nullopt;
    if (!response)
      return tl::unexpected(response.error());
    return std::optional<std::string>(std::move(response->body));
  });
}

S3Result<DeleteObjectResult> S3Client::delete_object(const std::string& bucket,
                                                     const std::string& key,
                                                     const std::string& version_id) {
  return guarded("DeleteObject", bucket, [&]() -> S3Result<DeleteObjectResult> {
    CallRequest r = make("DeleteObject", "DELETE", bucket, key);
    if (key.empty())
      return tl::unexpected(failure(S3FailureKind::kInvalid, r, "the object key is empty"));
    add_if(r, "versionId", version_id);
    auto response = call(r);
    if (!response)
      return tl::unexpected(response.error());
    return DeleteObjectResult{response->header("x-amz-version-id"),
                              response->header("x-amz-delete-marker") == "true"};
  });
}

S3Result<DeleteObjectsResult> S3Client::delete_objects(const std::string& bucket,
                                                       const std::vector<ObjectId>& objects) {
  return guarded("DeleteObjects", bucket, [&]() -> S3Result<DeleteObjectsResult> {
    CallRequest r = make("DeleteObjects", "POST", bucket);
    if (objects.size() > kMaxDeleteObjects) {
      return tl::unexpected(
          failure(S3FailureKind::kInvalid, r,
                  std::to_string(objects.size()) + " objects in one request; the limit is 1000"));
    }
    if (objects.empty())
      return DeleteObjectsResult{};
    r.query = {{"delete", ""}};
    set_xml_body(r, delete_objects_xml(objects));
    return parse_with<DeleteObjectsResult>(r, call(r), parse_delete_result);
  });
}

S3Result<ListObjectsPage> S3Client::list_objects_v2(const std::string& bucket,
                                                    const ListObjectsRequest& request) {
  return guarded("ListObjectsV2", bucket, [&]() -> S3Result<ListObjectsPage> {
    CallRequest r = make("ListObjectsV2", "GET", bucket);
    r.query = {{"list-type", "2"}};
    add_if(r, "prefix", request.prefix);
    add_if(r, "delimiter", request.delimiter);
    add_if(r, "continuation-token", request.continuation_token);
    add_if(r, "start-after", request.start_after);
    if (request.max_keys > 0)
      r.query.emplace_back("max-keys", std::to_string(request.max_keys));
    return parse_with<ListObjectsPage>(r, call(r), parse_list_objects_v2);
  });
}

S3Result<ListVersionsPage> S3Client::list_object_versions(const std::string& bucket,
                                                          const ListVersionsRequest& request) {
  return guarded("ListObjectVersions", bucket, [&]() -> S3Result<ListVersionsPage> {
    CallRequest r = make("ListObjectVersions", "GET", bucket);
    r.query = {{"versions", ""}};
    add_if(r, "prefix", request.prefix);
    add_if(r, "delimiter", request.delimiter);
    add_if(r, "key-marker", request.key_marker);
    add_if(r, "version-id-marker", request.version_id_marker);
    if (request.max_keys > 0)
      r.query.emplace_back("max-keys", std::to_string(request.max_keys));
    return parse_with<ListVersionsPage>(r, call(r), parse_list_versions);
  });
}

}  // namespace lakeinfra::providers::s3
