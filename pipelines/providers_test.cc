// The resources pipelines add to the plan, the job and mount providers, and local job runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config/loader.h"
#include "config/memory_filesystem.h"
#include "pipelines/fake_process.h"
#include "pipelines/mount_provider.h"
#include "pipelines/registry_provider.h"
#include "pipelines/resources.h"
#include "pipelines/run.h"
#include "providers/fake_provider.h"
#include "providers/local/local_provider.h"
#include "state/memory_store.h"
#include "state/test_support.h"

namespace lakeinfra::pipelines {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const char kLocalLake[] =
    "lake: {name: healthetl, instance: dev01}\n"
    "zones: [{name: bronze, containers: [raw]}, {name: gold, containers: [curated]}]\n"
    "pipelines: [{name: hello, repo: /srv/git/hello, ref: main, schedule: \"0 2 * * *\"}]\n"
    "mounts:\n"
    "  - {name: bronze, zone: bronze, path: /mnt/bronze}\n"
    "  - {name: curated, zone: gold, container: curated, path: /mnt/curated/}\n";

const char kS3Lake[] =
    "lake: {name: healthetl, instance: dev01, region: eu-west-2}\n"
    "storage: {provider: s3, endpoint: \"http://127.0.0.1:9000\", addressing: path}\n"
    "zones: [{name: bronze, containers: [raw]}]\n"
    "mounts:\n"
    "  - {name: bronze, zone: bronze, path: /mnt/bronze}\n"
    "  - {name: raw, zone: bronze, container: raw, path: /mnt/raw}\n";

config::Lake parse(const std::string& yaml) {
  config::MapEnvironment env;
  auto lake = config::parse_lake(yaml, "lake.yaml", "/srv/cfg", env);
  EXPECT_TRUE(lake) << (lake ? "" : lake.error().str());
  return lake ? *lake : config::Lake{};
}

PreparedPipeline prepared() {
  PreparedPipeline p;
  p.name = "hello";
  p.repo = "/srv/git/hello";
  p.ref = "main";
  p.schedule = "0 2 * * *";
  p.commit = std::string(40, 'a');
  p.build_key = std::string(64, 'b');
  p.artifacts = {{"lib/x.whl", "/cache/src/artifacts/lib/x.whl", "11", 3},
                 {"main.py", "/cache/src/artifacts/main.py", "22", 5}};
  p.activities.list = nlohmann::json::parse(R"([{
    "name": "Run", "type": "DatabricksSparkPython",
    "typeProperties": {"pythonFile": "dbfs:/pipelines/hello/artifacts/main.py",
                       "libraries": [{"whl": "dbfs:/pipelines/hello/artifacts/lib/x.whl"}]}}])");
  return p;
}

std::vector<std::string> addresses(const std::vector<config::DesiredResource>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs)
    out.push_back(r.address.str());
  return out;
}

std::vector<std::string> strs(const std::vector<config::Address>& as) {
  std::vector<std::string> out;
  for (const auto& a : as)
    out.push_back(a.str());
  return out;
}

// --- pipeline_resources / mount_resources ---

