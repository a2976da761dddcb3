#pragma once

// Lock and identity helpers shared by the SQLite and in-memory stores, private to state/: the
// reclaim rule, the wait loop and the wording of every lock message, so both stores behave and
// read the same.

#include <functional>
#include <optional>
#include <string>

#include "config/system.h"
#include "state/state_store.h"

namespace lakeinfra::state {

/// 16 random lowercase hex characters.
std::string new_lock_id();

/// A random UUID version 4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"), for a new state's lineage.
std::string new_lineage();

/// The lock this process would hold for `request`, with a fresh id and the current time.
LockInfo make_lock_info(const LockRequest& request, config::Clock& clock, config::HostInfo& host);

/// Whether `holder` may be taken over: it was taken on this host by a process that has exited.
/// A holder on another host is never reclaimed (its pid means nothing here).
bool is_reclaimable(const LockInfo& holder, config::HostInfo& host);

/// The warning put in a Lease when `dead` was reclaimed.
config::Diagnostic reclaim_warning(const LockInfo& dead);

/// How long ago `holder` last sent a heartbeat (its start for locks without one) at `now`;
/// nullopt when the time cannot be read.
std::optional<std::chrono::seconds> heartbeat_age(const LockInfo& holder,
                                                  std::chrono::system_clock::time_point now);

/// The error for a lock held by `holder` ("state is locked by pid ..."), with its id and
/// `lakeinfra force-unlock ID` in the hint, and how long ago its heartbeat was: a lock whose
/// heartbeat is older than kLockExpiry is called expired (its run most likely died). `waited` is
/// how long lock() waited (0: did not).
config::Diagnostics locked_error(const LockInfo& holder, std::chrono::milliseconds waited,
                                 std::chrono::system_clock::time_point now);

/// The errors of unlock()/force_unlock() when `id` is not the current lock (`current` is the
/// lock actually held, or nullopt when the state is not locked).
config::Diagnostics unlock_mismatch(const std::string& operation, const std::string& id,
                                    const std::optional<LockInfo>& current);

/// One attempt at taking the lock: the lease, or the live holder that prevents it.
struct LockAttempt {
  std::optional<Lease> lease;
  LockInfo holder;
};

/// Calls `attempt` until it grants a lease or `request.timeout` has passed, sleeping ~100 ms on
/// `clock` between attempts (so a ManualClock makes tests instant). Fails with locked_error()
/// naming the last holder, or with the attempt's own error.
Result<Lease> acquire_lock(const LockRequest& request, config::Clock& clock,
                           const std::function<Result<LockAttempt>()>& attempt);

}  // namespace lakeinfra::state
