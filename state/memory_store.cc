#include "state/memory_store.h"

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "state/lock.h"

namespace lakeinfra::state {

namespace {

/// The StateStore contract in memory: every call takes one mutex, so each mutation is atomic
/// and every load() a consistent snapshot. Locks only exclude other users of this object, but
/// a holder that HostInfo reports dead is reclaimed just as the SQLite store does.
class MemoryStateStore final : public StateStore {
 public:
  MemoryStateStore(config::Clock& clock, config::HostInfo& host)
      : clock_(clock), host_(host), lineage_(new_lineage()), jobs_(*this) {}

  Result<Lease> lock(const LockRequest& request) override {
    return acquire_lock(request, clock_, [&]() -> Result<LockAttempt> {
      std::lock_guard<std::mutex> hold(mu_);
      LockAttempt attempt;
      Lease lease;
      if (lock_) {
        if (!is_reclaimable(*lock_, host_)) {
          attempt.holder = *lock_;
          return attempt;
        }
        lease.warnings.add(reclaim_warning(*lock_));
      }
      lease.info = make_lock_info(request, clock_, host_);
      lock_ = lease.info;
      attempt.lease = std::move(lease);
      return attempt;
    });
  }

  Result<void> unlock(const std::string& id) override { return release("unlock", id); }
  Result<void> force_unlock(const std::string& id) override { return release("force-unlock", id); }

  Result<std::optional<LockInfo>> current_lock() override {
    std::lock_guard<std::mutex> hold(mu_);
    return lock_;
  }

  Result<void> heartbeat(const std::string& id) override {
    std::lock_guard<std::mutex> hold(mu_);
    if (!lock_ || lock_->id != id)
      return fail(unlock_mismatch("keep the lock", id, lock_));
    lock_->heartbeat_at = config::format_utc(clock_.now());
    return {};
  }

  Result<Snapshot> load() override {
    std::lock_guard<std::mutex> hold(mu_);
    Snapshot s;
    s.lineage = lineage_;
    s.serial = serial_;
    s.resources = resources_;
    for (const auto& e : journal_) {
      if (!e.finished)
        s.pending.push_back(e);
    }
    return s;
  }

  Result<int64_t> put(const config::ResourceRecord& record,
                      std::optional<int64_t> journal_id) override {
    std::lock_guard<std::mutex> hold(mu_);
    std::string op = "put " + record.address.str();
    if (record.address.empty())
      return write_error(op, "the record has no address");
    if (journal_id && !pending(*journal_id))
      return write_error(op, not_pending(*journal_id));
    resources_[record.address] = record;
    if (journal_id)
      finish(*journal_id, "ok", "");
    return ++serial_;
  }

  Result<int64_t> remove(const config::Address& address,
                         std::optional<int64_t> journal_id) override {
    std::lock_guard<std::mutex> hold(mu_);
    if (journal_id && !pending(*journal_id)) {
      return write_error("remove " + address.str(), not_pending(*journal_id));
    }
    bool removed = resources_.erase(address) > 0;
    if (journal_id)
      finish(*journal_id, "ok", "");
    if (removed || journal_id)
      ++serial_;
    return serial_;
  }

  Result<int64_t> begin_intent(const config::Address& address, const std::string& action,
                               const config::Attributes& payload) override {
    std::lock_guard<std::mutex> hold(mu_);
    JournalEntry e;
    e.id = static_cast<int64_t>(journal_.size()) + 1;
    e.address = address;
    e.action = action;
    e.payload = payload;
    e.started_at = now();
    journal_.push_back(std::move(e));
    return journal_.back().id;
  }

  Result<void> finish_intent(int64_t id, const std::string& outcome,
                             const std::string& message) override {
    std::lock_guard<std::mutex> hold(mu_);
    if (!pending(id))
      return write_error("finish_intent " + std::to_string(id), not_pending(id));
    finish(id, outcome, message);
    return {};
  }

  Result<int64_t> begin_run(const std::string& command) override {
    std::lock_guard<std::mutex> hold(mu_);
    RunRecord r;
    r.id = static_cast<int64_t>(runs_.size()) + 1;
    r.command = command;
    r.started_at = now();
    r.status = "running";
    runs_.push_back(std::move(r));
    return runs_.back().id;
  }

