#include "providers/local/local_provider.h"

#include "config/digest.h"
#include "providers/local/marker_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

namespace lakeinfra::providers {
namespace {

namespace fs = std::filesystem;
using config::Address;
using config::Attributes;
using config::DesiredResource;
using config::ResourceRecord;

/// A fresh directory under the system temp dir, removed with everything below it.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string pattern = (fs::temp_directory_path() / "lakeinfra-providers-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      std::abort();
    path_ = pattern;
  }
  ~ScopedTempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// RealFileSystem that fails chosen (operation, path) calls with a chosen error.
class FaultyFileSystem : public config::FileSystem {
 public:
  /// `op` is one of read, write, stat, mkdir, mkdirs, list, remove, remove_all, symlink,
  /// readlink.
  void fail(const std::string& op, const fs::path& path, std::errc error) {
    std::lock_guard lock(mutex_);
    failures_[{op, path.string()}] = std::make_error_code(error);
  }

  config::FsResult<std::string> read_file(const fs::path& path) override {
    if (auto ec = check("read", path))
      return tl::unexpected(ec);
    return real_.read_file(path);
  }
  config::FsResult<void> write_file_atomic(
      const fs::path& path, const std::string& content, unsigned mode = 0644,
      config::Durability durability = config::Durability::kFsync) override {
    if (auto ec = check("write", path))
      return tl::unexpected(ec);
    return real_.write_file_atomic(path, content, mode, durability);
  }
  config::FsResult<config::FileInfo> stat(const fs::path& path) override {
    if (auto ec = check("stat", path))
      return tl::unexpected(ec);
    return real_.stat(path);
  }
  config::FsResult<bool> make_directory(const fs::path& path) override {
    if (auto ec = check("mkdir", path))
      return tl::unexpected(ec);
    return real_.make_directory(path);
  }
  config::FsResult<void> make_directories(const fs::path& path) override {
    if (auto ec = check("mkdirs", path))
      return tl::unexpected(ec);
    return real_.make_directories(path);
  }
  config::FsResult<std::vector<std::string>> list_directory(const fs::path& path) override {
    if (auto ec = check("list", path))
      return tl::unexpected(ec);
    return real_.list_directory(path);
  }
  config::FsResult<void> remove(const fs::path& path) override {
    if (auto ec = check("remove", path))
      return tl::unexpected(ec);
    return real_.remove(path);
  }
  config::FsResult<uint64_t> remove_all(const fs::path& path) override {
    if (auto ec = check("remove_all", path))
      return tl::unexpected(ec);
    return real_.remove_all(path);
  }
  config::FsResult<void> create_symlink(const fs::path& target, const fs::path& link) override {
    if (auto ec = check("symlink", link))
      return tl::unexpected(ec);
    return real_.create_symlink(target, link);
  }
  config::FsResult<fs::path> read_symlink(const fs::path& link) override {
    if (auto ec = check("readlink", link))
      return tl::unexpected(ec);
    return real_.read_symlink(link);
  }

 private:
  std::error_code check(const std::string& op, const fs::path& path) {
    std::lock_guard lock(mutex_);
    auto it = failures_.find({op, path.string()});
    return it == failures_.end() ? std::error_code() : it->second;
  }

  config::RealFileSystem real_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::error_code> failures_;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

DesiredResource zone(const std::string& physical = "healthetl-dev01-bronze",
                     const std::string& tier = "sensitive") {
  DesiredResource d;
  d.address = Address("zone", {"bronze"});
  d.type = "zone";
  d.provider_id = physical;
  d.attributes = {{"name", "bronze"},
                  {"tier", tier},
                  {"force_destroy", false},
                  {"lake", "healthetl"},
                  {"instance", "dev01"}};
  return d;
}

DesiredResource container(const std::string& physical = "healthetl-dev01-bronze/raw",
                          const std::string& tier = "sensitive") {
  DesiredResource d;
  d.address = Address("container", {"bronze", "raw"});
  d.type = "container";
  d.provider_id = physical;
  d.attributes = {{"zone", "bronze"}, {"name", "raw"}, {"tier", tier}};
  return d;
}

ResourceRecord record(const DesiredResource& d) {
  ResourceRecord r;
  r.address = d.address;
  r.type = d.type;
  r.provider = "local";
  r.provider_id = d.provider_id;
  r.attributes = d.attributes;
  return r;
}

class LocalProviderTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_.path() / "lake"; }
  fs::path zone_dir() const { return root() / "healthetl-dev01-bronze"; }
  fs::path container_dir() const { return zone_dir() / "raw"; }

  void create_zone_and_container() {
    ASSERT_TRUE(provider_->create(zone())) << provider_->create(zone()).error().message;
    ASSERT_TRUE(provider_->create(container())) << provider_->create(container()).error().message;
  }

  ScopedTempDir tmp_;
  FaultyFileSystem fs_;
  std::unique_ptr<Provider> provider_ = make_local_provider(tmp_.path() / "lake", fs_);
};

TEST_F(LocalProviderTest, IdentifiesItself) {
  EXPECT_EQ(provider_->kind(), "local");
  EXPECT_TRUE(provider_->manages("zone"));
  EXPECT_TRUE(provider_->manages("container"));
  EXPECT_TRUE(provider_->manages("role"));
  EXPECT_TRUE(provider_->manages("grant"));
  EXPECT_FALSE(provider_->manages("job"));
  EXPECT_EQ(provider_->describe("container", "a/b"), (root() / "a/b").string());
  for (const char* attribute : {"name", "zone"}) {
    EXPECT_TRUE(provider_->requires_replace("zone", attribute)) << attribute;
  }
  for (const char* attribute : {"tier", "force_destroy", "lake", "instance"}) {
    EXPECT_FALSE(provider_->requires_replace("zone", attribute)) << attribute;
  }
}

TEST_F(LocalProviderTest, RootIsNormalised) {
  auto provider = make_local_provider(tmp_.path().string() + "/x/../lake/", fs_);
  EXPECT_EQ(provider->describe("zone", "z"), (root() / "z").string());
}

TEST_F(LocalProviderTest, CreateMakesDirectoriesAndMarkers) {
  auto created = provider_->create(zone());
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(*created, zone().attributes);
  auto created_container = provider_->create(container());
  ASSERT_TRUE(created_container) << created_container.error().message;
  EXPECT_EQ(*created_container, container().attributes);

  ASSERT_TRUE(fs::is_directory(container_dir()));
  EXPECT_EQ(Attributes::parse(read_text(zone_dir() / kLocalMarkerFile)),
            Attributes({{"managed_by", "lakeinfra"},
                        {"address", "zone.bronze"},
                        {"type", "zone"},
                        {"tier", "sensitive"}}));
  EXPECT_EQ(Attributes::parse(read_text(container_dir() / kLocalMarkerFile)),
            Attributes({{"managed_by", "lakeinfra"},
                        {"address", "container.bronze.raw"},
                        {"type", "container"},
                        {"tier", "sensitive"}}));
}

TEST_F(LocalProviderTest, ReadReportsTierAndNoEntries) {
  auto missing = provider_->read("zone", "healthetl-dev01-bronze");
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_FALSE(missing->has_value());

  create_zone_and_container();
  for (const auto& [type, id] : {std::pair{"zone", "healthetl-dev01-bronze"},
                                 std::pair{"container", "healthetl-dev01-bronze/raw"}}) {
    auto observed = provider_->read(type, id);
    ASSERT_TRUE(observed) << observed.error().message;
    ASSERT_TRUE(observed->has_value()) << id;
    EXPECT_EQ((*observed)->attributes, Attributes({{"tier", "sensitive"}}));
    EXPECT_EQ(provider_->count_data(type, id, {}), uint64_t{0});
    EXPECT_FALSE((*observed)->unmanaged);
  }
}

TEST(CanonicalMarkerTest, IsExactlyTheJsonDumpOfTheMarker) {
  Attributes with_tier = {{"managed_by", "lakeinfra"},
                          {"address", "container.bronze.raw"},
                          {"type", "container"},
                          {"tier", "sensitive"}};
  EXPECT_EQ(canonical_marker("container.bronze.raw", "container", "sensitive"),
            with_tier.dump(2) + "\n");
  Attributes without_tier = {{"managed_by", "lakeinfra"}, {"address", "zone.x"}, {"type", "zone"}};
  EXPECT_EQ(canonical_marker("zone.x", "zone", std::nullopt), without_tier.dump(2) + "\n");
  // Values that JSON would escape (or that are not ASCII) are left to nlohmann.
  for (std::string bad : std::vector<std::string>{"a\"b", "a\\b", "a\nb", "caf\xc3\xa9", "a\x7f"}) {
    EXPECT_EQ(canonical_marker(bad, "zone", std::nullopt), std::nullopt) << bad;
    EXPECT_EQ(canonical_marker("zone.x", "zone", bad), std::nullopt) << bad;
  }
}

TEST_F(LocalProviderTest, MarkersAreWrittenInCanonicalForm) {
  create_zone_and_container();
  EXPECT_EQ(read_text(zone_dir() / kLocalMarkerFile),
            canonical_marker("zone.bronze", "zone", "sensitive"));
  EXPECT_EQ(read_text(container_dir() / kLocalMarkerFile),
            canonical_marker("container.bronze.raw", "container", "sensitive"));
}

