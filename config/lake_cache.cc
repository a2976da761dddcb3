#include "config/lake_cache.h"

#include <cstring>
#include <limits>
#include <type_traits>

namespace lakeinfra::config {
namespace {

constexpr std::string_view kFormat = "lakeinfra-lake-cache/1\n";

// One description of each struct serves both directions: Io is Writer (members are const) or
// Reader (members are filled in).
template <class Io, class T>
using Member = std::conditional_t<Io::kReading, T, const T>;

template <class Io>
void fields(Io& io, Member<Io, Location>& x) {
  io(x.file, x.line, x.column);
}
template <class Io>
void fields(Io& io, Member<Io, Diagnostic>& x) {
  io(x.severity, x.summary, x.detail, x.hint, x.location, x.address);
}
template <class Io>
void fields(Io& io, Member<Io, LakeInfo>& x) {
  io(x.name, x.instance, x.region, x.org, x.location);
}
template <class Io>
void fields(Io& io, Member<Io, Storage>& x) {
  io(x.provider, x.root, x.endpoint, x.region, x.addressing, x.profile, x.verify_tls, x.location,
     x.endpoint_location, x.region_location, x.addressing_location, x.profile_location,
     x.verify_tls_location);
}
template <class Io>
void fields(Io& io, Member<Io, Naming>& x) {
  io(x.zone, x.container, x.role, x.zone_location, x.container_location, x.role_location);
}
template <class Io>
void fields(Io& io, Member<Io, Container>& x) {
  io(x.name, x.tier, x.physical_name, x.location);
}
template <class Io>
void fields(Io& io, Member<Io, Zone>& x) {
  io(x.name, x.tier, x.force_destroy, x.versioning, x.versioning_set, x.naming, x.physical_name,
     x.containers, x.location);
}
template <class Io>
void fields(Io& io, Member<Io, Jobs>& x) {
  io(x.registry, x.linked_service, x.location, x.linked_service_location);
}
template <class Io>
void fields(Io& io, Member<Io, ArtifactsTarget>& x) {
  io(x.zone, x.container, x.declared, x.location);
}
template <class Io>
void fields(Io& io, Member<Io, Pipeline>& x) {
  io(x.name, x.repo, x.ref, x.path, x.token_env, x.schedule, x.build_timeout_seconds, x.location,
     x.repo_location, x.ref_location, x.path_location);
}
template <class Io>
void fields(Io& io, Member<Io, Workspace>& x) {
  io(x.root, x.location);
}
template <class Io>
void fields(Io& io, Member<Io, Mount>& x) {
  io(x.name, x.zone, x.container, x.path, x.location, x.path_location);
}
template <class Io>
void fields(Io& io, Member<Io, Instance>& x) {
  io(x.name, x.max_tier, x.location, x.max_tier_location);
}
template <class Io>
void fields(Io& io, Member<Io, Grant>& x) {
  io(x.zone, x.container, x.access, x.location, x.zone_location, x.container_location,
     x.access_location);
}
template <class Io>
void fields(Io& io, Member<Io, Role>& x) {
  io(x.name, x.description, x.clearance, x.phi, x.principals, x.grants, x.physical_name, x.location,
     x.clearance_location, x.phi_location);
}
template <class Io>
void fields(Io& io, Member<Io, Lake>& x) {
  io(x.lake, x.storage, x.naming, x.zones, x.jobs, x.artifacts, x.pipelines, x.workspace, x.mounts,
     x.tiers, x.tiers_location, x.phi_tier, x.phi_tier_location, x.instances, x.roles,
     x.config_path, x.sources, x.warnings);
}
template <class Io>
void fields(Io& io, Member<Io, LoadInput>& x) {
  io(x.kind, x.name, x.digest);
}

// How many members an aggregate declares: the most initializers T{...} accepts, each of which
// converts to anything. member_counts() sets it beside how many members fields() names, so that
// a member added to a struct but not to its fields() fails a test instead of silently vanishing
// from every cached lake.
struct AnyMember {
  template <class T>
  operator T() const;  // never called: only asked about in requires-expressions
};
template <class T, class... Given>
constexpr size_t declared_members() {
  if constexpr (requires { T{Given{}..., AnyMember{}}; })
    return declared_members<T, Given..., AnyMember>();
  else
    return sizeof...(Given);
}

/// Counts the members fields() names.
struct MemberCounter {
  static constexpr bool kReading = true;
  size_t count = 0;
  template <class... T>
  void operator()(T&...) {
    count = sizeof...(T);
  }
};

template <class T>
MemberCount count_members(const char* type) {
  MemberCounter counter;
  T x{};
  fields(counter, x);
  return {type, declared_members<T>(), counter.count};
}

// The values an enum may hold; anything else in a file means it is damaged.
bool valid(Severity v) {
  return v == Severity::kError || v == Severity::kWarning || v == Severity::kNote;
}
bool valid(Access v) {
  return v == Access::kRead || v == Access::kWrite || v == Access::kAdmin;
}
bool valid(LoadInput::Kind v) {
  return v == LoadInput::Kind::kFile || v == LoadInput::Kind::kAbsent || v == LoadInput::Kind::kEnv;
}

/// Appends values: integers as 8 little-endian bytes (this machine's order: a cache never leaves
/// it), strings and lists as their length then their items.
class Writer {
 public:
  static constexpr bool kReading = false;
  explicit Writer(std::string& out) : out_(out) {}

  template <class... T>
  void operator()(const T&... values) {
    (put(values), ...);
  }

