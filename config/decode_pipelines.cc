#include "config/decode_pipelines.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "config/decode_checks.h"
#include "config/log.h"
#include "config/pipeline_values.h"

namespace lakeinfra::config {
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kJobsKeys = {"registry", "linked_service"};
const std::vector<std::string> kJobRegistries = {"local"};
const std::vector<std::string> kArtifactsKeys = {"zone", "container"};
const std::vector<std::string> kPipelineKeys = {"name",      "repo",     "ref",          "path",
                                                "token_env", "schedule", "build_timeout"};
const std::vector<std::string> kWorkspaceKeys = {"root"};
const std::vector<std::string> kMountKeys = {"name", "zone", "container", "path"};

const char kPipelinesExample[] =
    "e.g. pipelines: [{name: hello-world, repo: https://example.org/org/hello-world.git, ref: "
    "main}]";
const char kMountsExample[] = "e.g. mounts: [{name: bronze, zone: bronze, path: /mnt/bronze}]";
const char kDurationHint[] =
    "a duration such as \"90s\", \"10m\", \"1h\" or a number of seconds, more than 0 and at most "
    "24h";

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

fs::path absolute_normal(const fs::path& path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  return (ec ? path : abs).lexically_normal();
}

// `value` resolved against `base` (absolute, normal), without a trailing '/'.
fs::path resolve(const fs::path& base, const std::string& value) {
  fs::path resolved = (base / value).lexically_normal();
  if (!resolved.has_filename() && resolved.has_parent_path() && resolved != resolved.root_path())
    resolved = resolved.parent_path();
  return resolved;
}

// "pipeline \"x\"" when the item has a usable name, else "pipeline #3".
std::string item_label(const YamlNode& map, const std::string& kind, int index) {
  const MapEntry* name = map.find("name");
  if (name && name->value.is_scalar() && !name->value.scalar.empty())
    return kind + " \"" + name->value.scalar + "\"";
  return kind + " #" + std::to_string(index);
}

class BlocksDecoder : private DecodeChecks {
 public:
  BlocksDecoder(const DecodeOptions& options, Diagnostics& diags)
      : DecodeChecks(diags), base_(absolute_normal(options.base_dir)), file_(options.file) {}

  void run(const YamlNode& root, DecodedLake& out) {
    decode_jobs(root.find("jobs"), out.lake.jobs);
    const MapEntry* pipelines = root.find("pipelines");
    decode_pipelines(pipelines, out.lake);
    decode_artifacts(root.find("artifacts"), pipelines, out);
    decode_workspace(root.find("workspace"), out.lake.workspace);
    decode_mounts(root.find("mounts"), out.lake);
  }

 private:
  // "did you mean ...? Declared zones: a, b" for a zone that is not declared.
  static std::string zone_hint(const std::string& zone, const Lake& lake) {
    std::vector<std::string> names;
    for (const auto& z : lake.zones) {
      if (!z.name.empty())
        names.push_back(z.name);
    }
    if (names.empty())
      return "declare the zone in zones first, e.g. zones: [{name: " +
             (zone.empty() ? std::string("gold") : zone) + "}]";
    return valid_values_hint(zone, names, "Declared zones");
  }

  // --- jobs ---

  void decode_jobs(const MapEntry* entry, Jobs& jobs) {
    jobs.location = jobs.linked_service_location = Location{file_};
    const YamlNode* map =
        block(entry, "e.g. jobs: {registry: local, linked_service: ADBLinkedServiceViaMSI}");
    if (!map)
      return;
    jobs.location = jobs.linked_service_location = map->location;
    check_keys(*map, kJobsKeys, "in jobs");
    const MapEntry* registry = map->find("registry");
    if (auto value = optional_string(registry, "e.g. registry: local")) {
      if (contains(kJobRegistries, *value)) {
        jobs.registry = *value;
      } else {
        diags_.add_error("unknown job registry \"" + *value + "\"", registry->value.location,
                         valid_values_hint(*value, kJobRegistries, "Valid registries") +
                             " (local: jobs live in the state database)");
      }
    }
    if (const MapEntry* service = map->find("linked_service")) {
      jobs.linked_service_location = service->value.location;
      if (auto value = optional_string(service, "e.g. linked_service: ADBLinkedServiceViaMSI")) {
        if (value->empty()) {
          diags_.add_error("\"linked_service\" in jobs must not be empty", service->value.location,
                           "name the linked service every activity refers to, or omit "
                           "linked_service for \"ADBLinkedServiceViaMSI\"");
        } else {
          jobs.linked_service = *value;
        }
      }
    }
  }

