#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/diagnostics.h"

namespace lakeinfra::config {

/// The security tiers when `tiers:` is omitted, lowest first. A zone with no `tier` gets the
/// highest one (fail closed); a role with no `clearance` the lowest.
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

  bool operator==(const LakeInfo&) const = default;
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

  bool operator==(const Storage&) const = default;
};

/// `naming:` block: templates for physical names.
struct Naming {
  std::string zone = "{lake}-{instance}-{zone}";
  std::string container = "{container}";
  /// IAM role names (and the role entries of the local policy document). Placeholders {lake},
  /// {instance}, {region}, {org}, {role}.
  std::string role = "{lake}-{instance}-{role}";
  Location zone_location;
  Location container_location;
  Location role_location;

  bool operator==(const Naming&) const = default;
};

struct Container {
  std::string name;
  std::string tier;           ///< Own `tier`, or the zone's when not set.
  std::string physical_name;  ///< Rendered from naming.container.
  Location location;

  bool operator==(const Container&) const = default;
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

  bool operator==(const Zone&) const = default;
};

/// `jobs:` block: where pipeline jobs are registered.
struct Jobs {
  /// The job registry kind. Only "local" exists: jobs live in the state database.
  std::string registry = "local";
  /// Every activity's linkedServiceName.referenceName must equal this. Never empty; the
  /// default is "ADBLinkedServiceViaMSI", the FlowEHR contract's name.
  std::string linked_service = "ADBLinkedServiceViaMSI";
  Location location;
  Location linked_service_location;

  bool operator==(const Jobs&) const = default;
};

/// `artifacts:` block: the container pipeline artifacts are uploaded to. When omitted: zone
/// "gold" if declared, else the last zone; container "pipelines". The container is added to its
/// zone (as if declared there) when the zone does not declare it.
struct ArtifactsTarget {
  std::string zone;
  std::string container = "pipelines";
  bool declared = false;  ///< Whether `artifacts:` was written.
  Location location;

  bool operator==(const ArtifactsTarget&) const = default;
};

/// One entry of `pipelines:`: a git repo following the pipeline contract (a Makefile with an
/// `artifacts` target and an activities.json).
struct Pipeline {
  std::string name;
  /// As written: https://, http://, git://, ssh://, file:// URL or a local path (resolved
  /// against the config's directory and turned into an absolute path). May carry credentials
  /// (https://user:secret@host/...); use redacted_repo() wherever it is shown or stored.
  std::string repo;
  std::string ref;        ///< Branch, tag or full 40-hex commit sha. Required.
  std::string path;       ///< Subfolder with Makefile and activities.json; "" = repo root.
  std::string token_env;  ///< Environment variable holding an https token; "" = none.
  std::string schedule;   ///< Cron expression kept with the job; "" = none.
  int build_timeout_seconds = 600;  ///< `build_timeout`: "90s", "10m", "1h" or seconds.
  Location location;
  Location repo_location;
  Location ref_location;
  Location path_location;

  /// `repo` with its credentials replaced by "***" (log.h: redact_url_credentials): a password,
  /// and a lone user except the login of an ssh:// or scp-like address.
  std::string redacted_repo() const;

  bool operator==(const Pipeline&) const = default;
};

/// `workspace:` block: where mounts are materialised.
struct Workspace {
  std::filesystem::path root;  ///< Absolute; default "./workspace" beside the config file.
  Location location;

  bool operator==(const Workspace&) const = default;
};

/// One entry of `mounts:`: a zone (or one of its containers) made available to compute at
/// `path` (absolute, no "..", unique).
struct Mount {
  std::string name;
  std::string zone;
  std::string container;  ///< "" = the whole zone.
  std::string path;       ///< As written, e.g. "/mnt/bronze"; normalised (no trailing '/').
  Location location;
  Location path_location;

  bool operator==(const Mount&) const = default;
};

/// One entry of `instances:` (a mapping of instance name to settings).
struct Instance {
  std::string name;
  /// The highest tier of data this instance may hold (`max_tier`); "" = no limit.
  std::string max_tier;
  Location location;
  Location max_tier_location;

  bool operator==(const Instance&) const = default;
};

/// What a grant allows, weakest first. Each level includes the ones before it.
enum class Access {
  kRead = 1,   ///< List and get objects.
  kWrite = 2,  ///< And put and delete objects.
  kAdmin = 3,  ///< And object versions; on a whole zone, the bucket's own settings too.
};

/// One entry of a role's `grants:`.
struct Grant {
  std::string zone;
  std::string container;  ///< "" = the whole zone, every container in it.
  Access access = Access::kRead;
  Location location;  ///< The grant's mapping.
  Location zone_location;
  Location container_location;  ///< The grant's location when `container` is absent.
  Location access_location;

  bool operator==(const Grant&) const = default;
};

/// One entry of `roles:`: who may do what with which data.
struct Role {
  std::string name;
  std::string description;  ///< Free text, shown by `lakeinfra access`; "" when not set.
  /// The highest tier this role may be granted (`clearance`). Default: the lowest tier.
  std::string clearance;
  bool phi = false;  ///< Cleared for PHI: may be granted data of tier phi_tier or above.
  /// Who may assume the role (its trust policy), as written: IAM ARNs such as
  /// "arn:aws:iam:::user/ci" or "arn:aws:iam::123456789012:role/deployer", or 12-digit account
  /// ids. Empty: nobody may assume it.
  std::vector<std::string> principals;
  std::vector<Grant> grants;  ///< In declaration order; no two for the same zone and container.
  std::string physical_name;  ///< Rendered from naming.role.
  Location location;
  Location clearance_location;  ///< The role's location when `clearance` is absent.
  Location phi_location;        ///< The role's location when `phi` is absent.

  const Grant* find_grant(const std::string& zone, const std::string& container) const;

  bool operator==(const Role&) const = default;
};

/// A loaded, merged, interpolated and validated lake configuration.
struct Lake {
  LakeInfo lake;
  Storage storage;
  Naming naming;
  std::vector<Zone> zones;
  Jobs jobs;
  ArtifactsTarget artifacts;  ///< Resolved even when `artifacts:` is omitted (if any zone).
  std::vector<Pipeline> pipelines;
  Workspace workspace;
  std::vector<Mount> mounts;

  /// `tiers:` lowest first; default_tiers() when omitted.
  std::vector<std::string> tiers = default_tiers();
  Location tiers_location;
  /// `phi_tier`: data of this tier or above needs a role with `phi: true`. Default: "sensitive"
  /// when that is a tier, else the highest tier.
  std::string phi_tier = "sensitive";
  Location phi_tier_location;  ///< Where phi_tier was written; the file when it was not.
  std::vector<Instance> instances;
  std::vector<Role> roles;

  std::filesystem::path config_path;           ///< The base lake.yaml, absolute.
  std::vector<std::filesystem::path> sources;  ///< Files merged, base first.
  Diagnostics warnings;                        ///< Non-fatal findings (deprecated keys, and so on).

  const Zone* find_zone(const std::string& name) const;
  const Pipeline* find_pipeline(const std::string& name) const;
  const Role* find_role(const std::string& name) const;
  const Instance* find_instance(const std::string& name) const;
  /// The position of `tier` in `tiers` (0 = lowest), or -1 when it is not a tier.
  int tier_rank(const std::string& tier) const;

  bool operator==(const Lake&) const = default;
};

}  // namespace lakeinfra::config
