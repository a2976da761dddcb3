#include "config/physical_names.h"

#include <algorithm>
#include <map>
#include <set>

#include "config/names.h"
#include "templates/naming.h"

namespace lakeinfra::config {
namespace {

using Vars = std::map<std::string, std::string>;
using VarsOk = std::map<std::string, bool>;

const std::vector<std::string> kZonePlaceholders = {"lake", "instance", "region",
                                                    "org",  "zone",     "tier"};
const std::vector<std::string> kContainerPlaceholders = {"lake", "instance", "region",   "org",
                                                         "zone", "tier",     "container"};
const std::vector<std::string> kRolePlaceholders = {"lake", "instance", "region", "org", "role"};

std::string braced_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "{" : ", {") + n + "}";
  return out;
}

class Renderer {
 public:
  Renderer(DecodedLake& decoded, Diagnostics& diags) : d_(decoded), diags_(diags) {}

  void run() {
    Lake& lake = d_.lake;
    bool zone_default_ok =
        d_.naming_zone_ok && check_template(lake.naming.zone, kZonePlaceholders, "naming.zone",
                                            lake.naming.zone_location);
    bool container_ok = d_.naming_container_ok &&
                        check_template(lake.naming.container, kContainerPlaceholders,
                                       "naming.container", lake.naming.container_location);

    const std::vector<std::string> container_placeholders =
        templates::placeholders(lake.naming.container);
    std::map<std::string, size_t> zone_names;  // physical name → zone index
    for (size_t i = 0; i < lake.zones.size(); ++i) {
      Zone& zone = lake.zones[i];
      const ZoneFacts& facts = d_.zones[i];
      bool template_ok = zone_default_ok;
      const std::string* tmpl = &lake.naming.zone;
      if (!facts.naming_ok) {
        template_ok = false;
      } else if (!zone.naming.empty()) {
        tmpl = &zone.naming;
        template_ok = check_template(zone.naming, kZonePlaceholders,
                                     "the naming of " + zone_label(zone, i), facts.naming_location);
      }
      Vars vars = lake_vars();
      vars["zone"] = zone.name;
      vars["tier"] = zone.tier;
      VarsOk ok = d_.lake_vars_ok;
      ok["zone"] = facts.name_ok;
      ok["tier"] = facts.tier_ok;
      if (template_ok && usable(templates::placeholders(*tmpl), ok)) {
        zone.physical_name = render_checked(
            *tmpl, vars, [&] { return zone_label(zone, i); }, zone.location);
        if (lake.storage.provider == "s3")
          zone.physical_name =
              check_bucket(zone.physical_name, *tmpl, zone_label(zone, i), zone.location);
        check_unique(zone_names, zone.physical_name, i, [&](size_t j) {
          return std::pair{zone_label(lake.zones[j], j), lake.zones[j].location};
        });
      }
      if (!container_ok)
        continue;
      std::map<std::string, size_t> container_names;
      // One copy of the zone's values per zone, not per container (10k containers: a third of
      // the time went to copying these maps).
      VarsOk container_vars_ok = ok;
      Vars container_vars = vars;
      for (size_t k = 0; k < zone.containers.size(); ++k) {
        Container& container = zone.containers[k];
        container_vars_ok["container"] = facts.containers[k].name_ok;
        container_vars_ok["tier"] = facts.containers[k].tier_ok;
        if (!usable(container_placeholders, container_vars_ok))
          continue;
        container_vars["container"] = container.name;
        container_vars["tier"] = container.tier;
        container.physical_name = render_checked(
            lake.naming.container, container_vars,
            [&] { return container_label(zone, container, k); }, container.location);
        check_unique(container_names, container.physical_name, k, [&](size_t j) {
          return std::pair{container_label(zone, zone.containers[j], j),
                           zone.containers[j].location};
        });
      }
    }
    render_roles();
  }

 private:
  // Physical role names, from naming.role; checked only when a role is declared.
  void render_roles() {
    Lake& lake = d_.lake;
    if (lake.roles.empty())
      return;
    if (!d_.naming_role_ok || !check_template(lake.naming.role, kRolePlaceholders, "naming.role",
                                              lake.naming.role_location)) {
      return;
    }
    std::map<std::string, size_t> role_names;
    for (size_t i = 0; i < lake.roles.size(); ++i) {
      Role& role = lake.roles[i];
      VarsOk ok = d_.lake_vars_ok;
      ok["role"] = i < d_.role_names_ok.size() && d_.role_names_ok[i];
      if (!usable(templates::placeholders(lake.naming.role), ok))
        continue;
      Vars vars = lake_vars();
      vars["role"] = role.name;
      role.physical_name = render_checked(
          lake.naming.role, vars, [&] { return role_label(role, i); }, role.location);
      check_unique(role_names, role.physical_name, i, [&](size_t j) {
        return std::pair{role_label(lake.roles[j], j), lake.roles[j].location};
      });
    }
  }

  static std::string role_label(const Role& role, size_t index) {
    if (role.name.empty())
      return "role #" + std::to_string(index + 1);
    return "role \"" + role.name + "\"";
  }

  static std::string zone_label(const Zone& zone, size_t index) {
    if (zone.name.empty())
      return "zone #" + std::to_string(index + 1);
    return "zone \"" + zone.name + "\"";
  }

