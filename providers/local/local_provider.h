#pragma once

#include <filesystem>
#include <memory>

#include "config/filesystem.h"
#include "providers/provider.h"

namespace lakeinfra::providers {

/// Storage on the local filesystem: a zone is the directory <root>/<provider_id>, a container its
/// subdirectory (provider_id "zone-physical/container-physical"). Each holds a small marker file
/// (.lakeinfra.json) with the attributes lakeinfra can read back (tier, address). Paths never
/// escape `root`: an id containing "..", an absolute path, or a symlink component is refused
/// with kInvalid. `fs` must outlive the provider.
std::unique_ptr<Provider> make_local_provider(const std::filesystem::path& root,
                                              config::FileSystem& fs);

/// Name of the marker file in each zone and container directory.
inline constexpr const char* kLocalMarkerFile = ".lakeinfra.json";

}  // namespace lakeinfra::providers
