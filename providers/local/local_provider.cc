#include "providers/local/local_provider.h"

#include "config/digest.h"
#include "config/log.h"
#include "providers/artifact.h"
#include "providers/local/marker_cache.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lakeinfra::providers {

namespace {

namespace fs = std::filesystem;
using config::Attributes;
using local::MarkerCache;

/// Prefix of the temporary file RealFileSystem::write_file_atomic leaves beside the marker if
/// it is interrupted before the rename. Such leftovers are lakeinfra's, never user data.
const std::string kMarkerTempPrefix = std::string(kLocalMarkerFile) + ".tmp-";

/// `text` as a JSON string when it is printable ASCII that needs no escaping; nullopt otherwise.
std::optional<std::string> plain_json_string(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
      return std::nullopt;
  }
  return "\"" + std::string(text) + "\"";
}

}  // namespace

std::optional<std::string> canonical_marker(std::string_view address, std::string_view type,
                                            const std::optional<std::string>& tier) {
  auto a = plain_json_string(address);
  auto t = plain_json_string(type);
  std::optional<std::string> tr;
  if (tier && !(tr = plain_json_string(*tier)))
    return std::nullopt;
  if (!a || !t)
    return std::nullopt;
  std::string out = "{\n  \"address\": " + *a + ",\n  \"managed_by\": \"lakeinfra\",\n";
  if (tr)
    out += "  \"tier\": " + *tr + ",\n";
  out += "  \"type\": " + *t + "\n}\n";
  return out;
}

