#include "pipelines/build.h"

#include <algorithm>
#include <deque>
#include <nlohmann/json.hpp>

#include "config/digest.h"
#include "config/log.h"

namespace lakeinfra::pipelines {
namespace fs = std::filesystem;

namespace {

constexpr size_t kLogTailLines = 20;
constexpr const char* kManifest = "build.json";

/// "hello-world (https://***@host/x.git @ 1a2b3c4)": how messages name a pipeline.
std::string describe(const config::Pipeline& p, const std::string& commit = {}) {
  std::string out = "pipeline \"" + p.name + "\" (" + p.redacted_repo();
  if (!commit.empty())
    out += " @ " + commit.substr(0, 7);
  return out + ")";
}

/// The name locations use for a file of the repo: "hello-world@1a2b3c4:sub/Makefile".
std::string repo_file(const config::Pipeline& p, const std::string& commit,
                      const std::string& file) {
  std::string rel = p.path.empty() ? file : p.path + "/" + file;
  return p.name + "@" + commit.substr(0, 7) + ":" + rel;
}

/// Prefixes every diagnostic's summary with the pipeline, so errors from the git and activities
/// layers say which repo they are about.
config::Diagnostics about(const config::Pipeline& p, const std::string& commit,
                          const config::Diagnostics& in) {
  config::Diagnostics out;
  for (auto d : in) {
    d.summary = describe(p, commit) + ": " + d.summary;
    d.address = "pipeline." + p.name;
    out.add(std::move(d));
  }
  return out;
}

std::string build_key(const std::string& commit, const std::string& path) {
  return config::sha256_hex("lakeinfra-build-v1\n" + commit + "\n" + path + "\nmake artifacts\n");
}

bool artifact_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '+' || c == '=' || c == '@' || c == ',';
}

std::string format_duration(std::chrono::seconds s) {
  if (s.count() % 3600 == 0)
    return std::to_string(s.count() / 3600) + "h";
  if (s.count() % 60 == 0)
    return std::to_string(s.count() / 60) + "m";
  return std::to_string(s.count()) + "s";
}

/// Environment variables that carry credentials (AWS SDK conventions, also read by lakeinfra's
/// S3 provider), removed from the environment of `make artifacts`.
constexpr const char* kCredentialVariables[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"};

class Builder {
 public:
  Builder(const config::Lake& lake, const BuildSeams& seams, const BuildOptions& options)
      : lake_(lake), seams_(seams), options_(options) {}

  Result<PreparedPipeline> prepare(const config::Pipeline& p) {
    // 1. The token, if any: registered for redaction before anything can print it.
    GitAuth auth;
    if (!p.token_env.empty()) {
      auto token = seams_.env->get(p.token_env);
      if (!token || token->empty()) {
        return fail(describe(p) + ": environment variable " + p.token_env + " is not set",
                    "export " + p.token_env +
                        " with a token that can read the repo, or remove "
                        "token_env",
                    p.location);
      }
      config::add_secret(*token);
      auth.token = *token;
    }
    if (std::string secret = config::url_credentials_secret(p.repo); !secret.empty())
      config::add_secret(secret);

    // 2. Fetch and resolve.
    fs::path cache = options_.cache_root / "repos" / p.name;
    auto cached = seams_.fs->stat(cache);
    bool have_cache = cached && cached->exists;
    if (options_.fetch || !have_cache) {
      say(p, "fetching " + p.redacted_repo());
      if (auto fetched = seams_.git->fetch(p.repo, auth, cache); !fetched)
        return tl::unexpected(with_location(about(p, {}, fetched.error()), p.repo_location));
    }
    auto commit = seams_.git->resolve(cache, p.ref);
    if (!commit)
      return tl::unexpected(with_location(about(p, {}, commit.error()), p.ref_location));

    PreparedPipeline out;
    out.name = p.name;
    out.repo = p.redacted_repo();
    out.ref = p.ref;
    out.path = p.path;
    out.schedule = p.schedule;
    out.commit = *commit;
    out.build_key = build_key(*commit, p.path);
    out.build_dir = options_.cache_root / "builds" / p.name / out.build_key.substr(0, 16);
    out.log_path = out.build_dir / "build.log";
    fs::path src = out.build_dir / "src";
    fs::path work = p.path.empty() ? src : src / p.path;

    // 3. A complete earlier build of the same inputs is reused.
    auto reused = load_manifest(out);
    if (!reused)
      return tl::unexpected(reused.error());
    if (*reused) {
      say(p, "ref " + p.ref + " is " + out.commit.substr(0, 7) + "; build unchanged, reused");
      out.reused = true;
      auto activities = read_activities(p, out, work);
      if (!activities)
        return tl::unexpected(activities.error());
      out.activities = std::move(*activities);
      if (auto checked = check_activities(p, out); !checked)
        return tl::unexpected(checked.error());
      return out;
    }

    // 4. A clean checkout (anything left by an interrupted build is removed first).
    if (auto removed = seams_.fs->remove_all(out.build_dir); !removed)
      return fail(describe(p, out.commit) + ": cannot clean " + out.build_dir.string() + ": " +
                  removed.error().message());
    if (auto made = seams_.fs->make_directories(out.build_dir); !made)
      return fail(describe(p, out.commit) + ": cannot create " + out.build_dir.string() + ": " +
                  made.error().message());
    if (auto checked_out = seams_.git->checkout(cache, out.commit, src); !checked_out)
      return tl::unexpected(about(p, out.commit, checked_out.error()));

    // 5. The contract, before building: Makefile with `artifacts`, activities.json parses.
    if (auto contract = check_makefile(p, out, work); !contract)
      return tl::unexpected(contract.error());
    auto activities = read_activities(p, out, work);
    if (!activities)
      return tl::unexpected(activities.error());
    out.activities = std::move(*activities);

    // 6. Build.
    say(p, "ref " + p.ref + " is " + out.commit.substr(0, 7) + "; running `make artifacts`");
    if (auto built = run_make(p, out, work); !built)
      return tl::unexpected(built.error());

    // 7. Hash the artifacts, validate the activities against them, record the build.
    if (auto listed = collect_artifacts(p, out, work / "artifacts"); !listed)
      return tl::unexpected(listed.error());
    if (auto checked = check_activities(p, out); !checked)
      return tl::unexpected(checked.error());
    if (auto saved = save_manifest(out); !saved)
      return tl::unexpected(saved.error());
    return out;
  }

 private:
  void say(const config::Pipeline& p, const std::string& text) {
    if (options_.on_output)
      options_.on_output("[" + p.name + "] " + text);
  }

  static config::Diagnostics with_location(config::Diagnostics in, const config::Location& at) {
    config::Diagnostics out;
    for (auto d : in) {
      if (!d.location.known())
        d.location = at;
      out.add(std::move(d));
    }
    return out;
  }

  Result<bool> load_manifest(PreparedPipeline& out) {
    auto text = seams_.fs->read_file(out.build_dir / kManifest);
    if (!text)
      return false;
    auto manifest = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!manifest.is_object() || manifest.value("key", std::string()) != out.build_key ||
        !manifest.contains("artifacts") || !manifest["artifacts"].is_array())
      return false;
    std::vector<BuiltArtifact> artifacts;
    fs::path dir =
        (out.path.empty() ? out.build_dir / "src" : out.build_dir / "src" / out.path) / "artifacts";
    for (const auto& a : manifest["artifacts"]) {
      if (!a.is_object())
        return false;
      BuiltArtifact artifact;
      artifact.name = a.value("name", std::string());
      artifact.sha256 = a.value("sha256", std::string());
      artifact.size = a.value("size", uint64_t{0});
      artifact.source = dir / artifact.name;
      // A build tree edited since is not reused: its files must still hash as recorded.
      auto content = seams_.fs->read_file(artifact.source);
      if (!content || config::sha256_hex(*content) != artifact.sha256)
        return false;
      artifacts.push_back(std::move(artifact));
    }
    out.artifacts = std::move(artifacts);
    return true;
  }

  Result<void> save_manifest(const PreparedPipeline& out) {
    nlohmann::json manifest = {{"key", out.build_key},
                               {"commit", out.commit},
                               {"path", out.path},
                               {"artifacts", nlohmann::json::array()}};
    for (const auto& a : out.artifacts)
      manifest["artifacts"].push_back({{"name", a.name}, {"sha256", a.sha256}, {"size", a.size}});
    if (auto written =
            seams_.fs->write_file_atomic(out.build_dir / kManifest, manifest.dump(2) + "\n", 0644);
        !written)
      return fail("cannot write " + (out.build_dir / kManifest).string() + ": " +
                  written.error().message());
    return {};
  }

  Result<void> check_makefile(const config::Pipeline& p, const PreparedPipeline& out,
                              const fs::path& work) {
    config::Location where{repo_file(p, out.commit, "Makefile"), 0, 0};
    auto info = seams_.fs->stat(work);
    if (!info || !info->exists || !info->is_directory) {
      return fail(
          describe(p, out.commit) + ": folder \"" + p.path + "\" does not exist in the repo",
          "set `path` to the folder holding the Makefile and activities.json, or remove "
          "it for the repo root",
          p.path_location);
    }
    auto text = seams_.fs->read_file(work / "Makefile");
    if (!text) {
      return fail(describe(p, out.commit) + ": no Makefile",
                  "the pipeline contract needs a Makefile with an `artifacts` target that puts "
                  "everything to upload in artifacts/",
                  where);
    }
    if (find_artifacts_target(*text) == 0) {
      where.line = 1;
      where.column = 1;
      return fail(describe(p, out.commit) + ": the Makefile has no `artifacts` target",
                  "add a target, e.g.\n  artifacts:\n  \tmkdir -p artifacts && cp src/*.py "
                  "artifacts/",
                  where);
    }
    return {};
  }

  Result<Activities> read_activities(const config::Pipeline& p, const PreparedPipeline& out,
                                     const fs::path& work) {
    std::string file = repo_file(p, out.commit, "activities.json");
    auto text = seams_.fs->read_file(work / "activities.json");
    if (!text) {
      return fail(describe(p, out.commit) + ": no activities.json",
                  "the pipeline contract needs an activities.json (the Data Factory activities "
                  "that run the artifacts) beside the Makefile",
                  config::Location{file, 0, 0});
    }
    auto parsed = parse_activities(*text, file);
    if (!parsed)
      return tl::unexpected(about(p, out.commit, parsed.error()));
    return std::move(*parsed);
  }

  Result<void> check_activities(const config::Pipeline& p, const PreparedPipeline& out) {
    std::set<std::string> names;
    for (const auto& a : out.artifacts)
      names.insert(a.name);
    auto diags = validate_activities(out.activities, p.name, lake_.jobs.linked_service, names);
    if (diags.has_errors())
      return tl::unexpected(about(p, out.commit, diags));
    return {};
  }

  Result<void> run_make(const config::Pipeline& p, const PreparedPipeline& out,
                        const fs::path& work) {
    ProcessSpec spec;
    spec.argv = {"make", "artifacts"};
    spec.cwd = work;
    spec.timeout = std::chrono::seconds(p.build_timeout_seconds);
    if (!p.token_env.empty())
      spec.unset_env.push_back(p.token_env);
    // A pipeline's build runs code from its repo: it gets no cloud credentials of the lake's
    // operator (it builds files; lakeinfra uploads them). Any such value it prints anyway is
    // masked by config::redact below.
    for (const char* name : kCredentialVariables)
      spec.unset_env.push_back(name);
    std::string log;
    std::deque<std::string> tail;
    auto on_line = [&](std::string_view raw) {
      std::string line = config::redact(raw);
      log += line + "\n";
      tail.push_back(line);
      if (tail.size() > kLogTailLines)
        tail.pop_front();
      if (options_.on_output)
        options_.on_output("[" + p.name + "] " + line);
    };
    auto outcome = seams_.runner->run(spec, on_line);
    // The log is kept whatever happened, so a failure can be read in full.
    auto written = seams_.fs->write_file_atomic(out.log_path, log, 0644);
    if (!outcome)
      return tl::unexpected(about(p, out.commit, outcome.error()));
    if (outcome->ok()) {
      if (!written)
        return fail("cannot write " + out.log_path.string() + ": " + written.error().message());
      return {};
    }
    std::string what =
        outcome->timed_out
            ? "timed out after " + format_duration(std::chrono::seconds(p.build_timeout_seconds))
            : "failed: `make artifacts` exited with " + std::to_string(outcome->exit_code);
    config::Diagnostic d;
    d.summary = describe(p, out.commit) + ": build " + what;
    d.address = "pipeline." + p.name;
    d.location = p.location;
    std::string detail = "last lines of " + out.log_path.string() + ":";
    for (const auto& line : tail)
      detail += "\n  | " + line;
    d.detail = detail;
    d.hint = outcome->timed_out ? "raise `build_timeout` on the pipeline, or make the build faster"
                                : "fix the build in the repo, push, and point `ref` at the fix";
    config::Diagnostics diags;
    diags.add(std::move(d));
    return tl::unexpected(std::move(diags));
  }

  Result<void> collect_artifacts(const config::Pipeline& p, PreparedPipeline& out,
                                 const fs::path& dir) {
    auto info = seams_.fs->stat(dir);
    if (!info || !info->exists || !info->is_directory) {
      return fail(describe(p, out.commit) + ": `make artifacts` did not create artifacts/",
                  "the artifacts target must put everything to upload in artifacts/ beside the "
                  "Makefile",
                  config::Location{repo_file(p, out.commit, "Makefile"), 0, 0});
    }
    config::Diagnostics diags;
    walk(p, out, dir, "", diags);
    if (diags.has_errors())
      return tl::unexpected(std::move(diags));
    std::sort(out.artifacts.begin(), out.artifacts.end(),
              [](const BuiltArtifact& a, const BuiltArtifact& b) { return a.name < b.name; });
    return {};
  }

  void walk(const config::Pipeline& p, PreparedPipeline& out, const fs::path& dir,
            const std::string& prefix, config::Diagnostics& diags) {
    auto names = seams_.fs->list_directory(dir);
    if (!names) {
      diags.add_error("cannot list " + dir.string() + ": " + names.error().message());
      return;
    }
    for (const auto& name : *names) {
      std::string rel = prefix.empty() ? name : prefix + "/" + name;
      fs::path path = dir / name;
      auto info = seams_.fs->stat(path);
      if (!info) {
        diags.add_error("cannot stat " + path.string() + ": " + info.error().message());
        continue;
      }
      bool bad_name = name.empty() || name == "." || name == ".." ||
                      !std::all_of(name.begin(), name.end(), artifact_char);
      if (bad_name) {
        diags.add_error(describe(p, out.commit) + ": artifact \"" + rel + "\" has an unusable name",
                        {}, "artifact names may use letters, digits and - . _ + = @ ,");
        continue;
      }
      if (info->is_symlink) {
        diags.add_error(describe(p, out.commit) + ": artifact \"" + rel + "\" is a symlink", {},
                        "copy the file into artifacts/ instead of linking it");
        continue;
      }
      if (info->is_directory) {
        walk(p, out, path, rel, diags);
        continue;
      }
      auto content = seams_.fs->read_file(path);
      if (!content) {
        diags.add_error("cannot read " + path.string() + ": " + content.error().message());
        continue;
      }
      out.artifacts.push_back({rel, path, config::sha256_hex(*content), content->size()});
    }
  }

  const config::Lake& lake_;
  const BuildSeams& seams_;
  const BuildOptions& options_;
};

}  // namespace

