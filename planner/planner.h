#pragma once

#include <future>
#include <optional>
#include <string>
#include <vector>

#include "config/resource.h"
#include "config/result.h"
#include "planner/graph.h"
#include "planner/plan.h"
#include "providers/provider.h"
#include "state/state_store.h"

namespace lakeinfra::planner {

/// What start_refresh() read: the objects it was given, in address order, and what reading each
/// gave.
struct Refreshed {
  std::vector<state::ResourceId> objects;
  std::vector<providers::ProviderResult<std::optional<providers::Observed>>> results;
};

struct PlanOptions {
  /// Read every recorded object through its provider first, so drift shows (`--refresh=false`
  /// skips it; objects that would be deleted or replaced are still checked for data).
  bool refresh = true;
  /// Plan the deletion of everything in state (`destroy`).
  bool destroy = false;
  /// Limit the plan to these addresses (an address also matches everything below it:
  /// "container.bronze" matches every container of zone bronze) and what they depend on — or,
  /// when destroying, what depends on them. Empty = everything.
  std::vector<config::Address> targets;
  /// Concurrent provider reads during refresh.
  int parallelism = 10;
  /// A start_refresh() the caller began before make_plan, so that storage is read while the
  /// state is decoded and the graph is made. make_plan waits for it when it comes to refresh and
  /// takes the observation of each record it read under the same address, type and provider id;
  /// it reads every other record itself (one the early reads did not cover, or one whose id has
  /// changed since). Must outlive make_plan.
  std::future<Refreshed>* refreshing = nullptr;
};

/// Starts reading `objects` (in address order) through `provider` on another thread, as
/// make_plan's refresh does, for the caller to hand over in PlanOptions::refreshing. The
/// provider must outlive the future.
std::future<Refreshed> start_refresh(std::vector<state::ResourceId> objects,
                                     providers::Provider& provider, int parallelism);
/// The same for every object recorded in `snapshot`, which may be moved or destroyed as soon as
/// this returns.
std::future<Refreshed> start_refresh(const state::Snapshot& snapshot, providers::Provider& provider,
                                     int parallelism);

/// Computes what apply must do to make the world match `desired`, given recorded `snapshot`
/// and what `provider` reads. Writes nothing to state or storage (a provider may keep its own
/// cache of what it read: the local provider's marker cache). Fails with every error found: a
/// dependency cycle, a target matching nothing, a refresh read that failed, and any delete or
/// replace of a zone or container that holds data without force_destroy in both config and
/// state ("data is never lost").
Result<Plan> make_plan(const std::vector<config::DesiredResource>& desired,
                       const state::Snapshot& snapshot, providers::Provider& provider,
                       const PlanOptions& options);
/// The same, taking the desired resources and the snapshot over: each moves into its change
/// instead of being copied, which halves the memory of planning a large lake.
Result<Plan> make_plan(std::vector<config::DesiredResource>&& desired, state::Snapshot&& snapshot,
                       providers::Provider& provider, const PlanOptions& options);

/// The dependency graph of the desired resources, for `graph` and cycle checks: one node per
/// resource, an edge from each dependency to its dependent. Fails on a dependency that names
/// no declared resource.
Result<Graph> resource_graph(const std::vector<config::DesiredResource>& desired);

}  // namespace lakeinfra::planner