  // --- pipelines ---

  void decode_pipelines(const MapEntry* entry, Lake& lake) {
    std::map<std::string, Location> names;
    for_each_mapping(entry, "pipeline", kPipelinesExample, [&](const YamlNode& item, int index) {
      lake.pipelines.push_back(decode_pipeline(item, item_label(item, "pipeline", index), names));
    });
  }

  Pipeline decode_pipeline(const YamlNode& map, const std::string& label,
                           std::map<std::string, Location>& names) {
    Pipeline p;
    p.location = p.repo_location = p.ref_location = p.path_location = map.location;
    const std::string in = "in " + label;
    check_keys(map, kPipelineKeys, in);
    if (auto name = required_string(map, "name", in,
                                    "every pipeline needs a name, e.g. name: hello-world")) {
      p.name = *name;
      const Location& at = map.find("name")->value.location;
      if (check_name("pipeline name", *name, at))
        unique(names, *name, at, "pipeline name", "", "within a lake");
    }
    RepoAddress address;
    bool repo_ok = false;
    if (auto repo = required_string(map, "repo", in,
                                    "e.g. repo: https://example.org/org/hello-world.git")) {
      p.repo_location = map.find("repo")->value.location;
      address = parse_repo(*repo);
      if (address.problem.empty()) {
        repo_ok = true;
        p.repo = address.form == RepoForm::kPath ? resolve(base_, *repo).string() : *repo;
      } else {
        // Never the raw value: it may carry a password or token.
        diags_.add_error("repo \"" + redact_url_credentials(*repo) + "\" of " + label +
                             " is invalid: " + address.problem,
                         p.repo_location, address.hint);
      }
    }
    if (auto ref = required_string(map, "ref", in,
                                   "e.g. ref: main (a branch, a tag or a full commit sha)")) {
      p.ref_location = map.find("ref")->value.location;
      if (std::string problem = ref_problem(*ref); problem.empty()) {
        p.ref = *ref;
      } else {
        diags_.add_error("ref \"" + *ref + "\" of " + label + " is invalid: " + problem,
                         p.ref_location,
                         "give a branch, a tag or a full commit sha, e.g. ref: v1.2.0");
      }
    }
    if (const MapEntry* path = map.find("path")) {
      p.path_location = path->value.location;
      if (auto value = optional_string(path, "e.g. path: hello-world")) {
        RepoSubpath sub = parse_repo_subpath(*value);
        if (sub.problem.empty()) {
          p.path = sub.path;
        } else {
          diags_.add_error("path \"" + *value + "\" of " + label + " is invalid: " + sub.problem,
                           p.path_location,
                           "give a folder relative to the repo's root, e.g. path: hello-world; "
                           "omit path for the root");
        }
      }
    }
    const MapEntry* token = map.find("token_env");
    if (auto value = optional_string(token, "e.g. token_env: PIPELINE_REPO_TOKEN");
        value && !value->empty()) {
      if (std::string problem = env_name_problem(*value); !problem.empty()) {
        diags_.add_error("token_env \"" + *value + "\" of " + label + " is invalid: " + problem,
                         token->value.location,
                         "an environment variable name is letters, digits and '_', not starting "
                         "with a digit, e.g. token_env: PIPELINE_REPO_TOKEN");
      } else {
        p.token_env = *value;
        if (repo_ok)
          check_token_use(p, address, *token, label);
      }
    }
    const MapEntry* schedule = map.find("schedule");
    if (auto value = optional_string(schedule, "quote it, e.g. schedule: \"0 2 * * *\"");
        value && !value->empty()) {
      CronCheck cron = check_cron(*value);
      if (cron.problem.empty()) {
        p.schedule = *value;
      } else {
        diags_.add_error("schedule \"" + *value + "\" of " + label + " is invalid: " + cron.problem,
                         schedule->value.location, cron.hint.empty() ? kCronRule : cron.hint);
      }
    }
    const MapEntry* timeout = map.find("build_timeout");
    if (auto value = optional_string(timeout, "e.g. build_timeout: 10m");
        value && !value->empty()) {
      Duration duration = parse_duration(*value);
      if (duration.problem.empty()) {
        p.build_timeout_seconds = duration.seconds;
      } else {
        diags_.add_error(
            "build_timeout \"" + *value + "\" of " + label + " is invalid: " + duration.problem,
            timeout->value.location, kDurationHint);
      }
    }
    return p;
  }

