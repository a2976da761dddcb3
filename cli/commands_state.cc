// init, validate, show, state list/show/rm, graph, force-unlock, version.
#include <unistd.h>

#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "planner/desired.h"
#include "planner/plan_file.h"
#include "planner/planner.h"
#include "templates/presets.h"

namespace lakeinfra::cli {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items)
    s += (s.empty() ? "" : ", ") + i;
  return s;
}

Result<config::Address> parse_address(const std::string& text) {
  auto a = config::Address::parse(text);
  if (!a) {
    return fail("invalid address \"" + text + "\"",
                "an address is TYPE.NAME, e.g. zone.bronze or container.bronze.raw");
  }
  return *a;
}

config::Diagnostics not_in_state(const std::string& address, const state::Snapshot& snapshot) {
  std::vector<std::string> all;
  for (const auto& [a, r] : snapshot.resources)
    all.push_back(a.str());
  std::string close = config::closest_match(address, all);
  return config::Diagnostics::error("no resource " + address + " in state", {},
                                    close.empty()
                                        ? "run `lakeinfra state list` to see what state holds"
                                        : "did you mean \"" + close + "\"?");
}

config::Attributes state_json(const state::Snapshot& snapshot) {
  config::Attributes resources = config::Attributes::array();
  for (const auto& [address, r] : snapshot.resources) {
    std::string name;
    for (size_t i = 0; i < address.names().size(); ++i) {
      name += (i ? "." : "") + address.names()[i];
    }
    config::Attributes values = r.attributes;
    values["id"] = r.provider_id;
    config::Attributes deps = config::Attributes::array();
    for (const auto& d : r.depends_on)
      deps.push_back(d.str());
    resources.push_back({{"address", address.str()},
                         {"mode", "managed"},
                         {"type", r.type},
                         {"name", name},
                         {"provider_name", "lakeinfra/" + r.provider},
                         {"values", values},
                         {"depends_on", deps}});
  }
  return {{"format_version", "1.0"},
          {"lakeinfra_version", LAKEINFRA_VERSION},
          {"lineage", snapshot.lineage},
          {"serial", snapshot.serial},
          {"values", {{"root_module", {{"resources", resources}}}}}};
}

/// The configuration and its resource graph, for validate and graph.
struct LakeGraph {
  config::Lake lake;
  planner::Graph graph;
};

Result<LakeGraph> load_lake_graph(App& app) {
  auto lake = app.load_config();
  if (!lake)
    return tl::unexpected(lake.error());
  auto graph = planner::resource_graph(planner::desired_resources(*lake));
  if (!graph)
    return tl::unexpected(graph.error());
  return LakeGraph{std::move(*lake), std::move(*graph)};
}

/// An existing state, locked for `command`, and its snapshot: what state rm and state mv edit.
/// Members are destroyed in reverse order, so the lock is released before the store closes.
struct LockedState {
  std::unique_ptr<state::StateStore> store;
  std::optional<LockGuard> lock;
  state::Snapshot snapshot;
};

Result<LockedState> lock_existing_state(App& app, const std::string& command,
                                        const std::string& lock_timeout) {
  auto timeout = parse_duration(lock_timeout);
  if (!timeout) {
    return fail("invalid --lock-timeout \"" + lock_timeout + "\"",
                "give a duration such as 0s, 30s, 500ms or 5m");
  }
  LockedState locked;
  auto store = app.open_state(App::StateAccess::kWriteExisting);
  if (!store)
    return tl::unexpected(store.error());
  locked.store = std::move(*store);
  auto lock = take_lock(app, *locked.store, command, *timeout);
  if (!lock)
    return tl::unexpected(lock.error());
  locked.lock.emplace(std::move(*lock));
  auto snapshot = locked.store->load();
  if (!snapshot)
    return tl::unexpected(snapshot.error());
  locked.snapshot = std::move(*snapshot);
  return locked;
}

}  // namespace

