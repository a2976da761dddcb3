// The loader's memory of earlier loads (config/lake_cache.h, LoadCache in config/loader.h).
#include "config/lake_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/memory_filesystem.h"

namespace lakeinfra::config {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Sets a non-default value in every member the model has, over two documents (an S3 lake and a
// local one: storage keys of one provider are unknown to the other).
const char kS3Lake[] =
    "lake: {name: healthdp, instance: dev01, region: eu-west-2, org: nhs}\n"
    "storage:\n"
    "  provider: s3\n"
    "  endpoint: http://127.0.0.1:7480\n"
    "  addressing: virtual\n"
    "  profile: ceph\n"
    "  verify_tls: false\n"
    "naming: {zone: \"{org}-{lake}-{zone}\", container: \"c-{container}\", role: \"r-{role}\"}\n"
    "tiers: [open, internal, restricted, sensitive]\n"
    "phi_tier: restricted\n"
    "instances:\n"
    "  dev01: {max_tier: sensitive}\n"
    "  sandbox: {max_tier: internal}\n"
    "zones:\n"
    "  - name: bronze\n"
    "    tier: sensitive\n"
    "    force_destroy: true\n"
    "    versioning: true\n"
    "    naming: \"{lake}-{instance}-raw-{zone}\"\n"
    "    containers: [landing, {name: raw, tier: restricted}]\n"
    "  - name: gold\n"
    "    tier: open\n"
    "    containers: [curated]\n"
    "roles:\n"
    "  - name: data-engineer\n"
    "    description: Full access\n"
    "    clearance: sensitive\n"
    "    phi: true\n"
    "    principals: [\"arn:aws:iam::123456789012:role/ci\", \"123456789012\"]\n"
    "    grants:\n"
    "      - {zone: bronze, access: admin}\n"
    "      - {zone: gold, container: curated, access: write}\n"
    "jobs: {registry: local, linked_service: MyLinkedService}\n"
    "artifacts: {zone: gold, container: builds}\n"
    "pipelines:\n"
    "  - name: hello-world\n"
    "    repo: https://example.org/org/hello-world.git\n"
    "    ref: v1.2.0\n"
    "    path: ./hello-world/\n"
    "    token_env: PIPELINE_REPO_TOKEN\n"
    "    schedule: \"0 2 * * *\"\n"
    "    build_timeout: 10m\n"
    "workspace: {root: ./ws/}\n"
    "mounts:\n"
    "  - {name: bronze, zone: bronze, path: /mnt/bronze}\n"
    "  - {name: curated, zone: gold, container: curated, path: /mnt/curated/}\n";

// Local storage, and a warning (versioning means nothing on local storage).
const char kLocalLake[] =
    "lake:\n"
    "  name: medallion\n"
    "  instance: ${env:LAKE_INSTANCE}\n"
    "storage: {provider: local, root: ./lake}\n"
    "zones:\n"
    "  - {name: bronze, versioning: true, containers: [raw]}\n"
    "  - {name: silver, containers: [\"${env:SILVER_CONTAINER}\"]}\n";

class LakeCacheTest : public ::testing::Test {
 protected:
  LakeCacheTest() {
    fs_.add_file("/srv/cfg/lake.yaml", kLocalLake);
    EXPECT_TRUE(fs_.make_directories("/srv/cfg/.lakeinfra").has_value());
    env_ = MapEnvironment{{"LAKE_INSTANCE", "dev"}, {"SILVER_CONTAINER", "clean"}};
  }

  /// Loads with the cache; sets used_ to whether it came from there.
  Result<Lake> load(std::optional<std::string> instance = std::nullopt,
                    std::string program = "lakeinfra test build 1") {
    LoadCache cache{kCache, std::move(program), &used_};
    return load_lake(LoadOptions{"/srv/cfg/lake.yaml", std::move(instance)}, fs_, env_, cache);
  }
  /// Loads without any cache: what a load must give.
  Result<Lake> fresh(std::optional<std::string> instance = std::nullopt) {
    return load_lake(LoadOptions{"/srv/cfg/lake.yaml", std::move(instance)}, fs_, env_);
  }
  /// Loads twice with the cache; expects the second from the cache and equal to a fresh load.
  void expect_reused() {
    ASSERT_TRUE(load().has_value());
    auto again = load();
    ASSERT_TRUE(again.has_value()) << again.error().str();
    EXPECT_TRUE(used_);
    EXPECT_EQ(*again, *fresh());
  }
  /// Expects a load that cannot reuse the cache, giving what a fresh load gives.
  void expect_fresh_load() {
    auto lake = load();
    auto expected = fresh();
    ASSERT_EQ(lake.has_value(), expected.has_value());
    EXPECT_FALSE(used_);
    if (lake) {
      EXPECT_EQ(*lake, *expected);
    }
  }

  static constexpr const char* kCache = "/srv/cfg/.lakeinfra/lake-cache";
  MemoryFileSystem fs_;
  MapEnvironment env_;
  bool used_ = false;
};

TEST(LakeCacheCodec, EveryMemberOfTheModelIsWritten) {
  for (const auto& count : member_counts()) {
    EXPECT_GT(count.declared, 1U) << count.type;
    EXPECT_EQ(count.written, count.declared)
        << count.type << " has a member config/lake_cache.cc does not write in its fields()";
  }
}

TEST(LakeCacheCodec, EveryValueRoundTrips) {
  for (const char* yaml : {kS3Lake, kLocalLake}) {
    MapEnvironment env{{"LAKE_INSTANCE", "dev"}, {"SILVER_CONTAINER", "clean"}};
    auto lake = parse_lake(yaml, "lake.yaml", "/srv/cfg", env);
    ASSERT_TRUE(lake.has_value()) << lake.error().str();
    std::vector<LoadInput> inputs = {{LoadInput::Kind::kFile, "/srv/cfg/lake.yaml", "abc"},
                                     {LoadInput::Kind::kAbsent, "/srv/cfg/lake.dev.yaml", ""},
                                     {LoadInput::Kind::kEnv, "LAKE_INSTANCE", ""}};
    std::string bytes = serialize_cached_lake("key", inputs, *lake);
    auto header = parse_cached_lake_header(bytes);
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->key, "key");
    EXPECT_EQ(header->inputs, inputs);
    auto back = parse_cached_lake(bytes, *header);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, *lake);
  }
  // The documents do set what they are meant to (a member left at its default would round-trip
  // whether or not it is written).
  MapEnvironment env;
  auto s3 = parse_lake(kS3Lake, "lake.yaml", "/srv/cfg", env);
  ASSERT_TRUE(s3.has_value());
  EXPECT_FALSE(s3->storage.verify_tls);
  EXPECT_EQ(s3->roles[0].grants[1].access, Access::kWrite);
  EXPECT_TRUE(s3->zones[0].force_destroy);
  EXPECT_EQ(s3->pipelines[0].build_timeout_seconds, 600);
  EXPECT_THAT(s3->mounts, Not(IsEmpty()));
}