// Refresh recognises lakeinfra's own bytes without parsing; anything else is parsed as JSON,
// so a marker reformatted, extended or retyped by hand is still read by its meaning.
TEST_F(LocalProviderTest, ReadParsesMarkersThatAreNotCanonical) {
  create_zone_and_container();
  const std::string id = "healthetl-dev01-bronze";
  auto read_zone = [&] {
    auto observed = provider_->read("zone", id);
    EXPECT_TRUE(observed && observed->has_value());
    return observed && observed->has_value() ? **observed : Observed{};
  };
  struct Case {
    std::string text;
    Attributes attributes;
    bool unmanaged;
  };
  const std::vector<Case> cases = {
      // canonical, tier changed by hand: drift seen on the fast path
      {*canonical_marker("zone.bronze", "zone", "internal"), {{"tier", "internal"}}, false},
      // canonical without a tier
      {*canonical_marker("zone.bronze", "zone", std::nullopt), Attributes::object(), false},
      // compact JSON, an extra key, keys in another order
      {R"({"type":"zone","tier":"restricted","managed_by":"lakeinfra","address":"zone.bronze"})",
       {{"tier", "restricted"}},
       false},
      {R"({"address":"zone.bronze","managed_by":"lakeinfra","note":"x","tier":"a","type":"zone"})",
       {{"tier", "a"}},
       false},
      // a container's marker in a zone, someone else's marker: not lakeinfra's zone
      {*canonical_marker("container.bronze.raw", "container", "sensitive"), Attributes::object(),
       true},
      {"{\n  \"address\": \"zone.bronze\",\n  \"managed_by\": \"someone\",\n  \"type\": "
       "\"zone\"\n}\n",
       Attributes::object(), true},
  };
  for (const auto& c : cases) {
    write_text(zone_dir() / kLocalMarkerFile, c.text);
    Observed observed = read_zone();
    EXPECT_EQ(observed.attributes, c.attributes) << c.text;
    EXPECT_EQ(observed.unmanaged, c.unmanaged) << c.text;
  }
}

TEST_F(LocalProviderTest, DataEntriesCountFilesAnywhereBelow) {
  create_zone_and_container();
  write_text(container_dir() / "a.csv", "1\n");
  write_text(container_dir() / "day=1" / "b.csv", "2\n");
  fs::create_directories(container_dir() / "empty" / "deeper");

  EXPECT_EQ(provider_->count_data("container", "healthetl-dev01-bronze/raw", {}), uint64_t{2});
  // The container's marker is not data.
  EXPECT_EQ(provider_->count_data("zone", "healthetl-dev01-bronze", {}), uint64_t{2});
  EXPECT_EQ(provider_->count_data("zone", "healthetl-dev01-absent", {}), uint64_t{0});
}

TEST_F(LocalProviderTest, SymlinksInsideCountAsEntriesAndAreNotFollowed) {
  create_zone_and_container();
  fs::path outside = tmp_.path() / "outside";
  write_text(outside / "x.csv", "x");
  write_text(outside / "y.csv", "y");
  fs::create_directory_symlink(outside, container_dir() / "link");

  EXPECT_EQ(provider_->count_data("container", "healthetl-dev01-bronze/raw", {}), uint64_t{1});

  ASSERT_TRUE(provider_->remove(record(container()), /*force=*/true));
  EXPECT_FALSE(fs::exists(container_dir()));
  EXPECT_TRUE(fs::exists(outside / "x.csv"));
  EXPECT_TRUE(fs::exists(outside / "y.csv"));
}

TEST_F(LocalProviderTest, RemoveWithoutForceRefusesToDeleteData) {
  create_zone_and_container();
  write_text(container_dir() / "a.csv", "1\n");
  write_text(container_dir() / "day=1" / "b.csv", "2\n");
  write_text(zone_dir() / "notes.txt", "3\n");

  auto removed = provider_->remove(record(zone()), /*force=*/false);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().kind, FailureKind::kConflict);
  EXPECT_EQ(removed.error().message,
            "zone directory " + zone_dir().string() + " holds 3 entries; refusing to delete data");

  auto removed_container = provider_->remove(record(container()), /*force=*/false);
  ASSERT_FALSE(removed_container);
  EXPECT_EQ(removed_container.error().message, "container directory " + container_dir().string() +
                                                   " holds 2 entries; refusing to delete data");

  EXPECT_EQ(read_text(container_dir() / "a.csv"), "1\n");
  EXPECT_EQ(read_text(container_dir() / "day=1" / "b.csv"), "2\n");
  EXPECT_EQ(read_text(zone_dir() / "notes.txt"), "3\n");
  EXPECT_TRUE(fs::exists(zone_dir() / kLocalMarkerFile));
  EXPECT_TRUE(fs::exists(container_dir() / kLocalMarkerFile));
}

TEST_F(LocalProviderTest, SingleEntryMessage) {
  create_zone_and_container();
  write_text(container_dir() / "a.csv", "1\n");
  auto removed = provider_->remove(record(container()), /*force=*/false);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().message, "container directory " + container_dir().string() +
                                         " holds 1 entry; refusing to delete data");
}

TEST_F(LocalProviderTest, RemoveWithForceDeletesData) {
  create_zone_and_container();
  write_text(container_dir() / "day=1" / "b.csv", "2\n");
  auto removed = provider_->remove(record(zone()), /*force=*/true);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_FALSE(fs::exists(zone_dir()));
  EXPECT_TRUE(fs::is_directory(root()));
}

TEST_F(LocalProviderTest, RemoveEmptyZoneRemovesMarkersAndEmptyDirectories) {
  create_zone_and_container();
  fs::create_directories(container_dir() / "empty" / "deeper");
  fs::create_directories(zone_dir() / "tmp");
  auto removed = provider_->remove(record(zone()), /*force=*/false);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_FALSE(fs::exists(zone_dir()));
  EXPECT_TRUE(fs::is_empty(root()));
}

TEST_F(LocalProviderTest, RemoveOfMissingObjectSucceeds) {
  EXPECT_TRUE(provider_->remove(record(zone()), false));
  EXPECT_TRUE(provider_->remove(record(container()), true));
}

TEST_F(LocalProviderTest, LeftoverMarkerTempFileIsNotData) {
  create_zone_and_container();
  write_text(container_dir() / (std::string(kLocalMarkerFile) + ".tmp-123"), "{");
  EXPECT_EQ(provider_->count_data("container", "healthetl-dev01-bronze/raw", {}), uint64_t{0});
  EXPECT_TRUE(provider_->remove(record(container()), false));
  EXPECT_FALSE(fs::exists(container_dir()));
}

TEST_F(LocalProviderTest, CreateAdoptsExistingDirectoryWithoutDeletingFiles) {
  write_text(zone_dir() / "old.csv", "keep\n");
  auto created = provider_->create(zone());
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(read_text(zone_dir() / "old.csv"), "keep\n");
  EXPECT_TRUE(fs::exists(zone_dir() / kLocalMarkerFile));

  auto again = provider_->create(zone());
  ASSERT_TRUE(again) << again.error().message;
  auto observed = provider_->read("zone", "healthetl-dev01-bronze");
  ASSERT_TRUE(observed && observed->has_value());
  EXPECT_FALSE((*observed)->unmanaged);
  EXPECT_EQ(provider_->count_data("zone", "healthetl-dev01-bronze", {}), uint64_t{1});
}

TEST_F(LocalProviderTest, ContainerWithoutZoneIsNotFound) {
  auto created = provider_->create(container());
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, FailureKind::kNotFound);
  EXPECT_EQ(created.error().message, "zone directory " + zone_dir().string() + " does not exist");
  EXPECT_FALSE(fs::exists(zone_dir()));
}

TEST_F(LocalProviderTest, FileInPlaceOfDirectoryIsConflict) {
  write_text(zone_dir(), "not a directory");
  auto created = provider_->create(zone());
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, FailureKind::kConflict);
  EXPECT_EQ(created.error().message,
            "zone path " + zone_dir().string() + " exists and is not a directory");
  auto removed = provider_->remove(record(zone()), true);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().kind, FailureKind::kConflict);
  EXPECT_EQ(read_text(zone_dir()), "not a directory");
}

// create() judges the zone and the container from what its walk below the root saw, without
// stat()ing them again: a file at either path is a conflict, and nothing is made.
TEST_F(LocalProviderTest, ContainerInAFileOrOverAFileIsConflict) {
  write_text(zone_dir(), "not a directory");
  auto created = provider_->create(container());
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, FailureKind::kConflict);
  EXPECT_EQ(created.error().message,
            "zone path " + zone_dir().string() + " exists and is not a directory");
  EXPECT_EQ(read_text(zone_dir()), "not a directory");

  fs::remove(zone_dir());
  ASSERT_TRUE(provider_->create(zone()));
  write_text(container_dir(), "data");
  created = provider_->create(container());
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, FailureKind::kConflict);
  EXPECT_EQ(created.error().message,
            "container path " + container_dir().string() + " exists and is not a directory");
  EXPECT_EQ(read_text(container_dir()), "data");
}

