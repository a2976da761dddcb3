#pragma once

#include "config/decode.h"
#include "config/diagnostics.h"
#include "config/yaml_tree.h"

// Private to config/: the governance blocks (`tiers`, `phi_tier`, `instances`, `roles`). The
// tiers are decoded before the zones, whose tiers they check; instances and roles after the
// zones and pipelines they refer to.

namespace lakeinfra::config {

/// Decodes `tiers` and `phi_tier` of `root` (the whole document) into `out.lake`, adding every
/// problem found to `diags`. Afterwards `out.lake.tiers` is never empty: when `tiers` is not a
/// usable list the valid names in it are kept, else the defaults, and `out.tiers_ok` is false
/// (the zones' tiers are then not reported as unknown). `phi_tier` defaults to "sensitive" when
/// that is a tier, else the highest tier.
void decode_tier_blocks(const YamlNode& root, const DecodeOptions& options, DecodedLake& out,
                        Diagnostics& diags);

/// Decodes `instances` and `roles` into `out.lake` (`out.lake.zones` must be decoded already,
/// the artifacts container included), then checks the rules between them: the tiers of zones
/// and containers against the max_tier of the lake's instance, and every grant against its
/// role's clearance and PHI clearance, by evaluate_access() (access.h). Grants whose target,
/// tiers or clearance were reported invalid are not checked again. Fills
/// `out.role_names_ok`; physical role names are rendered later (physical_names.h).
void decode_governance_blocks(const YamlNode& root, const DecodeOptions& options, DecodedLake& out,
                              Diagnostics& diags);

}  // namespace lakeinfra::config