TEST(LakeCacheCodec, AnyCutOrDamagedFileIsRefused) {
  MapEnvironment env{{"LAKE_INSTANCE", "dev"}, {"SILVER_CONTAINER", "clean"}};
  auto lake = parse_lake(kS3Lake, "lake.yaml", "/srv/cfg", env);
  ASSERT_TRUE(lake.has_value());
  std::string bytes = serialize_cached_lake("key", {}, *lake);
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string cut = bytes.substr(0, n);
    auto header = parse_cached_lake_header(cut);
    if (header) {
      EXPECT_FALSE(parse_cached_lake(cut, *header).has_value()) << "cut at " << n;
    }
  }
  // One byte too many.
  auto header = parse_cached_lake_header(bytes + "x");
  ASSERT_TRUE(header.has_value());
  EXPECT_FALSE(parse_cached_lake(bytes + "x", *header).has_value());
  // Every byte changed in turn: refused, or read as some lake, never a crash (the sanitizer
  // build runs this too).
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0xA5);
    if (auto h = parse_cached_lake_header(damaged))
      (void)parse_cached_lake(damaged, *h);
  }
  EXPECT_FALSE(parse_cached_lake_header("lakeinfra-lake-cache/0\n").has_value());
  EXPECT_FALSE(parse_cached_lake_header("").has_value());
}