TEST(PipelineResources, AddressesIdsAndDependencies) {
  auto lake = parse(kLocalLake);
  const config::Zone* gold = lake.find_zone("gold");
  ASSERT_NE(gold, nullptr);
  std::string container_phys;
  for (const auto& c : gold->containers) {
    if (c.name == "pipelines")
      container_phys = c.physical_name;
  }
  ASSERT_FALSE(container_phys.empty());
  std::string prefix = gold->physical_name + "/" + container_phys + "/pipelines/hello/artifacts/";

  providers::FakeProvider storage;
  auto rs = pipeline_resources(lake, {prepared()}, storage);
  ASSERT_THAT(addresses(rs), ElementsAre("pipeline.hello", "artifact.hello.lib/x.whl",
                                         "artifact.hello.main.py", "job.hello"));
  EXPECT_EQ(rs[0].provider_id, "hello");
  EXPECT_EQ(rs[0].attributes["commit"], std::string(40, 'a'));
  EXPECT_EQ(rs[0].attributes["build"], std::string(16, 'b'));
  EXPECT_EQ(rs[1].provider_id, prefix + "lib/x.whl");
  EXPECT_EQ(rs[2].provider_id, prefix + "main.py");
  EXPECT_EQ(rs[2].source, "/cache/src/artifacts/main.py");
  EXPECT_EQ(rs[2].attributes["sha256"], "22");
  EXPECT_EQ(rs[2].attributes["size"], 5);
  EXPECT_THAT(strs(rs[2].depends_on), ElementsAre("container.gold.pipelines", "pipeline.hello"));
  EXPECT_EQ(rs[3].provider_id, "hello");
  EXPECT_THAT(strs(rs[3].depends_on),
              ElementsAre("artifact.hello.lib/x.whl", "artifact.hello.main.py", "pipeline.hello"));
  const auto& job = rs[3].attributes;
  EXPECT_EQ(job["schedule"], "0 2 * * *");
  EXPECT_EQ(job["linked_service"], "ADBLinkedServiceViaMSI");
  EXPECT_EQ(job["activities"][0]["typeProperties"]["pythonFile"], "fake://" + prefix + "main.py");
  EXPECT_EQ(job["activities"][0]["typeProperties"]["libraries"][0]["whl"],
            "fake://" + prefix + "lib/x.whl");
  EXPECT_EQ(job["artifacts"]["main.py"]["location"], "fake://" + prefix + "main.py");
  EXPECT_EQ(job["artifacts"]["main.py"]["sha256"], "22");
}

TEST(PipelineResources, LocalStorageGivesFileUrls) {
  auto lake = parse(kLocalLake);
  config::MemoryFileSystem mfs;
  auto storage = providers::make_local_provider("/lake", mfs);
  auto rs = pipeline_resources(lake, {prepared()}, *storage);
  ASSERT_EQ(rs.size(), 4u);
  std::string file = rs[3].attributes["activities"][0]["typeProperties"]["pythonFile"];
  EXPECT_EQ(file, "file:///lake/" + rs[2].provider_id);
}

TEST(PipelineResources, NoPipelinesNoResources) {
  providers::FakeProvider storage;
  EXPECT_THAT(pipeline_resources(parse(kLocalLake), {}, storage), IsEmpty());
}

TEST(ArtifactUrl, PathsBecomeFileUrls) {
  EXPECT_EQ(artifact_url("/a/b"), "file:///a/b");
  EXPECT_EQ(artifact_url("s3://b/k"), "s3://b/k");
}

TEST(MountResources, LocalTargetsAreDescribedPaths) {
  auto lake = parse(kLocalLake);
  config::MemoryFileSystem mfs;
  auto storage = providers::make_local_provider("/lake", mfs);
  auto rs = mount_resources(lake, *storage);
  ASSERT_THAT(addresses(rs), ElementsAre("mount.bronze", "mount.curated"));
  const config::Zone* bronze = lake.find_zone("bronze");
  const config::Zone* gold = lake.find_zone("gold");
  EXPECT_EQ(rs[0].provider_id, "mnt/bronze");
  EXPECT_EQ(rs[0].attributes["target"],
            storage->describe(config::kZoneType, bronze->physical_name));
  EXPECT_THAT(strs(rs[0].depends_on), ElementsAre("zone.bronze"));
  EXPECT_EQ(rs[1].provider_id, "mnt/curated");
  EXPECT_EQ(rs[1].attributes["target"],
            storage->describe(config::kContainerType,
                              gold->physical_name + "/" + gold->containers[0].physical_name));
  EXPECT_THAT(strs(rs[1].depends_on), ElementsAre("container.gold.curated"));
  EXPECT_FALSE(rs[0].attributes.contains("endpoint"));
}

