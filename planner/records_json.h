#pragma once

#include "config/resource.h"
#include "config/result.h"

namespace lakeinfra::planner {

/// JSON forms of resources, used by the journal payloads and plan files.
config::Attributes to_json(const config::DesiredResource& r);
config::Attributes to_json(const config::ResourceRecord& r);

/// Inverse of to_json; fails (never throws) on a missing or mistyped field, naming it.
Result<config::DesiredResource> desired_from_json(const config::Attributes& j);
Result<config::ResourceRecord> record_from_json(const config::Attributes& j);

}  // namespace lakeinfra::planner