TEST_F(LakeCacheTest, ASecondLoadReusesTheFirstAndGivesTheSameLake) {
  auto first = load();
  ASSERT_TRUE(first.has_value()) << first.error().str();
  EXPECT_FALSE(used_);
  EXPECT_EQ(fs_.mode_of(kCache), 0600U);
  EXPECT_THAT(first->warnings.str(), HasSubstr("versioning"));

  auto second = load();
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(used_);
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(second->warnings, first->warnings);  // warnings are shown again
}

TEST_F(LakeCacheTest, ReusedWithoutParsing) {
  ASSERT_TRUE(load().has_value());
  // Swap in a cache whose lake differs from what the file says, keeping its header: it is what
  // comes back, so the file was not parsed again.
  auto bytes = fs_.read_file(kCache);
  ASSERT_TRUE(bytes.has_value());
  auto header = parse_cached_lake_header(*bytes);
  ASSERT_TRUE(header.has_value());
  auto kept = parse_cached_lake(*bytes, *header);
  ASSERT_TRUE(kept.has_value());
  kept->zones[0].name = "remembered";
  fs_.add_file(kCache, serialize_cached_lake(header->key, header->inputs, *kept));
  auto lake = load();
  ASSERT_TRUE(lake.has_value());
  EXPECT_TRUE(used_);
  EXPECT_EQ(lake->zones[0].name, "remembered");
}

TEST_F(LakeCacheTest, AnEditedConfigIsLoadedAgain) {
  ASSERT_TRUE(load().has_value());
  std::string edited = kLocalLake;
  edited.replace(edited.find("raw"), 3, "rav");  // same size
  fs_.add_file("/srv/cfg/lake.yaml", edited);
  expect_fresh_load();
  EXPECT_EQ(load()->zones[0].containers[0].name, "rav");
  EXPECT_TRUE(used_);  // and kept again
}

TEST_F(LakeCacheTest, AnOverlayAddedEditedOrRemovedIsSeen) {
  ASSERT_TRUE(load().has_value());
  fs_.add_file("/srv/cfg/lake.dev.yaml", "storage: {root: ./lake-dev}\n");
  expect_fresh_load();
  EXPECT_EQ(load()->storage.root, "/srv/cfg/lake-dev");
  EXPECT_TRUE(used_);

  fs_.add_file("/srv/cfg/lake.dev.yaml", "storage: {root: ./lake-dev2}\n");
  expect_fresh_load();
  EXPECT_EQ(load()->storage.root, "/srv/cfg/lake-dev2");

  ASSERT_TRUE(fs_.remove("/srv/cfg/lake.dev.yaml").has_value());
  expect_fresh_load();
  EXPECT_EQ(load()->storage.root, "/srv/cfg/lake");
}

