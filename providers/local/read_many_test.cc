// Refresh of the local provider: read_many() and its marker cache.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/memory_filesystem.h"
#include "providers/local/local_provider.h"
#include "providers/local/marker_cache.h"

namespace lakeinfra::providers {
namespace {

namespace fs = std::filesystem;
using config::Address;
using config::Attributes;
using config::DesiredResource;
using local::MarkerCache;

class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string pattern = (fs::temp_directory_path() / "lakeinfra-readmany-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      std::abort();
    path_ = pattern;
  }
  ~ScopedTempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// The real disk, counting the marker reads.
class CountingFileSystem : public config::RealFileSystem {
 public:
  std::optional<std::string> read_regular_file_no_symlinks(const std::string& path) override {
    ++marker_reads;
    return RealFileSystem::read_regular_file_no_symlinks(path);
  }
  std::atomic<int> marker_reads{0};
};

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

DesiredResource zone(const std::string& name, const std::string& tier) {
  DesiredResource d;
  d.address = Address("zone", {name});
  d.type = "zone";
  d.provider_id = "lake-" + name;
  d.attributes = {{"name", name}, {"tier", tier}, {"force_destroy", false}};
  return d;
}

DesiredResource container(const std::string& zone_name, const std::string& name,
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
         {zone("bronze", "sensitive"), container("bronze", "raw", "sensitive"),
          container("bronze", "edited", "sensitive"), container("bronze", "linked", "sensitive"),
          container("bronze", "fifo", "sensitive"), zone("gold", "internal"),
          container("gold", "curated", "internal")}) {
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
       {std::string("garbage"), std::string("lakeinfra-marker-cache/1 /elsewhere\n"),
        "lakeinfra-marker-cache/1 " + root().string() + "\nlake-bronze 1 2 3\n"}) {
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
  std::vector<std::pair<std::string_view, MarkerCache::Entry>> entries = {
      {"lake-bronze", {{1, 2, a.size(), -5, 1700000000123456789}, a}},
      {"lake-bronze/raw", {{UINT64_MAX, 7, b.size(), 3, 4}, b}},
      {"lake-gold/empty", {{9, 9, 0, 0, 0}, ""}}};
  std::string file = MarkerCache::serialize("/srv/lake", entries);
  auto cache = MarkerCache::parse(file, "/srv/lake");
  ASSERT_EQ(cache.size(), 3u);
  for (const auto& [id, entry] : entries) {
    const auto* found = cache.find(id);
    ASSERT_NE(found, nullptr) << id;
    EXPECT_EQ(found->stamp, entry.stamp) << id;
    EXPECT_EQ(found->text, entry.text) << id;
  }
  EXPECT_EQ(cache.find("lake-silver"), nullptr);
}

TEST(MarkerCacheTest, AnythingButAGoodCacheOfThisRootReadsAsEmpty) {
  std::string text = "{}\n";
  std::string good =
      MarkerCache::serialize("/srv/lake", {{"lake-bronze", {{1, 2, text.size(), 3, 4}, text}}});
  ASSERT_EQ(MarkerCache::parse(good, "/srv/lake").size(), 1u);
  EXPECT_EQ(MarkerCache::parse(good, "/srv/other").size(), 0u);
  EXPECT_EQ(MarkerCache::parse("", "/srv/lake").size(), 0u);
  std::string other_format = good;
  other_format.replace(0, 24, "lakeinfra-marker-cache/9");
  EXPECT_EQ(MarkerCache::parse(other_format, "/srv/lake").size(), 0u);
  // Cut anywhere, the file is refused whole.
  for (size_t cut = good.find('\n') + 1; cut < good.size(); ++cut)
    EXPECT_EQ(MarkerCache::parse(good.substr(0, cut), "/srv/lake").size(), 0u) << cut;
  std::string bad_number = good;
  bad_number.replace(bad_number.find(" 2 "), 3, " x ");
  EXPECT_EQ(MarkerCache::parse(bad_number, "/srv/lake").size(), 0u);
  std::string long_length = good;
  long_length.replace(long_length.find(" 3\n"), 3, " 9\n");
  EXPECT_EQ(MarkerCache::parse(long_length, "/srv/lake").size(), 0u);
}

}  // namespace
}  // namespace lakeinfra::providers