int cmd_init(App& app, const std::string& template_name) {
  if (!templates::preset_text(template_name)) {
    std::string close = config::closest_match(template_name, templates::preset_names());
    return app.report(config::Diagnostics::error(
        "unknown template \"" + template_name + "\"", {},
        (close.empty() ? "" : "did you mean \"" + close + "\"? ") +
            "Available templates: " + joined(templates::preset_names())));
  }
  auto path = app.config_path();
  auto info = app.fs.stat(path);
  if (!info)
    return app.report(config::Diagnostics::error("cannot read " + path.string()));
  if (!info->exists) {
    auto text = templates::preset_text(template_name);
    if (!text) {
      std::string close = config::closest_match(template_name, templates::preset_names());
      return app.report(config::Diagnostics::error(
          "unknown template \"" + template_name + "\"", {},
          (close.empty() ? "" : "did you mean \"" + close + "\"? ") +
              "Available templates: " + joined(templates::preset_names())));
    }
    auto dir = app.fs.make_directories(path.parent_path());
    auto written = dir ? app.fs.write_file_atomic(path, *text, 0644)
                       : config::FsResult<void>(tl::unexpected(dir.error()));
    if (!written) {
      return app.report(config::Diagnostics::error("cannot write " + path.string() + ": " +
                                                   written.error().message()));
    }
    app.render.line("Wrote a starter configuration (template \"" + template_name + "\") to " +
                    path.string());
  } else {
    app.render.line("Using the existing configuration " + path.string());
  }
  auto store = app.open_state(App::StateAccess::kCreate);
  if (!store)
    return app.report(store.error());
  auto snapshot = (*store)->load();
  if (!snapshot)
    return app.report(snapshot.error());
  app.render.line("State: " + app.state_path().string() + " (lineage " + snapshot->lineage +
                  ", serial " + std::to_string(snapshot->serial) + ")");
  app.render.line("");
  app.render.line(
      app.render.green(app.render.bold("lakeinfra has been successfully initialized!")));
  app.render.line(
      "Next: edit the configuration, then run `lakeinfra plan` to preview and "
      "`lakeinfra apply` to create the lake.");
  return 0;
}

int cmd_validate(App& app) {
  auto loaded = load_lake_graph(app);
  if (!loaded)
    return app.report(loaded.error());
  app.render.line(app.render.green(app.render.bold("Success!")) + " The configuration is valid (" +
                  std::to_string(loaded->lake.zones.size()) + " zones, " +
                  std::to_string(loaded->graph.size()) + " resources).");
  return 0;
}

int cmd_show(App& app, const std::string& plan_file, bool json) {
  if (!plan_file.empty()) {
    auto plan = planner::load_plan(plan_file, app.fs);
    if (!plan)
      return app.report(plan.error());
    if (json) {
      std::printf("%s\n", planner::terraform_json(*plan, LAKEINFRA_VERSION).dump(2).c_str());
    } else {
      app.render.plan(*plan);
    }
    return 0;
  }
  auto store = app.open_state(App::StateAccess::kReadOnly);
  if (!store)
    return app.report(store.error());
  auto snapshot = (*store)->load();
  if (!snapshot)
    return app.report(snapshot.error());
  if (json) {
    std::printf("%s\n", state_json(*snapshot).dump(2).c_str());
    return 0;
  }
  if (snapshot->resources.empty()) {
    app.render.line("The state is empty. No resources are managed.");
    return 0;
  }
  for (const auto& [a, r] : snapshot->resources) {
    app.render.state_show(r);
    app.render.line("");
  }
  return 0;
}

int cmd_state_list(App& app) {
  auto store = app.open_state(App::StateAccess::kReadOnly);
  if (!store)
    return app.report(store.error());
  auto snapshot = (*store)->load();
  if (!snapshot)
    return app.report(snapshot.error());
  app.render.state_list(*snapshot);
  return 0;
}

int cmd_state_show(App& app, const std::string& address) {
  auto a = parse_address(address);
  if (!a)
    return app.report(a.error());
  auto store = app.open_state(App::StateAccess::kReadOnly);
  if (!store)
    return app.report(store.error());
  auto snapshot = (*store)->load();
  if (!snapshot)
    return app.report(snapshot.error());
  auto it = snapshot->resources.find(*a);
  if (it == snapshot->resources.end())
    return app.report(not_in_state(address, *snapshot));
  app.render.state_show(it->second);
  return 0;
}

int cmd_state_rm(App& app, const std::vector<std::string>& addresses,
                 const std::string& lock_timeout) {
  auto locked = lock_existing_state(app, "state rm", lock_timeout);
  if (!locked)
    return app.report(locked.error());
  auto& store = locked->store;
  const auto* snapshot = &locked->snapshot;
  config::Diagnostics errors;
  std::vector<config::Address> found;
  for (const auto& text : addresses) {
    auto a = parse_address(text);
    if (!a) {
      errors.append(a.error());
    } else if (!snapshot->resources.count(*a)) {
      errors.append(not_in_state(text, *snapshot));
    } else {
      found.push_back(*a);
    }
  }
  if (errors.has_errors())
    return app.report(errors);  // all or nothing
  for (const auto& a : found) {
    auto r = store->remove(a);
    if (!r)
      return app.report(r.error());
    app.render.line("Removed " + a.str());
  }
  app.render.line("Successfully removed " + std::to_string(found.size()) +
                  " resource(s) from state. The objects themselves were not touched.");
  return 0;
}