TEST(MountResources, S3TargetsAreS3aUrls) {
  auto lake = parse(kS3Lake);
  providers::FakeProvider storage;
  auto rs = mount_resources(lake, storage);
  ASSERT_EQ(rs.size(), 2u);
  const config::Zone* bronze = lake.find_zone("bronze");
  EXPECT_EQ(rs[0].attributes["target"], "s3a://" + bronze->physical_name + "/");
  EXPECT_EQ(rs[0].attributes["bucket"], bronze->physical_name);
  EXPECT_EQ(rs[0].attributes["endpoint"], "http://127.0.0.1:9000");
  EXPECT_EQ(rs[0].attributes["path_style"], true);
  EXPECT_EQ(rs[1].attributes["target"],
            "s3a://" + bronze->physical_name + "/" + bronze->containers[0].physical_name + "/");
}

// --- registry provider ---

class RegistryProviderTest : public ::testing::Test {
 protected:
  config::ManualClock clock_;
  state::test::FakeHostInfo host_;
  std::unique_ptr<state::StateStore> store_ = state::make_memory_store(clock_, host_);
  std::unique_ptr<providers::Provider> provider_ = make_registry_provider(store_->jobs());

  config::DesiredResource job(const std::string& schedule) {
    config::DesiredResource r;
    r.address = config::Address(config::kJobType, {"hello"});
    r.type = config::kJobType;
    r.provider_id = "hello";
    r.attributes = {{"pipeline", "hello"}, {"schedule", schedule}};
    return r;
  }
};

TEST_F(RegistryProviderTest, CreateReadUpdateRemove) {
  EXPECT_TRUE(provider_->manages(config::kJobType));
  EXPECT_TRUE(provider_->manages(config::kPipelineType));
  EXPECT_FALSE(provider_->manages(config::kMountType));

  auto missing = provider_->read(config::kJobType, "hello");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());

  auto created = provider_->create(job("0 1 * * *"));
  ASSERT_TRUE(created) << created.error().message;
  auto stored = store_->jobs().get("hello");
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->definition["schedule"], "0 1 * * *");

  auto read = provider_->read(config::kJobType, "hello");
  ASSERT_TRUE(read && read->has_value());
  EXPECT_EQ((*read)->attributes["schedule"], "0 1 * * *");

  config::ResourceRecord prior;
  prior.type = config::kJobType;
  prior.provider_id = "hello";
  ASSERT_TRUE(provider_->update(prior, job("0 2 * * *")));
  read = provider_->read(config::kJobType, "hello");
  ASSERT_TRUE(read && read->has_value());
  EXPECT_EQ((*read)->attributes["schedule"], "0 2 * * *");

  ASSERT_TRUE(provider_->remove(prior, false));
  read = provider_->read(config::kJobType, "hello");
  ASSERT_TRUE(read);
  EXPECT_FALSE(read->has_value());
  EXPECT_TRUE(provider_->remove(prior, false));  // already gone
}

TEST_F(RegistryProviderTest, PipelineIsAlwaysPresentWithoutAttributes) {
  auto read = provider_->read(config::kPipelineType, "hello");
  ASSERT_TRUE(read && read->has_value());
  EXPECT_TRUE((*read)->attributes.empty());
  config::DesiredResource p;
  p.type = config::kPipelineType;
  p.provider_id = "hello";
  p.attributes = {{"commit", "abc"}};
  auto created = provider_->create(p);
  ASSERT_TRUE(created);
  EXPECT_EQ((*created)["commit"], "abc");
  auto jobs = store_->jobs().list();
  ASSERT_TRUE(jobs);
  EXPECT_THAT(*jobs, IsEmpty());
}

// --- mount provider, local symlinks ---

config::DesiredResource mount(const std::string& id, const std::string& target,
                              const std::string& name = "bronze") {
  config::DesiredResource r;
  r.address = config::Address(config::kMountType, {name});
  r.type = config::kMountType;
  r.provider_id = id;
  r.attributes = {{"name", name}, {"path", "/" + id}, {"target", target}};
  return r;
}