namespace {

bool is_marker_name(const std::string& name) {
  return name == kLocalMarkerFile || name.rfind(kMarkerTempPrefix, 0) == 0;
}

/// True when `name` is what RealFileSystem::write_file_atomic names its temporary file for
/// `file` ("FILE.tmp-PID-N") and process PID is not running: a leftover of an artifact upload or
/// marker write that was killed before its rename (under the state lock no other run writes).
bool is_dead_upload_leftover(const std::string& name, const std::string& file) {
  std::string prefix = file + ".tmp-";
  if (name.rfind(prefix, 0) != 0)
    return false;
  std::string rest = name.substr(prefix.size());
  size_t dash = rest.find('-');
  if (dash == 0 || dash == std::string::npos || dash + 1 == rest.size() ||
      rest.find_first_not_of("0123456789-") != std::string::npos ||
      rest.find('-', dash + 1) != std::string::npos || dash > 9) {
    return false;
  }
  pid_t pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
  return pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH;
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

/// Roles and grants: entries of the access policy document, not paths.
bool is_governance(const std::string& type) {
  return type == config::kRoleType || type == config::kGrantType;
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
  // Built only for a message: refresh parses an id per resource.
  auto unsafe = [&](const std::string& why) {
    return failure(FailureKind::kInvalid, "unsafe " + type + " id \"" + provider_id + "\": " + why);
  };
  if (provider_id.empty())
    return unsafe("it is empty");
  if (provider_id.front() == '/') {
    return unsafe("it is an absolute path");
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
    return unsafe("a " + type + " id has " + std::to_string(want) + " path component" +
                  (want == 1 ? "" : "s") + ", not " + std::to_string(parts.size()));
  }
  if (parts[0].rfind(kLocalAccessPolicyFile, 0) == 0) {
    return unsafe("\"" + parts[0] + "\" is reserved for the access policy document");
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    // The zone and container components of an artifact id follow the zone and container rules.
    bool file_part = is_artifact(type) && i >= 2;
    if (part.empty())
      return unsafe("empty path component");
    if (part == "." || part == "..") {
      return unsafe("path component \"" + part + "\" is not allowed");
    }
    for (char c : part) {
      if (!safe_char(c, file_part)) {
        return unsafe("path component \"" + part + "\" has characters outside " +
                      (file_part ? "[A-Za-z0-9-._+=@,]" : "[a-z0-9-._]"));
      }
    }
  }
  return parts;
}

/// For a zone or container id that parse_id() accepts: the zone's component ("" for a zone)
/// and the last component, without allocating (refresh splits 10k ids). nullopt for any other
/// type or id, which then goes through read() and parse_id()'s message.
std::optional<std::pair<std::string_view, std::string_view>> plain_directory_id(
    const std::string& type, std::string_view id) {
  size_t want = type == config::kZoneType ? 1 : type == config::kContainerType ? 2 : 0;
  if (want == 0)
    return std::nullopt;
  auto plain = [](std::string_view part) {
    if (part.empty() || part == "." || part == "..")
      return false;
    for (char c : part) {
      if (!safe_char(c, /*artifact=*/false))
        return false;
    }
    return true;
  };
  size_t slash = id.find('/');
  std::string_view first = id.substr(0, slash);
  if (!plain(first) ||
      first.substr(0, std::strlen(kLocalAccessPolicyFile)) == kLocalAccessPolicyFile)
    return std::nullopt;
  if (want == 1)
    return slash == std::string_view::npos ? std::optional(std::pair(std::string_view(), first))
                                           : std::nullopt;
  if (slash == std::string_view::npos)
    return std::nullopt;
  std::string_view second = id.substr(slash + 1);
  if (second.find('/') != std::string_view::npos || !plain(second))
    return std::nullopt;
  return std::pair(first, second);
}

/// IAM's characters for role and policy names.
bool iam_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '=' || c == ',' || c == '.' || c == '@' || c == '_' || c == '-';
}

/// A checked role or grant id: the role's name and, for a grant, the policy's ("" for a role).
struct PolicyId {
  std::string role;
  std::string policy;
};

/// Splits and checks a role id ("ROLE") or grant id ("ROLE/POLICY").
ProviderResult<PolicyId> parse_policy_id(const std::string& type, const std::string& provider_id) {
  std::string prefix = "unsafe " + type + " id \"" + provider_id + "\": ";
  PolicyId id;
  if (type == config::kGrantType) {
    size_t slash = provider_id.find('/');
    if (slash == std::string::npos || provider_id.find('/', slash + 1) != std::string::npos) {
      return failure(FailureKind::kInvalid,
                     prefix + "a grant id is ROLE/POLICY, with exactly one \"/\"");
    }
    id.role = provider_id.substr(0, slash);
    id.policy = provider_id.substr(slash + 1);
  } else {
    id.role = provider_id;
  }
  auto check = [&](const char* what, const std::string& name) -> std::optional<std::string> {
    if (name.empty())
      return prefix + "the " + what + " name is empty";
    if (name == "." || name == "..")
      return prefix + "the " + what + " name \"" + name + "\" is not allowed";
    for (char c : name) {
      if (!iam_name_char(c)) {
        return prefix + "the " + what + " name \"" + name +
               "\" has characters outside [A-Za-z0-9+=,.@_-]";
      }
    }
    return std::nullopt;
  };
  if (auto bad = check("role", id.role))
    return failure(FailureKind::kInvalid, *bad);
  if (type == config::kGrantType) {
    if (auto bad = check("policy", id.policy))
      return failure(FailureKind::kInvalid, *bad);
  }
  return id;
}

/// The member `key` of `object`, or nullptr when `object` is not an object or lacks it.
const Attributes* member(const Attributes& object, const char* key) {
  if (!object.is_object())
    return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

/// Why `doc` is not an access policy document lakeinfra can edit, or nullopt when it is one.
std::optional<std::string> document_problem(const Attributes& doc) {
  if (!doc.is_object())
    return "it is not a JSON object";
  const Attributes* format = member(doc, "format");
  if (format == nullptr || !format->is_string())
    return std::string("it has no \"format\" string");
  if (*format != kLocalAccessPolicyFormat) {
    return "its format \"" + format->get<std::string>() + "\" is not \"" +
           kLocalAccessPolicyFormat + "\"";
  }
  const Attributes* roles = member(doc, "roles");
  if (roles == nullptr || !roles->is_object())
    return std::string("its \"roles\" is not an object");
  for (const auto& [name, entry] : roles->items()) {
    if (!entry.is_object())
      return "role \"" + name + "\" is not an object";
    const Attributes* policies = member(entry, "policies");
    if (policies != nullptr && !policies->is_object())
      return "the \"policies\" of role \"" + name + "\" is not an object";
  }
  return std::nullopt;
}

std::string plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

class LocalProvider : public Provider {
 public:
  LocalProvider(fs::path root, config::FileSystem& fs, LocalMarkerCache cache)
      : root_(std::move(root)), fs_(fs), cache_(std::move(cache)) {}

  std::string kind() const override { return "local"; }

  bool manages(const std::string& type) const override {
    return components_for(type) != 0 || is_governance(type);
  }

  std::string describe(const std::string& type, const std::string& provider_id) const override {
    if (is_governance(type)) {
      std::string file = policy_path().string();
      auto id = parse_policy_id(type, provider_id);
      if (!id)
        return type + " \"" + provider_id + "\" in " + file;
      if (type == config::kRoleType)
        return "role " + id->role + " in " + file;
      return "policy " + id->policy + " of role " + id->role + " in " + file;
    }
    std::string root = root_.string();
    if (root.empty() || root.back() != '/')
      root += '/';
    return root + provider_id;
  }

  bool requires_replace(const std::string& type, const std::string& attribute) const override {
    if (is_governance(type))
      return false;  // Entries of one document: every change is an edit in place.
    return attribute == "name" || attribute == "zone";
  }

  ProviderResult<std::optional<Observed>> read(const std::string& type,
                                               const std::string& provider_id) override {
    return guarded("read", provider_id, [&]() -> ProviderResult<std::optional<Observed>> {
      if (is_governance(type))
        return read_policy_entry(type, provider_id);
      if (!is_artifact(type)) {
        // The common case in one lookup: a marker reached without a symlink on the way proves
        // the directory exists, is a directory and is inside the root. Anything else takes the
        // walk below, which says exactly what is wrong.
        auto path = marker_path(type, provider_id);
        if (!path)
          return tl::unexpected(path.error());
        if (auto text = fs_.read_regular_file_no_symlinks(*path)) {
          Observed observed;
          if (auto marker = marker_attributes(*text, type)) {
            observed.attributes = std::move(*marker);
          } else {
            observed.unmanaged = true;
          }
          return std::optional<Observed>(std::move(observed));
        }
      }
      config::FileInfo last;
      auto dir = resolve(type, provider_id, &last);
      if (!dir)
        return tl::unexpected(dir.error());
      if (is_artifact(type))
        return read_artifact(*dir);
      auto info = is_directory(type, *dir, last);
      if (!info)
        return tl::unexpected(info.error());
      if (!*info)
        return std::optional<Observed>();

      Observed observed;
      auto marker = read_marker(type, *dir);
      if (!marker)
        return tl::unexpected(marker.error());
      if (*marker) {
        observed.attributes = std::move(**marker);
      } else {
        observed.unmanaged = true;
      }
      return std::optional<Observed>(std::move(observed));
    });
  }

  /// read() of each request, sharing work: zones and containers are grouped by the directory
  /// that holds them, each directory is opened once to stamp its markers, and a marker whose
  /// stamp is in the cache is not read again. Anything the stamps cannot settle (a missing
  /// directory, a symlink, a missing or odd marker) and every other type goes through read().
  /// Runs on at most one thread per core: the work is system calls on local disks.
  std::vector<ProviderResult<std::optional<Observed>>> read_many(
      const std::vector<ReadRequest>& requests, int parallelism) override {
    std::vector<ProviderResult<std::optional<Observed>>> out(requests.size());
    MarkerCache known = load_marker_cache();
    struct Group {
      std::string dir;
      std::vector<std::string> names;
      std::vector<size_t> indexes;
    };
    std::vector<Group> groups;
    std::unordered_map<std::string_view, size_t> group_of;  // by zone ("" for the root)
    std::vector<size_t> others;
    std::vector<std::optional<size_t>> cached(requests.size());
    size_t cursor = 0;
    for (size_t i = 0; i < requests.size(); ++i) {
      auto parts = plain_directory_id(*requests[i].type, *requests[i].provider_id);
      if (!parts) {
        others.push_back(i);  // read() handles it, and says what is wrong with a bad id
        continue;
      }
      auto [it, added] = group_of.try_emplace(parts->first, groups.size());
      if (added) {
        std::string dir = root_.native();
        if (!parts->first.empty())
          dir.append("/").append(parts->first);
        groups.push_back(Group{std::move(dir), {}, {}});
      }
      groups[it->second].names.emplace_back(parts->second);
      groups[it->second].indexes.push_back(i);
      cached[i] = known.position(*requests[i].provider_id, &cursor);
    }

    // A marker whose last change is younger than this is read but never cached.
    int64_t trusted_before = INT64_MIN;
    if (cache_.clock != nullptr) {
      trusted_before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           (cache_.clock->now() - kLocalMarkerTrustDelay).time_since_epoch())
                           .count();
    }
    // What the next cache holds of each request: views into `known` or into `texts`.
    std::vector<std::optional<MarkerCache::Entry>> keep(requests.size());
    std::vector<std::string> texts(requests.size());
    std::atomic<size_t> hits{0};
    std::atomic<size_t> stored{0};
    std::atomic<size_t> next_group{0};
    std::atomic<size_t> next_other{0};
    auto worker = [&] {
      for (size_t g = next_group++; g < groups.size(); g = next_group++) {
        const Group& group = groups[g];
        auto stamps = fs_.stamp_files_in_subdirectories(group.dir, group.names, kLocalMarkerFile);
        for (size_t k = 0; k < group.indexes.size(); ++k) {
          size_t i = group.indexes[k];
          const std::string& id = *requests[i].provider_id;
          out[i] = guarded("read", id, [&]() -> ProviderResult<std::optional<Observed>> {
            if (!stamps[k])
              return read(*requests[i].type, id);
            std::string_view text;
            if (cached[i] && known.at(*cached[i]).stamp == *stamps[k]) {
              keep[i] = known.at(*cached[i]);
              text = keep[i]->text;
              ++hits;
            } else {
              std::string path = group.dir + "/" + group.names[k] + "/" + kLocalMarkerFile;
              auto read_text = fs_.read_regular_file_no_symlinks(path);
              if (!read_text)
                return read(*requests[i].type, id);
              texts[i] = std::move(*read_text);
              text = texts[i];
              // The bytes read may be newer than the stamp: then the next stamp differs and
              // the marker is read again, so the pair is still safe to keep.
              if (stamps[k]->ctime_ns < trusted_before) {
                keep[i] = MarkerCache::Entry{id, *stamps[k], text};
                ++stored;
              }
            }
            Observed observed;
            if (auto marker = marker_attributes(text, *requests[i].type)) {
              observed.attributes = std::move(*marker);
            } else {
              observed.unmanaged = true;
            }
            return std::optional<Observed>(std::move(observed));
          });
        }
      }
      for (size_t o = next_other++; o < others.size(); o = next_other++) {
        size_t i = others[o];
        out[i] = read(*requests[i].type, *requests[i].provider_id);
      }
    };
    size_t cores = std::max(1u, std::thread::hardware_concurrency());
    size_t threads = std::min(
        {static_cast<size_t>(std::max(1, parallelism)), cores, groups.size() + others.size()});
    if (threads <= 1) {
      worker();
    } else {
      std::vector<std::thread> pool;
      for (size_t t = 0; t < threads; ++t)
        pool.emplace_back(worker);
      for (auto& t : pool)
        t.join();
    }

    if (config::Log::enabled(config::LogLevel::kDebug)) {
      config::Log::write(
          config::LogLevel::kDebug,
          "refresh: " + std::to_string(hits.load()) +
              " markers unchanged since the last refresh, " +
              std::to_string(groups.empty() ? 0 : requests.size() - others.size() - hits.load()) +
              " read from disk");
    }
    // The cache now holds exactly the markers of this refresh: rewritten only when that
    // differs from what was loaded.
    if (hits.load() != known.size() || stored.load() > 0)
      save_marker_cache(keep);
    return out;
  }

  ProviderResult<uint64_t> count_data(const std::string& type, const std::string& provider_id,
                                      const std::set<std::string>& excluding) override {
    return guarded("count", provider_id, [&]() -> ProviderResult<uint64_t> {
      if (is_artifact(type) || is_governance(type))
        return uint64_t{0};  // an artifact is lakeinfra's own file, not zone data; roles hold none
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
      if (is_governance(desired.type))
        return write_policy_entry(desired);
      // mkdir first, and stat() only what was there already: a lookup of the missing name
      // before mkdir takes the zone directory's lock once more, and every worker of a 10k apply
      // makes its containers in the same few zones. resolve() checks the components above.
      config::FileInfo parent;
      auto dir = resolve(desired.type, desired.provider_id, nullptr, &parent, Final::kSkip);
      if (!dir)
        return tl::unexpected(dir.error());
      if (is_artifact(desired.type))
        return upload_artifact(desired, *dir);
      if (desired.type == config::kContainerType) {
        fs::path zone = dir->parent_path();
        auto zone_info = is_directory(config::kZoneType, zone, parent);
        if (!zone_info)
          return tl::unexpected(zone_info.error());
        if (!*zone_info) {
          return failure(FailureKind::kNotFound,
                         "zone directory " + zone.string() + " does not exist");
        }
      } else if (auto made = fs_.make_directories(root_); !made) {
        return failure("mkdir", root_, made.error());
      }
      auto made = fs_.make_directory(*dir);
      if (!made)
        return failure("mkdir", *dir, made.error());
      if (!*made) {  // something is there already: an existing directory is adopted as it is
        auto found = fs_.stat(*dir);
        if (!found)
          return failure("stat", *dir, found.error());
        if (found->is_symlink)
          return symlink_refusal(*dir);
        auto info = is_directory(desired.type, *dir, *found);
        if (!info)
          return tl::unexpected(info.error());
      }
      // Only a directory that was there already can hold a killed marker write's leftover.
      if (auto written = write_marker(desired, *dir, /*fresh_directory=*/*made); !written) {
        return tl::unexpected(written.error());
      }
      return desired.attributes;
    });
  }

  ProviderResult<Attributes> update(const config::ResourceRecord& /*prior*/,
                                    const config::DesiredResource& desired) override {
    return guarded("update", desired.provider_id, [&]() -> ProviderResult<Attributes> {
      if (is_governance(desired.type))
        return write_policy_entry(desired);
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
      if (is_governance(prior.type))
        return remove_policy_entry(prior);
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
  /// Whether resolve() looks at the path itself, or only at the components above it (for a
  /// caller that makes it: see create()).
  enum class Final { kStat, kSkip };

  /// The absolute directory of a checked provider_id. Refuses (kInvalid) an unsafe id, and an
  /// existing symlink at any component below the root (the target included, unless `final` is
  /// kSkip). `last`, when given, receives what stat() found at the path itself (refresh needs
  /// nothing more; not with kSkip); `parent` what it found at the component above (the root
  /// counts as an existing directory).
  ProviderResult<fs::path> resolve(const std::string& type, const std::string& provider_id,
                                   config::FileInfo* last = nullptr,
                                   config::FileInfo* parent = nullptr, Final final = Final::kStat) {
    auto parts = parse_id(type, provider_id);
    if (!parts)
      return tl::unexpected(parts.error());
    fs::path path = root_;
    config::FileInfo info;
    info.exists = true;
    info.is_directory = true;
    for (size_t i = 0; i < parts->size(); ++i) {
      if (parent)
        *parent = info;
      path /= (*parts)[i];
      if (!info.exists)
        continue;  // Nothing below a missing component can exist.
      if (final == Final::kSkip && i + 1 == parts->size())
        break;
      auto found = fs_.stat(path);
      if (!found)
        return failure("stat", path, found.error());
      if (found->is_symlink)
        return symlink_refusal(path);
      info = *found;
    }
    if (last)
      *last = info;
    return path;
  }

  tl::unexpected<Failure> symlink_refusal(const fs::path& path) const {
    return failure(FailureKind::kInvalid, "refusing to use " + path.string() +
                                              ": it is a symlink and could lead outside " +
                                              root_.string());
  }

  /// Whether `dir` exists as a directory; kConflict when something else is in its place.
  ProviderResult<bool> stat_dir(const std::string& type, const fs::path& dir) {
    auto info = fs_.stat(dir);
    if (!info)
      return failure("stat", dir, info.error());
    return is_directory(type, dir, *info);
  }

  /// stat_dir() for what a stat() of `dir` already found.
  ProviderResult<bool> is_directory(const std::string& type, const fs::path& dir,
                                    const config::FileInfo& info) {
    if (!info.exists)
      return false;
    if (!info.is_directory) {
      return failure(FailureKind::kConflict,
                     type + " path " + dir.string() + " exists and is not a directory");
    }
    return true;
  }

  /// What the marker of `dir` says refresh can observe ({"tier": ...}, or {} for a marker
  /// without a tier) when it is a valid lakeinfra marker for `type`; nullopt when it is missing,
  /// not a regular file, or not lakeinfra's JSON. Fails only on I/O errors.
  ProviderResult<std::optional<Attributes>> read_marker(const std::string& type,
                                                        const fs::path& dir) {
    fs::path path = dir / kLocalMarkerFile;
    auto info = fs_.stat(path);
    if (!info)
      return failure("stat", path, info.error());
    if (!info->is_regular)  // missing, or a directory, symlink, FIFO (reading it would hang)...
      return std::optional<Attributes>();
    auto text = fs_.read_file(path);
    if (!text) {
      if (text.error() == std::errc::no_such_file_or_directory)
        return std::optional<Attributes>();
      return failure("read", path, text.error());
    }
    return marker_attributes(*text, type);
  }

  /// What a marker's `text` says refresh can observe; nullopt when it is not a valid lakeinfra
  /// marker for `type`.
  static std::optional<Attributes> marker_attributes(std::string_view text,
                                                     const std::string& type) {
    if (auto fast = read_canonical_marker(text, type))
      return std::move(*fast);
    Attributes marker = Attributes::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!marker.is_object())
      return std::nullopt;
    auto managed_by = marker.find("managed_by");
    if (managed_by == marker.end() || *managed_by != "lakeinfra")
      return std::nullopt;
    auto marker_type = marker.find("type");
    if (marker_type == marker.end() || *marker_type != type)
      return std::nullopt;
    Attributes observed = Attributes::object();
    if (auto tier = marker.find("tier"); tier != marker.end())
      observed["tier"] = std::move(*tier);
    return observed;
  }

  /// ROOT/ID/MARKER as one string, for read_regular_file_no_symlinks() (a std::filesystem::path
  /// built per component was a third of a 10k refresh); the id is checked as resolve() does.
  ProviderResult<std::string> marker_path(const std::string& type, const std::string& provider_id) {
    auto parts = parse_id(type, provider_id);
    if (!parts)
      return tl::unexpected(parts.error());
    std::string path = root_.native();
    path.reserve(path.size() + provider_id.size() + std::strlen(kLocalMarkerFile) + 2);
    path += '/';
    path += provider_id;
    path += '/';
    path += kLocalMarkerFile;
    return path;
  }

  /// read_marker()'s answer when `text` is byte for byte what canonical_marker() writes for
  /// `type` (nearly always: a refresh then reads 10k markers without parsing JSON); nullopt
  /// when it is not, and the JSON must be parsed.
  static std::optional<std::optional<Attributes>> read_canonical_marker(std::string_view text,
                                                                        const std::string& type) {
    // Matches the text piece by piece against canonical_marker()'s layout, allocating nothing
    // (refresh does this for every resource).
    auto eat = [&](std::string_view piece) {
      if (text.substr(0, piece.size()) != piece)
        return false;
      text.remove_prefix(piece.size());
      return true;
    };
    // A string value up to its closing quote, when canonical_marker() would write it as is.
    auto plain_value = [&]() -> std::optional<std::string_view> {
      size_t end = text.find('"');
      if (end == std::string_view::npos)
        return std::nullopt;
      std::string_view value = text.substr(0, end);
      for (unsigned char c : value) {
        if (c < 0x20 || c > 0x7e || c == '\\')
          return std::nullopt;
      }
      text.remove_prefix(end + 1);
      return value;
    };
    if (!eat("{\n  \"address\": \"") || !plain_value() ||
        !eat(",\n  \"managed_by\": \"lakeinfra\",\n  \"")) {
      return std::nullopt;
    }
    std::optional<std::string_view> tier;
    if (eat("tier\": \"")) {
      tier = plain_value();
      if (!tier || !eat(",\n  \""))
        return std::nullopt;
    }
    if (!eat("type\": \""))
      return std::nullopt;
    auto type_value = plain_value();
    if (!type_value || *type_value != type || !eat("\n}\n") || !text.empty())
      return std::nullopt;
    Attributes observed = Attributes::object();
    if (tier)
      observed["tier"] = std::string(*tier);
    return std::optional<Attributes>(std::move(observed));
  }

  ProviderResult<void> write_marker(const config::DesiredResource& desired, const fs::path& dir,
                                    bool fresh_directory = false) {
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
    // No fsync: a marker lost to a power cut is seen by refresh and rewritten (an fsync per
    // resource was a tenth of a 10k-resource apply).
    // The same bytes canonical_marker() renders, so refresh recognises them without parsing.
    std::optional<std::string> tier;
    if (auto t = marker.find("tier"); t != marker.end() && t->is_string())
      tier = t->get<std::string>();
    std::string text;
    if (!marker.contains("tier") || tier) {
      if (auto canonical = canonical_marker(desired.address.str(), desired.type, tier))
        text = std::move(*canonical);
    }
    if (text.empty())
      text = marker.dump(2) + "\n";
    if (auto written = fs_.write_file_atomic(path, text, 0644, config::Durability::kNoFsync);
        !written) {
      return failure("write", path, written.error());
    }
    // A marker write killed before its rename left a temporary beside it; the marker was then
    // missing, which is why it is written now: remove that leftover too (a directory made just
    // now has none).
    if (fresh_directory)
      return {};
    return remove_upload_leftovers(path);
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
    if (auto cleaned = remove_upload_leftovers(path); !cleaned)
      return tl::unexpected(cleaned.error());
    if (auto written = fs_.write_file_atomic(path, *content, 0644); !written)
      return failure("write", path, written.error());
    return desired.attributes;
  }

  /// Removes the temporary files that killed writes of the artifact or marker at `path` left
  /// beside it (regular files only). Without this a SIGKILL during an upload leaves a file that is
  /// no resource, counts as data of the container and keeps the artifact folders from being
  /// removed.
  ProviderResult<void> remove_upload_leftovers(const fs::path& path) {
    auto names = fs_.list_directory(path.parent_path());
    if (!names)
      return {};  // no folder yet: nothing left over
    for (const auto& name : *names) {
      if (!is_dead_upload_leftover(name, path.filename().string()))
        continue;
      fs::path leftover = path.parent_path() / name;
      auto info = fs_.stat(leftover);
      if (!info)
        return failure("stat", leftover, info.error());
      if (!info->exists || info->is_directory || info->is_symlink)
        continue;
      if (auto removed = fs_.remove(leftover); !removed)
        return failure("remove", leftover, removed.error());
    }
    return {};
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
    if (auto cleaned = remove_upload_leftovers(path); !cleaned)
      return tl::unexpected(cleaned.error());
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

  // --- roles and grants: entries of the access policy document ---

  fs::path policy_path() const { return root_ / kLocalAccessPolicyFile; }

  /// The access policy document; nullopt when the file does not exist. Fails with kConflict
  /// when it is not a document lakeinfra can edit (not JSON, another format, a directory), with
  /// kInvalid when it is a symlink. Called with policy_mutex_ held.
  ProviderResult<std::optional<Attributes>> load_policy_document() {
    fs::path path = policy_path();
    auto info = fs_.stat(path);
    if (!info)
      return failure("stat", path, info.error());
    if (!info->exists)
      return std::optional<Attributes>();
    if (info->is_symlink) {
      return failure(FailureKind::kInvalid, "refusing to use " + path.string() +
                                                ": it is a symlink and could lead outside " +
                                                root_.string());
    }
    if (info->is_directory) {
      return failure(FailureKind::kConflict,
                     "access policy path " + path.string() + " exists and is not a regular file");
    }
    auto text = fs_.read_file(path);
    if (!text) {
      if (text.error() == std::errc::no_such_file_or_directory)
        return std::optional<Attributes>();
      return failure("read", path, text.error());
    }
    const std::string fix = "; lakeinfra will not overwrite it: fix or remove it by hand";
    Attributes doc;
    try {
      doc = Attributes::parse(*text);
    } catch (const Attributes::parse_error& e) {
      return failure(FailureKind::kConflict, "access policy document " + path.string() +
                                                 " is not valid JSON: " + e.what() + fix);
    }
    if (auto problem = document_problem(doc)) {
      return failure(FailureKind::kConflict, "access policy document " + path.string() +
                                                 " is not lakeinfra's: " + *problem + fix);
    }
    return std::optional<Attributes>(std::move(doc));
  }

  /// Writes the document atomically (a temporary file renamed into place), making the root if
  /// needed. Called with policy_mutex_ held: RealFileSystem's temporary name is per process.
  ProviderResult<void> save_policy_document(const Attributes& doc) {
    std::string text = doc.dump(2) + "\n";  // throws on invalid UTF-8: before any write
    if (auto made = fs_.make_directories(root_); !made)
      return failure("mkdir", root_, made.error());
    fs::path path = policy_path();
    if (auto written = fs_.write_file_atomic(path, text, 0644); !written)
      return failure("write", path, written.error());
    return {};
  }

  /// A role's trust policy and lakeinfra:* tags, or a grant's policy; nullopt when the
  /// document, the role or the policy is missing.
  ProviderResult<std::optional<Observed>> read_policy_entry(const std::string& type,
                                                            const std::string& provider_id) {
    auto id = parse_policy_id(type, provider_id);
    if (!id)
      return tl::unexpected(id.error());
    std::lock_guard lock(policy_mutex_);
    auto doc = load_policy_document();
    if (!doc)
      return tl::unexpected(doc.error());
    if (!*doc)
      return std::optional<Observed>();
    const Attributes* role = member((**doc)["roles"], id->role.c_str());
    if (role == nullptr)
      return std::optional<Observed>();
    Observed observed;
    if (type == config::kRoleType) {
      if (const Attributes* trust = member(*role, "trust_policy"))
        observed.attributes["trust_policy"] = *trust;
      if (const Attributes* tags = member(*role, "tags"); tags != nullptr && tags->is_object()) {
        Attributes ours = Attributes::object();
        for (const auto& [key, value] : tags->items()) {
          if (key.rfind("lakeinfra:", 0) == 0)
            ours[key] = value;
        }
        observed.attributes["tags"] = std::move(ours);
      }
      return std::optional<Observed>(std::move(observed));
    }
    const Attributes* policies = member(*role, "policies");
    const Attributes* policy =
        policies == nullptr ? nullptr : member(*policies, id->policy.c_str());
    if (policy == nullptr)
      return std::optional<Observed>();
    observed.attributes["policy"] = *policy;
    return std::optional<Observed>(std::move(observed));
  }

  /// create and update: sets a role's trust policy and tags (keeping its policies), or a
  /// grant's policy (its role must be in the document already).
  ProviderResult<Attributes> write_policy_entry(const config::DesiredResource& desired) {
    auto id = parse_policy_id(desired.type, desired.provider_id);
    if (!id)
      return tl::unexpected(id.error());
    const std::string what = describe(desired.type, desired.provider_id);
    auto object_attribute = [&](const char* key, bool required) -> ProviderResult<Attributes> {
      const Attributes* value = member(desired.attributes, key);
      if (value == nullptr && !required)
        return Attributes::object();
      if (value == nullptr || !value->is_object()) {
        return failure(FailureKind::kInvalid,
                       what + ": attribute \"" + key + "\" must be a JSON object");
      }
      return *value;
    };

    Attributes trust, tags, policy;
    if (desired.type == config::kRoleType) {
      auto got_trust = object_attribute("trust_policy", true);
      if (!got_trust)
        return tl::unexpected(got_trust.error());
      auto got_tags = object_attribute("tags", false);
      if (!got_tags)
        return tl::unexpected(got_tags.error());
      trust = std::move(*got_trust);
      tags = std::move(*got_tags);
    } else {
      auto got_policy = object_attribute("policy", true);
      if (!got_policy)
        return tl::unexpected(got_policy.error());
      policy = std::move(*got_policy);
    }

    std::lock_guard lock(policy_mutex_);
    auto loaded = load_policy_document();
    if (!loaded)
      return tl::unexpected(loaded.error());
    Attributes doc =
        *loaded ? std::move(**loaded)
                : Attributes{{"format", kLocalAccessPolicyFormat}, {"roles", Attributes::object()}};
    Attributes& roles = doc["roles"];
    if (desired.type == config::kRoleType) {
      Attributes& entry = roles[id->role];
      if (!entry.is_object())
        entry = Attributes::object();
      if (!member(entry, "policies"))
        entry["policies"] = Attributes::object();
      entry["trust_policy"] = std::move(trust);
      entry["tags"] = std::move(tags);
    } else {
      auto role = roles.find(id->role);
      if (role == roles.end()) {
        return failure(FailureKind::kNotFound,
                       "role " + id->role + " is not in " + policy_path().string());
      }
      Attributes& policies = (*role)["policies"];  // null (absent) becomes an object
      policies[id->policy] = std::move(policy);
    }
    if (auto saved = save_policy_document(doc); !saved)
      return tl::unexpected(saved.error());
    return desired.attributes;
  }

  /// Removes a role with all its policies, or one policy. Succeeds if it is already gone;
  /// never writes the document when nothing changes.
  ProviderResult<void> remove_policy_entry(const config::ResourceRecord& prior) {
    auto id = parse_policy_id(prior.type, prior.provider_id);
    if (!id)
      return tl::unexpected(id.error());
    std::lock_guard lock(policy_mutex_);
    auto loaded = load_policy_document();
    if (!loaded)
      return tl::unexpected(loaded.error());
    if (!*loaded)
      return {};
    Attributes doc = std::move(**loaded);
    Attributes& roles = doc["roles"];
    auto role = roles.find(id->role);
    if (role == roles.end())
      return {};
    if (prior.type == config::kRoleType) {
      roles.erase(role);
    } else {
      auto policies = role->find("policies");
      if (policies == role->end() || policies->erase(id->policy) == 0)
        return {};
    }
    return save_policy_document(doc);
  }

  MarkerCache load_marker_cache() {
    if (cache_.file.empty() || cache_.clock == nullptr)
      return {};
    auto text = fs_.read_file(cache_.file);
    if (!text)
      return {};
    return MarkerCache::parse(std::move(*text), root_.native());
  }

  /// Writes the entries kept by this refresh. A cache that cannot be written is only a slower
  /// next refresh: logged, never an error.
  void save_marker_cache(const std::vector<std::optional<MarkerCache::Entry>>& keep) {
    if (cache_.file.empty() || cache_.clock == nullptr)
      return;
    std::vector<MarkerCache::Entry> entries;
    entries.reserve(keep.size());
    for (const auto& entry : keep) {
      if (entry)
        entries.push_back(*entry);
    }
    auto written =
        fs_.write_file_atomic(cache_.file, MarkerCache::serialize(root_.native(), entries), 0600,
                              config::Durability::kNoFsync);
    if (!written) {
      config::Log::write(config::LogLevel::kDebug, "refresh: cannot write the marker cache " +
                                                       cache_.file.string() + ": " +
                                                       written.error().message());
    }
  }

  const fs::path root_;
  config::FileSystem& fs_;
  const LocalMarkerCache cache_;
  std::mutex policy_mutex_;  ///< Guards each read-modify-write of the access policy document.
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
                                              config::FileSystem& fs, LocalMarkerCache cache) {
  return std::make_unique<LocalProvider>(normal_root(root), fs, std::move(cache));
}

}  // namespace lakeinfra::providers
