#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/address.h"

namespace lakeinfra::config {

/// A resource's attributes: a JSON object. Keys are sorted, so two equal attribute sets compare
/// and serialise identically. Values are strings, booleans, numbers or nested objects.
using Attributes = nlohmann::json;

/// Resource types known to the engine. Providers declare which of them they manage.
inline constexpr const char* kZoneType = "zone";
inline constexpr const char* kContainerType = "container";
inline constexpr const char* kPipelineType = "pipeline";
inline constexpr const char* kArtifactType = "artifact";
inline constexpr const char* kJobType = "job";
inline constexpr const char* kMountType = "mount";

/// Governance (docs/explanation/governance.md). Storage providers manage both.
///
/// role.NAME: provider_id = the physical role name (naming.role). Attributes:
///   name          the role's name in the config
///   clearance     its tier; phi: bool
///   trust_policy  IAM policy document (JSON object) saying who may assume the role
///   tags          {"lakeinfra:lake", "lakeinfra:role", "lakeinfra:clearance", "lakeinfra:phi",
///                  "lakeinfra:managed-by": "lakeinfra"} (string values)
/// Observable: trust_policy and tags (only the lakeinfra:* keys). Removing a role removes every
/// inline policy it still has first.
inline constexpr const char* kRoleType = "role";
/// grant.ROLE.ZONE or grant.ROLE.ZONE.CONTAINER: one inline policy of the role.
/// provider_id = "ROLEPHYS/POLICY", POLICY = kGrantPolicyPrefix + "ZONE" or + "ZONE.CONTAINER"
/// (names hold no dots, so this is unambiguous). Attributes: role, zone, container ("" for a
/// whole zone), access ("read", "write", "admin"), policy (IAM policy document, JSON object).
/// Observable: policy. Depends on its role and on its zone or container.
inline constexpr const char* kGrantType = "grant";
inline constexpr const char* kGrantPolicyPrefix = "lakeinfra.";

/// A resource as the user declared it, after rendering names: what should exist.
struct DesiredResource {
  Address address;
  std::string type;         ///< Same as address.type().
  std::string provider_id;  ///< Physical identity, e.g. "healthetl-dev01-bronze/raw".
  Attributes attributes = Attributes::object();
  std::vector<Address> depends_on;
  /// Artifacts: the local file (absolute path) whose bytes the object must hold. Saved in plan
  /// files, never in state; its SHA-256 is attribute "sha256", checked again at upload.
  std::string source;
};

/// A resource as recorded in state after it was created: what lakeinfra believes exists.
struct ResourceRecord {
  Address address;
  std::string type;
  std::string provider;     ///< Provider kind that manages it ("local", "s3").
  std::string provider_id;  ///< Physical identity, as returned by the provider.
  Attributes attributes = Attributes::object();
  std::vector<Address> depends_on;
};

}  // namespace lakeinfra::config
