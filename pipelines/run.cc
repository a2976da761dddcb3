#include "pipelines/run.h"

namespace lakeinfra::pipelines {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kFileScheme = "file://";

std::string env_name(const std::string& mount) {
  std::string out = "LAKEINFRA_MOUNT_";
  for (char c : mount) {
    if (c >= 'a' && c <= 'z')
      out += static_cast<char>(c - 'a' + 'A');
    else if (c == '-' || c == '.')
      out += '_';
    else
      out += c;
  }
  return out;
}

/// Local paths of the job's artifacts (file name → path), downloading the non-local ones.
Result<std::map<std::string, fs::path>> materialise(const state::JobRecord& job,
                                                    const RunOptions& options,
                                                    fs::path& artifacts_dir) {
  std::map<std::string, fs::path> out;
  const auto& artifacts = job.definition.value("artifacts", nlohmann::json::object());
  for (const auto& [name, info] : artifacts.items()) {
    std::string url = info.is_object() ? info.value("location", std::string()) : std::string();
    if (url.rfind(kFileScheme, 0) == 0) {
      fs::path path = url.substr(kFileScheme.size());
      out[name] = path;
      // artifacts/<name> → artifacts/: the folder the job's files sit in.
      std::string p = path.string();
      if (p.size() > name.size() && p.compare(p.size() - name.size(), name.size(), name) == 0)
        artifacts_dir = fs::path(p.substr(0, p.size() - name.size() - 1));
      continue;
    }
    if (!options.download)
      return fail("job " + job.name + ": cannot fetch artifact " + url);
    auto bytes = options.download(url);
    if (!bytes)
      return tl::unexpected(bytes.error());
    fs::path dest = options.scratch / "artifacts" / name;
    if (!options.fs)
      return fail("job " + job.name + ": nowhere to download " + url);
    auto made = options.fs->make_directories(dest.parent_path());
    auto written = made ? options.fs->write_file_atomic(dest, *bytes, 0644) : made;
    if (!written) {
      return fail("job " + job.name + ": cannot write " + dest.string() + ": " +
                  written.error().message());
    }
    out[name] = dest;
    artifacts_dir = options.scratch / "artifacts";
  }
  return out;
}

}  // namespace

Result<RunOutcome> run_job(const state::JobRecord& job, ProcessRunner& runner,
                           const RunOptions& options) {
  const auto& activities = job.definition.value("activities", nlohmann::json::array());
  bool runnable = false;
  for (const auto& a : activities)
    runnable = runnable || (a.is_object() && a.value("type", "") == "DatabricksSparkPython");
  if (!runnable) {
    return fail("job " + job.name + " has no activity that can run locally",
                "only DatabricksSparkPython activities run on this machine; the others run on "
                "the data platform");
  }

  fs::path artifacts_dir;
  auto files = materialise(job, options, artifacts_dir);
  if (!files)
    return tl::unexpected(files.error());
  // URL → local path, for rewriting pythonFile.
  std::map<std::string, fs::path> by_url;
  const auto& artifacts = job.definition.value("artifacts", nlohmann::json::object());
  for (const auto& [name, info] : artifacts.items()) {
    if (info.is_object() && files->count(name))
      by_url[info.value("location", std::string())] = files->at(name);
  }

  ProcessSpec base;
  base.cwd = options.workspace;
  base.env = options.env;
  base.env["LAKEINFRA_JOB"] = job.name;
  base.env["LAKEINFRA_WORKSPACE"] = options.workspace.string();
  base.env["LAKEINFRA_ARTIFACTS"] = artifacts_dir.string();
  base.env["PYTHONPATH"] = artifacts_dir.string();
  for (const auto& [name, path] : options.mounts)
    base.env[env_name(name)] = path.string();

  RunOutcome outcome;
  auto say = [&](const std::string& line) {
    if (options.on_output)
      options.on_output(line);
  };
  for (const auto& a : activities) {
    std::string name = a.is_object() ? a.value("name", std::string("?")) : std::string("?");
    std::string type = a.is_object() ? a.value("type", std::string()) : std::string();
    if (type != "DatabricksSparkPython") {
      say("activity \"" + name + "\" (" + type + ") cannot run locally; skipped");
      ++outcome.skipped;
      continue;
    }
    const auto& props = a.value("typeProperties", nlohmann::json::object());
    std::string file = props.is_object() ? props.value("pythonFile", std::string()) : "";
    auto local = by_url.find(file);
    fs::path script = local != by_url.end()             ? local->second
                      : file.rfind(kFileScheme, 0) == 0 ? fs::path(file.substr(kFileScheme.size()))
                                                        : fs::path();
    if (script.empty()) {
      return fail("job " + job.name + ": activity \"" + name + "\" runs " + file +
                  ", which is not one of the job's artifacts");
    }
    ProcessSpec spec = base;
    spec.argv = {"python3", script.string()};
    if (props.is_object() && props.contains("parameters") && props["parameters"].is_array()) {
      for (const auto& p : props["parameters"])
        spec.argv.push_back(p.is_string() ? p.get<std::string>() : p.dump());
    }
    say("activity \"" + name + "\": python3 " + script.string());
    auto ran = runner.run(spec, options.on_output);
    if (!ran)
      return tl::unexpected(ran.error());
    ++outcome.ran;
    if (!ran->ok()) {
      outcome.exit_code = ran->timed_out ? 124 : ran->exit_code;
      say("activity \"" + name + "\" failed with exit code " + std::to_string(outcome.exit_code));
      return outcome;
    }
  }
  return outcome;
}

}  // namespace lakeinfra::pipelines
