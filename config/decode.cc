#include "config/decode.h"

#include <algorithm>
#include <map>

#include "config/names.h"

namespace lakeinfra::config {
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kTopKeys = {"lake", "storage", "naming", "zones"};
const std::vector<std::string> kLakeKeys = {"name", "instance", "region", "org"};
const std::vector<std::string> kStorageKeys = {"provider", "root"};
const std::vector<std::string> kNamingKeys = {"zone", "container"};
const std::vector<std::string> kZoneKeys = {"name", "tier", "containers", "force_destroy",
                                            "naming"};
const std::vector<std::string> kContainerKeys = {"name", "tier"};
const std::vector<std::string> kStorageProviders = {"local"};

const char kZonesExample[] = "e.g. zones: [{name: bronze, containers: [raw]}]";
const char kTemplateHint[] = "quote templates, e.g. zone: \"{lake}-{instance}-{zone}\"";

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

// "did you mean "x"? Valid <what>: a, b, c" (the first part only when something is close).
std::string valid_values_hint(const std::string& word, const std::vector<std::string>& valid,
                              const std::string& what) {
  std::string hint;
  if (std::string close = closest_match(word, valid); !close.empty()) {
    hint = "did you mean \"" + close + "\"? ";
  }
  return hint + what + ": " + join(valid);
}

std::string with_suggestion(const std::string& rule, const std::string& suggestion) {
  return suggestion.empty() ? rule : rule + "; try \"" + suggestion + "\"";
}

class Decoder {
 public:
  Decoder(const DecodeOptions& options, Diagnostics& diags) : options_(options), diags_(diags) {}

  DecodedLake run(const YamlNode& root) {
    DecodedLake out;
    out.lake.storage.location = Location{options_.file};
    out.lake.naming.zone_location = Location{options_.file};
    out.lake.naming.container_location = Location{options_.file};
    if (!root.is_map()) {
      diags_.add_error(
          "the top level must be a mapping with \"lake\" and \"zones\", got " + describe(root),
          root.location, "start the file with a \"lake:\" block and a \"zones:\" list");
      return out;
    }
    check_keys(root, kTopKeys, "at the top level");
    decode_lake_info(root, out);
    decode_storage(root.find("storage"), out.lake.storage);
    decode_naming(root.find("naming"), out);
    decode_zones(root, out);
    return out;
  }

 private:
  // --- generic checks ---

  void check_keys(const YamlNode& map, const std::vector<std::string>& valid,
                  const std::string& where) {
    std::map<std::string, Location> seen;
    for (const auto& entry : map.entries) {
      auto [it, inserted] = seen.emplace(entry.key, entry.key_location);
      if (!inserted) {
        diags_.add_error("duplicate key \"" + entry.key + "\" " + where + " (first defined on " +
                             first_defined(it->second, entry.key_location) + ")",
                         entry.key_location, "a key may appear only once in a mapping");
        continue;
      }
      if (std::find(valid.begin(), valid.end(), entry.key) == valid.end()) {
        diags_.add_error("unknown key \"" + entry.key + "\" " + where, entry.key_location,
                         valid_values_hint(entry.key, valid, "Valid keys"));
      }
    }
  }

  void type_error(const MapEntry& entry, const std::string& expected, const std::string& hint) {
    diags_.add_error("\"" + entry.key + "\" must be " + expected + ", got " + describe(entry.value),
                     entry.value.location, hint);
  }

  void missing(const std::string& key, const std::string& where, const Location& location,
               const std::string& hint) {
    diags_.add_error("missing required key \"" + key + "\" " + where, location, hint);
  }

  // The string value of an optional key: nullopt when absent or empty (YAML null), or after
  // reporting a value that is not a scalar.
  std::optional<std::string> optional_string(const MapEntry* entry, const std::string& hint) {
    if (!entry || entry->value.is_null() || entry->value.failed)
      return std::nullopt;
    if (!entry->value.is_scalar()) {
      type_error(*entry, "a string", hint);
      return std::nullopt;
    }
    return entry->value.scalar;
  }

  // The string value of a required key, reporting it when missing, empty or not a scalar.
  std::optional<std::string> required_string(const YamlNode& map, const std::string& key,
                                             const std::string& where, const std::string& hint) {
    const MapEntry* entry = map.find(key);
    if (!entry) {
      missing(key, where, map.location, hint);
      return std::nullopt;
    }
    if (entry->value.failed)
      return std::nullopt;
    if (!entry->value.is_scalar()) {
      type_error(*entry, "a string", hint);
      return std::nullopt;
    }
    return entry->value.scalar;
  }

