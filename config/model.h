#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/diagnostics.h"

namespace lakeinfra::config {

/// The security tiers, lowest first. A zone with no `tier` gets the highest one (fail closed).
inline const std::vector<std::string>& default_tiers() {
  static const std::vector<std::string> tiers = {"internal", "restricted", "sensitive"};
  return tiers;
}

/// `lake:` block: identity of the lake, used by naming templates.
struct LakeInfo {
  std::string name;      ///< Required. Placeholder {lake}.
  std::string instance;  ///< Required. Placeholder {instance}; selects lake.<instance>.yaml.
  std::string region;    ///< Optional. Placeholder {region}.
  std::string org;       ///< Optional. Placeholder {org}.
  Location location;
};

/// `storage:` block. Only the local provider exists so far.
struct Storage {
  std::string provider = "local";
  std::filesystem::path root;  ///< Absolute; `root:` resolved against the config's directory.
  Location location;
};

/// `naming:` block: templates for physical names.
struct Naming {
  std::string zone = "{lake}-{instance}-{zone}";
  std::string container = "{container}";
  Location zone_location;
  Location container_location;
};

struct Container {
  std::string name;
  std::string tier;           ///< Own `tier`, or the zone's when not set.
  std::string physical_name;  ///< Rendered from naming.container.
  Location location;
};

struct Zone {
  std::string name;
  std::string tier;  ///< Declared tier, or the highest tier when not set.
  bool force_destroy = false;
  std::string naming;         ///< Per-zone override of naming.zone ("" = use naming.zone).
  std::string physical_name;  ///< Rendered from the zone naming template.
  std::vector<Container> containers;
  Location location;
};

/// A loaded, merged, interpolated and validated lake configuration.
struct Lake {
  LakeInfo lake;
  Storage storage;
  Naming naming;
  std::vector<Zone> zones;

  std::filesystem::path config_path;           ///< The base lake.yaml, absolute.
  std::vector<std::filesystem::path> sources;  ///< Files merged, base first.
  Diagnostics warnings;                        ///< Non-fatal findings (deprecated keys, and so on).

  const Zone* find_zone(const std::string& name) const;
};

}  // namespace lakeinfra::config
