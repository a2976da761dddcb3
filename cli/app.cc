#include "cli/app.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <utility>

#include "config/loader.h"
#include "pipelines/mount_provider.h"
#include "pipelines/registry_provider.h"
#include "providers/registry.h"
#include "state/sqlite_store.h"

namespace lakeinfra::cli {
namespace {

bool use_color(const GlobalOptions& o) {
  if (o.no_color)
    return false;
  if (const char* nc = std::getenv("NO_COLOR"); nc && *nc)
    return false;
  return ::isatty(STDOUT_FILENO) && ::isatty(STDERR_FILENO);
}

/// Names this build of lakeinfra for the lake cache: its version, and its executable's path and
/// stamp, which any rebuild or upgrade changes (ccache's compiler_check=mtime). "" when the
/// executable cannot be found, which leaves the cache unused.
std::string program_identity(config::FileSystem& fs) {
  auto exe = fs.read_symlink("/proc/self/exe");
  if (!exe)
    return {};
  auto info = fs.stat(*exe);
  if (!info || !info->is_regular)
    return {};
  const auto& s = info->stamp;
  return std::string("lakeinfra ") + LAKEINFRA_VERSION + " " + exe->string() + " " +
         std::to_string(s.device) + ":" + std::to_string(s.inode) + " " + std::to_string(s.size) +
         " " + std::to_string(s.mtime_ns) + " " + std::to_string(s.ctime_ns);
}

}  // namespace

App::App(GlobalOptions options)
    : render(stdout, stderr, use_color(options), fs), options_(std::move(options)) {}

std::filesystem::path App::config_path() const {
  return std::filesystem::absolute(options_.config).lexically_normal();
}

std::filesystem::path App::state_path() const {
  auto dir = config_path().parent_path() / ".lakeinfra";
  if (!options_.instance.empty())
    dir = dir / "instances" / options_.instance;
  return dir / "state.db";
}

Result<config::Lake> App::load_config() {
  config::LoadOptions lo;
  lo.config_path = config_path();
  if (!options_.instance.empty())
    lo.instance_override = options_.instance;
  auto info = fs.stat(lo.config_path);
  if (info && !info->exists) {
    return fail("no configuration file " + lo.config_path.string(),
                "run `lakeinfra init` to write a starter lake.yaml, or pass --config FILE");
  }
  // The parse is remembered beside the state (config/loader.h), once there is a state directory:
  // a command never creates one just for it.
  auto state_dir = state_path().parent_path();
  config::LoadCache cache;
  if (auto dir = fs.stat(state_dir); dir && dir->is_directory) {
    cache.file = state_dir / "lake-cache";
    cache.program = program_identity(fs);
  }
  auto lake = config::load_lake(lo, fs, env, cache);
  if (lake && !lake->warnings.empty())
    render.diagnostics(lake->warnings);
  return lake;
}

Result<std::unique_ptr<state::StateStore>> App::open_state(StateAccess access) {
  switch (access) {
    case StateAccess::kCreate:
      return state::open_sqlite_store(state_path(), clock, host);
    case StateAccess::kWriteExisting: {
      auto info = fs.stat(state_path());
      if (info && !info->exists) {
        return fail("no state at " + state_path().string(),
                    "run `lakeinfra plan` and `lakeinfra apply` first (or pass the right "
                    "--config / --instance)");
      }
      return state::open_sqlite_store(state_path(), clock, host);
    }
    case StateAccess::kReadOnly:
      break;
  }
  return state::open_sqlite_store_readonly(state_path(), clock, host);
}

Result<std::unique_ptr<providers::Provider>> App::make_provider(const config::Storage& storage) {
  providers::Seams seams;
  seams.fs = &fs;
  seams.env = &env;
  seams.clock = &clock;
  seams.cache_dir = state_path().parent_path();
  return providers::make_provider(storage, seams);
}

namespace {

/// The types Providers sends elsewhere than to the storage provider: true for the job registry,
/// false for the mounts provider. One list for the router and for read_by_storage(), which
/// decides what the early refresh asks the storage provider.
const std::pair<const char*, bool> kRoutedElsewhere[] = {
    {config::kJobType, true}, {config::kPipelineType, true}, {config::kMountType, false}};

}  // namespace

bool App::read_by_storage(const std::string& type) {
  return std::none_of(std::begin(kRoutedElsewhere), std::end(kRoutedElsewhere),
                      [&](const auto& route) { return type == route.first; });
}

Providers::Providers(std::unique_ptr<providers::Provider> storage,
                     std::unique_ptr<providers::Provider> registry,
                     std::unique_ptr<providers::Provider> mounts)
    : storage_(std::move(storage)),
      registry_(std::move(registry)),
      mounts_(std::move(mounts)),
      router_(*storage_) {
  for (const auto& [type, to_registry] : kRoutedElsewhere)
    router_.route(type, to_registry ? *registry_ : *mounts_);
}

Result<std::unique_ptr<Providers>> App::make_providers(const config::Storage& storage,
                                                       const std::filesystem::path& workspace,
                                                       state::StateStore& store) {
  auto provider = make_provider(storage);
  if (!provider)
    return tl::unexpected(provider.error());
  return std::make_unique<Providers>(
      std::move(*provider), pipelines::make_registry_provider(store.jobs()),
      pipelines::make_mount_provider(workspace, fs, storage.provider == "s3"));
}

Result<std::vector<pipelines::PreparedPipeline>> App::prepare_pipelines(const config::Lake& lake,
                                                                        bool fetch,
                                                                        bool to_stderr) {
  pipelines::BuildSeams seams{&git, &runner, &fs, &env};
  pipelines::BuildOptions options;
  options.cache_root = state_path().parent_path();
  options.fetch = fetch;
  options.on_output = [this, to_stderr](std::string_view line) {
    if (to_stderr) {
      std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    } else {
      render.line(std::string(line));
    }
  };
  return pipelines::prepare_pipelines(lake, seams, options);
}

config::Attributes App::storage_json(const config::Storage& storage) {
  config::Attributes j = {{"provider", storage.provider}};
  if (storage.provider == "local") {
    j["root"] = storage.root.string();
  } else {
    j["endpoint"] = storage.endpoint;
    j["region"] = storage.region;
    j["addressing"] = storage.addressing;
    j["profile"] = storage.profile;
    j["verify_tls"] = storage.verify_tls;
  }
  return j;
}

config::Storage App::storage_from_json(const config::Attributes& j) {
  config::Storage s;
  s.provider = j.value("provider", std::string("local"));
  s.root = j.value("root", std::string());
  s.endpoint = j.value("endpoint", std::string());
  s.region = j.value("region", std::string("us-east-1"));
  s.addressing = j.value("addressing", std::string("path"));
  s.profile = j.value("profile", std::string());
  s.verify_tls = j.value("verify_tls", true);
  return s;
}

int App::report(const config::Diagnostics& diags) {
  render.diagnostics(diags);
  return 1;
}

LockGuard::~LockGuard() {
  heartbeat_.reset();  // no beat after the lock is gone
  if (store_)
    (void)store_->unlock(id_);
}

Result<LockGuard> take_lock(App& app, state::StateStore& store, const std::string& command,
                            std::chrono::milliseconds timeout) {
  auto lease = store.lock({command, timeout});
  if (!lease)
    return tl::unexpected(lease.error());
  if (!lease->warnings.empty())
    app.render.diagnostics(lease->warnings);
  return LockGuard(store, lease->info.id);
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  if (text.empty())
    return std::nullopt;
  size_t pos = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])))
    ++pos;
  if (pos == 0 || pos > 9)
    return std::nullopt;
  long long n = std::stoll(text.substr(0, pos));
  std::string unit = text.substr(pos);
  if (unit.empty() || unit == "s")
    return std::chrono::milliseconds(n * 1000);
  if (unit == "ms")
    return std::chrono::milliseconds(n);
  if (unit == "m")
    return std::chrono::milliseconds(n * 60'000);
  if (unit == "h")
    return std::chrono::milliseconds(n * 3'600'000);
  return std::nullopt;
}

}  // namespace lakeinfra::cli