  std::optional<bool> optional_bool(const MapEntry* entry) {
    if (!entry || entry->value.is_null() || entry->value.failed)
      return std::nullopt;
    const YamlNode& v = entry->value;
    if (v.is_scalar() && !v.quoted) {
      if (v.scalar == "true" || v.scalar == "True" || v.scalar == "TRUE")
        return true;
      if (v.scalar == "false" || v.scalar == "False" || v.scalar == "FALSE")
        return false;
    }
    type_error(
        *entry, "a boolean",
        v.is_scalar() && v.quoted ? "use true or false, without quotes" : "use true or false");
    return std::nullopt;
  }

  // Checks a name against the name rules; `what` is "zone name" and so on.
  bool check_name(const std::string& what, const std::string& value, const Location& location) {
    std::string problem = name_problem(value);
    if (problem.empty())
      return true;
    diags_.add_error(what + " \"" + value + "\" is invalid: " + problem, location,
                     with_suggestion(kNameRule, suggest_name(value)));
    return false;
  }

  bool check_label(const std::string& what, const std::string& value, const Location& location) {
    std::string problem = label_problem(value);
    if (problem.empty())
      return true;
    diags_.add_error(what + " \"" + value + "\" is invalid: " + problem, location,
                     with_suggestion(kLabelRule, suggest_label(value)));
    return false;
  }

  bool check_tier(const std::string& tier, const Location& location) {
    const auto& tiers = default_tiers();
    if (std::find(tiers.begin(), tiers.end(), tier) != tiers.end())
      return true;
    diags_.add_error("unknown tier \"" + tier + "\"", location,
                     valid_values_hint(tier, tiers, "Valid tiers"));
    return false;
  }

  // A mapping-valued block; nullptr when absent or empty, or after reporting a wrong type.
  const YamlNode* block(const MapEntry* entry, const std::string& hint) {
    if (!entry || entry->value.is_null())
      return nullptr;
    if (!entry->value.is_map()) {
      type_error(*entry, "a mapping", hint);
      return nullptr;
    }
    return &entry->value;
  }

  // --- blocks ---

  void decode_lake_info(const YamlNode& root, DecodedLake& out) {
    LakeInfo& info = out.lake.lake;
    auto& ok = out.lake_vars_ok;
    ok = {{"lake", false}, {"instance", false}, {"region", true}, {"org", true}};
    const MapEntry* entry = root.find("lake");
    const char* hint = "e.g. lake: {name: healthetl, instance: dev01}";
    if (!entry) {
      missing("lake", "at the top level", root.location, std::string("add a lake block, ") + hint);
    } else if (!entry->value.is_map()) {
      type_error(*entry, "a mapping", hint);
    } else {
      const YamlNode& map = entry->value;
      info.location = map.location;
      check_keys(map, kLakeKeys, "in lake");
      if (auto name = required_string(map, "name", "in lake",
                                      "add the lake's name, e.g. name: healthetl")) {
        info.name = *name;
        ok["lake"] = check_name("lake name", *name, map.find("name")->value.location);
      }
      if (options_.instance_override) {
        optional_string(map.find("instance"), "e.g. instance: dev01");
      } else if (auto instance = required_string(map, "instance", "in lake",
                                                 "add the instance, e.g. instance: dev01")) {
        info.instance = *instance;
        ok["instance"] = check_label("instance", *instance, map.find("instance")->value.location);
      }
      const MapEntry* region = map.find("region");
      if (auto value = optional_string(region, "e.g. region: eu-west-2")) {
        info.region = *value;
        ok["region"] = check_label("region", *value, region->value.location);
      } else if (region && !region->value.is_null()) {
        ok["region"] = false;
      }
      const MapEntry* org = map.find("org");
      if (auto value = optional_string(org, "e.g. org: acme")) {
        info.org = *value;
        ok["org"] = check_label("org", *value, org->value.location);
      } else if (org && !org->value.is_null()) {
        ok["org"] = false;
      }
    }
    if (options_.instance_override) {
      info.instance = *options_.instance_override;
      std::string problem = label_problem(info.instance);
      ok["instance"] = problem.empty();
      if (!problem.empty()) {
        diags_.add_error(
            "instance \"" + info.instance + "\" (from --instance) is invalid: " + problem,
            Location{}, with_suggestion(kLabelRule, suggest_label(info.instance)));
      }
    }
  }

