#include "planner/plan.h"

namespace lakeinfra::planner {

const char* action_name(Action action) {
  switch (action) {
    case Action::kNoOp:
      return "no-op";
    case Action::kCreate:
      return "create";
    case Action::kUpdate:
      return "update";
    case Action::kReplace:
      return "replace";
    case Action::kDelete:
      return "delete";
  }
  return "no-op";
}

std::vector<std::string> terraform_actions(Action action) {
  switch (action) {
    case Action::kNoOp:
      return {"no-op"};
    case Action::kCreate:
      return {"create"};
    case Action::kUpdate:
      return {"update"};
    case Action::kReplace:
      return {"delete", "create"};
    case Action::kDelete:
      return {"delete"};
  }
  return {"no-op"};
}

config::Attributes ResourceChange::before_json() const {
  if (!prior)
    return action == Action::kNoOp ? after_json() : nullptr;
  config::Attributes j = prior->attributes;
  j["id"] = prior->provider_id;
  j["location"] = location_before;
  return j;
}

config::Attributes ResourceChange::after_json() const {
  if (!desired)
    return nullptr;
  config::Attributes j = desired->attributes;
  j["id"] = desired->provider_id;
  j["location"] = location_after;
  return j;
}

PlanCounts Plan::counts() const {
  PlanCounts c;
  for (const auto& ch : changes) {
    switch (ch.action) {
      case Action::kCreate:
        ++c.add;
        break;
      case Action::kUpdate:
        ++c.change;
        break;
      case Action::kReplace:
        ++c.add, ++c.destroy;
        break;
      case Action::kDelete:
        ++c.destroy;
        break;
      case Action::kNoOp:
        break;
    }
  }
  return c;
}

bool Plan::has_changes() const {
  for (const auto& ch : changes) {
    if (ch.action != Action::kNoOp)
      return true;
  }
  return false;
}

}  // namespace lakeinfra::planner
