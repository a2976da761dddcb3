#pragma once

#include <string>

#include "config/filesystem.h"
#include "config/resource.h"
#include "providers/provider.h"

namespace lakeinfra::providers {

/// The bytes an artifact must hold: the file `desired.source`, checked against the SHA-256 the
/// plan recorded (attribute "sha256"). Fails with kInvalid when the source is missing or
/// changed since the plan ("plan again"), so a stale build is never uploaded.
ProviderResult<std::string> read_artifact_source(config::FileSystem& fs,
                                                 const config::DesiredResource& desired);

}  // namespace lakeinfra::providers