  // Warns about a token that is never sent, or sent unencrypted.
  void check_token_use(const Pipeline& p, const RepoAddress& address, const MapEntry& token,
                       const std::string& label) {
    if (address.scheme == "https")
      return;
    if (address.scheme == "http") {
      diags_.add_warning("token_env of " + label + " is sent unencrypted to \"" +
                             p.redacted_repo() + "\" (plain http)",
                         token.key_location, "use an https:// repo URL");
      return;
    }
    std::string what = address.form == RepoForm::kPath ? "a local path" : "not an http(s) URL";
    diags_.add_warning("token_env of " + label + " has no effect: its repo \"" + p.redacted_repo() +
                           "\" is " + what,
                       token.key_location,
                       "a token is sent only to https:// and http:// repos; ssh uses your SSH "
                       "keys and local repos need none; remove token_env");
  }

  // --- artifacts ---

  void decode_artifacts(const MapEntry* entry, const MapEntry* pipelines, DecodedLake& out) {
    Lake& lake = out.lake;
    ArtifactsTarget& target = lake.artifacts;
    target.location = Location{file_};
    bool has_pipelines = pipelines && pipelines->value.is_list() && !pipelines->value.items.empty();
    Location container_location = has_pipelines ? pipelines->key_location : target.location;
    std::optional<std::string> zone_written;
    bool ok = true;
    if (const YamlNode* map = block(entry, "e.g. artifacts: {zone: gold, container: pipelines}")) {
      target.declared = true;
      target.location = container_location = map->location;
      check_keys(*map, kArtifactsKeys, "in artifacts");
      const MapEntry* zone = map->find("zone");
      zone_written = optional_string(zone, "e.g. zone: gold");
      if (!zone_written && zone && !zone->value.is_null()) {
        ok = false;
      } else if (zone_written && !lake.find_zone(*zone_written)) {
        diags_.add_error("unknown zone \"" + *zone_written + "\" in artifacts",
                         zone->value.location, zone_hint(*zone_written, lake));
        ok = false;
      }
      const MapEntry* container = map->find("container");
      if (container)
        container_location = container->value.location;
      if (auto value = optional_string(container, "e.g. container: pipelines")) {
        target.container = *value;
        ok = check_name("container name", *value, container_location) && ok;
      } else if (container && !container->value.is_null()) {
        ok = false;
      }
    }
    if (zone_written) {
      target.zone = *zone_written;
    } else if (!lake.zones.empty()) {
      target.zone = lake.find_zone("gold") ? "gold" : lake.zones.back().name;
    }
    if (!has_pipelines)
      return;
    if (lake.zones.empty()) {
      diags_.add_error("pipelines need a zone for their artifacts", pipelines->key_location,
                       "declare a zone, e.g. zones: [{name: gold}]; artifacts go to zone "
                       "\"gold\", else to the last zone, or to artifacts: {zone: ...}");
      return;
    }
    if (ok && !target.zone.empty())
      add_artifacts_container(target, container_location, out);
  }

  // Appends the artifacts container to its zone unless the zone declares it.
  static void add_artifacts_container(const ArtifactsTarget& target, const Location& location,
                                      DecodedLake& out) {
    for (size_t i = 0; i < out.lake.zones.size(); ++i) {
      Zone& zone = out.lake.zones[i];
      if (zone.name != target.zone)
        continue;
      for (const auto& c : zone.containers) {
        if (c.name == target.container)
          return;
      }
      Container container;
      container.name = target.container;
      container.tier = zone.tier;
      container.location = location;
      zone.containers.push_back(std::move(container));
      out.zones[i].containers.push_back(ContainerFacts{true, out.zones[i].tier_ok, false, {}});
      return;
    }
  }

  // --- workspace ---

  void decode_workspace(const MapEntry* entry, Workspace& workspace) {
    workspace.root = base_ / "workspace";
    workspace.location = Location{file_};
    const YamlNode* map = block(entry, "e.g. workspace: {root: ./workspace}");
    if (!map)
      return;
    workspace.location = map->location;
    check_keys(*map, kWorkspaceKeys, "in workspace");
    const MapEntry* root = map->find("root");
    if (auto value = optional_string(root, "e.g. root: ./workspace")) {
      if (value->empty()) {
        diags_.add_error("\"root\" in workspace must not be empty", root->value.location,
                         "give a directory, e.g. root: ./workspace, or omit root for "
                         "./workspace beside the config file");
      } else {
        workspace.root = resolve(base_, *value);
      }
    }
  }