 private:
  void put_u64(uint64_t v) {
    char bytes[sizeof v];
    std::memcpy(bytes, &v, sizeof v);
    out_.append(bytes, sizeof bytes);
  }
  void put(const std::string& s) {
    put_u64(s.size());
    out_.append(s);
  }
  void put(const std::filesystem::path& p) { put(p.native()); }
  void put(bool b) { out_.push_back(b ? '\1' : '\0'); }
  void put(int v) { put_u64(static_cast<uint64_t>(static_cast<int64_t>(v))); }
  template <class E>
  requires std::is_enum_v<E>
  void put(E v) { put_u64(static_cast<uint64_t>(v)); }
  template <class T>
  void put(const std::vector<T>& items) {
    put_u64(items.size());
    for (const auto& item : items)
      put(item);
  }
  void put(const Diagnostics& d) { put(d.items()); }
  template <class T>
  requires std::is_class_v<T>
  void put(const T& x) { fields(*this, x); }

  std::string& out_;
};

/// Reads what Writer wrote. Never reads past the end: the first short or impossible value marks
/// the whole file damaged (ok() false), and the remaining reads do nothing.
class Reader {
 public:
  static constexpr bool kReading = true;
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  template <class... T>
  void operator()(T&... values) {
    (get(values), ...);
  }

  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && rest_.empty(); }
  size_t remaining() const { return rest_.size(); }
  /// Consumes `text` when the bytes start with it.
  bool expect(std::string_view text) {
    if (!ok_ || rest_.substr(0, text.size()) != text)
      return ok_ = false;
    rest_.remove_prefix(text.size());
    return true;
  }

 private:
  uint64_t get_u64() {
    uint64_t v = 0;
    if (!ok_ || rest_.size() < sizeof v) {
      ok_ = false;
      return 0;
    }
    std::memcpy(&v, rest_.data(), sizeof v);
    rest_.remove_prefix(sizeof v);
    return v;
  }
  /// A length or count: never more than the bytes left (every item takes at least one).
  size_t get_size() {
    uint64_t n = get_u64();
    if (n > rest_.size()) {
      ok_ = false;
      return 0;
    }
    return static_cast<size_t>(n);
  }
  void get(std::string& s) {
    size_t n = get_size();
    s.assign(rest_.data(), n);
    rest_.remove_prefix(n);
  }
  void get(std::filesystem::path& p) {
    std::string s;
    get(s);
    p = std::move(s);
  }
  void get(bool& b) {
    if (!ok_ || rest_.empty() || static_cast<unsigned char>(rest_[0]) > 1) {
      ok_ = false;
      return;
    }
    b = rest_[0] == '\1';
    rest_.remove_prefix(1);
  }
  void get(int& v) {
    auto wide = static_cast<int64_t>(get_u64());
    if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
      ok_ = false;
      return;
    }
    v = static_cast<int>(wide);
  }
  template <class E>
  requires std::is_enum_v<E>
  void get(E& v) {
    uint64_t raw = get_u64();
    auto e = static_cast<E>(static_cast<std::underlying_type_t<E>>(raw));
    if (static_cast<uint64_t>(e) != raw || !valid(e)) {
      ok_ = false;
      return;
    }
    v = e;
  }
  template <class T>
  void get(std::vector<T>& items) {
    size_t n = get_size();
    items.clear();
    items.reserve(n);
    for (size_t i = 0; i < n && ok_; ++i)
      get(items.emplace_back());
  }
  void get(Diagnostics& d) {
    std::vector<Diagnostic> items;
    get(items);
    d = Diagnostics();
    for (auto& item : items)
      d.add(std::move(item));
  }
  template <class T>
  requires std::is_class_v<T>
  void get(T& x) { fields(*this, x); }

  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace

std::vector<MemberCount> member_counts() {
  return {count_members<Location>("Location"),
          count_members<Diagnostic>("Diagnostic"),
          count_members<LakeInfo>("LakeInfo"),
          count_members<Storage>("Storage"),
          count_members<Naming>("Naming"),
          count_members<Container>("Container"),
          count_members<Zone>("Zone"),
          count_members<Jobs>("Jobs"),
          count_members<ArtifactsTarget>("ArtifactsTarget"),
          count_members<Pipeline>("Pipeline"),
          count_members<Workspace>("Workspace"),
          count_members<Mount>("Mount"),
          count_members<Instance>("Instance"),
          count_members<Grant>("Grant"),
          count_members<Role>("Role"),
          count_members<Lake>("Lake"),
          count_members<LoadInput>("LoadInput")};
}

std::string serialize_cached_lake(const std::string& key, const std::vector<LoadInput>& inputs,
                                  const Lake& lake) {
  std::string out(kFormat);
  Writer write(out);
  write(key, inputs, lake);
  return out;
}

std::optional<CachedLakeHeader> parse_cached_lake_header(std::string_view bytes) {
  Reader read(bytes);
  CachedLakeHeader header;
  if (!read.expect(kFormat))
    return std::nullopt;
  read(header.key, header.inputs);
  if (!read.ok())
    return std::nullopt;
  header.lake_offset = bytes.size() - read.remaining();
  return header;
}

std::optional<Lake> parse_cached_lake(std::string_view bytes, const CachedLakeHeader& header) {
  if (header.lake_offset > bytes.size())
    return std::nullopt;
  Reader read(bytes.substr(header.lake_offset));
  Lake lake;
  read(lake);
  if (!read.at_end())
    return std::nullopt;
  return lake;
}

}  // namespace lakeinfra::config
