#pragma once

// The governance model's one evaluation function: whether a role may read, write or administer
// a zone or a container, and why. The config checks (clearance, PHI), `lakeinfra access` (the
// matrix) and `lakeinfra access check` all ask evaluate_access(), so they can never disagree.
// The IAM policies and the local policy document are rendered from the grants this function
// allows (planner/desired.h).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.h"

namespace lakeinfra::config {

/// "read", "write", "admin".
const char* access_name(Access access);
/// The inverse of access_name(); nullopt for anything else.
std::optional<Access> parse_access(std::string_view text);

/// The rule that decided. The first three deny whatever the grants say; rules are tried in the
/// order listed.
enum class AccessRule {
  kUnknownTarget,   ///< No such zone, or no such container in it.
  kAboveClearance,  ///< The data's tier is above the role's clearance.
  kNeedsPhi,        ///< The data's tier is phi_tier or above and the role has no `phi: true`.
  kNoGrant,         ///< No grant of the role covers the target.
  kGrantTooWeak,    ///< A grant covers the target, with less access than asked.
  kAllowed,         ///< A grant covers the target with at least the access asked.
};

struct AccessDecision {
  bool allowed = false;
  AccessRule rule = AccessRule::kNoGrant;
  /// The highest tier of the data the target holds: a container's tier, or for a whole zone
  /// the highest of the zone's and its containers' tiers. "" for an unknown target.
  std::string tier;
  /// Where that tier comes from: "zone bronze" or "container bronze/raw".
  std::string tier_source;
  /// The grant that covers the target (kGrantTooWeak, kAllowed), else nullptr. A grant on the
  /// container wins over one on its zone when it gives more access.
  const Grant* grant = nullptr;
  /// One sentence for people, naming the role, the target, the tier and the rule, e.g.
  /// `analyst may read gold/curated (tier internal): granted read on gold/curated`.
  std::string reason;
};

/// Decides whether `role` may have `wanted` access to `zone` (container "" = the whole zone) of
/// `lake`. Pure; the lake need not be valid, and unknown tiers fail closed: data of a tier that
/// is not in lake.tiers is never within clearance, a clearance that is not a tier clears
/// nothing, and a phi_tier that is not a tier makes every tier need `phi: true`.
AccessDecision evaluate_access(const Lake& lake, const Role& role, const std::string& zone,
                               const std::string& container, Access wanted);

/// `lakeinfra access`: roles × data. One column per container ("zone/container"), and one per
/// zone that has no containers ("zone"); rows in declaration order.
struct AccessMatrix {
  struct Column {
    std::string zone;
    std::string container;  ///< "" for a zone without containers.
    std::string tier;
    std::string label() const { return container.empty() ? zone : zone + "/" + container; }
  };
  struct Row {
    const Role* role = nullptr;
    /// Per column, the strongest access evaluate_access() allows; nullopt = none.
    std::vector<std::optional<Access>> cells;
  };
  std::vector<Column> columns;
  std::vector<Row> rows;
};

AccessMatrix access_matrix(const Lake& lake);

/// The letter of the matrix: "R", "W", "A"; "-" for none.
const char* access_letter(std::optional<Access> access);

}  // namespace lakeinfra::config
