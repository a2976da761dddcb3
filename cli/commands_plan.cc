// plan, apply and destroy: the commands that compute a plan and may carry it out.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <system_error>

#include "cli/commands.h"
#include "config/log.h"
#include "pipelines/resources.h"
#include "planner/desired.h"
#include "planner/executor.h"
#include "planner/plan_file.h"
#include "planner/planner.h"
#include "planner/reconcile.h"

namespace lakeinfra::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) {
  g_interrupted = true;
  static const char kMessage[] =
      "\nInterrupt received. Finishing the steps in flight and recording them; no new step "
      "will start.\nInterrupt again to exit at once (the journal lets the next run recover).\n";
  ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  (void)ignored;
}

/// While alive, the first SIGINT/SIGTERM asks the executor to stop gracefully; the handler is
/// one-shot (SA_RESETHAND), so a second signal has its default effect.
class InterruptScope {
 public:
  InterruptScope() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptScope() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

/// Everything a planned command holds until it finishes; the lock is released last-in-first-out.
struct Session {
  std::unique_ptr<state::StateStore> store;
  std::optional<LockGuard> lock;
  std::unique_ptr<Providers> providers;
  providers::Provider* provider = nullptr;  ///< providers->router()
  planner::Plan plan;
};

/// Logs at debug level how long a phase of a command took since `started`
/// (`LAKEINFRA_LOG=debug`: where a slow plan spends its time).
void log_phase(App& app, const char* phase, std::chrono::steady_clock::time_point started) {
  if (!config::Log::enabled(config::LogLevel::kDebug))
    return;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(app.clock.steady_now() - started);
  config::Log::write(config::LogLevel::kDebug, std::string("time: ") + phase + " " +
                                                   std::to_string(us.count() / 1000) + "." +
                                                   std::to_string(us.count() % 1000 / 100) + "ms");
}

Result<std::chrono::milliseconds> lock_timeout_of(const PlanFlags& flags) {
  auto t = parse_duration(flags.lock_timeout);
  if (!t) {
    return fail("invalid --lock-timeout \"" + flags.lock_timeout + "\"",
                "give a duration such as 0s, 30s, 500ms or 5m");
  }
  return *t;
}

/// The state opened, locked and loaded: what lock_and_load() needs before the providers.
struct LockedState {
  std::unique_ptr<state::StateStore> store;
  std::optional<LockGuard> lock;  ///< Released before the store closes (declared after it).
  config::Diagnostics warnings;   ///< The lease's (a reclaimed dead lock), for the caller to show.
  state::Snapshot snapshot;
};

/// Hands over the recorded ids before the records are decoded (StateStore::load_announcing_ids).
using IdsCallback = std::function<void(std::vector<state::ResourceId>)>;

Result<LockedState> open_lock_load(App& app, const std::string& command,
                                   std::chrono::milliseconds timeout, App::StateAccess access,
                                   const IdsCallback* on_ids = nullptr) {
  LockedState locked;
  auto store = app.open_state(access);
  if (!store)
    return tl::unexpected(store.error());
  locked.store = std::move(*store);
  auto lease = locked.store->lock({command, timeout});
  if (!lease)
    return tl::unexpected(lease.error());
  locked.lock.emplace(*locked.store, lease->info.id);
  locked.warnings = std::move(lease->warnings);
  auto loading = app.clock.steady_now();
  auto snapshot = on_ids ? locked.store->load_announcing_ids(*on_ids) : locked.store->load();
  if (!snapshot)
    return tl::unexpected(snapshot.error());
  log_phase(app, "state load", loading);
  locked.snapshot = std::move(*snapshot);
  return locked;
}

/// Opens, locks and loads the state on a second thread while the caller parses lake.yaml (on a
/// large lake each takes tens of milliseconds). Only when the state file exists, so that a
/// first plan with a broken configuration creates nothing. The attempt does not wait for the
/// lock: if it is busy, or anything else fails, the result is empty and lock_and_load() does it
/// all again after the configuration, waiting and reporting errors as usual. The recorded ids
/// come first, before the records are decoded, so that refresh can start on them.
class EarlyState {
 public:
  using Ids = std::optional<std::vector<state::ResourceId>>;

