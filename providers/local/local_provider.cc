#include "providers/local/local_provider.h"

#include "config/digest.h"
#include "providers/artifact.h"

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace lakeinfra::providers {

namespace {

namespace fs = std::filesystem;
using config::Attributes;

/// Prefix of the temporary file RealFileSystem::write_file_atomic leaves beside the marker if
/// it is interrupted before the rename. Such leftovers are lakeinfra's, never user data.
const std::string kMarkerTempPrefix = std::string(kLocalMarkerFile) + ".tmp-";

bool is_marker_name(const std::string& name) {
  return name == kLocalMarkerFile || name.rfind(kMarkerTempPrefix, 0) == 0;
}

FailureKind kind_of(const std::error_code& ec) {
  if (ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted) {
    return FailureKind::kAuth;
  }
  if (ec == std::errc::no_such_file_or_directory)
    return FailureKind::kNotFound;
  if (ec == std::errc::file_exists || ec == std::errc::not_a_directory ||
      ec == std::errc::directory_not_empty) {
    return FailureKind::kConflict;
  }
  return FailureKind::kInternal;
}

/// "mkdir /lake/x: Permission denied".
Failure fs_failure(std::string_view op, const fs::path& path, const std::error_code& ec) {
  return Failure{kind_of(ec), std::string(op) + " " + path.string() + ": " + ec.message(),
                 std::nullopt};
}

tl::unexpected<Failure> failure(FailureKind kind, std::string message) {
  return tl::unexpected(Failure{kind, std::move(message), std::nullopt});
}

tl::unexpected<Failure> failure(std::string_view op, const fs::path& path,
                                const std::error_code& ec) {
  return tl::unexpected(fs_failure(op, path, ec));
}

/// Runs `body`, turning any exception (a JSON type error, bad_alloc) into a kInternal failure,
/// so nothing escapes a provider call.
template <typename Body>
auto guarded(std::string_view op, const std::string& provider_id, Body body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return failure(FailureKind::kInternal,
                   std::string(op) + " " + provider_id + ": unexpected error: " + e.what());
  } catch (...) {
    return failure(FailureKind::kInternal,
                   std::string(op) + " " + provider_id + ": unexpected error");
  }
}

/// Number of path components a provider_id of `type` has (at least, for artifacts: the
/// container's two and a path below it), or 0 for an unmanaged type.
size_t components_for(const std::string& type) {
  if (type == config::kZoneType)
    return 1;
  if (type == config::kContainerType)
    return 2;
  if (type == config::kArtifactType)
    return 3;
  return 0;
}

bool is_artifact(const std::string& type) {
  return type == config::kArtifactType;
}

/// Zone and container names are lowercase; artifact file names may use capitals too.
bool safe_char(char c, bool artifact) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
         (artifact && ((c >= 'A' && c <= 'Z') || c == '+' || c == '=' || c == '@' || c == ','));
}

/// Splits and checks a provider_id: exactly the right number of components, each a plain name.
ProviderResult<std::vector<std::string>> parse_id(const std::string& type,
                                                  const std::string& provider_id) {
  size_t want = components_for(type);
  if (want == 0) {
    return failure(FailureKind::kInvalid,
                   "local provider does not manage resources of type \"" + type + "\"");
  }
  std::string prefix = "unsafe " + type + " id \"" + provider_id + "\": ";
  if (provider_id.empty())
    return failure(FailureKind::kInvalid, prefix + "it is empty");
  if (provider_id.front() == '/') {
    return failure(FailureKind::kInvalid, prefix + "it is an absolute path");
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = provider_id.find('/', start);
    parts.push_back(provider_id.substr(start, slash - start));
    if (slash == std::string::npos)
      break;
    start = slash + 1;
  }
  if (is_artifact(type) ? parts.size() < want : parts.size() != want) {
    return failure(FailureKind::kInvalid, prefix + "a " + type + " id has " + std::to_string(want) +
                                              " path component" + (want == 1 ? "" : "s") +
                                              ", not " + std::to_string(parts.size()));
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    // The zone and container components of an artifact id follow the zone and container rules.
    bool file_part = is_artifact(type) && i >= 2;
    if (part.empty())
      return failure(FailureKind::kInvalid, prefix + "empty path component");
    if (part == "." || part == "..") {
      return failure(FailureKind::kInvalid,
                     prefix + "path component \"" + part + "\" is not allowed");
    }
    for (char c : part) {
      if (!safe_char(c, file_part)) {
        return failure(FailureKind::kInvalid,
                       prefix + "path component \"" + part + "\" has characters outside " +
                           (file_part ? "[A-Za-z0-9-._+=@,]" : "[a-z0-9-._]"));
      }
    }
  }
  return parts;
}

