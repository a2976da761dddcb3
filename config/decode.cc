#include "config/decode.h"

#include <algorithm>
#include <map>

#include "config/decode_checks.h"
#include "config/decode_governance.h"
#include "config/decode_pipelines.h"
#include "config/log.h"
#include "config/names.h"

namespace lakeinfra::config {
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kTopKeys = {"lake",      "storage",   "naming",    "zones",  "jobs",
                                           "artifacts", "pipelines", "workspace", "mounts", "tiers",
                                           "phi_tier",  "instances", "roles"};
const std::vector<std::string> kLakeKeys = {"name", "instance", "region", "org"};
const std::vector<std::string> kLocalStorageKeys = {"provider", "root"};
const std::vector<std::string> kS3StorageKeys = {"provider",   "endpoint", "region",
                                                 "addressing", "profile",  "verify_tls"};
const std::vector<std::string> kAllStorageKeys = {"provider",   "root",    "endpoint",  "region",
                                                  "addressing", "profile", "verify_tls"};
const std::vector<std::string> kAddressingStyles = {"path", "virtual"};
const char kDefaultS3Region[] = "us-east-1";
const std::vector<std::string> kNamingKeys = {"zone", "container", "role"};
const std::vector<std::string> kZoneKeys = {"name",          "tier",   "containers",
                                            "force_destroy", "naming", "versioning"};
const std::vector<std::string> kContainerKeys = {"name", "tier"};

const char kEndpointExample[] = "e.g. endpoint: http://127.0.0.1:7480";
const char kZonesExample[] = "e.g. zones: [{name: bronze, containers: [raw]}]";
const char kTemplateHint[] = "quote templates, e.g. zone: \"{lake}-{instance}-{zone}\"";

// The valid keys of storage provider `provider`; all keys for an unknown provider.
const std::vector<std::string>& storage_keys(const std::string& provider) {
  if (provider == "local")
    return kLocalStorageKeys;
  if (provider == "s3")
    return kS3StorageKeys;
  return kAllStorageKeys;
}

// Keys of the other known providers, each with the provider it belongs to.
std::map<std::string, std::string> foreign_storage_keys(const std::string& provider) {
  std::map<std::string, std::string> out;
  if (provider == "s3") {
    for (const auto& key : kLocalStorageKeys)
      out.emplace(key, "local");
  } else if (provider == "local") {
    for (const auto& key : kS3StorageKeys)
      out.emplace(key, "s3");
  }
  for (const auto& key : storage_keys(provider))
    out.erase(key);
  return out;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = lower(c);
  return out;
}

bool host_char(char c) {
  c = lower(c);
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

// An endpoint URL taken apart; `problem` (a phrase to follow "is invalid: ") and `hint` are
// set when it is not a usable scheme://host[:port].
struct Endpoint {
  std::string url;  ///< Normalised: lowercase scheme and host, no default port, no '/'.
  std::string scheme;
  std::string host;  ///< Lowercase; an IPv6 address keeps its brackets.
  std::string problem;
  std::string hint;
};

Endpoint parse_endpoint(std::string_view text) {
  const std::string only_host =
      "give only the scheme, host and port, e.g. http://127.0.0.1:7480; bucket names come from "
      "the zones";
  const std::string ipv6_hint = "write an IPv6 address in brackets, e.g. http://[::1]:7480";
  Endpoint e;
  auto bad = [&e](std::string problem, std::string hint) {
    e.problem = std::move(problem);
    e.hint = std::move(hint);
    return e;
  };
  if (text.empty()) {
    return bad("it is empty",
               "give a URL such as http://127.0.0.1:7480, or omit endpoint to use AWS");
  }
  size_t sep = text.find("://");
  std::string scheme = sep == std::string_view::npos ? "" : lowercase(text.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return bad("it must start with http:// or https://",
               "e.g. endpoint: https://s3.example.com or endpoint: http://127.0.0.1:7480");
  }
  e.scheme = scheme;
  std::string_view rest = text.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? "" : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return bad("credentials in the URL are not allowed",
               "give only the scheme, host and port; credentials come from AWS_ACCESS_KEY_ID and "
               "AWS_SECRET_ACCESS_KEY or ~/.aws/credentials");
  }
  if (!tail.empty() && tail != "/") {
    if (tail.front() == '/' && tail.find_first_of("?#") != 1)
      return bad("a path is not allowed", only_host);
    return bad("a query or fragment is not allowed", only_host);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return bad("the host \"" + std::string(authority) + "\" is invalid", ipv6_hint);
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      return bad("the host \"" + std::string(authority) + "\" is invalid", ipv6_hint);
    if (!after.empty())
      port = after.substr(1);
    std::string_view inside = host.substr(1, host.size() - 2);
    bool ok = inside.find(':') != std::string_view::npos;
    for (char c : inside) {
      c = lower(c);
      ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.');
    }
    if (!ok) {
      return bad("the host \"" + std::string(host) + "\" is invalid", ipv6_hint);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty())
      return bad("the port is missing after ':'", "a port is a number from 1 to 65535");
  }
  if (host.empty())
    return bad("the host is missing", "e.g. endpoint: http://127.0.0.1:7480");
  if (host.front() != '[') {
    bool ok = host.front() != '.' && host.front() != '-' && host.back() != '.' &&
              host.back() != '-' && host.find("..") == std::string_view::npos;
    for (char c : host)
      ok = ok && host_char(c);
    if (!ok) {
      return bad("the host \"" + std::string(host) + "\" is invalid",
                 "a host is a DNS name (letters, digits, '-', '_' and '.') or an IP address");
    }
  }
  long number = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || number > 65535) {
      number = -1;
      break;
    }
    number = number * 10 + (c - '0');
  }
  if (!port.empty() && (number < 1 || number > 65535))
    return bad("the port \"" + std::string(port) + "\" is invalid",
               "a port is a number from 1 to 65535");
  e.host = lowercase(host);
  e.url = e.scheme + "://" + e.host;
  bool default_port =
      (e.scheme == "http" && number == 80) || (e.scheme == "https" && number == 443);
  if (!port.empty() && !default_port)
    e.url += ":" + std::to_string(number);
  return e;
}