config::ResourceRecord record(const config::DesiredResource& d) {
  config::ResourceRecord r;
  r.address = d.address;
  r.type = d.type;
  r.provider_id = d.provider_id;
  r.attributes = d.attributes;
  return r;
}

class LocalMountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() / "ws";
    fs::create_directories(tmp_.path() / "lake/a");
    fs::create_directories(tmp_.path() / "lake/b");
  }
  state::test::TempDir tmp_;
  fs::path root_;
  config::RealFileSystem fs_;
  std::unique_ptr<providers::Provider> provider_;
  providers::Provider& p() {
    if (!provider_)
      provider_ = make_mount_provider(root_, fs_, /*s3=*/false);
    return *provider_;
  }
};

TEST_F(LocalMountTest, CreateReadRepointRemove) {
  std::string a = (tmp_.path() / "lake/a").string(), b = (tmp_.path() / "lake/b").string();
  auto missing = p().read(config::kMountType, "mnt/bronze");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());

  ASSERT_TRUE(p().create(mount("mnt/bronze", a)));
  EXPECT_TRUE(fs::is_symlink(root_ / "mnt/bronze"));
  EXPECT_EQ(fs::read_symlink(root_ / "mnt/bronze").string(), a);
  auto read = p().read(config::kMountType, "mnt/bronze");
  ASSERT_TRUE(read && read->has_value());
  EXPECT_EQ((*read)->attributes["target"], a);

  auto updated = p().update(record(mount("mnt/bronze", a)), mount("mnt/bronze", b));
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(fs::read_symlink(root_ / "mnt/bronze").string(), b);

  ASSERT_TRUE(p().remove(record(mount("mnt/bronze", b)), false));
  EXPECT_FALSE(fs::exists(fs::symlink_status(root_ / "mnt/bronze")));
  EXPECT_FALSE(fs::exists(root_ / "mnt"));  // emptied parent pruned
  EXPECT_TRUE(fs::is_directory(root_));     // but not the root
  EXPECT_TRUE(fs::is_directory(b));         // the target is untouched
}

TEST_F(LocalMountTest, RemoveKeepsParentsThatAreNotEmpty) {
  std::string a = (tmp_.path() / "lake/a").string();
  ASSERT_TRUE(p().create(mount("mnt/bronze", a)));
  ASSERT_TRUE(p().create(mount("mnt/raw", a, "raw")));
  ASSERT_TRUE(p().remove(record(mount("mnt/bronze", a)), false));
  EXPECT_TRUE(fs::is_symlink(root_ / "mnt/raw"));
}

TEST_F(LocalMountTest, RemoveOfTopLevelMountKeepsRoot) {
  std::string a = (tmp_.path() / "lake/a").string();
  ASSERT_TRUE(p().create(mount("bronze", a)));
  ASSERT_TRUE(p().remove(record(mount("bronze", a)), false));
  EXPECT_TRUE(fs::is_directory(root_));
}

TEST_F(LocalMountTest, RootWithTrailingSlashIsNeverRemoved) {
  std::string a = (tmp_.path() / "lake/a").string();
  fs::create_directories(root_);
  auto provider = make_mount_provider(root_.string() + "/", fs_, /*s3=*/false);
  ASSERT_TRUE(provider->create(mount("mnt/bronze", a)));
  ASSERT_TRUE(provider->remove(record(mount("mnt/bronze", a)), false));
  EXPECT_FALSE(fs::exists(root_ / "mnt"));
  EXPECT_TRUE(fs::is_directory(root_));
}

TEST_F(LocalMountTest, RefusesToReplaceARealDirectory) {
  fs::create_directories(root_ / "mnt/bronze");
  std::ofstream(root_ / "mnt/bronze/keep.txt") << "data";
  auto created = p().create(mount("mnt/bronze", (tmp_.path() / "lake/a").string()));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, providers::FailureKind::kConflict);
  EXPECT_TRUE(fs::exists(root_ / "mnt/bronze/keep.txt"));
  auto read = p().read(config::kMountType, "mnt/bronze");
  ASSERT_TRUE(read && read->has_value());
  EXPECT_TRUE((*read)->unmanaged);
}