TEST_F(LocalProviderTest, UpdateRewritesTier) {
  create_zone_and_container();
  ResourceRecord prior = record(zone());
  auto updated = provider_->update(prior, zone("healthetl-dev01-bronze", "internal"));
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ((*updated)["tier"], "internal");
  EXPECT_EQ(Attributes::parse(read_text(zone_dir() / kLocalMarkerFile))["tier"], "internal");
  auto observed = provider_->read("zone", "healthetl-dev01-bronze");
  ASSERT_TRUE(observed && observed->has_value());
  EXPECT_EQ((*observed)->attributes, Attributes({{"tier", "internal"}}));
}

TEST_F(LocalProviderTest, UpdateOfMissingDirectoryIsNotFound) {
  auto updated = provider_->update(record(zone()), zone());
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().kind, FailureKind::kNotFound);
  EXPECT_EQ(updated.error().message, "zone directory " + zone_dir().string() + " does not exist");
  EXPECT_FALSE(fs::exists(zone_dir()));
}

TEST_F(LocalProviderTest, HandEditedMarkerShowsAsDrift) {
  create_zone_and_container();
  auto marker = Attributes::parse(read_text(zone_dir() / kLocalMarkerFile));
  marker["tier"] = "internal";
  write_text(zone_dir() / kLocalMarkerFile, marker.dump());
  auto observed = provider_->read("zone", "healthetl-dev01-bronze");
  ASSERT_TRUE(observed && observed->has_value());
  EXPECT_EQ((*observed)->attributes, Attributes({{"tier", "internal"}}));
  EXPECT_FALSE((*observed)->unmanaged);
}

TEST_F(LocalProviderTest, DirectoryWithoutValidMarkerIsUnmanaged) {
  write_text(zone_dir() / "data.csv", "x");
  for (const char* marker : {"", "not json", "[]", R"({"managed_by":"someone"})",
                             R"({"managed_by":"lakeinfra","type":"container","tier":"x"})"}) {
    if (*marker != '\0')
      write_text(zone_dir() / kLocalMarkerFile, marker);
    auto observed = provider_->read("zone", "healthetl-dev01-bronze");
    ASSERT_TRUE(observed) << observed.error().message;
    ASSERT_TRUE(observed->has_value());
    EXPECT_TRUE((*observed)->unmanaged) << marker;
    EXPECT_EQ((*observed)->attributes, Attributes::object()) << marker;
    EXPECT_EQ(provider_->count_data("zone", "healthetl-dev01-bronze", {}), uint64_t{1}) << marker;
  }
}

TEST_F(LocalProviderTest, UnsafeIdsAreRefused) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"zone", ""},
      {"zone", "/etc"},
      {"zone", ".."},
      {"zone", "."},
      {"zone", "a/b"},
      {"zone", "Bronze"},
      {"zone", "a b"},
      {"zone", "a\\b"},
      {"zone", "a/"},
      {"container", "z"},
      {"container", "z/.."},
      {"container", "../z"},
      {"container", "z//c"},
      {"container", "z/c/d"},
      {"container", "/tmp/c"},
      {"container", "z/"},
      {"container", "z/../../x"},
      {"job", "z"},
      {"zone", "access-policy.json"},
      {"zone", "access-policy.json.tmp-12"},
      {"container", "access-policy.json/c"},
  };
  for (const auto& [type, id] : cases) {
    SCOPED_TRACE(type + " \"" + id + "\"");
    DesiredResource d = type == "container" ? container(id) : zone(id);
    d.type = type;
    auto created = provider_->create(d);
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().kind, FailureKind::kInvalid);
    EXPECT_FALSE(created.error().message.empty());
    auto read = provider_->read(type, id);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, FailureKind::kInvalid);
    auto updated = provider_->update(record(d), d);
    ASSERT_FALSE(updated);
    EXPECT_EQ(updated.error().kind, FailureKind::kInvalid);
    auto removed = provider_->remove(record(d), true);
    ASSERT_FALSE(removed);
    EXPECT_EQ(removed.error().kind, FailureKind::kInvalid);
  }
  // Nothing was made, not even the root, and nothing outside it.
  EXPECT_TRUE(fs::is_empty(tmp_.path()));
}

TEST_F(LocalProviderTest, UnsafeIdMessages) {
  auto dotdot = provider_->create(container("z/.."));
  ASSERT_FALSE(dotdot);
  EXPECT_EQ(dotdot.error().message,
            "unsafe container id \"z/..\": path component \"..\" is not allowed");
  auto absolute = provider_->create(zone("/etc"));
  ASSERT_FALSE(absolute);
  EXPECT_EQ(absolute.error().message, "unsafe zone id \"/etc\": it is an absolute path");
  auto deep = provider_->create(zone("a/b"));
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().message, "unsafe zone id \"a/b\": a zone id has 1 path component, not 2");
  auto chars = provider_->create(zone("Bronze"));
  ASSERT_FALSE(chars);
  EXPECT_EQ(chars.error().message,
            "unsafe zone id \"Bronze\": path component \"Bronze\" has characters outside "
            "[a-z0-9-._]");
}

TEST_F(LocalProviderTest, SymlinkComponentsAreRefused) {
  fs::path outside = tmp_.path() / "outside";
  write_text(outside / "precious.csv", "keep");
  fs::create_directories(root());
  fs::create_directory_symlink(outside, root() / "escape");

  auto created = provider_->create(container("escape/raw"));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, FailureKind::kInvalid);
  EXPECT_EQ(created.error().message, "refusing to use " + (root() / "escape").string() +
                                         ": it is a symlink and could lead outside " +
                                         root().string());
  EXPECT_FALSE(fs::exists(outside / "raw"));

  auto zone_created = provider_->create(zone("escape"));
  ASSERT_FALSE(zone_created);
  EXPECT_EQ(zone_created.error().kind, FailureKind::kInvalid);
  EXPECT_FALSE(fs::exists(outside / kLocalMarkerFile));

  auto read = provider_->read("zone", "escape");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, FailureKind::kInvalid);

  auto removed = provider_->remove(record(zone("escape")), /*force=*/true);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().kind, FailureKind::kInvalid);
  EXPECT_EQ(read_text(outside / "precious.csv"), "keep");

  // A symlink in the container's place is refused too.
  ASSERT_TRUE(provider_->create(zone()));
  fs::create_directory_symlink(outside, zone_dir() / "raw");
  auto container_created = provider_->create(container());
  ASSERT_FALSE(container_created);
  EXPECT_EQ(container_created.error().kind, FailureKind::kInvalid);
  EXPECT_EQ(container_created.error().message, "refusing to use " + (zone_dir() / "raw").string() +
                                                   ": it is a symlink and could lead outside " +
                                                   root().string());
  auto container_removed = provider_->remove(record(container()), /*force=*/true);
  ASSERT_FALSE(container_removed);
  EXPECT_EQ(container_removed.error().kind, FailureKind::kInvalid);
  EXPECT_EQ(read_text(outside / "precious.csv"), "keep");
  EXPECT_FALSE(fs::exists(outside / kLocalMarkerFile));
}

// Refresh reads a marker in one lookup that refuses symlinks (openat2 RESOLVE_NO_SYMLINKS) and
// falls back to the component-by-component walk; both must agree.
TEST_F(LocalProviderTest, RefreshRefusesASymlinkEvenToAValidMarker) {
  create_zone_and_container();
  fs::path elsewhere = tmp_.path() / "elsewhere";
  fs::rename(container_dir(), elsewhere);  // its marker is valid, and now outside the root
  fs::create_directory_symlink(elsewhere, container_dir());
  auto read = provider_->read("container", "healthetl-dev01-bronze/raw");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, FailureKind::kInvalid);
  EXPECT_NE(read.error().message.find("it is a symlink"), std::string::npos);

  fs::remove(container_dir());
  fs::create_directory(container_dir());
  // A symlinked marker...
  fs::create_symlink(elsewhere / kLocalMarkerFile, container_dir() / kLocalMarkerFile);
  auto unmanaged = provider_->read("container", "healthetl-dev01-bronze/raw");
  ASSERT_TRUE(unmanaged && unmanaged->has_value());
  EXPECT_TRUE((*unmanaged)->unmanaged);  // ...is not lakeinfra's marker
}

TEST_F(LocalProviderTest, RefreshWorksWhenTheRootItselfIsBehindASymlink) {
  create_zone_and_container();
  fs::create_directory_symlink(root(), tmp_.path() / "lake-link");
  auto via_link = make_local_provider(tmp_.path() / "lake-link", fs_);
  auto read = via_link->read("container", "healthetl-dev01-bronze/raw");
  ASSERT_TRUE(read && read->has_value()) << (read ? "" : read.error().message);
  EXPECT_FALSE((*read)->unmanaged);
  EXPECT_EQ((*read)->attributes, Attributes({{"tier", "sensitive"}}));
}

TEST_F(LocalProviderTest, MarkerThatIsAFifoIsUnmanagedAndDoesNotHang) {
  create_zone_and_container();
  fs::remove(container_dir() / kLocalMarkerFile);
  ASSERT_EQ(::mkfifo((container_dir() / kLocalMarkerFile).c_str(), 0644), 0);
  auto read = provider_->read("container", "healthetl-dev01-bronze/raw");
  ASSERT_TRUE(read && read->has_value()) << (read ? "" : read.error().message);
  EXPECT_TRUE((*read)->unmanaged);
}

