#include "config/loader.h"

#include <algorithm>

#include "config/decode.h"
#include "config/digest.h"
#include "config/interpolate.h"
#include "config/lake_cache.h"
#include "config/log.h"
#include "config/names.h"
#include "config/physical_names.h"
#include "config/yaml_tree.h"

namespace lakeinfra::config {
namespace fs = std::filesystem;

namespace {

const char kEmptyHint[] =
    "a lake needs at least a \"lake:\" block (name and instance) and a \"zones:\" list";

fs::path absolute_normal(const fs::path& path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  return (ec ? path : abs).lexically_normal();
}

// The file's YAML tree, or the diagnostics of reading or parsing it. `shown` is the path used
// in messages. Records the bytes read in `inputs` when it is not null.
Result<YamlNode> read_yaml(FileSystem& files, const fs::path& path, const std::string& shown,
                           const std::string& what, std::vector<LoadInput>* inputs) {
  auto text = files.read_file(path);
  if (text && inputs)
    inputs->push_back({LoadInput::Kind::kFile, path.string(), sha256_hex(*text)});
  if (!text) {
    std::string hint;
    if (text.error() == std::errc::no_such_file_or_directory) {
      hint = "check the path; `lakeinfra init` writes a starter lake.yaml";
    }
    return fail("cannot read " + what + " \"" + shown + "\": " + text.error().message(), hint,
                Location{shown});
  }
  return parse_yaml(*text, shown);
}

// lake.instance of the base document after interpolation, when it can be found quietly.
std::optional<std::string> base_instance(const YamlNode& root, Environment& env) {
  const MapEntry* lake = root.find("lake");
  if (!lake || !lake->value.is_map())
    return std::nullopt;
  const MapEntry* instance = lake->value.find("instance");
  if (!instance || !instance->value.is_scalar())
    return std::nullopt;
  Diagnostics ignored;  // reported when the merged tree is interpolated
  return interpolate(instance->value.scalar, env, instance->value.location, ignored);
}

// "lake.yaml" → "lake"; "lake.yml" → "lake"; other names are kept whole.
std::string stem_of(const fs::path& path) {
  std::string name = path.filename().string();
  for (const char* ext : {".yaml", ".yml"}) {
    std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      return name.substr(0, name.size() - e.size());
    }
  }
  return name;
}

// Interpolates, decodes and validates the merged tree.
Result<Lake> finish(YamlNode root, const DecodeOptions& options, Environment& env,
                    Diagnostics diags) {
  interpolate_tree(root, env, diags);
  DecodedLake decoded = decode_lake(root, options, diags);
  render_physical_names(decoded, diags);
  if (diags.has_errors())
    return fail(std::move(diags));
  decoded.lake.warnings = std::move(diags);
  return std::move(decoded.lake);
}

// The digest a LoadInput keeps of an environment variable's value ("" when it is unset).
std::string env_digest(const std::optional<std::string>& value) {
  return value ? sha256_hex(*value) : std::string();
}

/// Passes lookups through and records each in `inputs`.
class RecordingEnvironment : public Environment {
 public:
  RecordingEnvironment(Environment& env, std::vector<LoadInput>& inputs)
      : env_(env), inputs_(inputs) {}
  std::optional<std::string> get(const std::string& name) override {
    auto value = env_.get(name);
    inputs_.push_back({LoadInput::Kind::kEnv, name, env_digest(value)});
    return value;
  }