  // --- mounts ---

  void decode_mounts(const MapEntry* entry, Lake& lake) {
    std::map<std::string, Location> names;
    std::vector<std::pair<size_t, std::string>> placed;  // mounts with a valid path, and labels
    for_each_mapping(entry, "mount", kMountsExample, [&](const YamlNode& item, int index) {
      std::string label = item_label(item, "mount", index);
      lake.mounts.push_back(decode_mount(item, label, names, lake));
      if (!lake.mounts.back().path.empty())
        placed.emplace_back(lake.mounts.size() - 1, label);
    });
    check_overlaps(lake.mounts, placed);
  }

  Mount decode_mount(const YamlNode& map, const std::string& label,
                     std::map<std::string, Location>& names, const Lake& lake) {
    Mount m;
    m.location = m.path_location = map.location;
    const std::string in = "in " + label;
    check_keys(map, kMountKeys, in);
    if (auto name =
            required_string(map, "name", in, "every mount needs a name, e.g. name: bronze")) {
      m.name = *name;
      const Location& at = map.find("name")->value.location;
      if (check_name("mount name", *name, at))
        unique(names, *name, at, "mount name", "", "within a lake");
    }
    const Zone* zone = nullptr;
    if (auto value = required_string(map, "zone", in, "e.g. zone: bronze")) {
      m.zone = *value;
      zone = lake.find_zone(*value);
      if (!zone) {
        diags_.add_error("unknown zone \"" + *value + "\" " + in, map.find("zone")->value.location,
                         zone_hint(*value, lake));
      }
    }
    const MapEntry* container = map.find("container");
    if (auto value = optional_string(container, "e.g. container: curated")) {
      m.container = *value;
      if (value->empty()) {
        diags_.add_error("\"container\" " + in + " must not be empty", container->value.location,
                         "name a container, or omit container to mount the whole zone");
      } else if (zone) {
        check_mount_container(*value, *zone, label, container->value.location);
      }
    }
    if (auto value = required_string(map, "path", in, "e.g. path: /mnt/bronze")) {
      m.path_location = map.find("path")->value.location;
      MountPath path = parse_mount_path(*value);
      if (path.problem.empty()) {
        m.path = path.path;
      } else {
        diags_.add_error(
            "mount path \"" + *value + "\" of " + label + " is invalid: " + path.problem,
            m.path_location, "give an absolute directory, e.g. path: /mnt/bronze");
      }
    }
    return m;
  }

  void check_mount_container(const std::string& name, const Zone& zone, const std::string& label,
                             const Location& location) {
    std::vector<std::string> names;
    for (const auto& c : zone.containers) {
      if (c.name == name)
        return;
      if (!c.name.empty())
        names.push_back(c.name);
    }
    std::string hint =
        names.empty() ? "zone \"" + zone.name +
                            "\" declares no containers; omit container to mount the whole zone"
                      : valid_values_hint(name, names, "Containers of zone \"" + zone.name + "\"");
    diags_.add_error(
        "unknown container \"" + name + "\" in zone \"" + zone.name + "\" for " + label, location,
        hint);
  }

  // Reports a mount whose path is the same as, inside or around an earlier mount's path.
  void check_overlaps(const std::vector<Mount>& mounts,
                      const std::vector<std::pair<size_t, std::string>>& placed) {
    for (size_t j = 0; j < placed.size(); ++j) {
      const Mount& later = mounts[placed[j].first];
      for (size_t i = 0; i < j; ++i) {
        const Mount& first = mounts[placed[i].first];
        std::string relation;
        if (later.path == first.path)
          relation = "is the same as";
        else if (path_within(later.path, first.path))
          relation = "is inside";
        else if (path_within(first.path, later.path))
          relation = "contains";
        if (relation.empty())
          continue;
        diags_.add_error("mount path \"" + later.path + "\" of " + placed[j].second + " " +
                             relation + " \"" + first.path + "\" of " + placed[i].second + " (" +
                             first_defined(first.path_location, later.path_location) + ")",
                         later.path_location,
                         "mount paths must not overlap: no mount may be inside another; give "
                         "each mount its own directory");
        break;
      }
    }
  }

  const fs::path base_;
  const std::string file_;
};

}  // namespace

void decode_pipeline_blocks(const YamlNode& root, const DecodeOptions& options, DecodedLake& out,
                            Diagnostics& diags) {
  BlocksDecoder(options, diags).run(root, out);
}

}  // namespace lakeinfra::config