TEST_F(LocalProviderTest, PermissionDeniedIsAuth) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root bypasses directory permissions";
  fs::create_directories(root());
  fs::permissions(root(), fs::perms::owner_read | fs::perms::owner_exec);
  auto created = provider_->create(zone());
  fs::permissions(root(), fs::perms::owner_all);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, FailureKind::kAuth);
  EXPECT_EQ(created.error().message, "mkdir " + zone_dir().string() + ": Permission denied");
}

TEST_F(LocalProviderTest, InjectedErrorsMapToKinds) {
  fs_.fail("mkdir", zone_dir(), std::errc::permission_denied);
  auto denied = provider_->create(zone());
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind, FailureKind::kAuth);
  EXPECT_EQ(denied.error().message, "mkdir " + zone_dir().string() + ": Permission denied");

  fs_.fail("mkdirs", root(), std::errc::operation_not_permitted);
  auto not_permitted = provider_->create(zone());
  ASSERT_FALSE(not_permitted);
  EXPECT_EQ(not_permitted.error().kind, FailureKind::kAuth);
  EXPECT_EQ(not_permitted.error().message,
            "mkdir " + root().string() + ": Operation not permitted");

  fs_.fail("stat", root() / "other", std::errc::no_space_on_device);
  auto other = provider_->read("zone", "other");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().kind, FailureKind::kInternal);
  EXPECT_EQ(other.error().message,
            "stat " + (root() / "other").string() + ": No space left on device");
}

TEST_F(LocalProviderTest, WriteFailureNamesTheMarkerPath) {
  fs_.fail("write", zone_dir() / kLocalMarkerFile, std::errc::io_error);
  auto created = provider_->create(zone());
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, FailureKind::kInternal);
  EXPECT_EQ(created.error().message,
            "write " + (zone_dir() / kLocalMarkerFile).string() + ": Input/output error");
}

TEST_F(LocalProviderTest, ListAndRemoveFailuresAreReported) {
  create_zone_and_container();
  fs_.fail("list", container_dir(), std::errc::permission_denied);
  // read() does not list the directory (it never walks data); counting does.
  EXPECT_TRUE(provider_->read("container", "healthetl-dev01-bronze/raw"));
  auto count = provider_->count_data("container", "healthetl-dev01-bronze/raw", {});
  ASSERT_FALSE(count);
  EXPECT_EQ(count.error().kind, FailureKind::kAuth);
  EXPECT_EQ(count.error().message, "list " + container_dir().string() + ": Permission denied");

  fs_.fail("remove_all", zone_dir(), std::errc::device_or_resource_busy);
  auto removed = provider_->remove(record(zone()), true);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().kind, FailureKind::kInternal);
  EXPECT_EQ(removed.error().message,
            "remove_all " + zone_dir().string() + ": Device or resource busy");
}

TEST_F(LocalProviderTest, NonObjectAttributesDoNotThrow) {
  DesiredResource d = zone();
  d.attributes = Attributes::array({1, 2});
  auto created = provider_->create(d);
  ASSERT_TRUE(created) << created.error().message;

  d.attributes = {{"tier", std::string("\xff\xfe")}};  // Invalid UTF-8: dump() throws.
  auto updated = provider_->update(record(d), d);
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().kind, FailureKind::kInternal);
  EXPECT_NE(updated.error().message.find("update healthetl-dev01-bronze: unexpected error"),
            std::string::npos);
}

TEST_F(LocalProviderTest, ConcurrentCreatesOfDifferentResources) {
  ASSERT_TRUE(provider_->create(zone()));
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto c = container("healthetl-dev01-bronze/c" + std::to_string(i));
      ok[static_cast<size_t>(i)] = provider_->create(c).has_value() &&
                                   provider_->read("container", c.provider_id).has_value();
    });
  }
  for (auto& t : threads)
    t.join();
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(ok[static_cast<size_t>(i)]) << i;
    EXPECT_TRUE(fs::exists(zone_dir() / ("c" + std::to_string(i)) / kLocalMarkerFile));
  }
}

// --- artifacts ---

constexpr const char* kArtifactId =
    "healthetl-dev01-bronze/raw/pipelines/hello/artifacts/lib/X.whl";

DesiredResource artifact(const fs::path& source, const std::string& content,
                         const std::string& id = kArtifactId) {
  DesiredResource d;
  d.address = Address("artifact", {"hello", "lib/X.whl"});
  d.type = "artifact";
  d.provider_id = id;
  d.attributes = {{"pipeline", "hello"},
                  {"file", "lib/X.whl"},
                  {"sha256", config::sha256_hex(content)},
                  {"size", content.size()}};
  d.source = source.string();
  return d;
}

TEST_F(LocalProviderTest, ArtifactCreateReadRemove) {
  create_zone_and_container();
  fs::path source = tmp_.path() / "build" / "X.whl";
  write_text(source, "wheel bytes");
  auto created = provider_->create(artifact(source, "wheel bytes"));
  ASSERT_TRUE(created) << created.error().message;
  fs::path file = container_dir() / "pipelines/hello/artifacts/lib/X.whl";
  EXPECT_EQ(read_text(file), "wheel bytes");
  EXPECT_EQ(provider_->describe("artifact", kArtifactId), file.string());

  auto observed = provider_->read("artifact", kArtifactId);
  ASSERT_TRUE(observed) << observed.error().message;
  ASSERT_TRUE(observed->has_value());
  EXPECT_EQ((*observed)->attributes["sha256"], config::sha256_hex("wheel bytes"));
  EXPECT_EQ((*observed)->attributes["size"], 11);

  // Another file in the container keeps the container, its folders go with the artifact.
  write_text(container_dir() / "data.csv", "1\n");
  auto removed = provider_->remove(record(artifact(source, "wheel bytes")), false);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(fs::exists(container_dir() / "pipelines"));
  EXPECT_TRUE(fs::is_directory(container_dir()));
  EXPECT_TRUE(fs::exists(container_dir() / "data.csv"));

  auto gone = provider_->read("artifact", kArtifactId);
  ASSERT_TRUE(gone) << gone.error().message;
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(provider_->remove(record(artifact(source, "wheel bytes")), false));
}

// A SIGKILL between writing a temporary file and renaming it leaves "FILE.tmp-PID-N" beside
// the artifact or marker. The next upload or marker write removes those of dead processes, and
// nothing else.
TEST_F(LocalProviderTest, LeftoversOfKilledWritesAreRemovedByTheNextWrite) {
  create_zone_and_container();
  fs::path dir = container_dir() / "pipelines/hello/artifacts/lib";
  const std::string dead = "X.whl.tmp-999999999-1";  // no such pid
  const std::string live = "X.whl.tmp-" + std::to_string(::getppid()) + "-1";
  for (const std::string& name :
       {dead, live, std::string("X.whl.tmp-notes"), std::string("Y.whl.tmp-999999999-1")}) {
    write_text(dir / name, "partial");
  }
  fs::path source = tmp_.path() / "build" / "X.whl";
  write_text(source, "wheel bytes");
  ASSERT_TRUE(provider_->create(artifact(source, "wheel bytes")));
  EXPECT_FALSE(fs::exists(dir / dead));
  EXPECT_TRUE(fs::exists(dir / live)) << "a running process may still rename it";
  EXPECT_TRUE(fs::exists(dir / "X.whl.tmp-notes")) << "not a temporary name: user data";
  EXPECT_TRUE(fs::exists(dir / "Y.whl.tmp-999999999-1")) << "another file's temporary";

  // A marker: the directory was there (adopted), its killed marker write left a temporary.
  fs::remove(container_dir() / kLocalMarkerFile);
  write_text(container_dir() / (std::string(kLocalMarkerFile) + ".tmp-999999999-7"), "{");
  ASSERT_TRUE(provider_->create(container()));
  EXPECT_TRUE(fs::exists(container_dir() / kLocalMarkerFile));
  EXPECT_FALSE(fs::exists(container_dir() / (std::string(kLocalMarkerFile) + ".tmp-999999999-7")));
}

TEST_F(LocalProviderTest, ArtifactRemoveKeepsFoldersWithOtherArtifacts) {
  create_zone_and_container();
  fs::path source = tmp_.path() / "build" / "X.whl";
  write_text(source, "w");
  std::string other = "healthetl-dev01-bronze/raw/pipelines/hello/artifacts/main.py";
  ASSERT_TRUE(provider_->create(artifact(source, "w")));
  ASSERT_TRUE(provider_->create(artifact(source, "w", other)));
  ASSERT_TRUE(provider_->remove(record(artifact(source, "w")), false));
  EXPECT_FALSE(fs::exists(container_dir() / "pipelines/hello/artifacts/lib"));
  EXPECT_TRUE(fs::exists(container_dir() / "pipelines/hello/artifacts/main.py"));
}

TEST_F(LocalProviderTest, ArtifactSourceChangedSincePlanIsInvalid) {
  create_zone_and_container();
  fs::path source = tmp_.path() / "build" / "X.whl";
  write_text(source, "rebuilt");
  auto created = provider_->create(artifact(source, "planned"));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, FailureKind::kInvalid);
  EXPECT_NE(created.error().message.find("changed since it was planned"), std::string::npos)
      << created.error().message;
  EXPECT_FALSE(fs::exists(container_dir() / "pipelines"));
}