  void decode_storage(const MapEntry* entry, Storage& storage) {
    fs::path base = fs::absolute(options_.base_dir).lexically_normal();
    storage.root = base / "lake";
    const YamlNode* map = block(entry, "e.g. storage: {provider: local, root: ./lake}");
    if (!map)
      return;
    storage.location = map->location;
    check_keys(*map, kStorageKeys, "in storage");
    const MapEntry* provider = map->find("provider");
    if (auto value = optional_string(provider, "e.g. provider: local")) {
      storage.provider = *value;
      if (std::find(kStorageProviders.begin(), kStorageProviders.end(), *value) ==
          kStorageProviders.end()) {
        diags_.add_error("unknown storage provider \"" + *value + "\"", provider->value.location,
                         valid_values_hint(*value, kStorageProviders, "Known providers"));
      }
    }
    const MapEntry* root = map->find("root");
    if (auto value = optional_string(root, "e.g. root: ./lake")) {
      if (value->empty()) {
        diags_.add_error("\"root\" must not be empty", root->value.location,
                         "give a directory, e.g. root: ./lake");
        return;
      }
      fs::path resolved = (base / *value).lexically_normal();
      if (!resolved.has_filename() && resolved.has_parent_path() &&
          resolved != resolved.root_path()) {
        resolved = resolved.parent_path();
      }
      storage.root = resolved;
    }
  }

  void decode_naming(const MapEntry* entry, DecodedLake& out) {
    Naming& naming = out.lake.naming;
    const YamlNode* map = block(entry, std::string("e.g. naming: {zone: \"") + naming.zone +
                                           "\", container: \"" + naming.container + "\"}");
    if (!map)
      return;
    naming.zone_location = naming.container_location = map->location;
    check_keys(*map, kNamingKeys, "in naming");
    if (const MapEntry* zone = map->find("zone")) {
      naming.zone_location = zone->value.location;
      auto value = optional_string(zone, kTemplateHint);
      out.naming_zone_ok = value.has_value() || zone->value.is_null();
      if (value)
        naming.zone = *value;
    }
    if (const MapEntry* container = map->find("container")) {
      naming.container_location = container->value.location;
      auto value = optional_string(container, "quote templates, e.g. container: \"{container}\"");
      out.naming_container_ok = value.has_value() || container->value.is_null();
      if (value)
        naming.container = *value;
    }
  }

  void decode_zones(const YamlNode& root, DecodedLake& out) {
    const MapEntry* entry = root.find("zones");
    if (!entry) {
      missing("zones", "at the top level", root.location,
              std::string("add a list of zones, ") + kZonesExample);
      return;
    }
    if (!entry->value.is_list()) {
      type_error(*entry, "a list of zones", kZonesExample);
      return;
    }
    if (entry->value.items.empty()) {
      diags_.add_error("\"zones\" must not be empty", entry->value.location,
                       std::string("a lake needs at least one zone, ") + kZonesExample);
      return;
    }
    std::map<std::string, Location> names;  // valid zone names → location of the first
    int index = 0;
    for (const auto& item : entry->value.items) {
      ++index;
      if (!item.is_map()) {
        diags_.add_error("each zone must be a mapping, got " + describe(item), item.location,
                         item.is_scalar() ? "write \"- name: " + item.scalar + "\""
                                          : "write each zone as a \"- name: ...\" item");
        continue;
      }
      decode_zone(item, index, names, out);
    }
  }

