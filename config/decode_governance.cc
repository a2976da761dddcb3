#include "config/decode_governance.h"

#include <algorithm>
#include <map>

#include "config/access.h"
#include "config/decode_checks.h"
#include "config/names.h"

namespace lakeinfra::config {

namespace {

const std::vector<std::string> kInstanceKeys = {"max_tier"};
const std::vector<std::string> kRoleKeys = {"name", "description", "clearance",
                                            "phi",  "principals",  "grants"};
const std::vector<std::string> kGrantKeys = {"zone", "container", "access"};
const std::vector<std::string> kAccessNames = {"read", "write", "admin"};

const char kTiersExample[] = "e.g. tiers: [internal, restricted, sensitive] (lowest first)";
const char kTierRule[] =
    "tiers are 1–63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit";
const char kInstancesExample[] = "e.g. instances: {dev01: {max_tier: internal}}";
const char kRolesExample[] =
    "e.g. roles: [{name: analyst, clearance: internal, grants: [{zone: gold, access: read}]}]";
const char kGrantsExample[] = "e.g. grants: [{zone: gold, container: curated, access: read}]";
const char kPrincipalsExample[] =
    "e.g. principals: [\"arn:aws:iam::123456789012:role/deployer\", \"arn:aws:iam:::user/ci\"]";
const char kPrincipalHint[] =
    "give an IAM ARN such as \"arn:aws:iam::123456789012:role/deployer\" or "
    "\"arn:aws:iam:::user/ci\", or a 12-digit account id such as \"123456789012\"";
const char kAccessMeaning[] =
    " (read: list and get objects; write: also put and delete them; admin: also object versions "
    "and, on a whole zone, its settings)";

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Why `principal` is not an IAM or STS ARN nor an account id (a phrase to follow "is invalid: "),
// or "".
std::string principal_problem(const std::string& principal) {
  if (principal.empty())
    return "it is empty";
  if (principal.find_first_of(" \t\r\n") != std::string::npos)
    return "it contains whitespace";
  if (digits(principal))
    return principal.size() == 12 ? "" : "an account id is exactly 12 digits";
  if (!principal.starts_with("arn:"))
    return "it is neither an IAM ARN nor a 12-digit account id";
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = principal.find(':', start);
    if (colon == std::string::npos)
      return "an ARN has six parts separated by ':', as in arn:aws:iam::ACCOUNT:role/NAME";
    parts.push_back(principal.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(principal.substr(start));
  const std::string& partition = parts[1];
  const std::string& service = parts[2];
  const std::string& account = parts[4];
  const std::string& resource = parts[5];
  if (partition != "aws" && partition != "aws-cn" && partition != "aws-us-gov")
    return "unknown partition \"" + partition + "\" (aws, aws-cn or aws-us-gov)";
  if (service != "iam" && service != "sts")
    return "the service is \"" + service + "\", not iam or sts";
  if (!parts[3].empty())
    return "IAM and STS ARNs have no region";
  if (!account.empty() && (account.size() != 12 || !digits(account)))
    return "the account \"" + account + "\" is not 12 digits";
  auto named = [&resource](std::string_view prefix) {
    return resource.size() > prefix.size() && resource.starts_with(prefix);
  };
  if (service == "iam" && (resource == "root" || named("user/") || named("role/")))
    return "";
  if (service == "sts" && (named("assumed-role/") || named("federated-user/")))
    return "";
  if (service == "iam")
    return "\"" + resource + "\" is not root, user/NAME or role/NAME";
  return "\"" + resource + "\" is not assumed-role/ROLE/SESSION or federated-user/NAME";
}

// "role \"x\"" when the item has a usable name, else "role #3".
std::string item_label(const YamlNode& map, const std::string& kind, int index) {
  const MapEntry* name = map.find("name");
  if (name && name->value.is_scalar() && !name->value.scalar.empty())
    return kind + " \"" + name->value.scalar + "\"";
  return kind + " #" + std::to_string(index);
}

std::string target_label(const std::string& zone, const std::string& container) {
  return container.empty() ? zone : zone + "/" + container;
}

class GovernanceDecoder : private DecodeChecks {
 public:
  explicit GovernanceDecoder(Diagnostics& diags) : DecodeChecks(diags) {}

  void tiers(const YamlNode& root, DecodedLake& out) {
    decode_tiers(root.find("tiers"), out);
    decode_phi_tier(root.find("phi_tier"), out);
  }

  void governance(const YamlNode& root, DecodedLake& out) {
    decode_instances(root.find("instances"), out);
    check_max_tier(out);
    decode_roles(root.find("roles"), out);
  }

 private:
  // --- tiers and phi_tier ---

  void decode_tiers(const MapEntry* entry, DecodedLake& out) {
    Lake& lake = out.lake;
    if (!entry || entry->value.is_null())
      return;
    lake.tiers_location = entry->value.location;
    if (!entry->value.is_list()) {
      type_error(*entry, "a list of tier names", kTiersExample);
      out.tiers_ok = false;
      return;
    }
    if (entry->value.items.empty()) {
      diags_.add_error("\"tiers\" must not be empty", entry->value.location,
                       std::string("a lake needs at least one tier, ") + kTiersExample +
                           ", or omit tiers for internal, restricted, sensitive");
      out.tiers_ok = false;
      return;
    }
    std::vector<std::string> tiers;
    std::map<std::string, Location> seen;
    bool ok = true;
    for (const auto& item : entry->value.items) {
      if (!item.is_scalar()) {
        diags_.add_error("each tier must be a name, got " + describe(item), item.location,
                         kTiersExample);
        ok = false;
        continue;
      }
      if (item.failed) {
        ok = false;
        continue;
      }
      if (std::string problem = label_problem(item.scalar); !problem.empty()) {
        diags_.add_error("tier \"" + item.scalar + "\" is invalid: " + problem, item.location,
                         with_suggestion(kTierRule, suggest_label(item.scalar)));
        ok = false;
        continue;
      }
      if (unique(seen, item.scalar, item.location, "tier", "", "in the tiers list"))
        tiers.push_back(item.scalar);
      else
        ok = false;
    }
    if (!tiers.empty())
      lake.tiers = std::move(tiers);
    out.tiers_ok = ok;
  }

  void decode_phi_tier(const MapEntry* entry, DecodedLake& out) {
    Lake& lake = out.lake;
    lake.phi_tier = contains(lake.tiers, "sensitive") ? "sensitive" : lake.tiers.back();
    if (!entry)
      return;
    lake.phi_tier_location = entry->value.location;
    auto value = optional_string(entry, "e.g. phi_tier: " + lake.tiers.back());
    if (!value) {
      out.phi_tier_ok = entry->value.is_null();
      return;
    }
    if (contains(lake.tiers, *value)) {
      lake.phi_tier = *value;
      return;
    }
    out.phi_tier_ok = false;
    lake.phi_tier = *value;
    if (out.tiers_ok) {
      diags_.add_error("unknown tier \"" + *value + "\" for phi_tier", entry->value.location,
                       valid_values_hint(*value, lake.tiers, "Valid tiers") +
                           " (data of phi_tier or above needs roles with phi: true)");
    }
  }

  // Whether `tier` is one of the lake's tiers; reports it as `what` ("the clearance of role
  // \"x\"") when not, unless `tiers` itself was reported broken.
  bool check_tier(const DecodedLake& out, const std::string& tier, const std::string& what,
                  const Location& location) {
    if (contains(out.lake.tiers, tier))
      return true;
    if (out.tiers_ok) {
      diags_.add_error("unknown tier \"" + tier + "\" for " + what, location,
                       valid_values_hint(tier, out.lake.tiers, "Valid tiers"));
    }
    return false;
  }

  // --- instances ---

  void decode_instances(const MapEntry* entry, DecodedLake& out) {
    Lake& lake = out.lake;
    const YamlNode* map = block(entry, kInstancesExample);
    if (!map)
      return;
    std::map<std::string, Location> names;
    for (const auto& e : map->entries) {
      Instance instance;
      instance.name = e.key;
      instance.location = instance.max_tier_location = e.key_location;
      if (!unique(names, e.key, e.key_location, "instance", " in instances", "in instances"))
        continue;
      check_label("instance name", e.key, e.key_location);
      if (e.value.is_null()) {
        lake.instances.push_back(std::move(instance));
        continue;
      }
      if (!e.value.is_map()) {
        type_error(e, "a mapping", "e.g. " + e.key + ": {max_tier: internal}");
        continue;
      }
      const std::string label = "instance \"" + e.key + "\"";
      check_keys(e.value, kInstanceKeys, "in " + label);
      const MapEntry* max_tier = e.value.find("max_tier");
      if (auto value = optional_string(max_tier, "e.g. max_tier: internal")) {
        instance.max_tier_location = max_tier->value.location;
        instance.max_tier = *value;
        if (!check_tier(out, *value, "max_tier of " + label, max_tier->value.location))
          bad_max_tier_.push_back(e.key);
      } else if (max_tier && !max_tier->value.is_null()) {
        bad_max_tier_.push_back(e.key);
      }
      lake.instances.push_back(std::move(instance));
    }
  }

  // Rule: no zone or container of a tier above the max_tier of the lake's instance.
  void check_max_tier(const DecodedLake& out) {
    const Lake& lake = out.lake;
    const Instance* instance = lake.find_instance(lake.lake.instance);
    if (!instance || instance->max_tier.empty() || contains(bad_max_tier_, instance->name))
      return;
    const int max = lake.tier_rank(instance->max_tier);
    const std::string above = "above max_tier " + instance->max_tier + " of instance \"" +
                              instance->name + "\" (max_tier set on ";
    const std::string may_hold = "instance \"" + instance->name + "\" may hold data of tier " +
                                 instance->max_tier + " or lower; ";
    const std::string or_raise = ", or raise max_tier of instance \"" + instance->name + "\"";
    for (size_t i = 0; i < lake.zones.size() && i < out.zones.size(); ++i) {
      const Zone& zone = lake.zones[i];
      const ZoneFacts& facts = out.zones[i];
      if (facts.tier_ok && lake.tier_rank(zone.tier) > max) {
        const std::string where = first_defined(instance->max_tier_location, facts.tier_location);
        if (facts.tier_declared) {
          diags_.add_error(
              "zone \"" + zone.name + "\" has tier " + zone.tier + ", " + above + where + ")",
              facts.tier_location, may_hold + "lower the zone's tier" + or_raise);
        } else {
          diags_.add_error("zone \"" + zone.name + "\" has tier " + zone.tier +
                               " (by default the highest tier), " + above + where + ")",
                           facts.tier_location,
                           may_hold + "declare tier: " + instance->max_tier +
                               " (or lower) on the zone" + or_raise);
        }
      }
      for (size_t k = 0; k < zone.containers.size() && k < facts.containers.size(); ++k) {
        const Container& c = zone.containers[k];
        const ContainerFacts& cf = facts.containers[k];
        if (!cf.tier_declared || !cf.tier_ok || lake.tier_rank(c.tier) <= max)
          continue;
        diags_.add_error("container \"" + c.name + "\" of zone \"" + zone.name + "\" has tier " +
                             c.tier + ", " + above +
                             first_defined(instance->max_tier_location, cf.tier_location) + ")",
                         cf.tier_location, may_hold + "lower the container's tier" + or_raise);
      }
    }
  }

  // --- roles ---

  void decode_roles(const MapEntry* entry, DecodedLake& out) {
    if (!entry || entry->value.is_null())
      return;
    if (!entry->value.is_list()) {
      type_error(*entry, "a list of roles", kRolesExample);
      return;
    }
    std::map<std::string, Location> names;
    int index = 0;
    for (const auto& item : entry->value.items) {
      ++index;
      if (!item.is_map()) {
        diags_.add_error("each role must be a mapping, got " + describe(item), item.location,
                         kRolesExample);
        continue;
      }
      decode_role(item, item_label(item, "role", index), names, out);
    }
  }

  void decode_role(const YamlNode& map, const std::string& label,
                   std::map<std::string, Location>& names, DecodedLake& out) {
    Role role;
    role.location = role.clearance_location = role.phi_location = map.location;
    const std::string in = "in " + label;
    check_keys(map, kRoleKeys, in);
    bool name_ok = false;
    if (auto name =
            required_string(map, "name", in, "every role needs a name, e.g. name: data-engineer")) {
      role.name = *name;
      const Location& at = map.find("name")->value.location;
      name_ok = check_name("role name", *name, at) &&
                unique(names, *name, at, "role name", "", "within a lake");
    }
    const MapEntry* description = map.find("description");
    if (auto value = optional_string(description, "e.g. description: \"Reads curated data\""))
      role.description = *value;

    role.clearance = out.lake.tiers.front();
    bool clearance_ok = true;
    if (const MapEntry* clearance = map.find("clearance")) {
      role.clearance_location = clearance->value.location;
      if (auto value = optional_string(clearance, "e.g. clearance: " + out.lake.tiers.front())) {
        role.clearance = *value;
        clearance_ok =
            check_tier(out, *value, "the clearance of " + label, clearance->value.location);
      } else {
        clearance_ok = clearance->value.is_null();
      }
    }
    if (const MapEntry* phi = map.find("phi")) {
      role.phi_location = phi->value.location;
      if (auto value = optional_bool(phi))
        role.phi = *value;
    }
    decode_principals(map.find("principals"), label, role);

    std::vector<bool> grants_ok;
    std::map<std::string, Location> targets;
    for_each_mapping(map.find("grants"), "grant", kGrantsExample,
                     [&](const YamlNode& item, int index) {
                       bool ok = false;
                       role.grants.push_back(decode_grant(item, index, label, out, targets, ok));
                       grants_ok.push_back(ok);
                     });
    if (clearance_ok) {
      for (size_t i = 0; i < role.grants.size(); ++i) {
        if (grants_ok[i])
          check_grant(role, role.grants[i], out);
      }
    }
    out.lake.roles.push_back(std::move(role));
    out.role_names_ok.push_back(name_ok);
  }

  void decode_principals(const MapEntry* entry, const std::string& label, Role& role) {
    if (!entry || entry->value.is_null())
      return;
    if (!entry->value.is_list()) {
      type_error(*entry, "a list of principals", kPrincipalsExample);
      return;
    }
    for (const auto& item : entry->value.items) {
      if (!item.is_scalar()) {
        diags_.add_error("each principal must be a string, got " + describe(item), item.location,
                         kPrincipalsExample);
        continue;
      }
      if (item.failed)
        continue;
      if (std::string problem = principal_problem(item.scalar); !problem.empty()) {
        diags_.add_error(
            "principal \"" + item.scalar + "\" of " + label + " is invalid: " + problem,
            item.location, kPrincipalHint);
        continue;
      }
      role.principals.push_back(item.scalar);
    }
  }

  // One grant; `ok` is set when its target and access are valid and it is not a duplicate.
  Grant decode_grant(const YamlNode& map, int index, const std::string& role_label,
                     const DecodedLake& out, std::map<std::string, Location>& targets, bool& ok) {
    const Lake& lake = out.lake;
    Grant g;
    g.location = g.zone_location = g.container_location = g.access_location = map.location;
    const std::string label = "grant #" + std::to_string(index) + " of " + role_label;
    const std::string in = "in " + label;
    check_keys(map, kGrantKeys, in);
    ok = true;
    const Zone* zone = nullptr;
    if (auto value = required_string(map, "zone", in, "e.g. zone: bronze")) {
      g.zone = *value;
      g.zone_location = map.find("zone")->value.location;
      zone = lake.find_zone(*value);
      if (!zone) {
        diags_.add_error("unknown zone \"" + *value + "\" " + in, g.zone_location,
                         zone_hint(*value, lake));
      }
    }
    ok = zone != nullptr;
    const MapEntry* container = map.find("container");
    if (container)
      g.container_location = container->value.location;
    if (auto value = optional_string(container, "e.g. container: raw")) {
      g.container = *value;
      if (value->empty()) {
        diags_.add_error("\"container\" " + in + " must not be empty", g.container_location,
                         "name a container, or omit container to grant the whole zone");
        ok = false;
      } else if (zone && !has_container(*zone, *value)) {
        diags_.add_error(
            "unknown container \"" + *value + "\" in zone \"" + zone->name + "\" " + in,
            g.container_location, container_hint(*value, *zone));
        ok = false;
      }
    } else if (container && !container->value.is_null()) {
      ok = false;
    }
    if (auto value = required_string(map, "access", in, "e.g. access: read")) {
      g.access_location = map.find("access")->value.location;
      if (auto access = parse_access(*value)) {
        g.access = *access;
      } else {
        diags_.add_error("unknown access \"" + *value + "\" " + in, g.access_location,
                         valid_values_hint(*value, kAccessNames, "Valid access") + kAccessMeaning);
        ok = false;
      }
    } else {
      ok = false;
    }
    if (!g.zone.empty()) {
      std::string target = target_label(g.zone, g.container);
      auto [first, inserted] = targets.emplace(target, g.location);
      if (!inserted) {
        diags_.add_error("duplicate grant on " + target + " in " + role_label +
                             " (first defined on " + first_defined(first->second, g.location) + ")",
                         g.location,
                         "a role has at most one grant per zone and per container; keep one "
                         "with the access needed");
        ok = false;
      }
    }
    return g;
  }

  // Rules 1 and 2, decided by evaluate_access() like every other question about access.
  void check_grant(const Role& role, const Grant& grant, const DecodedLake& out) {
    const Lake& lake = out.lake;
    // Skip data whose tiers were reported invalid.
    for (size_t i = 0; i < lake.zones.size() && i < out.zones.size(); ++i) {
      if (lake.zones[i].name != grant.zone)
        continue;
      const Zone& zone = lake.zones[i];
      for (size_t k = 0; k < zone.containers.size() && k < out.zones[i].containers.size(); ++k) {
        bool covered = grant.container.empty() || zone.containers[k].name == grant.container;
        if (covered && !out.zones[i].containers[k].tier_ok)
          return;
      }
      if (!out.zones[i].tier_ok)
        return;
      break;
    }
    AccessDecision d = evaluate_access(lake, role, grant.zone, grant.container, grant.access);
    const std::string target = target_label(grant.zone, grant.container);
    const Location& at = grant.container.empty() ? grant.zone_location : grant.container_location;
    const std::string granted =
        "granted " + std::string(access_name(grant.access)) + " on " + target;
    // "(container bronze/raw)" when the tier is not the target's own.
    std::string source =
        d.tier_source == (grant.container.empty() ? "zone " : "container ") + target
            ? ""
            : d.tier_source;
    if (d.rule == AccessRule::kAboveClearance) {
      diags_.add_error("role \"" + role.name + "\" (clearance " + role.clearance + ") is " +
                           granted + ", which holds " + d.tier + " data" +
                           (source.empty() ? "" : " (" + source + ")"),
                       at,
                       "raise the role's clearance to " + d.tier +
                           ", or grant only containers of tier " + role.clearance + " or lower");
    } else if (d.rule == AccessRule::kNeedsPhi && out.phi_tier_ok) {
      diags_.add_error("role \"" + role.name + "\" is not cleared for PHI but is " + granted +
                           ", whose tier " + d.tier + " holds PHI (" +
                           (source.empty() ? "" : source + "; ") + "phi_tier: " + lake.phi_tier +
                           ")",
                       at,
                       "set phi: true on the role if it may see PHI, or grant instead a "
                       "de-identified container of a tier below " +
                           lake.phi_tier);
    }
  }

  static bool has_container(const Zone& zone, const std::string& name) {
    return std::any_of(zone.containers.begin(), zone.containers.end(),
                       [&name](const Container& c) { return c.name == name; });
  }

  static std::string container_hint(const std::string& name, const Zone& zone) {
    std::vector<std::string> names;
    for (const auto& c : zone.containers) {
      if (!c.name.empty())
        names.push_back(c.name);
    }
    if (names.empty())
      return "zone \"" + zone.name +
             "\" declares no containers; omit container to grant the whole zone";
    return valid_values_hint(name, names, "Containers of zone \"" + zone.name + "\"");
  }

  // "did you mean ...? Declared zones: a, b" for a zone that is not declared.
  static std::string zone_hint(const std::string& zone, const Lake& lake) {
    std::vector<std::string> names;
    for (const auto& z : lake.zones) {
      if (!z.name.empty())
        names.push_back(z.name);
    }
    return valid_values_hint(zone, names, "Declared zones");
  }

  std::vector<std::string> bad_max_tier_;  // instances whose max_tier was reported
};

}  // namespace

void decode_tier_blocks(const YamlNode& root, const DecodeOptions& /*options*/, DecodedLake& out,
                        Diagnostics& diags) {
  GovernanceDecoder(diags).tiers(root, out);
}

void decode_governance_blocks(const YamlNode& root, const DecodeOptions& /*options*/,
                              DecodedLake& out, Diagnostics& diags) {
  GovernanceDecoder(diags).governance(root, out);
}

}  // namespace lakeinfra::config