TEST_F(LocalProviderTest, ArtifactNeedsItsContainer) {
  ASSERT_TRUE(provider_->create(zone()));
  fs::path source = tmp_.path() / "build" / "X.whl";
  write_text(source, "w");
  auto created = provider_->create(artifact(source, "w"));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, FailureKind::kNotFound) << created.error().message;
  EXPECT_FALSE(fs::exists(container_dir()));
}

TEST_F(LocalProviderTest, ArtifactsAreNotDataOfTheirContainerWhenExcluded) {
  create_zone_and_container();
  fs::path source = tmp_.path() / "build" / "X.whl";
  write_text(source, "w");
  ASSERT_TRUE(provider_->create(artifact(source, "w")));
  write_text(container_dir() / "data.csv", "1\n");
  auto all = provider_->count_data("container", "healthetl-dev01-bronze/raw", {});
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(*all, 2u);
  auto without = provider_->count_data("container", "healthetl-dev01-bronze/raw", {kArtifactId});
  ASSERT_TRUE(without) << without.error().message;
  EXPECT_EQ(*without, 1u);
  auto zone_count = provider_->count_data("zone", "healthetl-dev01-bronze", {kArtifactId});
  ASSERT_TRUE(zone_count);
  EXPECT_EQ(*zone_count, 1u);
  EXPECT_EQ(provider_->count_data("artifact", kArtifactId, {}), uint64_t{0});
}

TEST_F(LocalProviderTest, ArtifactIdsAllowCapitalsButNotEscapes) {
  for (const std::string id : {"healthetl-dev01-bronze/raw/pipelines/hello/artifacts/../../x",
                               "healthetl-dev01-bronze/raw/..", "healthetl-dev01-bronze/raw",
                               "/abs/raw/x", "healthetl-dev01-bronze/raw/a b",
                               "healthetl-dev01-bronze/Raw/x", "healthetl-dev01-bronze/raw//x"}) {
    auto observed = provider_->read("artifact", id);
    ASSERT_FALSE(observed) << id;
    EXPECT_EQ(observed.error().kind, FailureKind::kInvalid) << id;
  }
  auto ok = provider_->read("artifact", "healthetl-dev01-bronze/raw/A+B=c@d,e.TXT");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_FALSE(ok->has_value());
}

TEST_F(LocalProviderTest, ArtifactPathThatIsADirectoryIsConflict) {
  create_zone_and_container();
  fs::create_directories(container_dir() / "pipelines/hello/artifacts/lib/X.whl");
  auto observed = provider_->read("artifact", kArtifactId);
  ASSERT_FALSE(observed);
  EXPECT_EQ(observed.error().kind, FailureKind::kConflict);
  fs::path source = tmp_.path() / "build" / "X.whl";
  write_text(source, "w");
  auto removed = provider_->remove(record(artifact(source, "w")), false);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().kind, FailureKind::kConflict);
}

// --- roles and grants: the access policy document ---

constexpr const char* kRole = "healthetl-dev01-analyst";
constexpr const char* kPolicy = "lakeinfra.gold.curated";

Attributes trust_policy(const std::string& principal = "arn:aws:iam::123:root") {
  return {{"Version", "2012-10-17"},
          {"Statement", Attributes::array({{{"Effect", "Allow"},
                                            {"Principal", {{"AWS", principal}}},
                                            {"Action", "sts:AssumeRole"}}})}};
}

Attributes policy_document(const std::string& action = "s3:GetObject",
                           const std::string& resource = "arn:aws:s3:::healthetl-dev01-gold/*") {
  return {{"Version", "2012-10-17"},
          {"Statement", Attributes::array({{{"Effect", "Allow"},
                                            {"Action", Attributes::array({action})},
                                            {"Resource", Attributes::array({resource})}}})}};
}

DesiredResource role(const std::string& physical = kRole) {
  DesiredResource d;
  d.address = Address("role", {"analyst"});
  d.type = "role";
  d.provider_id = physical;
  d.attributes = {{"name", "analyst"},
                  {"clearance", "internal"},
                  {"phi", false},
                  {"trust_policy", trust_policy()},
                  {"tags",
                   {{"lakeinfra:lake", "healthetl"},
                    {"lakeinfra:role", "analyst"},
                    {"lakeinfra:clearance", "internal"},
                    {"lakeinfra:phi", "false"},
                    {"lakeinfra:managed-by", "lakeinfra"}}}};
  return d;
}

DesiredResource grant(const std::string& role_physical = kRole, const std::string& policy = kPolicy,
                      const Attributes& document = policy_document()) {
  DesiredResource d;
  d.address = Address("grant", {"analyst", "gold", "curated"});
  d.type = "grant";
  d.provider_id = role_physical + "/" + policy;
  d.attributes = {{"role", "analyst"},
                  {"zone", "gold"},
                  {"container", "curated"},
                  {"access", "read"},
                  {"policy", document}};
  return d;
}

class LocalAccessPolicyTest : public LocalProviderTest {
 protected:
  fs::path policy_file() const { return root() / kLocalAccessPolicyFile; }
  Attributes document() const { return Attributes::parse(read_text(policy_file())); }
  std::string grant_id() const { return std::string(kRole) + "/" + kPolicy; }

  std::optional<Observed> read_ok(const std::string& type, const std::string& id) {
    auto observed = provider_->read(type, id);
    EXPECT_TRUE(observed) << observed.error().message;
    return observed ? *observed : std::nullopt;
  }
};

TEST_F(LocalAccessPolicyTest, DescribeNamesTheDocument) {
  std::string file = policy_file().string();
  EXPECT_EQ(provider_->describe("role", kRole), "role healthetl-dev01-analyst in " + file);
  EXPECT_EQ(provider_->describe("grant", grant_id()),
            "policy lakeinfra.gold.curated of role healthetl-dev01-analyst in " + file);
  EXPECT_EQ(provider_->describe("grant", "no-slash"), "grant \"no-slash\" in " + file);
  EXPECT_FALSE(provider_->requires_replace("role", "name"));
  EXPECT_FALSE(provider_->requires_replace("grant", "zone"));
  EXPECT_FALSE(provider_->requires_replace("grant", "policy"));
  EXPECT_EQ(provider_->count_data("role", kRole, {}), uint64_t{0});
  EXPECT_EQ(provider_->count_data("grant", grant_id(), {}), uint64_t{0});
}

TEST_F(LocalAccessPolicyTest, CreateRoleWritesTheDocument) {
  auto created = provider_->create(role());
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(*created, role().attributes);

  Attributes expected = {{"format", "lakeinfra-access-policy/1"},
                         {"roles",
                          {{kRole,
                            {{"trust_policy", trust_policy()},
                             {"tags", role().attributes["tags"]},
                             {"policies", Attributes::object()}}}}}};
  EXPECT_EQ(document(), expected);
  // Pretty-printed with sorted keys, ending in a newline.
  EXPECT_EQ(read_text(policy_file()), expected.dump(2) + "\n");
  EXPECT_EQ(read_text(policy_file()).rfind("{\n  \"format\": \"lakeinfra-access-policy/1\",\n", 0),
            0u);
  EXPECT_EQ(fs::status(policy_file()).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
  // Only the document is in the root: no temporary file left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(root()), fs::directory_iterator()), 1);
}

TEST_F(LocalAccessPolicyTest, ReadRoleShowsTrustPolicyAndLakeinfraTags) {
  auto missing_file = read_ok("role", kRole);
  EXPECT_FALSE(missing_file.has_value());
  EXPECT_FALSE(fs::exists(root()));  // reading makes nothing

  ASSERT_TRUE(provider_->create(role()));
  auto other = read_ok("role", "healthetl-dev01-other");
  EXPECT_FALSE(other.has_value());

  // A tag added by hand outside lakeinfra's keys is not observed.
  Attributes doc = document();
  doc["roles"][kRole]["tags"]["team"] = "data";
  write_text(policy_file(), doc.dump(2));
  auto observed = read_ok("role", kRole);
  ASSERT_TRUE(observed.has_value());
  EXPECT_EQ(observed->attributes,
            Attributes({{"trust_policy", trust_policy()}, {"tags", role().attributes["tags"]}}));
  EXPECT_FALSE(observed->unmanaged);
}

TEST_F(LocalAccessPolicyTest, UpdateRoleKeepsItsPolicies) {
  ASSERT_TRUE(provider_->create(role()));
  ASSERT_TRUE(provider_->create(grant()));
  DesiredResource changed = role();
  changed.attributes["trust_policy"] = trust_policy("arn:aws:iam::456:root");
  changed.attributes["tags"]["lakeinfra:clearance"] = "confidential";
  auto updated = provider_->update(record(role()), changed);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(*updated, changed.attributes);
  Attributes entry = document()["roles"][kRole];
  EXPECT_EQ(entry["trust_policy"], trust_policy("arn:aws:iam::456:root"));
  EXPECT_EQ(entry["tags"]["lakeinfra:clearance"], "confidential");
  EXPECT_EQ(entry["policies"], Attributes({{kPolicy, policy_document()}}));
  // create of an existing role is the same edit.
  ASSERT_TRUE(provider_->create(role()));
  EXPECT_EQ(document()["roles"][kRole]["policies"], Attributes({{kPolicy, policy_document()}}));
  EXPECT_EQ(document()["roles"][kRole]["trust_policy"], trust_policy());
}

TEST_F(LocalAccessPolicyTest, GrantCreateReadUpdateRemove) {
  ASSERT_TRUE(provider_->create(role()));
  auto none = read_ok("grant", grant_id());
  EXPECT_FALSE(none.has_value());

  auto created = provider_->create(grant());
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(*created, grant().attributes);
  EXPECT_EQ(document()["roles"][kRole]["policies"][kPolicy], policy_document());
  auto observed = read_ok("grant", grant_id());
  ASSERT_TRUE(observed.has_value());
  EXPECT_EQ(observed->attributes, Attributes({{"policy", policy_document()}}));

  DesiredResource write = grant(kRole, kPolicy, policy_document("s3:PutObject"));
  write.attributes["access"] = "write";
  auto updated = provider_->update(record(grant()), write);
  ASSERT_TRUE(updated) << updated.error().message;
  auto after = read_ok("grant", grant_id());
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->attributes, Attributes({{"policy", policy_document("s3:PutObject")}}));

  // A second policy of the same role is kept when the first is removed.
  ASSERT_TRUE(provider_->create(grant(kRole, "lakeinfra.bronze")));
  auto removed = provider_->remove(record(write), false);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_FALSE(read_ok("grant", grant_id()).has_value());
  EXPECT_EQ(document()["roles"][kRole]["policies"],
            Attributes({{"lakeinfra.bronze", policy_document()}}));
  // The role itself is untouched.
  EXPECT_EQ(document()["roles"][kRole]["trust_policy"], trust_policy());

  // Removing again, or a grant of a missing role, succeeds and writes nothing.
  std::string before = read_text(policy_file());
  EXPECT_TRUE(provider_->remove(record(write), false));
  EXPECT_TRUE(provider_->remove(record(grant("healthetl-dev01-nobody")), true));
  EXPECT_EQ(read_text(policy_file()), before);
}

