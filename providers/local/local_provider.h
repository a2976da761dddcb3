#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/filesystem.h"
#include "config/system.h"
#include "providers/provider.h"

namespace lakeinfra::providers {

/// Storage on the local filesystem: a zone is the directory <root>/<provider_id>, a container its
/// subdirectory (provider_id "zone-physical/container-physical"). Each holds a small marker file
/// (.lakeinfra.json) with the attributes lakeinfra can read back (tier, address). Paths never
/// escape `root`: an id containing "..", an absolute path, or a symlink component is refused
/// with kInvalid. A zone id of kLocalAccessPolicyFile (or its temporary files) is refused too.
///
/// Roles and grants (config/resource.h) live in one JSON document, <root>/access-policy.json
/// (kLocalAccessPolicyFile), rewritten atomically on each change, read-modify-write under a
/// lock. A role's provider_id is its physical name, a grant's "ROLE/POLICY"; each name uses
/// IAM's characters [A-Za-z0-9+=,.@_-], is not "." nor "..", and a grant id has exactly one
/// "/" (kInvalid otherwise). A grant whose role is not in the document fails with kNotFound.
/// A document lakeinfra cannot read (not JSON, another format) fails every role and grant call
/// with kConflict and is never overwritten: a person must fix or remove it.
///
/// Refresh (read_many()) stamps each zone's and container's marker and reads only the markers
/// whose stamp (device, inode, size, mtime, ctime) changed since the last refresh, taking the
/// others' bytes from a cache file; a marker changed less than kLocalMarkerTrustDelay before a
/// refresh is never cached, as it could still change within the same tick of the filesystem's
/// clock without a new stamp (git's racy-entry rule). read() always reads the disk.
struct LocalMarkerCache {
  std::filesystem::path file;      ///< Where the cache lives; empty: none, every marker is read.
  config::Clock* clock = nullptr;  ///< "Now" for the racy rule; no cache without one.
};

/// How long after its last change a marker's stamp is trusted to stand for its bytes.
inline constexpr std::chrono::seconds kLocalMarkerTrustDelay{2};

/// `fs` (and the cache's clock) must outlive the provider.
std::unique_ptr<Provider> make_local_provider(const std::filesystem::path& root,
                                              config::FileSystem& fs, LocalMarkerCache cache = {});

/// Name of the marker file in each zone and container directory.
inline constexpr const char* kLocalMarkerFile = ".lakeinfra.json";

/// The marker text lakeinfra writes for a zone or container: its JSON object with sorted keys,
/// two-space indent and a final newline, exactly as nlohmann's dump(2) renders it. Refresh
/// compares a marker's bytes with this and parses the JSON only when they differ (hand-edited
/// or older markers). nullopt when a value is not printable ASCII without escapes.
std::optional<std::string> canonical_marker(std::string_view address, std::string_view type,
                                            const std::optional<std::string>& tier);

/// Name of the access policy document in the root, holding every role and grant:
///
///     {
///       "format": "lakeinfra-access-policy/1",
///       "roles": {
///         "ROLE": {
///           "policies": {"POLICY": {IAM policy document}, ...},
///           "tags": {"lakeinfra:lake": "...", ...},
///           "trust_policy": {IAM policy document}
///         }
///       }
///     }
///
/// Keys are sorted; the file is pretty-printed with a 2-space indent and has mode 0644 (it holds
/// no secrets). Zone names hold no dots, so it never collides with a zone directory. Removing
/// the last role leaves the document with an empty "roles" object.
inline constexpr const char* kLocalAccessPolicyFile = "access-policy.json";
/// The value of its "format" key.
inline constexpr const char* kLocalAccessPolicyFormat = "lakeinfra-access-policy/1";

}  // namespace lakeinfra::providers
