#include "config/loader.h"

#include "config/decode.h"
#include "config/interpolate.h"
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
// in messages.
Result<YamlNode> read_yaml(FileSystem& files, const fs::path& path, const std::string& shown,
                           const std::string& what) {
  auto text = files.read_file(path);
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

}  // namespace

Result<Lake> load_lake(const LoadOptions& options, FileSystem& files, Environment& env) {
  if (options.config_path.empty()) {
    return fail("no config file given", "give the path of a lake.yaml");
  }
  const fs::path shown = options.config_path.lexically_normal();
  const fs::path config_path = absolute_normal(options.config_path);
  auto base = read_yaml(files, config_path, shown.string(), "config file");
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
    if (info->exists) {
      auto overlay = read_yaml(files, overlay_path, overlay_shown, "overlay file");
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