TEST_F(LocalAccessPolicyTest, HandEditedPolicyShowsAsDrift) {
  ASSERT_TRUE(provider_->create(role()));
  ASSERT_TRUE(provider_->create(grant()));
  Attributes doc = document();
  doc["roles"][kRole]["policies"][kPolicy] = policy_document("s3:*", "*");
  doc["roles"][kRole]["trust_policy"] = trust_policy("*");
  write_text(policy_file(), doc.dump());
  auto observed = read_ok("grant", grant_id());
  ASSERT_TRUE(observed.has_value());
  EXPECT_EQ(observed->attributes, Attributes({{"policy", policy_document("s3:*", "*")}}));
  auto role_observed = read_ok("role", kRole);
  ASSERT_TRUE(role_observed.has_value());
  EXPECT_EQ(role_observed->attributes["trust_policy"], trust_policy("*"));

  // A policy deleted by hand is gone; update puts it back.
  doc["roles"][kRole]["policies"].erase(kPolicy);
  write_text(policy_file(), doc.dump());
  EXPECT_FALSE(read_ok("grant", grant_id()).has_value());
  ASSERT_TRUE(provider_->update(record(grant()), grant()));
  EXPECT_EQ(document()["roles"][kRole]["policies"][kPolicy], policy_document());
}

TEST_F(LocalAccessPolicyTest, RemoveRoleRemovesItsPolicies) {
  ASSERT_TRUE(provider_->create(role()));
  ASSERT_TRUE(provider_->create(role("healthetl-dev01-engineer")));
  ASSERT_TRUE(provider_->create(grant()));
  ASSERT_TRUE(provider_->create(grant(kRole, "lakeinfra.bronze")));
  auto removed = provider_->remove(record(role()), false);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_FALSE(read_ok("role", kRole).has_value());
  EXPECT_FALSE(read_ok("grant", grant_id()).has_value());
  EXPECT_EQ(document()["roles"].size(), 1u);
  EXPECT_TRUE(read_ok("role", "healthetl-dev01-engineer").has_value());

  // The last role gone leaves the document with an empty roles object.
  ASSERT_TRUE(provider_->remove(record(role("healthetl-dev01-engineer")), true));
  EXPECT_EQ(document(),
            Attributes({{"format", "lakeinfra-access-policy/1"}, {"roles", Attributes::object()}}));
  // Removing a missing role succeeds; with no document, nothing is made.
  EXPECT_TRUE(provider_->remove(record(role()), false));
  fs::remove(policy_file());
  EXPECT_TRUE(provider_->remove(record(role()), false));
  EXPECT_TRUE(provider_->remove(record(grant()), false));
  EXPECT_FALSE(fs::exists(policy_file()));
}

TEST_F(LocalAccessPolicyTest, GrantOfMissingRoleIsNotFound) {
  auto no_document = provider_->create(grant());
  ASSERT_FALSE(no_document);
  EXPECT_EQ(no_document.error().kind, FailureKind::kNotFound);
  EXPECT_EQ(no_document.error().message,
            "role healthetl-dev01-analyst is not in " + policy_file().string());
  EXPECT_FALSE(fs::exists(policy_file()));

  ASSERT_TRUE(provider_->create(role("healthetl-dev01-engineer")));
  std::string before = read_text(policy_file());
  auto updated = provider_->update(record(grant()), grant());
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().kind, FailureKind::kNotFound);
  EXPECT_EQ(read_text(policy_file()), before);
}

TEST_F(LocalAccessPolicyTest, AttributesThatAreNotDocumentsAreInvalid) {
  DesiredResource bad_role = role();
  bad_role.attributes.erase("trust_policy");
  auto created = provider_->create(bad_role);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, FailureKind::kInvalid);
  EXPECT_EQ(created.error().message, "role healthetl-dev01-analyst in " + policy_file().string() +
                                         ": attribute \"trust_policy\" must be a JSON object");
  bad_role.attributes = Attributes::array({1});
  EXPECT_EQ(provider_->create(bad_role).error().kind, FailureKind::kInvalid);

  ASSERT_TRUE(provider_->create(role()));
  DesiredResource bad_grant = grant();
  bad_grant.attributes["policy"] = "s3:*";
  auto granted = provider_->create(bad_grant);
  ASSERT_FALSE(granted);
  EXPECT_EQ(granted.error().kind, FailureKind::kInvalid);
  EXPECT_FALSE(read_ok("grant", grant_id()).has_value());

  // Invalid UTF-8 cannot be written: an internal failure, and the document is unchanged.
  std::string before = read_text(policy_file());
  DesiredResource utf = grant();
  utf.attributes["policy"]["Sid"] = std::string("\xff\xfe");
  auto thrown = provider_->create(utf);
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.error().kind, FailureKind::kInternal);
  EXPECT_EQ(read_text(policy_file()), before);
}

TEST_F(LocalAccessPolicyTest, UnreadableDocumentIsRefusedAndLeftUntouched) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"{not json", "is not valid JSON: [json.exception.parse_error.101] parse error at line 1"},
      {"", "is not valid JSON"},
      {"[]", "is not lakeinfra's: it is not a JSON object"},
      {"{\"roles\": {}}", "is not lakeinfra's: it has no \"format\" string"},
      {"{\"format\": \"lakeinfra-access-policy/2\", \"roles\": {}}",
       "is not lakeinfra's: its format \"lakeinfra-access-policy/2\" is not "
       "\"lakeinfra-access-policy/1\""},
      {"{\"format\": \"lakeinfra-access-policy/1\", \"roles\": []}",
       "its \"roles\" is not an object"},
      {"{\"format\": \"lakeinfra-access-policy/1\", \"roles\": {\"r\": 1}}",
       "role \"r\" is not an object"},
      {"{\"format\": \"lakeinfra-access-policy/1\", \"roles\": {\"r\": {\"policies\": 1}}}",
       "the \"policies\" of role \"r\" is not an object"},
  };
  for (const auto& [text, problem] : cases) {
    SCOPED_TRACE(text);
    write_text(policy_file(), text);
    auto check = [&](const auto& result) {
      ASSERT_FALSE(result);
      EXPECT_EQ(result.error().kind, FailureKind::kConflict);
      EXPECT_EQ(
          result.error().message.rfind("access policy document " + policy_file().string() + " ", 0),
          0u)
          << result.error().message;
      EXPECT_NE(result.error().message.find(problem), std::string::npos) << result.error().message;
      EXPECT_NE(result.error().message.find("fix or remove it by hand"), std::string::npos);
    };
    check(provider_->read("role", kRole));
    check(provider_->read("grant", grant_id()));
    check(provider_->create(role()));
    check(provider_->update(record(role()), role()));
    check(provider_->create(grant()));
    check(provider_->remove(record(role()), true));
    check(provider_->remove(record(grant()), false));
    EXPECT_EQ(read_text(policy_file()), text);
  }
}

TEST_F(LocalAccessPolicyTest, DocumentPathThatIsNotAFileIsRefused) {
  fs::create_directories(policy_file());
  auto dir = provider_->create(role());
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().kind, FailureKind::kConflict);
  fs::remove(policy_file());

  fs::path outside = tmp_.path() / "elsewhere.json";
  write_text(outside, "{\"format\": \"lakeinfra-access-policy/1\", \"roles\": {}}");
  fs::create_symlink(outside, policy_file());
  auto link = provider_->create(role());
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().kind, FailureKind::kInvalid);
  EXPECT_EQ(provider_->read("role", kRole).error().kind, FailureKind::kInvalid);
  EXPECT_EQ(read_text(outside), "{\"format\": \"lakeinfra-access-policy/1\", \"roles\": {}}");
}

