#pragma once

// The values S3Client operations take and return. Plain data, no behaviour.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lakeinfra::providers::s3 {

/// Where the bucket name goes in a request URL.
enum class Addressing {
  kPath,     ///< http://host:port/bucket/key (Ceph RGW, MinIO, any bucket name).
  kVirtual,  ///< https://bucket.host/key (AWS's default; the bucket must be a DNS label).
};

/// A bucket's versioning state as S3 reports it.
enum class Versioning {
  kNever,      ///< Versioning was never enabled ("unversioned"); cannot be set back to this.
  kEnabled,    ///< New writes create new versions.
  kSuspended,  ///< Was enabled once; new writes replace the null version.
};

/// "never", "enabled" or "suspended".
const char* versioning_name(Versioning versioning);

/// Bucket tags, key → value.
using Tags = std::map<std::string, std::string>;

/// An object, or one version of it (version_id empty: the current version / unversioned).
struct ObjectId {
  std::string key;
  std::string version_id;
  bool operator==(const ObjectId&) const = default;
};

struct PutObjectResult {
  std::string etag;        ///< As sent by the server, quotes included.
  std::string version_id;  ///< Empty unless versioning is enabled.
};

/// What HEAD Object reports.
struct ObjectInfo {
  uint64_t size = 0;
  std::string etag;
  std::string content_type;
  std::string last_modified;  ///< As sent (an HTTP date).
  std::string version_id;
  /// User metadata (x-amz-meta-NAME headers), by NAME lowercased.
  std::map<std::string, std::string> metadata;
};

struct DeleteObjectResult {
  std::string version_id;      ///< The version deleted, or the delete marker created.
  bool delete_marker = false;  ///< A delete marker was created or deleted.
};

/// One key that DeleteObjects could not delete.
struct DeleteError {
  std::string key;
  std::string version_id;
  std::string code;  ///< "AccessDenied", "InternalError", ...
  std::string message;
};

struct DeleteObjectsResult {
  std::vector<ObjectId> deleted;    ///< In the server's order.
  std::vector<DeleteError> errors;  ///< Empty when every key was deleted.
};

/// ListObjectsV2 parameters; empty strings and max_keys 0 are left out of the request.
struct ListObjectsRequest {
  std::string prefix;
  std::string delimiter;
  std::string continuation_token;  ///< next_continuation_token of the previous page.
  std::string start_after;
  int max_keys = 0;  ///< 0: the server's default (1000).
};

struct ObjectSummary {
  std::string key;
  uint64_t size = 0;
  std::string etag;
  std::string last_modified;  ///< ISO 8601, as sent.
};

/// One page of ListObjectsV2.
struct ListObjectsPage {
  std::vector<ObjectSummary> objects;
  std::vector<std::string> common_prefixes;  ///< Only with a delimiter.
  bool truncated = false;                    ///< More pages follow.
  std::string next_continuation_token;       ///< Set when truncated.
};

/// ListObjectVersions parameters; empty strings and max_keys 0 are left out of the request.
struct ListVersionsRequest {
  std::string prefix;
  std::string delimiter;
  std::string key_marker;         ///< next_key_marker of the previous page.
  std::string version_id_marker;  ///< next_version_id_marker of the previous page.
  int max_keys = 0;
};

/// A version of an object, or a delete marker.
struct ObjectVersion {
  std::string key;
  std::string version_id;  ///< "null" for the version written while unversioned.
  bool is_latest = false;
  bool delete_marker = false;
  uint64_t size = 0;  ///< 0 for delete markers.
  std::string etag;   ///< Empty for delete markers.
  std::string last_modified;
};

/// One page of ListObjectVersions: versions and delete markers in the server's order (by key,
/// newest first).
struct ListVersionsPage {
  std::vector<ObjectVersion> versions;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;
};

/// An IAM role as GetRole / CreateRole describe it.
struct RoleInfo {
  std::string name;
  std::string arn;   ///< "arn:aws:iam::123456789012:role/NAME"; RGW: "arn:aws:iam:::role/NAME".
  std::string path;  ///< "/" unless made with another path.
  std::string trust_policy;  ///< The AssumeRolePolicyDocument, decoded JSON text.
  Tags tags;
};

/// One page of ListRolePolicies; pass `marker` back for the next while `truncated`.
struct RolePolicyNamesPage {
  std::vector<std::string> names;
  bool truncated = false;
  std::string marker;
};

}  // namespace lakeinfra::providers::s3