// Whether `host` (lowercase, IPv6 in brackets) is this machine: localhost, 127.0.0.0/8, [::1].
bool loopback(const std::string& host) {
  if (host == "localhost" || host == "[::1]" || host.ends_with(".localhost"))
    return true;
  if (!host.starts_with("127."))
    return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  return dots == 3;
}

class Decoder : private DecodeChecks {
 public:
  Decoder(const DecodeOptions& options, Diagnostics& diags)
      : DecodeChecks(diags), options_(options) {}

  DecodedLake run(const YamlNode& root) {
    DecodedLake out;
    out.lake.storage.location = Location{options_.file};
    out.lake.naming.zone_location = Location{options_.file};
    out.lake.naming.container_location = Location{options_.file};
    out.lake.naming.role_location = Location{options_.file};
    out.lake.tiers_location = out.lake.phi_tier_location = Location{options_.file};
    if (!root.is_map()) {
      diags_.add_error(
          "the top level must be a mapping with \"lake\" and \"zones\", got " + describe(root),
          root.location, "start the file with a \"lake:\" block and a \"zones:\" list");
      return out;
    }
    check_keys(root, kTopKeys, "at the top level");
    decode_lake_info(root, out);
    decode_storage(root.find("storage"), out.lake.lake, out.lake.storage);
    decode_naming(root.find("naming"), out);
    decode_tier_blocks(root, options_, out, diags_);
    tiers_ = &out.lake.tiers;
    tiers_ok_ = out.tiers_ok;
    decode_zones(root, out);
    decode_pipeline_blocks(root, options_, out, diags_);
    decode_governance_blocks(root, options_, out, diags_);
    return out;
  }

