#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/resource.h"
#include "config/result.h"
#include "state/job_registry.h"

namespace lakeinfra::state {

/// Who holds the state lock. Shown in "state is locked" errors so a user can decide whether to
/// `force-unlock ID`.
struct LockInfo {
  std::string id;  ///< Random id, the argument of force-unlock.
  int64_t pid = 0;
  std::string host;
  std::string user;
  std::string command;     ///< "apply", "destroy", ...
  std::string started_at;  ///< RFC 3339 UTC.
  /// When the holder last said it is alive (RFC 3339 UTC): at start, then every
  /// kLockHeartbeatInterval while it runs (LockHeartbeat). Empty in locks written before
  /// heartbeats existed.
  std::string heartbeat_at;
};

/// How often a running apply or destroy refreshes its lock's heartbeat.
inline constexpr std::chrono::seconds kLockHeartbeatInterval{30};
/// A lock whose heartbeat is older than this belongs to a run that has most likely died (on this
/// host or another): the "state is locked" error says so and points at force-unlock. It is never
/// taken over automatically across hosts: clocks differ and a paused VM may wake up.
inline constexpr std::chrono::seconds kLockExpiry{120};

struct LockRequest {
  std::string command;
  /// How long to wait for a live holder to release the lock; 0 fails at once.
  std::chrono::milliseconds timeout{0};
};

/// A granted lock, plus warnings (e.g. a dead holder's lock was reclaimed).
struct Lease {
  LockInfo info;
  config::Diagnostics warnings;
};

/// An intent recorded before a provider mutation. `finished` is false while the outcome is
/// unknown: the process died between the intent and its result.
struct JournalEntry {
  int64_t id = 0;
  config::Address address;
  std::string action;                                         ///< "create", "update", "delete".
  config::Attributes payload = config::Attributes::object();  ///< Desired or prior resource.
  std::string started_at;
  bool finished = false;
  std::string outcome;  ///< "ok", "failed", "reconciled" once finished.
  std::string message;
};

/// One run of a state-writing command (apply, destroy), for `history`.
struct RunRecord {
  int64_t id = 0;
  std::string command;
  std::string started_at;
  std::string finished_at;  ///< Empty while running or if the process died.
  std::string status;       ///< "running", "ok", "failed".
  int added = 0, changed = 0, destroyed = 0, failed = 0;
};

/// The recorded state at one moment.
struct Snapshot {
  std::string lineage;  ///< Random id fixed when the state was created.
  int64_t serial = 0;   ///< Increases by one on every committed change.
  std::map<config::Address, config::ResourceRecord> resources;
  std::vector<JournalEntry> pending;  ///< Unfinished intents, oldest first.
};

/// A recorded object as refresh needs it: enough to read it back through its provider.
struct ResourceId {
  std::string address;
  std::string type;
  std::string provider_id;
  bool operator==(const ResourceId&) const = default;
};

/// Where lakeinfra records what it made. Implementations: SqliteStateStore (the default,
/// `.lakeinfra/state.db`) and MemoryStateStore (tests). All calls are thread-safe. Every
/// mutation is its own transaction: a crash loses at most the step in flight, never earlier
/// commits, and never leaves a half-written record.
class StateStore {
 public:
  virtual ~StateStore() = default;

  /// Takes the exclusive write lock. Fails at once (timeout 0) or after `timeout` with an error
  /// naming the holder and its lock id. A lock held by a dead process on this host is reclaimed,
  /// with a warning in the lease.
  virtual Result<Lease> lock(const LockRequest& request) = 0;
  /// Releases a lock this process holds. Fails if `id` is not the current lock.
  virtual Result<void> unlock(const std::string& id) = 0;
  /// Releases the lock with this id whoever holds it. Fails naming the current id if it differs.
  virtual Result<void> force_unlock(const std::string& id) = 0;
  /// The current lock, if any.
  virtual Result<std::optional<LockInfo>> current_lock() = 0;
  /// Records that the holder of lock `id` is alive (heartbeat_at = now). Fails if `id` is not
  /// the current lock, e.g. because someone ran force-unlock.
  virtual Result<void> heartbeat(const std::string& id) = 0;

  /// Reads lineage, serial, all resources and unfinished intents.
  virtual Result<Snapshot> load() = 0;
  /// load(), first handing `on_ids` the address, type and provider id of every resource (in
  /// address order) as soon as they are read, so refresh can start on them while the records are
  /// still being decoded. Not called when there are unfinished intents: settling them may
  /// change the records first. This default announces them after load().
  virtual Result<Snapshot> load_announcing_ids(
      const std::function<void(std::vector<ResourceId>)>& on_ids) {
    auto snapshot = load();
    if (snapshot && snapshot->pending.empty()) {
      std::vector<ResourceId> ids;
      ids.reserve(snapshot->resources.size());
      for (const auto& [address, record] : snapshot->resources)
        ids.push_back({address.str(), record.type, record.provider_id});
      on_ids(std::move(ids));
    }
    return snapshot;
  }

  /// Inserts or replaces one resource record; serial += 1. When `journal_id` is given, that
  /// intent is marked finished ("ok") in the same transaction. Returns the new serial.
  virtual Result<int64_t> put(const config::ResourceRecord& record,
                              std::optional<int64_t> journal_id = std::nullopt) = 0;
  /// Removes one resource record (no-op if absent, but serial still moves when journal_id is
  /// given); serial += 1. Returns the new serial.
  virtual Result<int64_t> remove(const config::Address& address,
                                 std::optional<int64_t> journal_id = std::nullopt) = 0;

  /// Records the intent to mutate `address`; returns its id.
  virtual Result<int64_t> begin_intent(const config::Address& address, const std::string& action,
                                       const config::Attributes& payload) = 0;
  /// Closes an intent without a state change ("failed" or "reconciled"), with a message.
  virtual Result<void> finish_intent(int64_t id, const std::string& outcome,
                                     const std::string& message) = 0;

  /// Starts a history row for a state-writing command; returns its id.
  virtual Result<int64_t> begin_run(const std::string& command) = 0;
  /// Completes a history row.
  virtual Result<void> end_run(int64_t id, const RunRecord& summary) = 0;
  /// All history rows, oldest first.
  virtual Result<std::vector<RunRecord>> history() = 0;

  /// The "local" job registry kept in the same database (pipeline jobs), owned by the store and
  /// valid as long as it lives. On a store opened read-only, get and list work and put and
  /// remove fail.
  virtual JobRegistry& jobs() = 0;
};

/// Keeps a lock's heartbeat fresh while a long command runs: calls store.heartbeat(id) every
/// `interval` on its own thread until destroyed. A failed beat (the lock was force-unlocked, or
/// the database is busy) is logged as a warning and retried at the next interval; the command
/// itself goes on (its state writes are transactions of their own).
class LockHeartbeat {
 public:
  LockHeartbeat(StateStore& store, std::string id,
                std::chrono::milliseconds interval = kLockHeartbeatInterval);
  ~LockHeartbeat();
  LockHeartbeat(const LockHeartbeat&) = delete;
  LockHeartbeat& operator=(const LockHeartbeat&) = delete;

  /// Beats sent so far, successful or not.
  int beats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lakeinfra::state
