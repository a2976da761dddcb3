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
#include "pipelines/build.h"
#include "pipelines/git.h"
#include "pipelines/process.h"
#include "providers/provider.h"
#include "providers/router.h"
#include "state/state_store.h"

namespace lakeinfra::cli {

/// Flags every command accepts.
struct GlobalOptions {
  std::string config = "lake.yaml";  ///< --config
  std::string instance;              ///< --instance (overrides lake.instance)
  bool no_color = false;             ///< --no-color, or NO_COLOR set
};

/// The providers one command uses: the storage provider, the job registry's (jobs, pipeline
/// records), the workspace's (mounts), and the router the planner and executor see.
class Providers {
 public:
  Providers(std::unique_ptr<providers::Provider> storage,
            std::unique_ptr<providers::Provider> registry,
            std::unique_ptr<providers::Provider> mounts);
  providers::Provider& router() { return router_; }
  providers::Provider& storage() { return *storage_; }

 private:
  std::unique_ptr<providers::Provider> storage_;
  std::unique_ptr<providers::Provider> registry_;
  std::unique_ptr<providers::Provider> mounts_;
  providers::RoutingProvider router_;
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
  /// Whether Providers sends objects of `type` to the storage provider (everything but the
  /// job registry's and the mounts').
  static bool read_by_storage(const std::string& type);
  /// Every provider of a plan or apply; the job registry is the one in `store`.
  Result<std::unique_ptr<Providers>> make_providers(const config::Storage& storage,
                                                    const std::filesystem::path& workspace,
                                                    state::StateStore& store);
  /// Fetches, builds and validates the lake's pipelines in the cache beside the state, printing
  /// their progress and build output (on stderr when stdout carries JSON).
  Result<std::vector<pipelines::PreparedPipeline>> prepare_pipelines(const config::Lake& lake,
                                                                     bool fetch, bool to_stderr);

  pipelines::Libgit2Fetcher git;
  pipelines::RealProcessRunner runner;

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
  /// Holds lock `id` and keeps its heartbeat fresh (state::LockHeartbeat) until destroyed.
  LockGuard(state::StateStore& store, std::string id)
      : store_(&store),
        id_(std::move(id)),
        heartbeat_(std::make_unique<state::LockHeartbeat>(store, id_)) {}
  LockGuard(LockGuard&& o) noexcept
      : store_(o.store_), id_(std::move(o.id_)), heartbeat_(std::move(o.heartbeat_)) {
    o.store_ = nullptr;
  }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;
  LockGuard& operator=(LockGuard&&) = delete;
  ~LockGuard();

 private:
  state::StateStore* store_;
  std::string id_;
  std::unique_ptr<state::LockHeartbeat> heartbeat_;
};

/// Takes the state lock for `command`, rendering warnings (a reclaimed dead lock).
Result<LockGuard> take_lock(App& app, state::StateStore& store, const std::string& command,
                            std::chrono::milliseconds timeout);

/// Parses "0", "30s", "500ms", "5m", "1h" (bare numbers are seconds).
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

}  // namespace lakeinfra::cli
