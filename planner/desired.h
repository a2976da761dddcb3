#pragma once

#include <string>
#include <vector>

#include "config/model.h"
#include "config/resource.h"

namespace lakeinfra::planner {

/// The resources a lake declares, in declaration order: each zone followed by its containers.
/// Zones: address zone.NAME, provider_id = physical name, attributes {name, tier,
/// force_destroy, lake, instance} (plus versioning and the lakeinfra:* tags for S3). Containers:
/// address container.ZONE.NAME, provider_id = "ZONEPHYS/CONTAINERPHYS", attributes {zone, name,
/// tier}, depending on their zone. Then each role followed by its grants (config/resource.h
/// documents both types): only grants evaluate_access() allows are rendered, so a lake that
/// somehow skipped validation can never widen access.
std::vector<config::DesiredResource> desired_resources(const config::Lake& lake);

/// The least-privilege IAM policy document of one grant on `bucket` (a zone's physical name),
/// limited to the prefix "PREFIX/" when `prefix` (a container's physical name) is not empty:
///   read   s3:ListBucket (with an s3:prefix condition for a container) and s3:GetObject;
///   write  and s3:PutObject, s3:DeleteObject;
///   admin  and s3:ListBucketVersions, s3:GetObjectVersion, s3:DeleteObjectVersion; on a whole
///          zone also the bucket-level s3:GetBucketVersioning, s3:GetBucketTagging,
///          s3:GetLifecycleConfiguration and s3:PutLifecycleConfiguration (never the settings
///          lakeinfra manages itself: versioning and tags stay read-only).
config::Attributes grant_policy(const std::string& bucket, const std::string& prefix,
                                config::Access access);

/// The trust policy of a role: sts:AssumeRole allowed to `principals` (ARNs or account ids),
/// or, when there are none, denied to everyone.
config::Attributes trust_policy(const std::vector<std::string>& principals);

}  // namespace lakeinfra::planner