 private:
  Environment& env_;
  std::vector<LoadInput>& inputs_;
};

/// Reads, merges, interpolates, decodes and validates; records every input it reads in `inputs`
/// when that is not null (`env` then records its own lookups).
Result<Lake> load_fresh(const LoadOptions& options, FileSystem& files, Environment& env,
                        std::vector<LoadInput>* inputs) {
  const fs::path shown = options.config_path.lexically_normal();
  const fs::path config_path = absolute_normal(options.config_path);
  auto base = read_yaml(files, config_path, shown.string(), "config file", inputs);
  if (!base)
    return fail(std::move(base.error()));
  YamlNode root = std::move(*base);
  if (root.is_null())
    return fail("file is empty", kEmptyHint, Location{shown.string()});

  Diagnostics diags;
  std::vector<fs::path> sources = {config_path};
  std::optional<std::string> instance = options.instance_override;
  if (!instance)
    instance = base_instance(root, env);
  // An invalid instance is reported by validation; never build a path from it.
  if (root.is_map() && instance && label_problem(*instance).empty()) {
    std::string name = stem_of(config_path) + "." + *instance + ".yaml";
    fs::path overlay_path = config_path.parent_path() / name;
    std::string overlay_shown = (shown.parent_path() / name).string();
    auto info = files.stat(overlay_path);
    if (!info) {
      return fail("cannot read overlay file \"" + overlay_shown + "\": " + info.error().message(),
                  {}, Location{overlay_shown});
    }
    if (!info->exists && inputs)
      inputs->push_back({LoadInput::Kind::kAbsent, overlay_path.string(), {}});
    if (info->exists) {
      auto overlay = read_yaml(files, overlay_path, overlay_shown, "overlay file", inputs);
      if (!overlay)
        return fail(std::move(overlay.error()));
      if (overlay->is_null()) {
        diags.add_warning(
            "overlay file is empty", Location{overlay_shown},
            "remove it, or add the values that differ for instance \"" + *instance + "\"");
      } else if (!overlay->is_map()) {
        return fail("the top level of an overlay must be a mapping, got " + describe(*overlay),
                    "write only the keys that differ from " + shown.filename().string() +
                        ", e.g. storage: {root: ./lake-" + *instance + "}",
                    overlay->location);
      } else {
        merge_yaml(root, *overlay);
      }
      sources.push_back(overlay_path);
    }
  }

  DecodeOptions decode{shown.string(), config_path.parent_path(), options.instance_override};
  auto lake = finish(std::move(root), decode, env, std::move(diags));
  if (!lake)
    return lake;
  lake->config_path = config_path;
  lake->sources = std::move(sources);
  return lake;
}

/// Whether `input` would be read the same again.
bool unchanged(const LoadInput& input, FileSystem& files, Environment& env) {
  switch (input.kind) {
    case LoadInput::Kind::kFile: {
      auto text = files.read_file(input.name);
      return text && sha256_hex(*text) == input.digest;
    }
    case LoadInput::Kind::kAbsent: {
      auto info = files.stat(input.name);
      return info && !info->exists;
    }
    case LoadInput::Kind::kEnv:
      return env_digest(env.get(input.name)) == input.digest;
  }
  return false;
}

/// The lake kept in `bytes` when it was kept under `key` and every input it read is unchanged.
std::optional<Lake> reuse(std::string_view bytes, const std::string& key, FileSystem& files,
                          Environment& env) {
  auto header = parse_cached_lake_header(bytes);
  if (!header || header->key != key)
    return std::nullopt;
  for (const auto& input : header->inputs) {
    if (!unchanged(input, files, env))
      return std::nullopt;
  }
  return parse_cached_lake(bytes, *header);
}

/// Each input once (a variable may be looked up many times), in the order first read.
std::vector<LoadInput> distinct(std::vector<LoadInput> inputs) {
  std::vector<LoadInput> out;
  for (auto& input : inputs) {
    bool seen = std::any_of(out.begin(), out.end(), [&](const LoadInput& o) {
      return o.kind == input.kind && o.name == input.name;
    });
    if (!seen)
      out.push_back(std::move(input));
  }
  return out;
}

bool holds_credentials(const Lake& lake) {
  return std::any_of(lake.pipelines.begin(), lake.pipelines.end(),
                     [](const Pipeline& p) { return p.redacted_repo() != p.repo; });
}

}  // namespace

Result<Lake> load_lake(const LoadOptions& options, FileSystem& files, Environment& env,
                       const LoadCache& cache) {
  if (cache.used)
    *cache.used = false;
  if (options.config_path.empty()) {
    return fail("no config file given", "give the path of a lake.yaml");
  }
  if (cache.file.empty() || cache.program.empty())
    return load_fresh(options, files, env, nullptr);

  const std::string key = cache.program + "\n" + options.config_path.lexically_normal().string() +
                          "\n" + absolute_normal(options.config_path).string() + "\n" +
                          (options.instance_override ? "=" + *options.instance_override : "-");
  if (auto bytes = files.read_file(cache.file)) {
    if (auto lake = reuse(*bytes, key, files, env)) {
      if (cache.used)
        *cache.used = true;
      if (Log::enabled(LogLevel::kDebug)) {
        Log::write(LogLevel::kDebug,
                   "config: every input unchanged, reused the lake kept in " + cache.file.string());
      }
      return std::move(*lake);
    }
  }
  std::vector<LoadInput> inputs;
  RecordingEnvironment recording(env, inputs);
  auto lake = load_fresh(options, files, recording, &inputs);
  if (lake && !holds_credentials(*lake)) {
    auto kept = files.write_file_atomic(
        cache.file, serialize_cached_lake(key, distinct(std::move(inputs)), *lake), 0600,
        Durability::kNoFsync);
    if (Log::enabled(LogLevel::kDebug))
      Log::write(LogLevel::kDebug, kept ? "config: kept the loaded lake in " + cache.file.string()
                                        : "config: cannot keep the loaded lake in " +
                                              cache.file.string() + ": " + kept.error().message());
  }
  return lake;
}

Result<Lake> parse_lake(std::string_view text, const std::string& filename,
                        const std::filesystem::path& base_dir, Environment& env) {
  auto parsed = parse_yaml(text, filename);
  if (!parsed)
    return fail(std::move(parsed.error()));
  if (parsed->is_null())
    return fail("file is empty", kEmptyHint, Location{filename});
  DecodeOptions decode{filename, base_dir, std::nullopt};
  auto lake = finish(std::move(*parsed), decode, env, Diagnostics{});
  if (!lake)
    return lake;
  lake->config_path = absolute_normal(base_dir / filename);
  lake->sources = {lake->config_path};
  return lake;
}

}  // namespace lakeinfra::config
