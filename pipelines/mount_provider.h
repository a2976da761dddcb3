#pragma once

#include <filesystem>
#include <memory>

#include "config/filesystem.h"
#include "providers/provider.h"

namespace lakeinfra::pipelines {

/// File in the workspace root holding the s3a settings of S3 mounts.
inline constexpr const char* kSparkDefaultsFile = "spark-defaults.conf";

/// Manages `mount` resources in the workspace root. provider_id is the mount's path without
/// the leading '/' ("mnt/bronze").
/// - Local storage (`s3` false): a symlink <root>/<id> → attribute "target" (the zone's or
///   container's directory). Refresh reads the link back: a removed or re-pointed link is drift.
///   Something other than a symlink in its place is never touched (kConflict).
/// - S3 (`s3` true): a block of Spark/Hadoop settings in <root>/spark-defaults.conf, between
///   "# BEGIN lakeinfra mount ID" and "# END lakeinfra mount ID": the per-bucket s3a endpoint and
///   path-style access, and spark.lakeinfra.mount.NAME.{path,target}. Lines outside lakeinfra's
///   blocks are kept. Refresh parses the block back.
/// `fs` must outlive the provider.
std::unique_ptr<providers::Provider> make_mount_provider(const std::filesystem::path& root,
                                                         config::FileSystem& fs, bool s3);

}  // namespace lakeinfra::pipelines