namespace {

/// `record` re-addressed to `to`, with the attributes and dependencies that name its address
/// rewritten (a zone's name; a container's zone and name).
config::ResourceRecord readdressed(const config::ResourceRecord& record,
                                   const config::Address& to) {
  config::ResourceRecord r = record;
  r.address = to;
  if (r.type == config::kZoneType) {
    r.attributes["name"] = to.names().front();
  } else if (r.type == config::kContainerType && to.names().size() == 2) {
    r.attributes["zone"] = to.names()[0];
    r.attributes["name"] = to.names()[1];
    r.depends_on = {config::Address(config::kZoneType, {to.names()[0]})};
  }
  return r;
}

}  // namespace

int cmd_state_mv(App& app, const std::string& from, const std::string& to,
                 const std::string& lock_timeout) {
  auto src = parse_address(from);
  auto dst = parse_address(to);
  if (!src)
    return app.report(src.error());
  if (!dst)
    return app.report(dst.error());
  if (src->type() != dst->type() || src->names().size() != dst->names().size()) {
    return app.report(config::Diagnostics::error(
        "cannot move " + from + " to " + to + ": they are different kinds of resource", {},
        "move a zone to a zone (zone.old → zone.new) or a container to a container "
        "(container.z.old → container.z.new)"));
  }
  auto locked = lock_existing_state(app, "state mv", lock_timeout);
  if (!locked)
    return app.report(locked.error());
  auto& store = locked->store;
  const auto* snapshot = &locked->snapshot;
  auto it = snapshot->resources.find(*src);
  if (it == snapshot->resources.end())
    return app.report(not_in_state(from, *snapshot));

  std::vector<std::pair<config::ResourceRecord, config::ResourceRecord>> moves;
  moves.emplace_back(it->second, readdressed(it->second, *dst));
  if (src->type() == config::kZoneType) {
    // A zone's containers move with it.
    for (const auto& [address, record] : snapshot->resources) {
      if (address.type() == config::kContainerType && address.names().size() == 2 &&
          address.names()[0] == src->names()[0]) {
        config::Address moved(config::kContainerType, {dst->names()[0], address.names()[1]});
        moves.emplace_back(record, readdressed(record, moved));
      }
    }
  }
  config::Diagnostics errors;
  for (const auto& [old_record, new_record] : moves) {
    if (snapshot->resources.count(new_record.address)) {
      errors.add_error("cannot move " + old_record.address.str() + " to " +
                           new_record.address.str() + ": that address is already in state",
                       {},
                       "remove it first with `lakeinfra state rm " + new_record.address.str() +
                           "` if it is stale");
    }
  }
  if (errors.has_errors())
    return app.report(errors);  // all or nothing
  for (const auto& [old_record, new_record] : moves) {
    auto put = store->put(new_record);
    if (!put)
      return app.report(put.error());
    auto removed = store->remove(old_record.address);
    if (!removed)
      return app.report(removed.error());
    app.render.line("Move \"" + old_record.address.str() + "\" to \"" + new_record.address.str() +
                    "\"");
  }
  app.render.line("Successfully moved " + std::to_string(moves.size()) +
                  " resource(s). The objects themselves were not touched.");
  return 0;
}

int cmd_graph(App& app) {
  auto loaded = load_lake_graph(app);
  if (!loaded)
    return app.report(loaded.error());
  std::printf("%s", loaded->graph.to_dot(loaded->lake.lake.name).c_str());
  return 0;
}

int cmd_force_unlock(App& app, const std::string& id, bool force) {
  auto store = app.open_state(App::StateAccess::kWriteExisting);
  if (!store)
    return app.report(store.error());
  auto current = (*store)->current_lock();
  if (!current)
    return app.report(current.error());
  if (!force) {
    if (!::isatty(STDIN_FILENO)) {
      return app.report(config::Diagnostics::error(
          "force-unlock needs confirmation, but there is no terminal to ask on", {},
          "pass --force if you are sure no lakeinfra process is still using the state"));
    }
    if (*current) {
      const auto& l = **current;
      app.render.line("The lock " + l.id + " is held by pid " + std::to_string(l.pid) + " (" +
                      l.user + "@" + l.host + ") running \"" + l.command + "\" since " +
                      l.started_at + ".");
    }
    app.render.line("Removing a lock that is still in use can corrupt the lake's state.");
    std::fputs("Only 'yes' will be accepted to confirm.\n\n  Enter a value: ", stdout);
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "yes") {
      app.render.line("force-unlock cancelled.");
      return 1;
    }
  }
  auto r = (*store)->force_unlock(id);
  if (!r)
    return app.report(r.error());
  app.render.line(app.render.green("lakeinfra state has been successfully unlocked!"));
  return 0;
}

int cmd_version(App& app) {
  app.render.line(std::string("lakeinfra v") + LAKEINFRA_VERSION);
  return 0;
}

}  // namespace lakeinfra::cli
