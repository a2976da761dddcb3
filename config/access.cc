#include "config/access.h"

namespace lakeinfra::config {
namespace {

// The rank used for decisions: a known tier's position, or one above every known tier.
int rank_of(const Lake& lake, const std::string& tier) {
  int rank = lake.tier_rank(tier);
  return rank < 0 ? static_cast<int>(lake.tiers.size()) : rank;
}

// "bronze" or "bronze/raw".
std::string target_label(const std::string& zone, const std::string& container) {
  return container.empty() ? zone : zone + "/" + container;
}

// The verb of a sentence: "read", "write", "administer".
const char* verb(Access access) {
  return access == Access::kAdmin ? "administer" : access_name(access);
}

}  // namespace

const char* access_name(Access access) {
  switch (access) {
    case Access::kRead:
      return "read";
    case Access::kWrite:
      return "write";
    case Access::kAdmin:
      return "admin";
  }
  return "read";
}

std::optional<Access> parse_access(std::string_view text) {
  if (text == "read")
    return Access::kRead;
  if (text == "write")
    return Access::kWrite;
  if (text == "admin")
    return Access::kAdmin;
  return std::nullopt;
}

AccessDecision evaluate_access(const Lake& lake, const Role& role, const std::string& zone,
                               const std::string& container, Access wanted) {
  AccessDecision d;
  const std::string target = target_label(zone, container);
  const std::string head = role.name + " may not " + verb(wanted) + " " + target;

  // --- the target and the tier of its data ---
  const Zone* z = lake.find_zone(zone);
  if (!z) {
    d.rule = AccessRule::kUnknownTarget;
    d.reason = head + ": there is no zone \"" + zone + "\"";
    return d;
  }
  if (!container.empty()) {
    const Container* c = nullptr;
    for (const auto& candidate : z->containers) {
      if (candidate.name == container)
        c = &candidate;
    }
    if (!c) {
      d.rule = AccessRule::kUnknownTarget;
      d.reason = head + ": zone \"" + zone + "\" has no container \"" + container + "\"";
      return d;
    }
    d.tier = c->tier;
    d.tier_source = "container " + target;
  } else {
    d.tier = z->tier;
    d.tier_source = "zone " + zone;
    int highest = rank_of(lake, z->tier);
    for (const auto& c : z->containers) {
      if (rank_of(lake, c.tier) > highest) {
        highest = rank_of(lake, c.tier);
        d.tier = c.tier;
        d.tier_source = "container " + zone + "/" + c.name;
      }
    }
  }
  // "(tier sensitive)", or "(tier sensitive, from container bronze/raw)" for a whole zone whose
  // highest tier is a container's.
  const std::string tier_note =
      " (tier " + d.tier +
      (container.empty() && d.tier_source != "zone " + zone ? ", from " + d.tier_source : "") + ")";

  // --- clearance, then PHI: they deny whatever the grants say ---
  int data_rank = lake.tier_rank(d.tier);
  int clearance_rank = lake.tier_rank(role.clearance);
  if (data_rank < 0 || clearance_rank < 0 || data_rank > clearance_rank) {
    d.rule = AccessRule::kAboveClearance;
    std::string clearance = role.clearance.empty() ? "none" : role.clearance;
    d.reason = head + tier_note + ": its clearance " + clearance + " is below the data's tier";
    if (data_rank >= 0)
      d.reason += "; it would need clearance " + d.tier;
    else
      d.reason += " (\"" + d.tier + "\" is not a tier of the lake)";
    return d;
  }
  int phi_rank = lake.tier_rank(lake.phi_tier);
  if (!role.phi && (phi_rank < 0 || data_rank >= phi_rank)) {
    d.rule = AccessRule::kNeedsPhi;
    d.reason = head + tier_note + ": tier " + d.tier + " holds PHI (phi_tier: " + lake.phi_tier +
               ") and the role is not cleared for PHI; it would need phi: true";
    return d;
  }

  // --- the grants: the strongest one covering the target wins ---
  const Grant* zone_grant = role.find_grant(zone, "");
  const Grant* best = zone_grant;
  if (!container.empty()) {
    const Grant* own = role.find_grant(zone, container);
    if (own && (!best || own->access > best->access))
      best = own;
  }
  if (!best) {
    d.rule = AccessRule::kNoGrant;
    d.reason = head + tier_note + ": no grant of the role covers " + target;
    return d;
  }
  d.grant = best;
  const std::string granted =
      std::string(access_name(best->access)) + " on " + target_label(best->zone, best->container);
  if (best->access < wanted) {
    d.rule = AccessRule::kGrantTooWeak;
    d.reason = head + tier_note + ": granted only " + granted;
    return d;
  }
  d.allowed = true;
  d.rule = AccessRule::kAllowed;
  d.reason = role.name + " may " + verb(wanted) + " " + target + tier_note + ": granted " + granted;
  return d;
}

AccessMatrix access_matrix(const Lake& lake) {
  AccessMatrix m;
  for (const auto& zone : lake.zones) {
    if (zone.containers.empty()) {
      m.columns.push_back({zone.name, "", zone.tier});
      continue;
    }
    for (const auto& c : zone.containers)
      m.columns.push_back({zone.name, c.name, c.tier});
  }
  for (const auto& role : lake.roles) {
    AccessMatrix::Row row;
    row.role = &role;
    for (const auto& column : m.columns) {
      std::optional<Access> cell;
      for (Access access : {Access::kAdmin, Access::kWrite, Access::kRead}) {
        if (evaluate_access(lake, role, column.zone, column.container, access).allowed) {
          cell = access;
          break;
        }
      }
      row.cells.push_back(cell);
    }
    m.rows.push_back(std::move(row));
  }
  return m;
}

const char* access_letter(std::optional<Access> access) {
  if (!access)
    return "-";
  switch (*access) {
    case Access::kRead:
      return "R";
    case Access::kWrite:
      return "W";
    case Access::kAdmin:
      return "A";
  }
  return "-";
}

}  // namespace lakeinfra::config
