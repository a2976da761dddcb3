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

/// The storage providers lakeinfra knows, in the order hints list them.
inline const std::vector<std::string>& storage_providers() {
  static const std::vector<std::string> providers = {"local", "s3"};
  return providers;
}

/// `storage:` block. Keys of one provider are unknown keys for the other; the fields of the
/// other provider keep their zero values ("" and true).
struct Storage {
  std::string provider = "local";  ///< "local" or "s3".

  // --- local ---
  std::filesystem::path root;  ///< Absolute; `root:` resolved against the config's directory.

  // --- s3 ---
  /// "scheme://host[:port]": the scheme is "http" or "https", scheme and host are lowercased,
  /// an IPv6 host keeps its brackets, a default port (80, 443) and a trailing '/' are dropped.
  /// "" when omitted, meaning AWS (see endpoint_url()).
  std::string endpoint;
  /// `region`, else lake.region, else "us-east-1".
  std::string region;
  /// "path" (https://host/bucket/key) or "virtual" (https://bucket.host/key). Default: "path"
  /// when an endpoint is set, "virtual" for AWS.
  std::string addressing;
  /// The credentials profile as written; "" when omitted (then AWS_PROFILE, else "default",
  /// chosen when credentials are resolved: providers/s3/credentials.h).
  std::string profile;
  /// Whether TLS certificates are verified. false is allowed (test servers with self-signed
  /// certificates) and gives a warning.
  bool verify_tls = true;

  Location location;  ///< The `storage:` block (the file when there is none).
  /// Where each key's value is; the block's location when the key is absent.
  Location endpoint_location;
  Location region_location;
  Location addressing_location;
  Location profile_location;
  Location verify_tls_location;

  /// s3: `endpoint`, or "https://s3.<region>.amazonaws.com" when it is not set. "" for other
  /// providers.
  std::string endpoint_url() const {
    if (provider != "s3")
      return {};
    return endpoint.empty() ? "https://s3." + region + ".amazonaws.com" : endpoint;
  }
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
  /// s3: bucket versioning enabled (true) or suspended (false). No effect on local storage.
  bool versioning = false;
  bool versioning_set = false;  ///< Whether `versioning` was written (true or false).
  std::string naming;           ///< Per-zone override of naming.zone ("" = use naming.zone).
  std::string physical_name;    ///< Rendered from the zone naming template.
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