  Result<void> end_run(int64_t id, const RunRecord& summary) override {
    std::lock_guard<std::mutex> hold(mu_);
    if (id < 1 || id > static_cast<int64_t>(runs_.size())) {
      return write_error("end_run " + std::to_string(id), "there is no run " + std::to_string(id));
    }
    RunRecord& r = runs_[static_cast<size_t>(id - 1)];
    r.finished_at = summary.finished_at.empty() ? now() : summary.finished_at;
    r.status = summary.status.empty() ? "ok" : summary.status;
    r.added = summary.added;
    r.changed = summary.changed;
    r.destroyed = summary.destroyed;
    r.failed = summary.failed;
    return {};
  }

  Result<std::vector<RunRecord>> history() override {
    std::lock_guard<std::mutex> hold(mu_);
    return runs_;
  }

  JobRegistry& jobs() override { return jobs_; }

 private:
  /// The job registry under the store's mutex. Refuses what the SQLite store refuses (no name,
  /// a definition that cannot be saved as JSON), so tests see the same failures.
  class Jobs final : public JobRegistry {
   public:
    explicit Jobs(MemoryStateStore& store) : store_(store) {}

    Result<void> put(const JobRecord& record) override {
      std::string op = "put job " + record.name;
      if (record.name.empty())
        return write_error(op, "the job has no name");
      try {
        (void)record.definition.dump();
      } catch (const nlohmann::json::exception& e) {
        return write_error(
            op, "the definition of job " + record.name + " cannot be saved as JSON: " + e.what());
      }
      std::lock_guard<std::mutex> hold(store_.mu_);
      std::string now = store_.now();
      auto [it, added] = jobs_.try_emplace(record.name, record);
      JobRecord& stored = it->second;
      if (added) {
        stored.registered_at = now;
      } else {
        stored.definition = record.definition;
      }
      stored.updated_at = now;
      return {};
    }

    Result<void> remove(const std::string& name) override {
      std::lock_guard<std::mutex> hold(store_.mu_);
      jobs_.erase(name);
      return {};
    }

    Result<std::optional<JobRecord>> get(const std::string& name) override {
      std::lock_guard<std::mutex> hold(store_.mu_);
      auto it = jobs_.find(name);
      if (it == jobs_.end())
        return std::nullopt;
      return it->second;
    }

    Result<std::vector<JobRecord>> list() override {
      std::lock_guard<std::mutex> hold(store_.mu_);
      std::vector<JobRecord> out;
      out.reserve(jobs_.size());
      for (const auto& [name, job] : jobs_)
        out.push_back(job);
      return out;
    }

   private:
    MemoryStateStore& store_;
    std::map<std::string, JobRecord> jobs_;  ///< By name, bytewise as SQLite orders TEXT.
  };

  std::string now() { return config::format_utc(clock_.now()); }

  static tl::unexpected<config::Diagnostics> write_error(const std::string& operation,
                                                         const std::string& why) {
    return fail("cannot write state in memory (" + operation + "): " + why);
  }

  static std::string not_pending(int64_t id) {
    return "journal entry " + std::to_string(id) + " is not pending (unknown or already finished)";
  }

  bool pending(int64_t id) const {
    return id >= 1 && id <= static_cast<int64_t>(journal_.size()) &&
           !journal_[static_cast<size_t>(id - 1)].finished;
  }

  void finish(int64_t id, const std::string& outcome, const std::string& message) {
    JournalEntry& e = journal_[static_cast<size_t>(id - 1)];
    e.finished = true;
    e.outcome = outcome;
    e.message = message;
  }

  Result<void> release(const std::string& operation, const std::string& id) {
    std::lock_guard<std::mutex> hold(mu_);
    if (!lock_ || lock_->id != id)
      return fail(unlock_mismatch(operation, id, lock_));
    lock_.reset();
    return {};
  }

  config::Clock& clock_;
  config::HostInfo& host_;
  std::mutex mu_;
  const std::string lineage_;
  int64_t serial_ = 0;
  std::map<config::Address, config::ResourceRecord> resources_;
  std::vector<JournalEntry> journal_;  ///< Index = id - 1.
  std::vector<RunRecord> runs_;        ///< Index = id - 1.
  std::optional<LockInfo> lock_;
  Jobs jobs_;
};

}  // namespace

std::unique_ptr<StateStore> make_memory_store(config::Clock& clock, config::HostInfo& host) {
  return std::make_unique<MemoryStateStore>(clock, host);
}

}  // namespace lakeinfra::state
