#pragma once

#include <memory>

#include "providers/provider.h"
#include "state/job_registry.h"

namespace lakeinfra::pipelines {

/// Manages `job` resources in a job registry (the "local" registry: the state database) and
/// `pipeline` resources, which record the commit a pipeline was built from and have no object
/// of their own (like Terraform's terraform_data: read reports them present, with nothing to
/// compare). A job's definition is its attributes; refresh reads it back, so a job edited or
/// unregistered outside lakeinfra shows as drift. `registry` must outlive the provider.
std::unique_ptr<providers::Provider> make_registry_provider(state::JobRegistry& registry);

}  // namespace lakeinfra::pipelines