 private:
  // Whether `tier` is one of the lake's tiers; reports it when not (unless `tiers` itself is
  // broken and was reported: then the tier may be one of its invalid items).
  bool check_tier(const std::string& tier, const Location& location) {
    const auto& tiers = *tiers_;
    if (std::find(tiers.begin(), tiers.end(), tier) != tiers.end())
      return true;
    if (!tiers_ok_)
      return false;
    diags_.add_error("unknown tier \"" + tier + "\"", location,
                     valid_values_hint(tier, tiers, "Valid tiers"));
    return false;
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

  void decode_storage(const MapEntry* entry, const LakeInfo& info, Storage& storage) {
    fs::path base = fs::absolute(options_.base_dir).lexically_normal();
    storage.root = base / "lake";
    const YamlNode* map = block(entry, "e.g. storage: {provider: local, root: ./lake}");
    if (map) {
      storage.location = map->location;
      const MapEntry* provider = map->find("provider");
      bool provider_is_string = provider && provider->value.is_scalar() && !provider->value.failed;
      std::string kind = provider_is_string ? provider->value.scalar : storage.provider;
      const auto& known = storage_providers();
      bool known_kind = std::find(known.begin(), known.end(), kind) != known.end();
      if (provider && !provider->value.is_null() && !provider_is_string)
        kind.clear();  // a wrong type, reported below: accept the keys of every provider
      check_keys(*map, storage_keys(kind), "in storage", foreign_storage_keys(kind), kind);
      if (auto value = optional_string(provider, "e.g. provider: local")) {
        storage.provider = *value;
        if (!known_kind) {
          diags_.add_error("unknown storage provider \"" + *value + "\"", provider->value.location,
                           valid_values_hint(*value, known, "Known providers"));
        }
      }
      if (kind != "s3")
        decode_root(*map, base, storage);
      if (kind != "local")
        decode_s3(*map, storage);
    }
    if (storage.provider == "s3") {
      storage.root.clear();
      finish_s3(info, storage);
    }
  }

  void decode_root(const YamlNode& map, const fs::path& base, Storage& storage) {
    const MapEntry* root = map.find("root");
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

  // The keys of the s3 provider; defaults are applied by finish_s3().
  void decode_s3(const YamlNode& map, Storage& storage) {
    for (Location* at :
         {&storage.endpoint_location, &storage.region_location, &storage.addressing_location,
          &storage.profile_location, &storage.verify_tls_location}) {
      *at = map.location;
    }
    if (const MapEntry* entry = map.find("endpoint")) {
      storage.endpoint_location = entry->value.location;
      if (auto value = optional_string(entry, kEndpointExample)) {
        Endpoint endpoint = parse_endpoint(*value);
        if (endpoint.problem.empty()) {
          storage.endpoint = endpoint.url;
        } else {
          // redact(): an endpoint with userinfo may hold a password.
          diags_.add_error("endpoint \"" + redact(*value) + "\" is invalid: " + endpoint.problem,
                           entry->value.location, endpoint.hint);
        }
      }
    }
    if (const MapEntry* entry = map.find("region")) {
      storage.region_location = entry->value.location;
      if (auto value = optional_string(entry, "e.g. region: us-east-1")) {
        if (check_label("region", *value, entry->value.location))
          storage.region = *value;
      }
    }
    if (const MapEntry* entry = map.find("addressing")) {
      storage.addressing_location = entry->value.location;
      if (auto value = optional_string(entry, "e.g. addressing: path")) {
        if (std::find(kAddressingStyles.begin(), kAddressingStyles.end(), *value) !=
            kAddressingStyles.end()) {
          storage.addressing = *value;
        } else {
          diags_.add_error("unknown addressing style \"" + *value + "\"", entry->value.location,
                           valid_values_hint(*value, kAddressingStyles, "Valid styles") +
                               " (path: http://host/bucket/key, virtual: "
                               "http://bucket.host/key)");
        }
      }
    }
    if (const MapEntry* entry = map.find("profile")) {
      storage.profile_location = entry->value.location;
      if (auto value = optional_string(entry, "e.g. profile: default")) {
        if (value->empty()) {
          diags_.add_error("\"profile\" must not be empty", entry->value.location,
                           "name a profile of ~/.aws/credentials, or omit profile to use "
                           "AWS_PROFILE or \"default\"");
        } else {
          storage.profile = *value;
        }
      }
    }
    if (const MapEntry* entry = map.find("verify_tls")) {
      storage.verify_tls_location = entry->value.location;
      if (auto value = optional_bool(entry))
        storage.verify_tls = *value;
    }
  }

  // Defaults of the s3 provider, and warnings about settings that weaken security.
  void finish_s3(const LakeInfo& info, Storage& storage) {
    if (storage.region.empty())
      storage.region = info.region.empty() ? kDefaultS3Region : info.region;
    if (storage.addressing.empty())
      storage.addressing = storage.endpoint.empty() ? "virtual" : "path";
    if (storage.endpoint.starts_with("http://")) {
      std::string host = storage.endpoint.substr(7);
      host = host.substr(0, host[0] == '[' ? host.find(']') + 1 : host.find(':'));
      if (!loopback(host)) {
        diags_.add_warning(
            "endpoint \"" + storage.endpoint +
                "\" uses plain HTTP: requests, with the access key id, any session token and "
                "the data, are sent unencrypted",
            storage.endpoint_location,
            "use https:// for a server on another host; plain http is meant for a server on this "
            "machine (localhost, 127.0.0.1, [::1])");
      }
    }
    if (!storage.verify_tls) {
      diags_.add_warning("TLS certificate verification is off for \"" + storage.endpoint_url() +
                             "\" (verify_tls: false)",
                         storage.verify_tls_location,
                         "anyone between lakeinfra and the server can impersonate it; use this "
                         "only for test servers with self-signed certificates");
    }
  }

  void decode_naming(const MapEntry* entry, DecodedLake& out) {
    Naming& naming = out.lake.naming;
    const YamlNode* map = block(entry, std::string("e.g. naming: {zone: \"") + naming.zone +
                                           "\", container: \"" + naming.container + "\"}");
    if (!map)
      return;
    naming.zone_location = naming.container_location = naming.role_location = map->location;
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
    if (const MapEntry* role = map->find("role")) {
      naming.role_location = role->value.location;
      auto value =
          optional_string(role, "quote templates, e.g. role: \"{lake}-{instance}-{role}\"");
      out.naming_role_ok = value.has_value() || role->value.is_null();
      if (value)
        naming.role = *value;
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
    zone.tier = tiers_->empty() ? std::string() : tiers_->back();  // fail closed
    facts.tier_ok = !tiers_->empty();
    facts.tier_location = map.location;
    const MapEntry* tier = map.find("tier");
    if (auto value = optional_string(tier, "e.g. tier: " + zone.tier)) {
      zone.tier = *value;
      facts.tier_declared = true;
      facts.tier_location = tier->value.location;
      facts.tier_ok = check_tier(*value, tier->value.location);
    } else if (tier && !tier->value.is_null()) {
      facts.tier_ok = false;
    }
    if (auto force = optional_bool(map.find("force_destroy")))
      zone.force_destroy = *force;
    if (const MapEntry* versioning = map.find("versioning")) {
      if (auto value = optional_bool(versioning)) {
        zone.versioning = *value;
        zone.versioning_set = true;
        if (*value && out.lake.storage.provider == "local") {
          diags_.add_warning("versioning has no effect on local storage", versioning->key_location,
                             "it applies with storage provider \"s3\"; remove it, or keep it "
                             "for when the lake moves to s3");
        }
      }
    }
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
      ContainerFacts container_facts{false, facts.tier_ok, false, {}};
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
        if (auto value = optional_string(tier, "e.g. tier: " + tiers_->front())) {
          container.tier = *value;
          container_facts.tier_declared = true;
          container_facts.tier_location = tier->value.location;
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
  const std::vector<std::string>* tiers_ = &default_tiers();  // the lake's, once decoded
  bool tiers_ok_ = true;
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