int find_artifacts_target(std::string_view makefile) {
  int line_no = 0;
  size_t start = 0;
  while (start <= makefile.size()) {
    size_t end = makefile.find('\n', start);
    std::string_view line = makefile.substr(
        start, end == std::string_view::npos ? std::string_view::npos : end - start);
    ++line_no;
    // A rule line starts in column 1 (recipe lines start with a tab) and has targets before ':'.
    if (!line.empty() && line[0] != '\t' && line[0] != '#') {
      size_t colon = line.find(':');
      // "x := y", "x ::= y" and "x = a:b" are variable assignments, not rules.
      size_t equals = line.find('=');
      bool assignment =
          colon != std::string_view::npos &&
          ((colon + 1 < line.size() && line[colon + 1] == '=') ||
           (colon + 2 < line.size() && line[colon + 1] == ':' && line[colon + 2] == '=') ||
           (equals != std::string_view::npos && equals < colon));
      if (colon != std::string_view::npos && !assignment) {
        std::string_view targets = line.substr(0, colon);
        size_t i = 0;
        while (i < targets.size()) {
          while (i < targets.size() && (targets[i] == ' ' || targets[i] == '\t'))
            ++i;
          size_t j = i;
          while (j < targets.size() && targets[j] != ' ' && targets[j] != '\t')
            ++j;
          if (targets.substr(i, j - i) == "artifacts")
            return line_no;
          i = j;
        }
      }
    }
    if (end == std::string_view::npos)
      break;
    start = end + 1;
  }
  return 0;
}

Result<std::vector<PreparedPipeline>> prepare_pipelines(const config::Lake& lake,
                                                        const BuildSeams& seams,
                                                        const BuildOptions& options) {
  std::vector<PreparedPipeline> out;
  config::Diagnostics diags;
  Builder builder(lake, seams, options);
  for (const auto& p : lake.pipelines) {
    auto prepared = builder.prepare(p);
    if (!prepared) {
      diags.append(prepared.error());
      continue;
    }
    out.push_back(std::move(*prepared));
  }
  if (diags.has_errors())
    return tl::unexpected(std::move(diags));
  return out;
}

}  // namespace lakeinfra::pipelines
