#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "config/model.h"
#include "config/yaml_tree.h"

// Private to config/: turning the merged, interpolated YAML tree into a Lake, reporting every
// wrong type, missing or unknown key, invalid name, unknown tier or provider and duplicate.

namespace lakeinfra::config {

struct DecodeOptions {
  std::string file;                              ///< The base file as shown in locations.
  std::filesystem::path base_dir;                ///< storage.root is resolved against it.
  std::optional<std::string> instance_override;  ///< Replaces lake.instance.
};

/// What decoding learned about a container besides its values.
struct ContainerFacts {
  bool name_ok = false;        ///< The name is valid and unique within its zone.
  bool tier_ok = false;        ///< Its tier (own or inherited) is a known tier.
  bool tier_declared = false;  ///< Whether it has its own `tier`.
  Location tier_location;      ///< Its `tier` value, when declared.
};

/// What decoding learned about a zone besides its values.
struct ZoneFacts {
  bool name_ok = false;                    ///< The name is valid and unique within the lake.
  bool tier_ok = false;                    ///< The tier is a known tier.
  Location tier_location;                  ///< Its `tier` value; the zone's when not declared.
  bool tier_declared = false;              ///< Whether `tier` was written.
  bool naming_ok = true;                   ///< `naming` is absent or a string.
  Location naming_location;                ///< Where the `naming` override is, when there is one.
  std::vector<ContainerFacts> containers;  ///< Parallel to Zone::containers.
};

/// A decoded Lake plus which values were valid, so later checks neither crash on nor repeat an
/// error about a value already reported. Physical names are not rendered yet.
struct DecodedLake {
  Lake lake;
  /// Whether "lake", "instance", "region" and "org" hold valid values (region and org may be
  /// valid and empty).
  std::map<std::string, bool> lake_vars_ok;
  bool naming_zone_ok = true;  ///< naming.zone is a string (or the default).
  bool naming_container_ok = true;
  bool naming_role_ok = true;
  bool tiers_ok = true;     ///< `tiers` is absent or a valid list: unknown tiers are reported.
  bool phi_tier_ok = true;  ///< `phi_tier` is absent or a known tier.
  /// Parallel to lake.roles: the role's name is valid and unique.
  std::vector<bool> role_names_ok;
  std::vector<ZoneFacts> zones;  ///< Parallel to lake.zones.
};

/// Decodes `root` (the whole document), adding every problem found to `diags`.
DecodedLake decode_lake(const YamlNode& root, const DecodeOptions& options, Diagnostics& diags);

/// "line 4" when `first` is in the same file as `here`, else "lake.yaml:4:3".
std::string first_defined(const Location& first, const Location& here);

}  // namespace lakeinfra::config
