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