std::string plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

class LocalProvider : public Provider {
 public:
  LocalProvider(fs::path root, config::FileSystem& fs) : root_(std::move(root)), fs_(fs) {}

  std::string kind() const override { return "local"; }

  bool manages(const std::string& type) const override { return components_for(type) != 0; }

  std::string describe(const std::string& /*type*/, const std::string& provider_id) const override {
    std::string root = root_.string();
    if (root.empty() || root.back() != '/')
      root += '/';
    return root + provider_id;
  }

  bool requires_replace(const std::string& /*type*/, const std::string& attribute) const override {
    return attribute == "name" || attribute == "zone";
  }

  ProviderResult<std::optional<Observed>> read(const std::string& type,
                                               const std::string& provider_id) override {
    return guarded("read", provider_id, [&]() -> ProviderResult<std::optional<Observed>> {
      auto dir = resolve(type, provider_id);
      if (!dir)
        return tl::unexpected(dir.error());
      if (is_artifact(type))
        return read_artifact(*dir);
      auto info = stat_dir(type, *dir);
      if (!info)
        return tl::unexpected(info.error());
      if (!*info)
        return std::optional<Observed>();

      Observed observed;
      auto marker = read_marker(type, *dir);
      if (!marker)
        return tl::unexpected(marker.error());
      if (*marker) {
        auto tier = (*marker)->find("tier");
        if (tier != (*marker)->end())
          observed.attributes["tier"] = *tier;
      } else {
        observed.unmanaged = true;
      }
      return std::optional<Observed>(std::move(observed));
    });
  }

  ProviderResult<uint64_t> count_data(const std::string& type, const std::string& provider_id,
                                      const std::set<std::string>& excluding) override {
    return guarded("count", provider_id, [&]() -> ProviderResult<uint64_t> {
      if (is_artifact(type))
        return uint64_t{0};  // an artifact is lakeinfra's own file, not zone data
      auto dir = resolve(type, provider_id);
      if (!dir)
        return tl::unexpected(dir.error());
      auto info = stat_dir(type, *dir);
      if (!info)
        return tl::unexpected(info.error());
      if (!*info)
        return uint64_t{0};
      return count_below(*dir, provider_id, excluding);
    });
  }

  ProviderResult<Attributes> create(const config::DesiredResource& desired) override {
    return guarded("create", desired.provider_id, [&]() -> ProviderResult<Attributes> {
      auto dir = resolve(desired.type, desired.provider_id);
      if (!dir)
        return tl::unexpected(dir.error());
      if (is_artifact(desired.type))
        return upload_artifact(desired, *dir);
      if (auto made = fs_.make_directories(root_); !made) {
        return failure("mkdir", root_, made.error());
      }
      if (desired.type == config::kContainerType) {
        fs::path zone = dir->parent_path();
        auto zone_info = stat_dir(config::kZoneType, zone);
        if (!zone_info)
          return tl::unexpected(zone_info.error());
        if (!*zone_info) {
          return failure(FailureKind::kNotFound,
                         "zone directory " + zone.string() + " does not exist");
        }
      }
      auto info = stat_dir(desired.type, *dir);
      if (!info)
        return tl::unexpected(info.error());
      if (!*info) {
        // A missing directory is made; an existing one is adopted as it is, never emptied.
        if (auto made = fs_.make_directory(*dir); !made) {
          return failure("mkdir", *dir, made.error());
        }
      }
      if (auto written = write_marker(desired, *dir); !written) {
        return tl::unexpected(written.error());
      }
      return desired.attributes;
    });
  }