TEST_F(LocalAccessPolicyTest, IoFailuresNameTheDocument) {
  ASSERT_TRUE(provider_->create(role()));
  fs_.fail("write", policy_file(), std::errc::no_space_on_device);
  auto written = provider_->create(grant());
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().kind, FailureKind::kInternal);
  EXPECT_EQ(written.error().message.rfind("write " + policy_file().string() + ": ", 0), 0u)
      << written.error().message;
  fs_.fail("read", policy_file(), std::errc::permission_denied);
  auto read = provider_->read("role", kRole);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind, FailureKind::kAuth);
}

TEST_F(LocalAccessPolicyTest, ConcurrentGrantsAreAllKept) {
  constexpr int kRoles = 5;
  constexpr int kThreads = 10;
  constexpr int kGrantsPerThread = 5;  // 50 grants in all
  for (int r = 0; r < kRoles; ++r)
    ASSERT_TRUE(provider_->create(role("role" + std::to_string(r))));
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int good = 0;
      for (int g = 0; g < kGrantsPerThread; ++g) {
        int n = t * kGrantsPerThread + g;
        DesiredResource d =
            grant("role" + std::to_string(n % kRoles), "lakeinfra.zone" + std::to_string(n),
                  policy_document("s3:GetObject", std::to_string(n)));
        auto created = provider_->create(d);
        auto observed = provider_->read("grant", d.provider_id);
        good += created.has_value() && observed && observed->has_value();
      }
      ok[static_cast<size_t>(t)] = good;
    });
  }
  for (auto& t : threads)
    t.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(ok[static_cast<size_t>(t)], kGrantsPerThread) << t;
  Attributes roles = document()["roles"];
  size_t total = 0;
  for (int r = 0; r < kRoles; ++r)
    total += roles["role" + std::to_string(r)]["policies"].size();
  EXPECT_EQ(total, size_t{kThreads * kGrantsPerThread});
  for (int n = 0; n < kThreads * kGrantsPerThread; ++n) {
    EXPECT_EQ(roles["role" + std::to_string(n % kRoles)]["policies"]
                   ["lakeinfra.zone" + std::to_string(n)],
              policy_document("s3:GetObject", std::to_string(n)))
        << n;
  }
}

TEST_F(LocalAccessPolicyTest, InvalidIdsAreRefused) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"role", ""},      {"role", "."},    {"role", ".."},     {"role", "a/b"},   {"role", "a b"},
      {"role", "../x"},  {"role", "r\"x"}, {"grant", ""},      {"grant", "r"},    {"grant", "/p"},
      {"grant", "r/"},   {"grant", "/"},   {"grant", "r/p/q"}, {"grant", "r//p"}, {"grant", "../p"},
      {"grant", "r/.."}, {"grant", "./p"}, {"grant", "r/p q"}, {"grant", "r\\p"},
  };
  ASSERT_TRUE(provider_->create(role("r")));
  std::string before = read_text(policy_file());
  for (const auto& [type, id] : cases) {
    SCOPED_TRACE(type + " \"" + id + "\"");
    DesiredResource d = type == "role" ? role(id) : grant("r", "p");
    d.provider_id = id;
    for (const auto& failed :
         {provider_->create(d).error(), provider_->update(record(d), d).error(),
          provider_->read(type, id).error(), provider_->remove(record(d), true).error()}) {
      EXPECT_EQ(failed.kind, FailureKind::kInvalid);
      EXPECT_EQ(failed.message.rfind("unsafe " + type + " id \"" + id + "\": ", 0), 0u)
          << failed.message;
    }
  }
  EXPECT_EQ(read_text(policy_file()), before);

  auto slash = provider_->read("grant", "r/p/q");
  EXPECT_EQ(slash.error().message,
            "unsafe grant id \"r/p/q\": a grant id is ROLE/POLICY, with exactly one \"/\"");
  auto dots = provider_->read("grant", "r/..");
  EXPECT_EQ(dots.error().message,
            "unsafe grant id \"r/..\": the policy name \"..\" is not allowed");
  auto chars = provider_->read("role", "a b");
  EXPECT_EQ(chars.error().message,
            "unsafe role id \"a b\": the role name \"a b\" has characters outside "
            "[A-Za-z0-9+=,.@_-]");
  // IAM's characters are all accepted.
  auto iam = read_ok("grant", "Role+=,.@_-1/lakeinfra.Gold+=,@_-");
  EXPECT_FALSE(iam.has_value());
}

// --- Refresh: read_many() and the marker cache ---

using local::MarkerCache;

/// The real disk, counting the marker reads.
class CountingFileSystem : public config::RealFileSystem {
 public:
  std::optional<std::string> read_regular_file_no_symlinks(const std::string& path) override {
    ++marker_reads;
    return RealFileSystem::read_regular_file_no_symlinks(path);
  }
  std::atomic<int> marker_reads{0};
};

DesiredResource named_zone(const std::string& name, const std::string& tier) {
  DesiredResource d;
  d.address = Address("zone", {name});
  d.type = "zone";
  d.provider_id = "lake-" + name;
  d.attributes = {{"name", name}, {"tier", tier}, {"force_destroy", false}};
  return d;
}

DesiredResource named_container(const std::string& zone_name, const std::string& name,
                                const std::string& tier) {
  DesiredResource d;
  d.address = Address("container", {zone_name, name});
  d.type = "container";
  d.provider_id = "lake-" + zone_name + "/" + name;
  d.attributes = {{"zone", zone_name}, {"name", name}, {"tier", tier}};
  return d;
}

/// An answer of read() or read_many(), as text, to compare them whole.
std::string answer(const ProviderResult<std::optional<Observed>>& r) {
  if (!r)
    return std::string("error ") + failure_kind_name(r.error().kind) + ": " + r.error().message;
  if (!r->has_value())
    return "absent";
  return std::string((*r)->unmanaged ? "unmanaged " : "managed ") + (*r)->attributes.dump();
}

class ReadManyTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_.path() / "lake"; }
  fs::path cache_file() const { return tmp_.path() / "state" / "marker-cache"; }

  /// A provider over `fs` whose cache trusts every marker (its clock is an hour ahead), or
  /// without a cache.
  std::unique_ptr<Provider> provider(config::FileSystem& fs, bool cache = true) {
    LocalMarkerCache options;
    if (cache) {
      options.file = cache_file();
      options.clock = &clock_;
    }
    return make_local_provider(root(), fs, options);
  }

  /// Every kind of thing refresh meets, and the requests for them.
  void build_lake(Provider& p) {
    for (const auto& d :
         {named_zone("bronze", "sensitive"), named_container("bronze", "raw", "sensitive"),
          named_container("bronze", "edited", "sensitive"),
          named_container("bronze", "linked", "sensitive"),
          named_container("bronze", "fifo", "sensitive"), named_zone("gold", "internal"),
          named_container("gold", "curated", "internal")}) {
      ASSERT_TRUE(p.create(d)) << d.address.str();
    }
    fs::create_directories(cache_file().parent_path());
    // A marker edited by hand, no longer canonical: parsed, tier changed.
    write_text(root() / "lake-bronze/edited" / kLocalMarkerFile,
               R"({"managed_by":"lakeinfra","type":"container","tier":"internal"})");
    // A container that is a symlink to a directory with a valid marker: refused.
    fs::rename(root() / "lake-bronze/linked", tmp_.path() / "elsewhere");
    fs::create_directory_symlink(tmp_.path() / "elsewhere", root() / "lake-bronze/linked");
    // A marker that is a FIFO: unmanaged, and no hang.
    fs::remove(root() / "lake-bronze/fifo" / kLocalMarkerFile);
    ASSERT_EQ(::mkfifo((root() / "lake-bronze/fifo" / kLocalMarkerFile).c_str(), 0644), 0);
    // A directory made by hand, without a marker.
    fs::create_directories(root() / "lake-gold/by-hand");
    ids_ = {{"zone", "lake-bronze"},
            {"container", "lake-bronze/raw"},
            {"container", "lake-bronze/edited"},
            {"container", "lake-bronze/linked"},
            {"container", "lake-bronze/fifo"},
            {"container", "lake-bronze/gone"},
            {"zone", "lake-gold"},
            {"container", "lake-gold/curated"},
            {"container", "lake-gold/by-hand"},
            {"zone", "lake-missing"},
            {"container", "lake-missing/raw"},
            {"container", "../escape"},
            {"container", "lake-gold"},
            {"zone", "access-policy.json"},
            {"role", "analyst"},
            {"artifact", "lake-gold/curated/a.jar"}};
  }

  std::vector<ReadRequest> requests() const {
    std::vector<ReadRequest> out;
    for (const auto& [type, id] : ids_)
      out.push_back({&type, &id});
    return out;
  }

  /// read_many()'s answers, checked one by one against read()'s.
  void expect_same_as_read(Provider& p, int parallelism) {
    auto many = p.read_many(requests(), parallelism);
    ASSERT_EQ(many.size(), ids_.size());
    for (size_t i = 0; i < ids_.size(); ++i) {
      EXPECT_EQ(answer(many[i]), answer(p.read(ids_[i].first, ids_[i].second)))
          << ids_[i].first << " " << ids_[i].second;
    }
  }

  ReadManyTest() {
    clock_.advance(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now() + std::chrono::hours(1) - clock_.now()));
  }

  ScopedTempDir tmp_;
  config::ManualClock clock_;
  std::vector<std::pair<std::string, std::string>> ids_;
};

