#pragma once

#include <vector>

#include "config/model.h"
#include "config/resource.h"
#include "pipelines/build.h"
#include "providers/provider.h"

namespace lakeinfra::pipelines {

/// The resources prepared pipelines add to the plan, per pipeline in order:
/// - `pipeline.NAME` (id NAME): {repo (redacted), ref, commit, path, build};
/// - `artifact.NAME.FILE` (id "<artifacts container id>/pipelines/NAME/artifacts/FILE"):
///   {pipeline, file, sha256, size}, source = the built file; depends on the artifacts
///   container and the pipeline;
/// - `job.NAME` (id NAME): {pipeline, repo, ref, commit, schedule, linked_service, activities
///   (every dbfs:/pipelines/NAME/artifacts/FILE rewritten to the artifact's real location:
///   file:///... on local storage, s3://bucket/... on S3), artifacts {FILE: {location, sha256}}};
///   depends on its artifacts and the pipeline.
/// `storage` names the artifacts' locations (Provider::describe).
std::vector<config::DesiredResource> pipeline_resources(
    const config::Lake& lake, const std::vector<PreparedPipeline>& pipelines,
    const providers::Provider& storage);

/// `mount.NAME` for each mount (id: its path without the leading '/', e.g. "mnt/bronze"):
/// {name, zone, container, path, target} plus, on S3, {endpoint, path_style}; target is the
/// absolute directory on local storage, "s3a://bucket/[container/]" on S3. Depends on the zone
/// or container it mounts.
std::vector<config::DesiredResource> mount_resources(const config::Lake& lake,
                                                     const providers::Provider& storage);

/// The URL a job uses for an artifact at `location` (Provider::describe): an absolute path
/// becomes "file://PATH"; URLs are kept.
std::string artifact_url(const std::string& location);

}  // namespace lakeinfra::pipelines
