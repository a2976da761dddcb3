// jobs list, jobs show and jobs run: the local job registry (in the state database).
#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "pipelines/run.h"

namespace lakeinfra::cli {
namespace {

std::string short_sha(const std::string& sha) {
  return sha.substr(0, 7);
}

std::string text_of(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string())
    return {};
  return j[key].get<std::string>();
}

/// The registered job NAME, or an error listing the registered ones.
Result<state::JobRecord> find_job(state::StateStore& store, const std::string& name) {
  auto job = store.jobs().get(name);
  if (!job)
    return tl::unexpected(job.error());
  if (*job)
    return std::move(**job);
  auto all = store.jobs().list();
  std::vector<std::string> names;
  if (all) {
    for (const auto& j : *all)
      names.push_back(j.name);
  }
  std::string hint;
  if (std::string close = config::closest_match(name, names); !close.empty())
    hint = "did you mean \"" + close + "\"? ";
  if (names.empty()) {
    hint +=
        "no jobs are registered: add the pipeline under `pipelines:` and run `lakeinfra "
        "apply`";
  } else {
    std::string list;
    for (const auto& n : names)
      list += (list.empty() ? "" : ", ") + n;
    hint += "registered jobs: " + list;
  }
  return fail("no job \"" + name + "\" is registered", hint);
}

}  // namespace

int cmd_jobs_list(App& app, bool json) {
  auto store = app.open_state(App::StateAccess::kReadOnly);
  if (!store)
    return app.report(store.error());
  auto jobs = (*store)->jobs().list();
  if (!jobs)
    return app.report(jobs.error());
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& j : *jobs) {
      out.push_back({{"name", j.name},
                     {"pipeline", text_of(j.definition, "pipeline")},
                     {"commit", text_of(j.definition, "commit")},
                     {"schedule", text_of(j.definition, "schedule")},
                     {"registered_at", j.registered_at},
                     {"updated_at", j.updated_at}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  if (jobs->empty()) {
    app.render.line("No jobs are registered.");
    return 0;
  }
  size_t width = 4;
  for (const auto& j : *jobs)
    width = std::max(width, j.name.size());
  auto pad = [&](const std::string& s) { return s + std::string(width - s.size(), ' '); };
  app.render.line(app.render.bold(pad("NAME") + "  COMMIT   REF                  SCHEDULE        "
                                                "ACTIVITIES  UPDATED"));
  for (const auto& j : *jobs) {
    std::string ref = text_of(j.definition, "ref");
    std::string schedule = text_of(j.definition, "schedule");
    size_t activities = j.definition.contains("activities") && j.definition["activities"].is_array()
                            ? j.definition["activities"].size()
                            : 0;
    char row[512];
    std::snprintf(row, sizeof row, "%s  %-7s  %-19s  %-14s  %10zu  %s", pad(j.name).c_str(),
                  short_sha(text_of(j.definition, "commit")).c_str(), ref.c_str(),
                  schedule.empty() ? "-" : schedule.c_str(), activities, j.updated_at.c_str());
    app.render.line(row);
  }
  return 0;
}

int cmd_jobs_show(App& app, const std::string& name, bool json) {
  auto store = app.open_state(App::StateAccess::kReadOnly);
  if (!store)
    return app.report(store.error());
  auto job = find_job(**store, name);
  if (!job)
    return app.report(job.error());
  const auto& d = job->definition;
  if (json) {
    nlohmann::json out = d;
    out["name"] = job->name;
    out["registered_at"] = job->registered_at;
    out["updated_at"] = job->updated_at;
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  app.render.line(app.render.bold("job \"" + job->name + "\""));
  auto row = [&](const std::string& key, const std::string& value) {
    app.render.line("  " + key + std::string(16 - key.size(), ' ') + value);
  };
  row("pipeline", text_of(d, "pipeline"));
  row("repo", text_of(d, "repo"));
  row("ref", text_of(d, "ref") + " (" + text_of(d, "commit") + ")");
  row("schedule", text_of(d, "schedule").empty() ? "-" : text_of(d, "schedule"));
  row("linked service", text_of(d, "linked_service"));
  row("registered", job->registered_at);
  row("updated", job->updated_at);
  app.render.line("  activities:");
  if (d.contains("activities") && d["activities"].is_array()) {
    for (const auto& a : d["activities"]) {
      std::string line = "    - " + text_of(a, "name") + " (" + text_of(a, "type") + ")";
      if (a.is_object() && a.contains("typeProperties")) {
        std::string file = text_of(a["typeProperties"], "pythonFile");
        if (!file.empty())
          line += ": " + file;
      }
      app.render.line(line);
    }
  }
  app.render.line("  artifacts:");
  if (d.contains("artifacts") && d["artifacts"].is_object()) {
    for (const auto& [file, info] : d["artifacts"].items())
      app.render.line("    - " + file + "  " + text_of(info, "location"));
  }
  return 0;
}

int cmd_jobs_run(App& app, const std::string& name) {
  auto lake = app.load_config();
  if (!lake)
    return app.report(lake.error());
  auto store = app.open_state(App::StateAccess::kReadOnly);
  if (!store)
    return app.report(store.error());
  auto job = find_job(**store, name);
  if (!job)
    return app.report(job.error());
  auto storage = app.make_provider(lake->storage);
  if (!storage)
    return app.report(storage.error());

  pipelines::RunOptions options;
  options.workspace = lake->workspace.root;
  for (const auto& m : lake->mounts)
    options.mounts[m.name] = lake->workspace.root / m.path.substr(1);
  options.scratch = app.state_path().parent_path() / "runs" / name;
  options.fs = &app.fs;
  options.download = [&](const std::string& url) -> Result<std::string> {
    const std::string scheme = "s3://";
    if (url.rfind(scheme, 0) != 0)
      return fail("cannot fetch artifact " + url + ": unknown scheme");
    auto bytes = (*storage)->download(config::kArtifactType, url.substr(scheme.size()));
    if (!bytes)
      return fail("cannot fetch artifact " + url + ": " + bytes.error().message);
    return std::move(*bytes);
  };
  options.on_output = [&](std::string_view line) { app.render.line(std::string(line)); };
  if (auto made = app.fs.make_directories(options.workspace); !made) {
    return app.report(config::Diagnostics::error(
        "cannot create workspace " + options.workspace.string() + ": " + made.error().message()));
  }
  auto outcome = pipelines::run_job(*job, app.runner, options);
  if (!outcome)
    return app.report(outcome.error());
  if (outcome->exit_code != 0)
    return outcome->exit_code;
  app.render.line("Job \"" + name + "\" finished: " + std::to_string(outcome->ran) + " ran, " +
                  std::to_string(outcome->skipped) + " not runnable locally.");
  return 0;
}

}  // namespace lakeinfra::cli