  void decode_zone(const YamlNode& map, int index, std::map<std::string, Location>& names,
                   DecodedLake& out) {
    Zone zone;
    ZoneFacts facts;
    zone.location = map.location;
    const MapEntry* name_entry = map.find("name");
    std::string label = "zone #" + std::to_string(index);
    if (name_entry && name_entry->value.is_scalar() && !name_entry->value.scalar.empty()) {
      label = "zone \"" + name_entry->value.scalar + "\"";
    }
    check_keys(map, kZoneKeys, "in " + label);

    if (auto name = required_string(map, "name", "in " + label,
                                    "every zone needs a name, e.g. name: bronze")) {
      zone.name = *name;
      const Location& at = name_entry->value.location;
      facts.name_ok = check_name("zone name", *name, at) &&
                      unique(names, *name, at, "zone name", "", "within a lake");
    }
    zone.tier = default_tiers().back();  // fail closed
    facts.tier_ok = true;
    const MapEntry* tier = map.find("tier");
    if (auto value = optional_string(tier, "e.g. tier: sensitive")) {
      zone.tier = *value;
      facts.tier_ok = check_tier(*value, tier->value.location);
    } else if (tier && !tier->value.is_null()) {
      facts.tier_ok = false;
    }
    if (auto force = optional_bool(map.find("force_destroy")))
      zone.force_destroy = *force;
    if (const MapEntry* naming = map.find("naming")) {
      auto value = optional_string(naming, kTemplateHint);
      if (value)
        zone.naming = *value;
      facts.naming_ok = value.has_value() || naming->value.is_null();
      facts.naming_location = naming->value.location;
    }
    decode_containers(map.find("containers"), label, zone, facts);
    out.lake.zones.push_back(std::move(zone));
    out.zones.push_back(std::move(facts));
  }

  // Whether `name` is not yet in `names` (and adds it); reports a duplicate otherwise.
  bool unique(std::map<std::string, Location>& names, const std::string& name, const Location& at,
              const std::string& what, const std::string& scope, const std::string& rule) {
    auto [first, inserted] = names.emplace(name, at);
    if (inserted)
      return true;
    diags_.add_error("duplicate " + what + " \"" + name + "\"" + scope + " (first defined on " +
                         first_defined(first->second, at) + ")",
                     at, what + "s must be unique " + rule);
    return false;
  }

  void decode_containers(const MapEntry* entry, const std::string& zone_label, Zone& zone,
                         ZoneFacts& facts) {
    if (!entry || entry->value.is_null())
      return;
    const char* example = "e.g. containers: [raw, {name: landing, tier: internal}]";
    if (!entry->value.is_list()) {
      type_error(*entry, "a list of containers", example);
      return;
    }
    std::map<std::string, Location> names;
    int index = 0;
    for (const auto& item : entry->value.items) {
      ++index;
      Container container;
      container.location = item.location;
      container.tier = zone.tier;
      std::string label = "container #" + std::to_string(index) + " of " + zone_label;
      std::optional<std::string> name;
      Location name_location = item.location;
      ContainerFacts container_facts{false, facts.tier_ok};
      if (item.is_scalar()) {
        if (!item.failed)
          name = item.scalar;
      } else if (item.is_map()) {
        const MapEntry* name_entry = item.find("name");
        if (name_entry && name_entry->value.is_scalar() && !name_entry->value.scalar.empty()) {
          label = "container \"" + name_entry->value.scalar + "\" of " + zone_label;
        }
        check_keys(item, kContainerKeys, "in " + label);
        name = required_string(item, "name", "in " + label,
                               "every container needs a name, e.g. {name: raw, tier: internal}");
        if (name)
          name_location = name_entry->value.location;
        const MapEntry* tier = item.find("tier");
        if (auto value = optional_string(tier, "e.g. tier: internal")) {
          container.tier = *value;
          container_facts.tier_ok = check_tier(*value, tier->value.location);
        } else if (tier && !tier->value.is_null()) {
          container_facts.tier_ok = false;
        }
      } else {
        diags_.add_error("each container must be a name or a mapping, got " + describe(item),
                         item.location, example);
        continue;
      }
      if (name) {
        container.name = *name;
        container_facts.name_ok = check_name("container name", *name, name_location) &&
                                  unique(names, *name, name_location, "container name",
                                         " in " + zone_label, "within a zone");
      }
      zone.containers.push_back(std::move(container));
      facts.containers.push_back(container_facts);
    }
  }

  const DecodeOptions& options_;
  Diagnostics& diags_;
};

}  // namespace

std::string first_defined(const Location& first, const Location& here) {
  if (first.file == here.file && first.line > 0)
    return "line " + std::to_string(first.line);
  return first.str();
}

DecodedLake decode_lake(const YamlNode& root, const DecodeOptions& options, Diagnostics& diags) {
  return Decoder(options, diags).run(root);
}

}  // namespace lakeinfra::config