TEST_F(ReadManyTest, AnswersExactlyAsReadDoes) {
  config::RealFileSystem real;
  build_lake(*provider(real));
  auto uncached = provider(real, /*cache=*/false);
  expect_same_as_read(*uncached, 1);
  expect_same_as_read(*uncached, 4);
  // With the cache, cold and then warm.
  auto cached = provider(real);
  expect_same_as_read(*cached, 2);
  ASSERT_TRUE(fs::exists(cache_file()));
  expect_same_as_read(*cached, 2);
  expect_same_as_read(*provider(real), 1);
}

TEST_F(ReadManyTest, SpotChecksOfTheAnswers) {
  config::RealFileSystem real;
  build_lake(*provider(real));
  auto many = provider(real)->read_many(requests(), 2);
  auto at = [&](const std::string& id) {
    for (size_t i = 0; i < ids_.size(); ++i) {
      if (ids_[i].second == id)
        return answer(many[i]);
    }
    return std::string("no request");
  };
  EXPECT_EQ(at("lake-bronze/raw"), R"(managed {"tier":"sensitive"})");
  EXPECT_EQ(at("lake-bronze/edited"), R"(managed {"tier":"internal"})");
  EXPECT_EQ(at("lake-bronze/fifo"), "unmanaged {}");
  EXPECT_EQ(at("lake-gold/by-hand"), "unmanaged {}");
  EXPECT_EQ(at("lake-bronze/gone"), "absent");
  EXPECT_EQ(at("lake-missing"), "absent");
  EXPECT_NE(at("lake-bronze/linked").find("error invalid: "), std::string::npos);
  EXPECT_NE(at("lake-bronze/linked").find("it is a symlink"), std::string::npos);
  EXPECT_NE(at("../escape").find("error invalid: "), std::string::npos);
}

TEST_F(ReadManyTest, UnchangedMarkersAreNotReadAgain) {
  CountingFileSystem counting;
  build_lake(*provider(counting));
  auto first = provider(counting)->read_many(requests(), 2);
  EXPECT_GE(counting.marker_reads.load(), 5);  // bronze, raw, edited, gold, curated at least
  counting.marker_reads = 0;
  auto second = provider(counting)->read_many(requests(), 2);
  // The five valid markers come from the cache; only what the cache cannot settle (the FIFO,
  // the hand-made directory, the symlink, the missing ones) goes to read() and the disk.
  int uncacheable = counting.marker_reads.load();
  counting.marker_reads = 0;
  auto uncached = provider(counting, /*cache=*/false)->read_many(requests(), 2);
  EXPECT_EQ(counting.marker_reads.load() - uncacheable, 5);
  for (size_t i = 0; i < ids_.size(); ++i)
    EXPECT_EQ(answer(first[i]), answer(second[i])) << ids_[i].second;
}

TEST_F(ReadManyTest, AChangedMarkerIsReadAgainAndItsChangeSeen) {
  config::RealFileSystem real;
  build_lake(*provider(real));
  provider(real)->read_many(requests(), 2);  // caches every marker
  auto raw = root() / "lake-bronze/raw" / kLocalMarkerFile;
  auto curated = root() / "lake-gold/curated" / kLocalMarkerFile;
  // Edited in place (same inode, another size), and replaced by a rename (another inode).
  auto text = read_text(raw);
  std::ofstream(raw, std::ios::trunc) << text.replace(text.find("sensitive"), 9, "internal");
  ASSERT_TRUE(
      real.write_file_atomic(curated, "not a marker\n", 0644, config::Durability::kNoFsync));
  auto many = provider(real)->read_many(requests(), 2);
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i].second == "lake-bronze/raw") {
      EXPECT_EQ(answer(many[i]), R"(managed {"tier":"internal"})");
    }
    if (ids_[i].second == "lake-gold/curated") {
      EXPECT_EQ(answer(many[i]), "unmanaged {}");
    }
  }
  expect_same_as_read(*provider(real), 2);
}

TEST_F(ReadManyTest, MarkersChangedInTheLastSecondsAreNeverCached) {
  CountingFileSystem counting;
  build_lake(*provider(counting));
  // The real time: every marker was written just now, within the same tick of the
  // filesystem's clock as a same-size rewrite could be, so none may be trusted yet.
  config::SystemClock now;
  LocalMarkerCache options{cache_file(), &now};
  auto p = make_local_provider(root(), counting, options);
  p->read_many(requests(), 2);
  counting.marker_reads = 0;
  p->read_many(requests(), 2);
  int with_young_markers = counting.marker_reads.load();
  counting.marker_reads = 0;
  provider(counting, /*cache=*/false)->read_many(requests(), 2);
  EXPECT_EQ(with_young_markers, counting.marker_reads.load());
}

TEST_F(ReadManyTest, ADamagedOrForeignCacheIsOnlyASlowerRefresh) {
  config::RealFileSystem real;
  build_lake(*provider(real));
  for (const std::string& junk :
       {std::string("garbage"), std::string("lakeinfra-marker-cache/2 /elsewhere\n"),
        "lakeinfra-marker-cache/2 " + root().string() + "\n\x0b\0\0\0\0\0\0\0lake-bronze"}) {
    write_text(cache_file(), junk);
    expect_same_as_read(*provider(real), 2);
    // ...and it is replaced by a good one.
    auto cache = MarkerCache::parse(read_text(cache_file()), root().string());
    EXPECT_EQ(cache.size(), 5u) << junk;
  }
}

TEST_F(ReadManyTest, ACacheThatCannotBeWrittenIsNoError) {
  config::RealFileSystem real;
  build_lake(*provider(real));
  LocalMarkerCache options{tmp_.path() / "no-such-dir" / "marker-cache", &clock_};
  auto p = make_local_provider(root(), real, options);
  expect_same_as_read(*p, 2);
  EXPECT_FALSE(fs::exists(tmp_.path() / "no-such-dir"));
}

TEST(MarkerCacheTest, RoundTripsEveryByte) {
  std::string a = "{\n  \"address\": \"zone.bronze\"\n}\n";
  std::string b = std::string("odd \0 bytes\n and lines\n", 23);
  std::vector<MarkerCache::Entry> entries = {
      {"lake-bronze", {1, 2, a.size(), -5, 1700000000123456789}, a},
      {"lake-bronze/raw", {UINT64_MAX, 7, b.size(), 3, 4}, b},
      {"lake-gold/empty", {9, 9, 0, 0, 0}, ""}};
  std::string file = MarkerCache::serialize("/srv/lake", entries);
  auto cache = MarkerCache::parse(file, "/srv/lake");
  ASSERT_EQ(cache.size(), 3u);
  size_t cursor = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto at = cache.position(entries[i].id, &cursor);  // in the written order
    ASSERT_EQ(at, i) << entries[i].id;
    EXPECT_EQ(cache.at(i).id, entries[i].id);
    EXPECT_EQ(cache.at(i).stamp, entries[i].stamp) << entries[i].id;
    EXPECT_EQ(cache.at(i).text, entries[i].text) << entries[i].id;
  }
  // Out of order, and missing.
  cursor = 0;
  EXPECT_EQ(cache.position("lake-gold/empty", &cursor), 2u);
  EXPECT_EQ(cache.position("lake-bronze", &cursor), 0u);
  EXPECT_EQ(cache.position("lake-bronze/raw", &cursor), 1u);
  EXPECT_EQ(cache.position("lake-silver", &cursor), std::nullopt);
}

TEST(MarkerCacheTest, AnythingButAGoodCacheOfThisRootReadsAsEmpty) {
  std::string text = "{}\n";
  std::string good = MarkerCache::serialize("/srv/lake", {{"lake-bronze", {1, 2, 3, 4, 5}, text}});
  ASSERT_EQ(MarkerCache::parse(good, "/srv/lake").size(), 1u);
  EXPECT_EQ(MarkerCache::parse(good, "/srv/other").size(), 0u);
  EXPECT_EQ(MarkerCache::parse(good, "/srv").size(), 0u);
  EXPECT_EQ(MarkerCache::parse("", "/srv/lake").size(), 0u);
  std::string other_format = good;
  other_format.replace(0, 24, "lakeinfra-marker-cache/9");
  EXPECT_EQ(MarkerCache::parse(other_format, "/srv/lake").size(), 0u);
  // Cut anywhere in its record, the file is refused whole.
  for (size_t cut = good.find('\n') + 2; cut < good.size(); ++cut)
    EXPECT_EQ(MarkerCache::parse(good.substr(0, cut), "/srv/lake").size(), 0u) << cut;
  // Lengths that do not fit: an empty id, a text longer than the file.
  size_t record = good.find('\n') + 1;
  std::string empty_id = good;
  std::memset(empty_id.data() + record, 0, 8);
  EXPECT_EQ(MarkerCache::parse(empty_id, "/srv/lake").size(), 0u);
  std::string long_text = good;
  std::memset(long_text.data() + record + 8, 0xff, 8);
  EXPECT_EQ(MarkerCache::parse(long_text, "/srv/lake").size(), 0u);
}

}  // namespace
}  // namespace lakeinfra::providers
