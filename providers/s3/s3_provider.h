#pragma once

#include <memory>
#include <string>

#include "config/filesystem.h"
#include "providers/provider.h"
#include "providers/s3/iam.h"
#include "providers/s3/s3_client.h"

namespace lakeinfra::providers::s3 {

/// Tag keys lakeinfra sets on every bucket it manages.
inline constexpr const char* kTagLake = "lakeinfra:lake";
inline constexpr const char* kTagZone = "lakeinfra:zone";
inline constexpr const char* kTagTier = "lakeinfra:tier";
inline constexpr const char* kTagManagedBy = "lakeinfra:managed-by";
/// The value of kTagManagedBy on everything lakeinfra manages.
inline constexpr const char* kManagedByValue = "lakeinfra";

/// S3-compatible storage (AWS S3, Ceph RGW, MinIO). A zone is a bucket (provider_id = bucket
/// name) carrying the lakeinfra:* tags and the declared versioning; a container is a prefix
/// "NAME/" inside it, marked by a zero-byte object with that key (provider_id "BUCKET/NAME").
///
/// Observed attributes: a zone's `tags` (only the lakeinfra:* keys; other tags are left alone
/// and kept when lakeinfra writes its own) and `versioning` (true only when Enabled). Data
/// entries are object versions other than lakeinfra's markers and delete markers, so a
/// versioned bucket whose objects were deleted still counts its old versions as data.
/// Deleting without force refuses data (kConflict) and removes only lakeinfra's own markers
/// (every version of them); with force it deletes every version and delete marker first.
/// An artifact (provider_id "BUCKET/KEY", KEY = "CONTAINER/pipelines/NAME/artifacts/FILE") is an
/// object uploaded from the resource's source file with its SHA-256 in x-amz-meta-sha256 (read
/// back by refresh); deleting it deletes every version of its key. Artifacts count as no data.
///
/// A role (provider_id = the role's name) is an IAM role with path "/", the desired trust policy
/// and the lakeinfra:* tags; observed: `trust_policy` (the parsed JSON document) and `tags`
/// (lakeinfra:* keys only; other tags are left alone). It is unmanaged unless tagged
/// lakeinfra:managed-by=lakeinfra. Creating a role that exists adopts it when it carries
/// lakeinfra:managed-by=lakeinfra and the desired lakeinfra:lake, else fails with kConflict.
/// Removing a role deletes its inline policies first. A grant (provider_id "ROLE/POLICY") is one
/// inline policy; observed: `policy` (the parsed document, or its text when it is not JSON).
/// Roles and grants hold no data and no attribute forces their replacement.
///
/// `http` (may be null when the caller keeps it alive) is the client `client` and `iam` send
/// through; the provider owns all three and destroys the S3 clients first. `iam` is the client
/// for IAM calls (AWS: https://iam.amazonaws.com, region us-east-1); null means `client` (Ceph
/// RGW and MinIO serve IAM on the storage endpoint). `fs` reads artifact sources and must
/// outlive the provider.
std::unique_ptr<Provider> make_s3_provider(std::unique_ptr<http::Client> http,
                                           std::unique_ptr<S3Client> client, config::FileSystem& fs,
                                           std::unique_ptr<S3Client> iam = nullptr);

/// The failure kind a provider reports for an S3 failure.
FailureKind failure_kind_of(S3FailureKind kind);

}  // namespace lakeinfra::providers::s3
