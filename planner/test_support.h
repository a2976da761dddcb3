#pragma once

// Builders shared by the planner's tests.
#include <string>
#include <vector>

#include "config/resource.h"
#include "state/state_store.h"

namespace lakeinfra::planner::testing {

inline config::DesiredResource zone(const std::string& name, const std::string& tier = "sensitive",
                                    bool force_destroy = false, const std::string& id = "") {
  config::DesiredResource d;
  d.address = config::Address("zone", {name});
  d.type = "zone";
  d.provider_id = id.empty() ? "lake-dev-" + name : id;
  d.attributes = {{"name", name}, {"tier", tier}, {"force_destroy", force_destroy}};
  return d;
}

inline config::DesiredResource container(const std::string& zone_name, const std::string& name,
                                         const std::string& tier = "sensitive",
                                         const std::string& zone_id = "") {
  config::DesiredResource d;
  d.address = config::Address("container", {zone_name, name});
  d.type = "container";
  d.provider_id = (zone_id.empty() ? "lake-dev-" + zone_name : zone_id) + "/" + name;
  d.attributes = {{"zone", zone_name}, {"name", name}, {"tier", tier}};
  d.depends_on = {config::Address("zone", {zone_name})};
  return d;
}

/// The record apply would have written for `d`.
inline config::ResourceRecord record_of(const config::DesiredResource& d,
                                        const std::string& provider = "fake") {
  config::ResourceRecord r;
  r.address = d.address;
  r.type = d.type;
  r.provider = provider;
  r.provider_id = d.provider_id;
  r.attributes = d.attributes;
  r.depends_on = d.depends_on;
  return r;
}

inline state::Snapshot snapshot_of(const std::vector<config::DesiredResource>& applied) {
  state::Snapshot s;
  s.lineage = "test-lineage";
  s.serial = static_cast<int64_t>(applied.size());
  for (const auto& d : applied)
    s.resources[d.address] = record_of(d);
  return s;
}

}  // namespace lakeinfra::planner::testing
