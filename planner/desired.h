#pragma once

#include <vector>

#include "config/model.h"
#include "config/resource.h"

namespace lakeinfra::planner {

/// The resources a lake declares, in declaration order: each zone followed by its containers.
/// Zones: address zone.NAME, provider_id = physical name, attributes {name, tier,
/// force_destroy, lake, instance} (plus versioning and the lakeinfra:* tags for S3). Containers:
/// address container.ZONE.NAME, provider_id = "ZONEPHYS/CONTAINERPHYS", attributes {zone, name,
/// tier}, depending on their zone.
std::vector<config::DesiredResource> desired_resources(const config::Lake& lake);

}  // namespace lakeinfra::planner