  static std::string container_label(const Zone& zone, const Container& container, size_t index) {
    std::string of = zone.name.empty() ? "" : " of zone \"" + zone.name + "\"";
    if (container.name.empty())
      return "container #" + std::to_string(index + 1) + of;
    return "container \"" + container.name + "\"" + of;
  }

  Vars lake_vars() const {
    const LakeInfo& info = d_.lake.lake;
    return {{"lake", info.name},
            {"instance", info.instance},
            {"region", info.region},
            {"org", info.org}};
  }

  // Whether every placeholder of a template has a valid value (an invalid one is reported
  // already).
  static bool usable(const std::vector<std::string>& placeholders, const VarsOk& ok) {
    for (const auto& p : placeholders) {
      auto it = ok.find(p);
      if (it == ok.end() || !it->second)
        return false;
    }
    return true;
  }

  // Reports syntax errors, unknown placeholders and placeholders whose lake value is unset.
  bool check_template(const std::string& tmpl, const std::vector<std::string>& valid,
                      const std::string& label, const Location& location) {
    std::string valid_hint = "Valid placeholders: " + braced_list(valid);
    if (tmpl.empty()) {
      diags_.add_error(label + " template is empty", location,
                       "give a template such as \"{lake}-{instance}-{zone}\"; " + valid_hint);
      return false;
    }
    Vars any;
    for (const auto& p : valid)
      any[p] = "x";
    std::vector<std::string> used = templates::placeholders(tmpl);
    for (const auto& p : used)
      any[p] = "x";
    std::string syntax;
    if (auto r = templates::render(tmpl, any); !r)
      syntax = r.error().message;
    for (const auto& p : used) {
      if (p.find('{') != std::string::npos)
        syntax = "unclosed '{'";
    }
    if (!syntax.empty()) {
      diags_.add_error(label + " template \"" + tmpl + "\" is invalid: " + syntax, location,
                       "write placeholders as {name}; " + valid_hint);
      return false;
    }
    bool ok = true;
    std::set<std::string> reported;
    for (const auto& p : used) {
      if (std::find(valid.begin(), valid.end(), p) != valid.end())
        continue;
      ok = false;
      if (!reported.insert(p).second)
        continue;
      std::string hint;
      if (std::string close = closest_match(p, valid); !close.empty()) {
        hint = "did you mean {" + close + "}? ";
      }
      diags_.add_error("unknown placeholder {" + p + "} in " + label, location, hint + valid_hint);
    }
    if (!ok)
      return false;
    Vars values = lake_vars();
    for (const std::string key : {"region", "org"}) {
      if (std::find(used.begin(), used.end(), key) == used.end())
        continue;
      if (!values[key].empty() || !d_.lake_vars_ok[key])
        continue;
      diags_.add_error(
          label + " uses {" + key + "} but lake." + key + " is not set", location,
          "set " + key + " in the lake block, or remove {" + key + "} from the template");
      ok = false;
    }
    return ok;
  }

  // Renders `tmpl` and reports a result that breaks the name rules; `label()` names the item
  // in that report (built only then).
  template <typename Label>
  std::string render_checked(const std::string& tmpl, const Vars& vars, Label label,
                             const Location& location) {
    auto rendered = templates::render(tmpl, vars);
    if (!rendered)
      return {};  // cannot happen: the template was checked
    std::string problem = name_problem(*rendered);
    if (!problem.empty()) {
      diags_.add_error(
          label() + " renders to physical name \"" + *rendered + "\" which is invalid: " + problem,
          location,
          "it comes from the template \"" + tmpl +
              "\"; shorten the values it uses or change the template");
      return {};
    }
    return *rendered;
  }

  // `name` when it is a valid S3 bucket name (or empty: already reported); else reports it and
  // returns "".
  std::string check_bucket(const std::string& name, const std::string& tmpl,
                           const std::string& label, const Location& location) {
    if (name.empty())
      return name;
    std::string problem = bucket_name_problem(name);
    if (problem.empty())
      return name;
    diags_.add_error(
        label + " renders to S3 bucket name \"" + name + "\" which is invalid: " + problem,
        location,
        "it comes from the template \"" + tmpl + "\"; change the values it uses or the template");
    return {};
  }

  // Reports a physical name already rendered for another item of the same kind.
  template <typename Describe>
  void check_unique(std::map<std::string, size_t>& seen, const std::string& physical, size_t index,
                    Describe describe_item) {
    if (physical.empty())
      return;
    auto [it, inserted] = seen.emplace(physical, index);
    if (inserted)
      return;
    auto [first_label, first_location] = describe_item(it->second);
    auto [label, location] = describe_item(index);
    diags_.add_error(label + " renders to physical name \"" + physical + "\", the same as " +
                         first_label + " (" + first_defined(first_location, location) + ")",
                     location,
                     "physical names must be unique; change the name or the naming template");
  }

  DecodedLake& d_;
  Diagnostics& diags_;
};

}  // namespace

void render_physical_names(DecodedLake& decoded, Diagnostics& diags) {
  Renderer(decoded, diags).run();
}

}  // namespace lakeinfra::config
