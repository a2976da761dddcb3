#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/filesystem.h"
#include "config/model.h"
#include "config/result.h"
#include "config/system.h"
#include "providers/provider.h"

namespace lakeinfra::providers {

/// The side-effect seams a provider may use. All must outlive the provider.
struct Seams {
  config::FileSystem* fs = nullptr;
  config::Environment* env = nullptr;  ///< For S3 credentials.
  config::Clock* clock = nullptr;      ///< For request signing and retry back-off.
  /// Where a provider may keep caches between runs (the local provider's marker cache); empty:
  /// none. The CLI gives the directory of the state, .lakeinfra.
  std::filesystem::path cache_dir = {};
};

/// Environment variable: the S3 provider's per-request HTTP timeout in milliseconds (default
/// 60000); 1 to 3600000.
inline constexpr const char* kHttpTimeoutVariable = "LAKEINFRA_HTTP_TIMEOUT_MS";

/// Provider kinds compiled into this binary ("local").
std::vector<std::string> provider_kinds();

/// Builds the provider for a `storage:` block. Fails naming the unknown kind and the known ones.
Result<std::unique_ptr<Provider>> make_provider(const config::Storage& storage, const Seams& seams);

}  // namespace lakeinfra::providers