TEST_F(LocalMountTest, RemoveOfNonSymlinkIsRefused) {
  fs::create_directories(root_ / "mnt/bronze");
  auto removed = p().remove(record(mount("mnt/bronze", "/x")), false);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().kind, providers::FailureKind::kConflict);
  EXPECT_TRUE(fs::is_directory(root_ / "mnt/bronze"));
}

TEST_F(LocalMountTest, UnsafeIdsAreRefused) {
  for (std::string id : {"../x", "/abs", "mnt/../x", "mnt//x", "mnt/", ""}) {
    auto created = p().create(mount(id, "/x"));
    ASSERT_FALSE(created) << id;
    EXPECT_EQ(created.error().kind, providers::FailureKind::kInvalid) << id;
  }
}

// --- mount provider, s3 spark-defaults.conf ---

config::DesiredResource s3_mount(const std::string& id, const std::string& name,
                                 const std::string& bucket, const std::string& target,
                                 const std::string& endpoint, bool path_style) {
  auto r = mount(id, target, name);
  r.attributes["bucket"] = bucket;
  r.attributes["endpoint"] = endpoint;
  r.attributes["path_style"] = path_style;
  return r;
}

TEST(S3Mount, BlocksInSparkDefaults) {
  config::MemoryFileSystem mfs;
  mfs.add_file("/ws/spark-defaults.conf", "spark.master local[2]\n");
  auto p = make_mount_provider("/ws", mfs, /*s3=*/true);
  auto bronze =
      s3_mount("mnt/bronze", "bronze", "bkt-b", "s3a://bkt-b/", "http://127.0.0.1:9000", true);
  auto raw = s3_mount("mnt/raw", "raw", "bkt-r", "s3a://bkt-r/raw/", "http://127.0.0.1:9000", true);
  ASSERT_TRUE(p->create(bronze));
  ASSERT_TRUE(p->create(raw));

  auto read = p->read(config::kMountType, "mnt/bronze");
  ASSERT_TRUE(read && read->has_value());
  EXPECT_EQ((*read)->attributes["target"], "s3a://bkt-b/");
  EXPECT_EQ((*read)->attributes["endpoint"], "http://127.0.0.1:9000");
  EXPECT_EQ((*read)->attributes["path_style"], true);

  auto updated =
      s3_mount("mnt/bronze", "bronze", "bkt-b", "s3a://bkt-b/", "https://s3.example.org", false);
  ASSERT_TRUE(p->update(record(bronze), updated));
  read = p->read(config::kMountType, "mnt/bronze");
  ASSERT_TRUE(read && read->has_value());
  EXPECT_EQ((*read)->attributes["endpoint"], "https://s3.example.org");
  EXPECT_EQ((*read)->attributes["path_style"], false);
  auto other = p->read(config::kMountType, "mnt/raw");
  ASSERT_TRUE(other && other->has_value());
  EXPECT_EQ((*other)->attributes["target"], "s3a://bkt-r/raw/");
  EXPECT_EQ((*other)->attributes["endpoint"], "http://127.0.0.1:9000");

  auto text = mfs.read_file("/ws/spark-defaults.conf");
  ASSERT_TRUE(text);
  EXPECT_THAT(*text, HasSubstr("spark.master local[2]\n"));
  EXPECT_THAT(*text, HasSubstr("# BEGIN lakeinfra mount mnt/bronze\n"));
  EXPECT_THAT(*text, HasSubstr("spark.lakeinfra.mount.raw.target s3a://bkt-r/raw/\n"));
  EXPECT_THAT(*text, HasSubstr("spark.hadoop.fs.s3a.bucket.bkt-b.endpoint https://s3.example.org"));

  ASSERT_TRUE(p->remove(record(updated), false));
  read = p->read(config::kMountType, "mnt/bronze");
  ASSERT_TRUE(read);
  EXPECT_FALSE(read->has_value());
  text = mfs.read_file("/ws/spark-defaults.conf");
  ASSERT_TRUE(text);
  EXPECT_THAT(*text, Not(HasSubstr("bkt-b")));
  EXPECT_THAT(*text, HasSubstr("spark.master local[2]\n"));
  EXPECT_THAT(*text, HasSubstr("# BEGIN lakeinfra mount mnt/raw\n"));
  EXPECT_THAT(*text, HasSubstr("# END lakeinfra mount mnt/raw\n"));
}

