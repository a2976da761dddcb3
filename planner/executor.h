#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "config/system.h"
#include "planner/plan.h"
#include "providers/provider.h"
#include "state/state_store.h"

namespace lakeinfra::planner {

/// One provider mutation. A replace is two steps: delete, then create.
enum class StepKind { kCreate, kUpdate, kDelete };
enum class StepStatus { kSucceeded, kFailed, kSkipped };

const char* step_kind_name(StepKind kind);  ///< "create", "update", "delete"

struct StepResult {
  config::Address address;
  StepKind kind = StepKind::kCreate;
  StepStatus status = StepStatus::kSucceeded;
  std::string message;  ///< Failure message, or why it was skipped.
  std::chrono::milliseconds elapsed{0};
};

/// Receives apply progress. Calls are serialised by the executor (never concurrent), so an
/// observer needs no locking of its own.
class ApplyObserver {
 public:
  virtual ~ApplyObserver() = default;
  virtual void step_started(const config::Address& /*address*/, StepKind /*kind*/) {}
  virtual void step_finished(const StepResult& /*result*/) {}
};

struct ApplyOptions {
  int parallelism = 10;  ///< Concurrent provider mutations.
  /// When set to true (e.g. by a SIGINT handler), no new step starts: steps in flight finish
  /// and are recorded, the rest are reported as skipped. May be null.
  const std::atomic<bool>* cancel = nullptr;
};

struct ApplyReport {
  std::vector<StepResult> steps;  ///< In completion order.
  int added = 0, changed = 0, destroyed = 0;
  int failed = 0, skipped = 0;
  bool interrupted = false;  ///< ApplyOptions::cancel stopped steps from starting.
  bool ok() const { return failed == 0 && skipped == 0; }
};

/// Carries out `plan`: walks its steps in dependency order (creates and updates after what they
/// depend on, deletes before what they depend on) on `parallelism` workers. Before each provider
/// mutation it records an intent in `store`; after it, commits the resource (or its removal)
/// together with the intent's result, in one transaction. A failed step does not stop
/// independent ones; its dependents are skipped. The caller holds the state lock and has checked
/// that the plan matches the state.
ApplyReport apply_plan(const Plan& plan, providers::Provider& provider, state::StateStore& store,
                       ApplyObserver& observer, config::Clock& clock,
                       const ApplyOptions& options = {});

}  // namespace lakeinfra::planner