  /// `want_ids`: hand over the ids (only when refresh will start early: at 100k resources they
  /// are 10 MB).
  EarlyState(App& app, const std::string& command, bool want_ids) {
    auto info = app.fs.stat(app.state_path());
    if (!info || !info->exists)
      return;
    std::shared_ptr<std::promise<Ids>> promise;
    if (want_ids) {
      promise = std::make_shared<std::promise<Ids>>();
      ids_ = promise->get_future();
    }
    try {
      task_ = std::async(std::launch::async, [&app, command, promise] {
        bool announced = false;
        IdsCallback on_ids = [&](std::vector<state::ResourceId> ids) {
          announced = true;
          promise->set_value(std::move(ids));
        };
        auto result = open_lock_load(app, command, std::chrono::milliseconds(0),
                                     App::StateAccess::kCreate, promise ? &on_ids : nullptr);
        if (promise && !announced)
          promise->set_value(std::nullopt);
        return result;
      });
    } catch (const std::system_error&) {
      // No thread to spare: lock_and_load() does it after the configuration.
      ids_ = {};
    }
  }
  /// Waits until the attempt has read the recorded ids; nullopt when there was no attempt, it
  /// failed first, or there are unfinished intents (settling them may change the records).
  Ids ids() {
    if (!ids_.valid())
      return std::nullopt;
    try {
      return ids_.get();
    } catch (const std::future_error&) {
      return std::nullopt;
    }
  }
  /// Waits for the attempt; nullopt when there was none or it failed.
  std::optional<LockedState> take() {
    if (!task_.valid())
      return std::nullopt;
    auto result = task_.get();
    if (!result)
      return std::nullopt;
    return std::move(*result);
  }

