#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/render.h"
#include "config/filesystem.h"
#include "config/model.h"
#include "config/result.h"
#include "config/system.h"
#include "providers/provider.h"
#include "state/state_store.h"

namespace lakeinfra::cli {

/// Flags every command accepts.
struct GlobalOptions {
  std::string config = "lake.yaml";  ///< --config
  std::string instance;              ///< --instance (overrides lake.instance)
  bool no_color = false;             ///< --no-color, or NO_COLOR set
};

/// The one place concrete classes are built: real seams, the renderer, paths.
class App {
 public:
  explicit App(GlobalOptions options);

  config::RealFileSystem fs;
  config::SystemClock clock;
  config::RealHostInfo host;
  config::ProcessEnvironment env;
  Renderer render;

  const GlobalOptions& options() const { return options_; }
  /// The base config file, absolute.
  std::filesystem::path config_path() const;
  /// `.lakeinfra/state.db` beside the config file; with --instance NAME,
  /// `.lakeinfra/instances/NAME/state.db`, so each instance has its own state.
  std::filesystem::path state_path() const;

  Result<config::Lake> load_config();
  enum class StateAccess {
    kCreate,         ///< plan/apply/destroy/init: create the state if there is none
    kWriteExisting,  ///< state rm, force-unlock, apply FILE: the state must exist
    kReadOnly,       ///< state list/show, show
  };
  /// Opens the state database.
  Result<std::unique_ptr<state::StateStore>> open_state(StateAccess access);
  Result<std::unique_ptr<providers::Provider>> make_provider(const config::Storage& storage);

  /// The storage settings a saved plan records (never credentials), and back.
  static config::Attributes storage_json(const config::Storage& storage);
  static config::Storage storage_from_json(const config::Attributes& j);

  /// Renders diagnostics and returns exit code 1.
  int report(const config::Diagnostics& diags);

 private:
  GlobalOptions options_;
};

/// Holds the state lock; releases it when destroyed.
class LockGuard {
 public:
  LockGuard(state::StateStore& store, std::string id) : store_(&store), id_(std::move(id)) {}
  LockGuard(LockGuard&& o) noexcept : store_(o.store_), id_(std::move(o.id_)) {
    o.store_ = nullptr;
  }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;
  LockGuard& operator=(LockGuard&&) = delete;
  ~LockGuard();

 private:
  state::StateStore* store_;
  std::string id_;
};

/// Takes the state lock for `command`, rendering warnings (a reclaimed dead lock).
Result<LockGuard> take_lock(App& app, state::StateStore& store, const std::string& command,
                            std::chrono::milliseconds timeout);

/// Parses "0", "30s", "500ms", "5m", "1h" (bare numbers are seconds).
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

}  // namespace lakeinfra::cli
