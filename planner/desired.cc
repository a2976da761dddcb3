#include "planner/desired.h"

namespace lakeinfra::planner {

std::vector<config::DesiredResource> desired_resources(const config::Lake& lake) {
  std::vector<config::DesiredResource> out;
  for (const auto& zone : lake.zones) {
    config::Address zone_address(config::kZoneType, {zone.name});
    config::DesiredResource z;
    z.address = zone_address;
    z.type = config::kZoneType;
    z.provider_id = zone.physical_name;
    z.attributes = {{"name", zone.name},
                    {"tier", zone.tier},
                    {"force_destroy", zone.force_destroy},
                    {"lake", lake.lake.name},
                    {"instance", lake.lake.instance}};
    if (lake.storage.provider == "s3") {
      // What an S3 bucket carries and refresh reads back (see providers/s3/s3_provider.h).
      z.attributes["versioning"] = zone.versioning;
      z.attributes["tags"] = {{"lakeinfra:lake", lake.lake.name},
                              {"lakeinfra:zone", zone.name},
                              {"lakeinfra:tier", zone.tier},
                              {"lakeinfra:managed-by", "lakeinfra"}};
    }
    out.push_back(std::move(z));
    for (const auto& container : zone.containers) {
      config::DesiredResource c;
      c.address = config::Address(config::kContainerType, {zone.name, container.name});
      c.type = config::kContainerType;
      c.provider_id = zone.physical_name + "/" + container.physical_name;
      c.attributes = {{"zone", zone.name}, {"name", container.name}, {"tier", container.tier}};
      c.depends_on = {zone_address};
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace lakeinfra::planner