TEST(S3Mount, MissingFileReadsAsAbsentAndIsCreated) {
  config::MemoryFileSystem mfs;
  auto p = make_mount_provider("/ws", mfs, /*s3=*/true);
  auto read = p->read(config::kMountType, "mnt/x");
  ASSERT_TRUE(read);
  EXPECT_FALSE(read->has_value());
  ASSERT_TRUE(p->create(s3_mount("mnt/x", "x", "b", "s3a://b/", "", false)));
  EXPECT_TRUE(mfs.read_file("/ws/spark-defaults.conf"));
  EXPECT_TRUE(p->remove(record(s3_mount("mnt/y", "y", "b", "s3a://b/", "", false)), false));
}

// --- run_job ---

state::JobRecord job_record(const nlohmann::json& activities, const nlohmann::json& artifacts) {
  state::JobRecord job;
  job.name = "hello";
  job.definition = {{"activities", activities}, {"artifacts", artifacts}};
  return job;
}

nlohmann::json py(const std::string& name, const std::string& file,
                  const nlohmann::json& params = nlohmann::json::array()) {
  return {{"name", name},
          {"type", "DatabricksSparkPython"},
          {"typeProperties", {{"pythonFile", file}, {"parameters", params}}}};
}

TEST(RunJob, RunsPythonWithParametersAndMountEnv) {
  auto job = job_record(
      nlohmann::json::array(
          {py("first", "file:///lake/p/hello/artifacts/main.py", {"--day", 3}),
           {{"name", "nb"}, {"type", "DatabricksNotebook"}, {"typeProperties", {}}},
           py("second", "file:///lake/p/hello/artifacts/main.py")}),
      {{"main.py", {{"location", "file:///lake/p/hello/artifacts/main.py"}, {"sha256", "x"}}}});
  FakeProcessRunner runner([](const ProcessSpec&, const LineSink& out) {
    out("hi");
    return ProcessOutcome{};
  });
  RunOptions options;
  options.workspace = "/ws";
  options.mounts = {{"bronze-raw", "/ws/mnt/bronze"}};
  std::vector<std::string> lines;
  options.on_output = [&](std::string_view l) { lines.emplace_back(l); };
  auto outcome = run_job(job, runner, options);
  ASSERT_TRUE(outcome) << outcome.error().str();
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_EQ(outcome->ran, 2);
  EXPECT_EQ(outcome->skipped, 1);
  auto runs = runner.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_THAT(runs[0].argv,
              ElementsAre("python3", "/lake/p/hello/artifacts/main.py", "--day", "3"));
  EXPECT_EQ(runs[0].cwd, fs::path("/ws"));
  EXPECT_EQ(runs[0].env.at("LAKEINFRA_MOUNT_BRONZE_RAW"), "/ws/mnt/bronze");
  EXPECT_EQ(runs[0].env.at("LAKEINFRA_JOB"), "hello");
  EXPECT_EQ(runs[0].env.at("LAKEINFRA_ARTIFACTS"), "/lake/p/hello/artifacts");
  EXPECT_EQ(runs[0].env.at("PYTHONPATH"), "/lake/p/hello/artifacts");
  EXPECT_THAT(lines, Contains("hi"));
  EXPECT_THAT(lines, Contains(HasSubstr("cannot run locally")));
}