 private:
  std::future<Ids> ids_;
  std::future<Result<LockedState>> task_;  ///< Its destructor waits for the attempt.
};

/// Opens state, locks it (or takes what EarlyState got), wires the providers (the job registry
/// lives in the state), settles interrupted steps and reloads; returns the snapshot.
Result<state::Snapshot> lock_and_load(App& app, Session& s, const std::string& command,
                                      std::chrono::milliseconds timeout,
                                      const config::Storage& storage,
                                      const std::filesystem::path& workspace,
                                      App::StateAccess access = App::StateAccess::kCreate,
                                      std::optional<LockedState> early = std::nullopt) {
  if (!early) {
    auto locked = open_lock_load(app, command, timeout, access);
    if (!locked)
      return tl::unexpected(locked.error());
    early.emplace(std::move(*locked));
  }
  if (!early->warnings.empty())
    app.render.diagnostics(early->warnings);
  s.store = std::move(early->store);
  s.lock.emplace(std::move(*early->lock));
  early->lock.reset();
  auto providers = app.make_providers(storage, workspace, *s.store);
  if (!providers)
    return tl::unexpected(providers.error());
  s.providers = std::move(*providers);
  s.provider = &s.providers->router();
  state::Snapshot snapshot = std::move(early->snapshot);
  if (config::Log::enabled(config::LogLevel::kDebug)) {
    config::Log::write(config::LogLevel::kDebug,
                       "state: " + app.state_path().string() + " lineage " + snapshot.lineage +
                           " serial " + std::to_string(snapshot.serial) + ", " +
                           std::to_string(snapshot.resources.size()) + " resources, " +
                           std::to_string(snapshot.pending.size()) + " unfinished intents");
  }
  if (snapshot.pending.empty())
    return snapshot;
  auto notes = planner::reconcile(snapshot, *s.store, *s.provider);
  if (!notes)
    return tl::unexpected(notes.error());
  s.plan.notes = *notes;
  return s.store->load();
}

Result<Session> make_session(App& app, const PlanFlags& flags, const std::string& command,
                             bool destroy) {
  auto timeout = lock_timeout_of(flags);
  if (!timeout)
    return tl::unexpected(timeout.error());
  auto started = app.clock.steady_now();
  const bool refresh_early = flags.refresh && flags.targets.empty();
  EarlyState early(app, command, refresh_early);
  auto lake = app.load_config();
  // What should exist needs only the configuration: computed while the state still loads.
  std::vector<config::DesiredResource> desired;
  if (lake) {
    log_phase(app, "config load", started);
    auto desiring = app.clock.steady_now();
    desired = planner::desired_resources(*lake);
    log_phase(app, "desired resources", desiring);
  }
  // Refresh reads storage while the state is still decoded (and pipelines are built and the
  // graph is made): it needs only the recorded ids, which the early load hands over first, and
  // a storage provider of its own. The objects of the job registry and the mounts, which live in
  // the state, are read in make_plan. Targeted plans refresh less, inside make_plan.
  std::unique_ptr<providers::Provider> early_storage;  // outlives early_refresh
  std::future<planner::Refreshed> early_refresh;
  if (refresh_early && lake) {
    if (auto ids = early.ids(); ids && !ids->empty()) {
      if (auto storage = app.make_provider(lake->storage)) {
        early_storage = std::move(*storage);
        std::erase_if(*ids,
                      [](const state::ResourceId& id) { return !App::read_by_storage(id.type); });
        early_refresh = planner::start_refresh(std::move(*ids), *early_storage, flags.parallelism);
      }
    }
  }
  auto locked = early.take();
  if (!lake) {
    if (locked && !locked->warnings.empty())
      app.render.diagnostics(locked->warnings);  // a dead holder's lock was reclaimed
    return tl::unexpected(lake.error());
  }
  Session s;
  auto locking = app.clock.steady_now();
  auto snapshot = lock_and_load(app, s, command, *timeout, lake->storage, lake->workspace.root,
                                App::StateAccess::kCreate, std::move(locked));
  if (!snapshot)
    return tl::unexpected(snapshot.error());
  log_phase(app, "state open, lock and load", locking);

  // Without ids from the early load (the lock was busy, intents were settled): refresh starts
  // now, through all the providers.
  if (refresh_early && !early_refresh.valid() && !snapshot->resources.empty())
    early_refresh = planner::start_refresh(*snapshot, *s.provider, flags.parallelism);
  // Pipelines are fetched and built under the lock (one writer of the repo cache), before
  // anything is planned: a failed build changes nothing.
  if (!(destroy || flags.destroy) && !lake->pipelines.empty()) {
    auto built = app.prepare_pipelines(*lake, flags.refresh, /*to_stderr=*/flags.json);
    if (!built)
      return tl::unexpected(built.error());
    auto extra = pipelines::pipeline_resources(*lake, *built, *s.provider);
    desired.insert(desired.end(), extra.begin(), extra.end());
  }
  auto mounts = pipelines::mount_resources(*lake, *s.provider);
  desired.insert(desired.end(), mounts.begin(), mounts.end());

  planner::PlanOptions po;
  po.refresh = flags.refresh;
  po.destroy = destroy || flags.destroy;
  po.parallelism = flags.parallelism;
  for (const auto& t : flags.targets) {
    auto a = config::Address::parse(t);
    if (!a) {
      return fail("invalid --target \"" + t + "\"",
                  "an address is TYPE.NAME, e.g. zone.bronze or container.bronze.raw");
    }
    po.targets.push_back(*a);
  }
  auto notes = std::move(s.plan.notes);
  if (early_refresh.valid())
    po.refreshing = &early_refresh;
  auto planning = app.clock.steady_now();
  auto plan = planner::make_plan(std::move(desired), std::move(*snapshot), *s.provider, po);
  if (!plan)
    return tl::unexpected(plan.error());
  log_phase(app, "plan", planning);
  s.plan = std::move(*plan);
  s.plan.notes = std::move(notes);
  s.plan.storage = App::storage_json(lake->storage);
  s.plan.storage["workspace"] = lake->workspace.root.string();
  return s;
}

/// Hands a plan's changes (and its leftovers) to the end of the process instead of freeing them
/// when the command returns (the lock and the state are still released and closed as usual):
/// freeing the millions of small objects of a 100k-resource plan took a tenth of the plan's time,
/// and the process exits right after. The memory stays reachable, so leak checkers do not report
/// it.
struct KeepChangesUntilExit {
  planner::Plan& plan;
  ~KeepChangesUntilExit() {
    static auto* kept = new std::vector<std::vector<planner::ResourceChange>>();
    static auto* leftovers = new std::vector<std::shared_ptr<const void>>();
    kept->push_back(std::move(plan.changes));
    leftovers->push_back(std::move(plan.leftovers));
  }
};

bool confirm(App& app, const planner::Plan& plan) {
  if (!::isatty(STDIN_FILENO))
    return false;
  const bool all = plan.destroy && !plan.targeted;
  app.render.line("");
  app.render.line(app.render.bold(all            ? "Do you really want to destroy all resources?"
                                  : plan.destroy ? "Do you really want to destroy the resources "
                                                   "shown above?"
                                                 : "Do you want to perform these actions?"));
  app.render.line(all ? "  lakeinfra will destroy all your managed storage, as shown above."
                      : "  lakeinfra will perform the actions described above.");
  app.render.line("  Only 'yes' will be accepted to approve.");
  app.render.line("");
  std::fputs(app.render.bold("  Enter a value: ").c_str(), stdout);
  std::fflush(stdout);
  std::string answer;
  std::getline(std::cin, answer);
  app.render.line("");
  return answer == "yes";
}

int run_apply(App& app, Session& s, const std::string& command, int parallelism, bool destroy) {
  auto run = s.store->begin_run(command);
  if (!run)
    return app.report(run.error());
  ApplyPrinter printer(app.render, s.plan);
  planner::ApplyOptions ao;
  ao.parallelism = parallelism;
  ao.cancel = &g_interrupted;
  InterruptScope interrupts;
  auto report = planner::apply_plan(s.plan, *s.provider, *s.store, printer, app.clock, ao);
  state::RunRecord summary;
  summary.status = report.ok()                                ? "ok"
                   : report.interrupted && report.failed == 0 ? "interrupted"
                                                              : "failed";
  summary.added = report.added;
  summary.changed = report.changed;
  summary.destroyed = report.destroyed;
  summary.failed = report.failed;
  (void)s.store->end_run(*run, summary);
  render_apply_summary(app.render, report, destroy);
  return report.ok() ? 0 : 1;
}

int apply_saved_plan(App& app, const ApplyFlags& flags) {
  auto timeout = lock_timeout_of(flags.plan);
  if (!timeout)
    return app.report(timeout.error());
  auto plan = planner::load_plan(flags.plan_file, app.fs);
  if (!plan)
    return app.report(plan.error());
  Session s;
  s.plan = std::move(*plan);
  auto saved_notes = s.plan.notes;
  auto snapshot = lock_and_load(app, s, "apply", *timeout, App::storage_from_json(s.plan.storage),
                                s.plan.storage.value("workspace", std::string()),
                                App::StateAccess::kWriteExisting);
  if (!snapshot)
    return app.report(snapshot.error());
  for (const auto& n : s.plan.notes) {
    if (std::find(saved_notes.begin(), saved_notes.end(), n) == saved_notes.end()) {
      app.render.line("Reconciled: " + n);
    }
  }
  if (snapshot->lineage != s.plan.lineage) {
    return app.report(config::Diagnostics::error(
        "Saved plan does not match the given state",
        "plan file " + flags.plan_file + " was made for state lineage " + s.plan.lineage +
            ", but " + app.state_path().string() + " has lineage " + snapshot->lineage,
        "make a new plan against this state with `lakeinfra plan --out FILE`"));
  }
  if (snapshot->serial != s.plan.serial) {
    return app.report(config::Diagnostics::error(
        "Saved plan is stale",
        "the state changed since plan file " + flags.plan_file + " was made (state serial " +
            std::to_string(snapshot->serial) + ", plan made at serial " +
            std::to_string(s.plan.serial) + ")",
        "make a new plan with `lakeinfra plan --out FILE` and apply that"));
  }
  if (!s.plan.has_changes()) {
    app.render.line("No changes. The saved plan has nothing to do.");
    return 0;
  }
  return run_apply(app, s, s.plan.destroy ? "destroy" : "apply", flags.plan.parallelism,
                   s.plan.destroy);
}

}  // namespace