  ProviderResult<Attributes> update(const config::ResourceRecord& /*prior*/,
                                    const config::DesiredResource& desired) override {
    return guarded("update", desired.provider_id, [&]() -> ProviderResult<Attributes> {
      auto dir = resolve(desired.type, desired.provider_id);
      if (!dir)
        return tl::unexpected(dir.error());
      if (is_artifact(desired.type))
        return upload_artifact(desired, *dir);
      auto info = stat_dir(desired.type, *dir);
      if (!info)
        return tl::unexpected(info.error());
      if (!*info) {
        return failure(FailureKind::kNotFound,
                       desired.type + " directory " + dir->string() + " does not exist");
      }
      if (auto written = write_marker(desired, *dir); !written) {
        return tl::unexpected(written.error());
      }
      return desired.attributes;
    });
  }

  ProviderResult<void> remove(const config::ResourceRecord& prior, bool force) override {
    return guarded("remove", prior.provider_id, [&]() -> ProviderResult<void> {
      auto dir = resolve(prior.type, prior.provider_id);
      if (!dir)
        return tl::unexpected(dir.error());
      if (is_artifact(prior.type))
        return remove_artifact(prior, *dir);
      auto info = stat_dir(prior.type, *dir);
      if (!info)
        return tl::unexpected(info.error());
      if (!*info)
        return {};
      if (force) {
        if (auto removed = fs_.remove_all(*dir); !removed) {
          return failure("remove_all", *dir, removed.error());
        }
        return {};
      }
      auto entries = count_below(*dir, prior.provider_id, {});
      if (!entries)
        return tl::unexpected(entries.error());
      if (*entries > 0) {
        return tl::unexpected(Failure{FailureKind::kConflict,
                                      prior.type + " directory " + dir->string() + " holds " +
                                          plural(*entries, "entry", "entries") +
                                          "; refusing to delete data",
                                      prior.attributes});
      }
      return remove_data_free(*dir);
    });
  }

  ProviderResult<std::string> download(const std::string& type,
                                       const std::string& provider_id) override {
    if (!is_artifact(type))
      return Provider::download(type, provider_id);
    auto path = resolve(type, provider_id);
    if (!path)
      return tl::unexpected(path.error());
    auto content = fs_.read_file(*path);
    if (!content)
      return failure("read", *path, content.error());
    return std::move(*content);
  }

 private:
  /// The absolute directory of a checked provider_id. Refuses (kInvalid) an unsafe id, and an
  /// existing symlink at any component below the root (the target included).
  ProviderResult<fs::path> resolve(const std::string& type, const std::string& provider_id) {
    auto parts = parse_id(type, provider_id);
    if (!parts)
      return tl::unexpected(parts.error());
    fs::path path = root_;
    bool exists = true;
    for (const auto& part : *parts) {
      path /= part;
      if (!exists)
        continue;  // Nothing below a missing component can exist.
      auto info = fs_.stat(path);
      if (!info)
        return failure("stat", path, info.error());
      if (info->is_symlink) {
        return failure(FailureKind::kInvalid, "refusing to use " + path.string() +
                                                  ": it is a symlink and could lead outside " +
                                                  root_.string());
      }
      exists = info->exists;
    }
    return path;
  }

  /// Whether `dir` exists as a directory; kConflict when something else is in its place.
  ProviderResult<bool> stat_dir(const std::string& type, const fs::path& dir) {
    auto info = fs_.stat(dir);
    if (!info)
      return failure("stat", dir, info.error());
    if (!info->exists)
      return false;
    if (!info->is_directory) {
      return failure(FailureKind::kConflict,
                     type + " path " + dir.string() + " exists and is not a directory");
    }
    return true;
  }

