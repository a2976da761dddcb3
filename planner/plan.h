#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/resource.h"

namespace lakeinfra::planner {

/// What a plan does to one resource. Replace is delete-then-create of the same address.
enum class Action { kNoOp, kCreate, kUpdate, kReplace, kDelete };

/// "no-op", "create", "update", "replace", "delete".
const char* action_name(Action action);
/// Terraform's JSON plan actions: ["create"], ["update"], ["delete","create"], ["delete"],
/// ["no-op"].
std::vector<std::string> terraform_actions(Action action);

/// One attribute that differs between before and after.
struct AttributeChange {
  std::string name;
  config::Attributes before;  ///< null when absent.
  config::Attributes after;   ///< null when absent.
  bool forces_replacement = false;
};

/// The planned change of one resource, with the reasons it is needed (ninja's "explain").
struct ResourceChange {
  config::Address address;
  std::string type;
  Action action = Action::kNoOp;

  /// What exists, as state recorded it and refresh corrected it; null for creates, and for
  /// no-ops, where it is the same as `desired` (attributes and physical id) and is not kept.
  std::optional<config::ResourceRecord> prior;
  /// What should exist; null for deletes.
  std::optional<config::DesiredResource> desired;
  /// Human form of the physical location before and after (absolute path, s3:// URL).
  std::string location_before;
  std::string location_after;

  std::vector<AttributeChange> attribute_changes;
  /// Why this change is planned: "not in the configuration", "deleted outside lakeinfra", ...
  std::vector<std::string> reasons;
  /// Changes found by refresh that were made outside lakeinfra (already folded into `prior`).
  std::vector<AttributeChange> drift;
  /// For delete/replace: data in the object may be deleted (force_destroy in config and state).
  bool force_destroy = false;
  /// For delete/replace: data entries the object held when planned.
  uint64_t data_entries = 0;

  /// Attributes before/after with "id" (provider_id) and "location", as shown to users and in
  /// the JSON plan; null where the object does not exist. A no-op's before is its after.
  config::Attributes before_json() const;
  config::Attributes after_json() const;
};

struct PlanCounts {
  int add = 0, change = 0, destroy = 0;
};

/// A plan: what apply will do, and against which state it was made.
struct Plan {
  std::string lineage;    ///< State lineage the plan was made against.
  int64_t serial = 0;     ///< State serial the plan was made against.
  bool destroy = false;   ///< Made by `destroy` (or `plan -destroy`).
  bool refreshed = true;  ///< Objects were read from storage (false with --refresh=false).
  bool targeted = false;  ///< Limited by --target.
  std::string provider;   ///< Storage provider kind ("local").
  config::Attributes storage = config::Attributes::object();  ///< Storage settings (no secrets).
  std::vector<ResourceChange> changes;  ///< Every resource, no-ops included, in graph order.
  std::vector<std::string> notes;       ///< Reconciliations and warnings to show with the plan.
  /// What planning read and no longer needs (the state records of no-ops, refresh results),
  /// kept so that a command about to exit can skip freeing it along with `changes`.
  std::shared_ptr<const void> leftovers;

  PlanCounts counts() const;
  bool has_changes() const;
};

}  // namespace lakeinfra::planner