int cmd_plan(App& app, const PlanFlags& flags) {
  auto s = make_session(app, flags, "plan", flags.destroy);
  if (!s)
    return app.report(s.error());
  KeepChangesUntilExit keep{s->plan};
  auto rendering = app.clock.steady_now();
  if (flags.json) {
    std::printf("%s\n", planner::terraform_json(s->plan, LAKEINFRA_VERSION).dump(2).c_str());
  } else {
    app.render.plan(s->plan);
  }
  log_phase(app, "render", rendering);
  if (!flags.out.empty()) {
    auto saved = planner::save_plan(s->plan, flags.out, app.fs);
    if (!saved)
      return app.report(saved.error());
    if (!flags.json) {
      app.render.line("");
      app.render.line("Saved the plan to: " + flags.out);
      app.render.line("To perform exactly these actions, run: lakeinfra apply " + flags.out);
    }
  }
  if (flags.detailed_exitcode && s->plan.has_changes())
    return 2;
  return 0;
}

int cmd_apply(App& app, const ApplyFlags& flags, bool destroy) {
  if (!flags.plan_file.empty()) {
    if (!flags.plan.targets.empty() || !flags.plan.refresh) {
      return app.report(config::Diagnostics::error(
          "--target and --refresh cannot be used with a saved plan", {},
          "the saved plan already fixes what will be done; give these options to `lakeinfra "
          "plan --out FILE` instead"));
    }
    return apply_saved_plan(app, flags);
  }
  const std::string command = destroy ? "destroy" : "apply";
  auto s = make_session(app, flags.plan, command, destroy);
  if (!s)
    return app.report(s.error());
  KeepChangesUntilExit keep{s->plan};
  if (destroy && !s->plan.has_changes()) {
    app.render.line("Nothing to destroy: the state holds no resources" +
                    std::string(s->plan.targeted ? " matching the targets." : "."));
    return 0;
  }
  app.render.plan(s->plan);
  if (!s->plan.has_changes())
    return 0;
  if (!flags.auto_approve) {
    if (!::isatty(STDIN_FILENO)) {
      return app.report(config::Diagnostics::error(
          command + " needs approval, but there is no terminal to ask on",
          "lakeinfra asks before changing anything; without a terminal it cannot",
          "pass --auto-approve (as CI does), or save a plan with `lakeinfra plan --out FILE` "
          "and run `lakeinfra apply FILE`"));
    }
    if (!confirm(app, s->plan)) {
      app.render.line(std::string(destroy ? "Destroy" : "Apply") +
                      " cancelled: only 'yes' approves. Nothing was changed.");
      return 1;
    }
  }
  app.render.line("");
  return run_apply(app, *s, command, flags.plan.parallelism, destroy);
}

}  // namespace lakeinfra::cli