  /// The marker of `dir` when it is a valid lakeinfra marker for `type`; nullopt when it is
  /// missing, not a regular file, or not lakeinfra's JSON. Fails only on I/O errors.
  ProviderResult<std::optional<Attributes>> read_marker(const std::string& type,
                                                        const fs::path& dir) {
    fs::path path = dir / kLocalMarkerFile;
    auto info = fs_.stat(path);
    if (!info)
      return failure("stat", path, info.error());
    if (!info->exists || info->is_directory || info->is_symlink) {
      return std::optional<Attributes>();
    }
    auto text = fs_.read_file(path);
    if (!text) {
      if (text.error() == std::errc::no_such_file_or_directory)
        return std::optional<Attributes>();
      return failure("read", path, text.error());
    }
    Attributes marker = Attributes::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!marker.is_object())
      return std::optional<Attributes>();
    auto managed_by = marker.find("managed_by");
    if (managed_by == marker.end() || *managed_by != "lakeinfra") {
      return std::optional<Attributes>();
    }
    auto marker_type = marker.find("type");
    if (marker_type == marker.end() || *marker_type != type)
      return std::optional<Attributes>();
    return std::optional<Attributes>(std::move(marker));
  }

  ProviderResult<void> write_marker(const config::DesiredResource& desired, const fs::path& dir) {
    Attributes marker = Attributes::object();
    marker["managed_by"] = "lakeinfra";
    marker["address"] = desired.address.str();
    marker["type"] = desired.type;
    if (desired.attributes.is_object()) {
      auto tier = desired.attributes.find("tier");
      if (tier != desired.attributes.end())
        marker["tier"] = *tier;
    }
    fs::path path = dir / kLocalMarkerFile;
    if (auto written = fs_.write_file_atomic(path, marker.dump(2) + "\n", 0644); !written) {
      return failure("write", path, written.error());
    }
    return {};
  }

  /// An artifact file: its SHA-256 and size, or nullopt when it is missing.
  ProviderResult<std::optional<Observed>> read_artifact(const fs::path& path) {
    auto info = fs_.stat(path);
    if (!info)
      return failure("stat", path, info.error());
    if (!info->exists)
      return std::optional<Observed>();
    if (info->is_directory || info->is_symlink) {
      return failure(FailureKind::kConflict,
                     "artifact path " + path.string() + " exists and is not a regular file");
    }
    auto content = fs_.read_file(path);
    if (!content)
      return failure("read", path, content.error());
    Observed observed;
    observed.attributes["sha256"] = config::sha256_hex(*content);
    observed.attributes["size"] = content->size();
    return std::optional<Observed>(std::move(observed));
  }

  /// Copies the artifact's source (checked against its planned SHA-256) into place atomically.
  /// The container directory must exist; the folders below it are made.
  ProviderResult<Attributes> upload_artifact(const config::DesiredResource& desired,
                                             const fs::path& path) {
    auto content = read_artifact_source(fs_, desired);
    if (!content)
      return tl::unexpected(content.error());
    auto parts = parse_id(desired.type, desired.provider_id);
    fs::path container = root_ / (*parts)[0] / (*parts)[1];
    auto container_info = stat_dir(config::kContainerType, container);
    if (!container_info)
      return tl::unexpected(container_info.error());
    if (!*container_info) {
      return failure(FailureKind::kNotFound,
                     "container directory " + container.string() + " does not exist");
    }
    if (auto made = fs_.make_directories(path.parent_path()); !made)
      return failure("mkdir", path.parent_path(), made.error());
    if (auto again = resolve(desired.type, desired.provider_id); !again)  // no symlink raced in
      return tl::unexpected(again.error());
    if (auto written = fs_.write_file_atomic(path, *content, 0644); !written)
      return failure("write", path, written.error());
    return desired.attributes;
  }

  /// Deletes an artifact file and the folders it leaves empty, up to its container.
  ProviderResult<void> remove_artifact(const config::ResourceRecord& prior, const fs::path& path) {
    auto info = fs_.stat(path);
    if (!info)
      return failure("stat", path, info.error());
    if (!info->exists)
      return {};
    if (info->is_directory) {
      return failure(FailureKind::kConflict,
                     "artifact path " + path.string() + " is a directory; refusing to delete it");
    }
    if (auto removed = fs_.remove(path); !removed)
      return failure("remove", path, removed.error());
    auto parts = parse_id(prior.type, prior.provider_id);
    fs::path container = root_ / (*parts)[0] / (*parts)[1];
    for (fs::path dir = path.parent_path(); dir != container && dir.has_relative_path();
         dir = dir.parent_path()) {
      if (!fs_.remove(dir))
        break;  // not empty (other artifacts, or data): leave it
    }
    return {};
  }

  /// Files and symlinks anywhere below `dir` (whose provider id is `id`), not counting markers
  /// nor the ids in `excluding`. Symlinks are not followed.
  ProviderResult<uint64_t> count_below(const fs::path& dir, const std::string& id,
                                       const std::set<std::string>& excluding) {
    auto names = fs_.list_directory(dir);
    if (!names)
      return failure("list", dir, names.error());
    uint64_t count = 0;
    for (const auto& name : *names) {
      fs::path path = dir / name;
      auto info = fs_.stat(path);
      if (!info)
        return failure("stat", path, info.error());
      if (!info->exists)
        continue;  // Removed since the listing.
      std::string child = id + "/" + name;
      if (info->is_directory && !info->is_symlink) {
        auto below = count_below(path, child, excluding);
        if (!below)
          return below;
        count += *below;
      } else if (!is_marker_name(name) && !excluding.count(child)) {
        ++count;
      }
    }
    return count;
  }

  /// Removes a directory that holds only markers and empty directories, bottom up. Anything
  /// else found on the way (data written since it was counted) stops it with kConflict, so
  /// data is never deleted.
  ProviderResult<void> remove_data_free(const fs::path& dir) {
    auto names = fs_.list_directory(dir);
    if (!names)
      return failure("list", dir, names.error());
    for (const auto& name : *names) {
      fs::path path = dir / name;
      auto info = fs_.stat(path);
      if (!info)
        return failure("stat", path, info.error());
      if (!info->exists)
        continue;
      if (info->is_directory && !info->is_symlink) {
        if (auto removed = remove_data_free(path); !removed)
          return removed;
      } else if (is_marker_name(name)) {
        if (auto removed = fs_.remove(path); !removed) {
          return failure("remove", path, removed.error());
        }
      } else {
        return failure(FailureKind::kConflict, "directory " + dir.string() + " holds " +
                                                   path.filename().string() +
                                                   "; refusing to delete data");
      }
    }
    if (auto removed = fs_.remove(dir); !removed)
      return failure("rmdir", dir, removed.error());
    return {};
  }

  const fs::path root_;
  config::FileSystem& fs_;
};

/// The root as an absolute, normalised path without a trailing separator.
fs::path normal_root(const fs::path& root) {
  fs::path normal = root;
  if (normal.is_relative()) {
    std::error_code ec;
    fs::path absolute = fs::absolute(normal, ec);
    if (!ec)
      normal = absolute;
  }
  normal = normal.lexically_normal();
  if (!normal.has_filename() && normal.has_parent_path() && normal != normal.root_path()) {
    normal = normal.parent_path();
  }
  return normal;
}

}  // namespace

std::unique_ptr<Provider> make_local_provider(const std::filesystem::path& root,
                                              config::FileSystem& fs) {
  return std::make_unique<LocalProvider>(normal_root(root), fs);
}

}  // namespace lakeinfra::providers