TEST_F(LakeCacheTest, AChangedEnvironmentVariableIsSeen) {
  ASSERT_TRUE(load().has_value());
  env_ = MapEnvironment{{"LAKE_INSTANCE", "dev"}, {"SILVER_CONTAINER", "cleaned"}};
  expect_fresh_load();
  EXPECT_EQ(load()->zones[1].containers[0].name, "cleaned");

  // The instance comes from the environment and selects the overlay: a new instance reads
  // another overlay file.
  fs_.add_file("/srv/cfg/lake.prod.yaml", "storage: {root: ./lake-prod}\n");
  env_ = MapEnvironment{{"LAKE_INSTANCE", "prod"}, {"SILVER_CONTAINER", "cleaned"}};
  expect_fresh_load();
  EXPECT_EQ(load()->storage.root, "/srv/cfg/lake-prod");

  // Unset now: an error, not the kept lake.
  env_ = MapEnvironment{{"LAKE_INSTANCE", "prod"}};
  EXPECT_FALSE(load().has_value());
  EXPECT_FALSE(used_);
}

TEST_F(LakeCacheTest, AnotherInstanceOrProgramIsNotReused) {
  ASSERT_TRUE(load().has_value());
  fs_.add_file("/srv/cfg/lake.test.yaml", "storage: {root: ./lake-test}\n");
  auto other = load("test");
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(used_);
  EXPECT_EQ(other->lake.instance, "test");
  EXPECT_EQ(other->storage.root, "/srv/cfg/lake-test");

  ASSERT_TRUE(load(std::nullopt, "build 1").has_value());
  ASSERT_TRUE(load(std::nullopt, "build 2").has_value());
  EXPECT_FALSE(used_);
  ASSERT_TRUE(load(std::nullopt, "build 2").has_value());
  EXPECT_TRUE(used_);
}

TEST_F(LakeCacheTest, AFailedLoadIsNeverKeptNorHidden) {
  ASSERT_TRUE(load().has_value());
  fs_.add_file("/srv/cfg/lake.yaml", std::string(kLocalLake) + "  - {name: Bad_Name}\n");
  auto broken = load();
  ASSERT_FALSE(broken.has_value());
  EXPECT_THAT(broken.error().str(), HasSubstr("Bad_Name"));
  EXPECT_FALSE(used_);
  // The cache still holds the good lake, and is used once the file is as it was.
  fs_.add_file("/srv/cfg/lake.yaml", kLocalLake);
  ASSERT_TRUE(load().has_value());
  EXPECT_TRUE(used_);
}

TEST_F(LakeCacheTest, ABrokenFirstLoadWritesNothing) {
  fs_.add_file("/srv/cfg/lake.yaml", "zones: [\n");
  ASSERT_FALSE(load().has_value());
  EXPECT_FALSE(fs_.stat(kCache)->exists);
}

TEST_F(LakeCacheTest, CredentialsInAPipelineUrlAreNeverWritten) {
  fs_.add_file("/srv/cfg/lake.yaml",
               std::string(kLocalLake) +
                   "pipelines:\n"
                   "  - {name: etl, repo: \"https://bot:s3cret@example.org/etl.git\", ref: v1}\n");
  auto lake = load();
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_FALSE(fs_.stat(kCache)->exists);
  ASSERT_TRUE(load().has_value());
  EXPECT_FALSE(used_);
}

TEST_F(LakeCacheTest, ADamagedOrUnwritableCacheOnlyCostsAParse) {
  ASSERT_TRUE(load().has_value());
  auto bytes = fs_.read_file(kCache);
  ASSERT_TRUE(bytes.has_value());
  fs_.add_file(kCache, bytes->substr(0, bytes->size() / 2));
  expect_fresh_load();
  expect_reused();  // rewritten whole

  fs_.fail_on(kCache, std::make_error_code(std::errc::permission_denied));
  expect_fresh_load();
  expect_fresh_load();
}

TEST_F(LakeCacheTest, WithoutAProgramOrFileNothingIsKept) {
  LoadCache no_program{kCache, "", &used_};
  ASSERT_TRUE(load_lake(LoadOptions{"/srv/cfg/lake.yaml", std::nullopt}, fs_, env_, no_program)
                  .has_value());
  EXPECT_FALSE(fs_.stat(kCache)->exists);
  EXPECT_FALSE(used_);
}

}  // namespace
}  // namespace lakeinfra::config