TEST(RunJob, FirstFailureStops) {
  auto job =
      job_record(nlohmann::json::array({py("a", "file:///x/a.py"), py("b", "file:///x/b.py")}),
                 nlohmann::json::object());
  ProcessOutcome failed;
  failed.exit_code = 3;
  FakeProcessRunner runner([&](const ProcessSpec&, const LineSink&) { return failed; });
  auto outcome = run_job(job, runner, RunOptions{});
  ASSERT_TRUE(outcome) << outcome.error().str();
  EXPECT_EQ(outcome->exit_code, 3);
  EXPECT_EQ(outcome->ran, 1);
  EXPECT_EQ(runner.runs().size(), 1u);
}

TEST(RunJob, NothingRunnableIsAnError) {
  auto job = job_record(nlohmann::json::array({{{"name", "nb"}, {"type", "DatabricksNotebook"}}}),
                        nlohmann::json::object());
  FakeProcessRunner runner(nullptr);
  auto outcome = run_job(job, runner, RunOptions{});
  ASSERT_FALSE(outcome);
  EXPECT_THAT(outcome.error().str(), HasSubstr("no activity that can run locally"));
  EXPECT_TRUE(runner.runs().empty());
}

TEST(RunJob, S3ArtifactsAreDownloadedIntoScratch) {
  auto job = job_record(
      nlohmann::json::array({py("a", "s3://bkt/p/hello/artifacts/main.py")}),
      {{"main.py", {{"location", "s3://bkt/p/hello/artifacts/main.py"}, {"sha256", "x"}}},
       {"lib/x.whl", {{"location", "s3://bkt/p/hello/artifacts/lib/x.whl"}, {"sha256", "y"}}}});
  config::MemoryFileSystem mfs;
  std::vector<std::string> downloaded;
  RunOptions options;
  options.scratch = "/scratch";
  options.fs = &mfs;
  options.download = [&](const std::string& url) -> Result<std::string> {
    downloaded.push_back(url);
    return "bytes of " + url;
  };
  FakeProcessRunner runner(nullptr);
  auto outcome = run_job(job, runner, options);
  ASSERT_TRUE(outcome) << outcome.error().str();
  EXPECT_THAT(downloaded, testing::UnorderedElementsAre("s3://bkt/p/hello/artifacts/main.py",
                                                        "s3://bkt/p/hello/artifacts/lib/x.whl"));
  auto main = mfs.read_file("/scratch/artifacts/main.py");
  ASSERT_TRUE(main);
  EXPECT_EQ(*main, "bytes of s3://bkt/p/hello/artifacts/main.py");
  EXPECT_TRUE(mfs.read_file("/scratch/artifacts/lib/x.whl"));
  ASSERT_EQ(runner.runs().size(), 1u);
  EXPECT_THAT(runner.runs()[0].argv, ElementsAre("python3", "/scratch/artifacts/main.py"));
  EXPECT_EQ(runner.runs()[0].env.at("LAKEINFRA_ARTIFACTS"), "/scratch/artifacts");
}

TEST(RunJob, FailedDownloadFails) {
  auto job = job_record(nlohmann::json::array({py("a", "s3://bkt/main.py")}),
                        {{"main.py", {{"location", "s3://bkt/main.py"}, {"sha256", "x"}}}});
  config::MemoryFileSystem mfs;
  RunOptions options;
  options.scratch = "/scratch";
  options.fs = &mfs;
  options.download = [](const std::string&) -> Result<std::string> { return fail("no access"); };
  FakeProcessRunner runner(nullptr);
  auto outcome = run_job(job, runner, options);
  ASSERT_FALSE(outcome);
  EXPECT_THAT(outcome.error().str(), HasSubstr("no access"));
  EXPECT_TRUE(runner.runs().empty());
}

}  // namespace
}  // namespace lakeinfra::pipelines
