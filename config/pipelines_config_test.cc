// The jobs, artifacts, pipelines, workspace and mounts blocks of lake.yaml.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/log.h"
#include "config/memory_filesystem.h"
#include "config/parse_for_tests.h"

namespace lakeinfra::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

using testing::err;
using testing::errors;
using testing::parse;
using testing::warn;
using testing::warnings;

const char kNameRule[] =
    "names are 3–63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit";
const char kPipelineKeys[] =
    "Valid keys: name, repo, ref, path, token_env, schedule, build_timeout";
const char kCronRule[] =
    "5 fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or jan-dec) "
    "day-of-week (0-7 or sun-sat, 0 and 7 are Sunday); each a comma list of *, a number, a range "
    "a-b, or */n or a-b/n for steps; e.g. schedule: \"0 2 * * *\"";
const char kDurationHint[] =
    "a duration such as \"90s\", \"10m\", \"1h\" or a number of seconds, more than 0 and at most "
    "24h";

// Line 1-3 of most documents: a lake with zones bronze (container raw) and gold (curated).
const char kHead[] =
    "lake: {name: healthetl, instance: dev01}\n"
    "zones: [{name: bronze, containers: [raw]}, {name: gold, tier: internal, containers: "
    "[curated]}]\n";

// kHead and one pipeline item at line 4 whose fields are `fields` (a flow mapping's inside).
std::string with_pipeline(const std::string& fields) {
  return std::string(kHead) + "pipelines:\n  - {" + fields + "}\n";
}

// --- what a valid file gives ---

const char kFullExample[] =
    "lake: {name: healthetl, instance: dev01}\n"
    "zones:\n"
    "  - name: bronze\n"
    "    containers: [raw]\n"
    "  - name: gold\n"
    "    tier: internal\n"
    "    containers: [curated]\n"
    "jobs:\n"
    "  registry: local\n"
    "  linked_service: MyLinkedService\n"
    "artifacts: {zone: gold, container: builds}\n"
    "pipelines:\n"
    "  - name: hello-world\n"
    "    repo: https://example.org/org/hello-world.git\n"
    "    ref: v1.2.0\n"
    "    path: ./hello-world/\n"
    "    token_env: PIPELINE_REPO_TOKEN\n"
    "    schedule: \"0 2 * * *\"\n"
    "    build_timeout: 10m\n"
    "  - name: local-one\n"
    "    repo: ../repos/local-one\n"
    "    ref: 0123456789abcdef0123456789abcdef01234567\n"
    "workspace: {root: ./ws/}\n"
    "mounts:\n"
    "  - {name: bronze, zone: bronze, path: /mnt/bronze}\n"
    "  - {name: curated, zone: gold, container: curated, path: /mnt/curated/}\n";

TEST(PipelinesConfig, FullExampleDecodesEveryField) {
  auto lake = parse(kFullExample);
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_THAT(lake->warnings, IsEmpty());

  EXPECT_EQ(lake->jobs.registry, "local");
  EXPECT_EQ(lake->jobs.linked_service, "MyLinkedService");
  EXPECT_EQ(lake->jobs.location.str(), "lake.yaml:9:3");
  EXPECT_EQ(lake->jobs.linked_service_location.str(), "lake.yaml:10:19");

  EXPECT_TRUE(lake->artifacts.declared);
  EXPECT_EQ(lake->artifacts.zone, "gold");
  EXPECT_EQ(lake->artifacts.container, "builds");
  EXPECT_EQ(lake->artifacts.location.str(), "lake.yaml:11:12");

  ASSERT_EQ(lake->pipelines.size(), 2u);
  const Pipeline& hello = lake->pipelines[0];
  EXPECT_EQ(hello.name, "hello-world");
  EXPECT_EQ(hello.repo, "https://example.org/org/hello-world.git");
  EXPECT_EQ(hello.ref, "v1.2.0");
  EXPECT_EQ(hello.path, "hello-world");
  EXPECT_EQ(hello.token_env, "PIPELINE_REPO_TOKEN");
  EXPECT_EQ(hello.schedule, "0 2 * * *");
  EXPECT_EQ(hello.build_timeout_seconds, 600);
  EXPECT_EQ(hello.location.str(), "lake.yaml:13:5");
  EXPECT_EQ(hello.repo_location.str(), "lake.yaml:14:11");
  EXPECT_EQ(hello.ref_location.str(), "lake.yaml:15:10");
  EXPECT_EQ(hello.path_location.str(), "lake.yaml:16:11");
  const Pipeline& local = lake->pipelines[1];
  EXPECT_EQ(local.repo, "/srv/repos/local-one");  // resolved against the config's directory
  EXPECT_EQ(local.ref, "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(local.path, "");
  EXPECT_EQ(local.token_env, "");
  EXPECT_EQ(local.schedule, "");
  EXPECT_EQ(local.build_timeout_seconds, 600);
  EXPECT_EQ(local.path_location.str(), "lake.yaml:20:5");  // the item: no path given
  EXPECT_EQ(lake->find_pipeline("local-one"), &local);
  EXPECT_EQ(lake->find_pipeline("nope"), nullptr);

  EXPECT_EQ(lake->workspace.root, "/srv/cfg/ws");
  EXPECT_EQ(lake->workspace.location.str(), "lake.yaml:23:12");

  ASSERT_EQ(lake->mounts.size(), 2u);
  EXPECT_EQ(lake->mounts[0].name, "bronze");
  EXPECT_EQ(lake->mounts[0].zone, "bronze");
  EXPECT_EQ(lake->mounts[0].container, "");
  EXPECT_EQ(lake->mounts[0].path, "/mnt/bronze");
  EXPECT_EQ(lake->mounts[0].location.str(), "lake.yaml:25:5");
  EXPECT_EQ(lake->mounts[0].path_location.str(), "lake.yaml:25:40");
  EXPECT_EQ(lake->mounts[1].container, "curated");
  EXPECT_EQ(lake->mounts[1].path, "/mnt/curated");  // trailing '/' dropped

  // The artifacts container became an ordinary container of gold.
  const Zone* gold = lake->find_zone("gold");
  ASSERT_NE(gold, nullptr);
  ASSERT_EQ(gold->containers.size(), 2u);
  EXPECT_EQ(gold->containers[1].name, "builds");
  EXPECT_EQ(gold->containers[1].tier, "internal");
  EXPECT_EQ(gold->containers[1].physical_name, "builds");
  EXPECT_EQ(gold->containers[1].location.str(), "lake.yaml:11:36");
}

TEST(PipelinesConfig, DefaultsWhenTheBlocksAreOmitted) {
  auto lake = parse(kHead);
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->jobs.registry, "local");
  EXPECT_EQ(lake->jobs.linked_service, "ADBLinkedServiceViaMSI");
  EXPECT_EQ(lake->jobs.location.str(), "lake.yaml");
  EXPECT_FALSE(lake->artifacts.declared);
  EXPECT_EQ(lake->artifacts.zone, "gold");
  EXPECT_EQ(lake->artifacts.container, "pipelines");
  EXPECT_THAT(lake->pipelines, IsEmpty());
  EXPECT_EQ(lake->workspace.root, "/srv/cfg/workspace");
  EXPECT_EQ(lake->workspace.location.str(), "lake.yaml");
  EXPECT_THAT(lake->mounts, IsEmpty());
  // Without pipelines nothing is added.
  EXPECT_EQ(lake->find_zone("gold")->containers.size(), 1u);
  EXPECT_EQ(lake->find_zone("bronze")->containers.size(), 1u);
}

TEST(PipelinesConfig, EmptyOptionalValuesMeanTheDefault) {
  auto lake = parse(with_pipeline(
      "name: job1, repo: /srv/git/p1, ref: main, path: \"\", token_env: \"\", schedule: \"\", "
      "build_timeout: \"\""));
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  const Pipeline& p = lake->pipelines[0];
  EXPECT_EQ(p.path, "");
  EXPECT_EQ(p.token_env, "");
  EXPECT_EQ(p.schedule, "");
  EXPECT_EQ(p.build_timeout_seconds, 600);
}

TEST(PipelinesConfig, TopLevelKeysSuggestTheNewBlocks) {
  EXPECT_THAT(errors(std::string(kHead) + "pipeline: []\nmount: []\n"),
              ElementsAre(err("3:1", "unknown key \"pipeline\" at the top level",
                              "did you mean \"pipelines\"? Valid keys: lake, storage, naming, "
                              "zones, jobs, artifacts, pipelines, workspace, mounts, tiers, "
                              "phi_tier, instances, roles"),
                          err("4:1", "unknown key \"mount\" at the top level",
                              "did you mean \"mounts\"? Valid keys: lake, storage, naming, "
                              "zones, jobs, artifacts, pipelines, workspace, mounts, tiers, "
                              "phi_tier, instances, roles")));
}

TEST(PipelinesConfig, WrongTypesOfTheBlocks) {
  EXPECT_THAT(
      errors(std::string(kHead) +
             "jobs: local\nartifacts: [gold]\npipelines: {name: x}\nworkspace: ./ws\n"
             "mounts: /mnt\n"),
      ElementsAre(err("3:7", "\"jobs\" must be a mapping, got \"local\"",
                      "e.g. jobs: {registry: local, linked_service: ADBLinkedServiceViaMSI}"),
                  err("5:12", "\"pipelines\" must be a list of pipelines, got a mapping",
                      "e.g. pipelines: [{name: hello-world, repo: "
                      "https://example.org/org/hello-world.git, ref: main}]"),
                  err("4:12", "\"artifacts\" must be a mapping, got a list",
                      "e.g. artifacts: {zone: gold, container: pipelines}"),
                  err("6:12", "\"workspace\" must be a mapping, got \"./ws\"",
                      "e.g. workspace: {root: ./workspace}"),
                  err("7:9", "\"mounts\" must be a list of mounts, got \"/mnt\"",
                      "e.g. mounts: [{name: bronze, zone: bronze, path: /mnt/bronze}]")));
}

// --- jobs ---

TEST(PipelinesConfig, JobsRegistryAndLinkedService) {
  EXPECT_THAT(
      errors(std::string(kHead) +
             "jobs: {registry: locl, linked_service: \"\", linkedservice: x}\n"),
      ElementsAre(err("3:44", "unknown key \"linkedservice\" in jobs",
                      "did you mean \"linked_service\"? Valid keys: registry, linked_service"),
                  err("3:18", "unknown job registry \"locl\"",
                      "did you mean \"local\"? Valid registries: local (local: jobs live in the "
                      "state database)"),
                  err("3:40", "\"linked_service\" in jobs must not be empty",
                      "name the linked service every activity refers to, or omit "
                      "linked_service for \"ADBLinkedServiceViaMSI\"")));
}

// --- artifacts ---

TEST(PipelinesConfig, ArtifactsDefaultToGoldElseTheLastZone) {
  auto lake = parse(
      "lake: {name: healthetl, instance: dev01}\n"
      "zones: [{name: bronze}, {name: silver, tier: restricted}]\n"
      "pipelines: [{name: job1, repo: /srv/git/p1, ref: main}]\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->artifacts.zone, "silver");
  EXPECT_EQ(lake->artifacts.container, "pipelines");
  const Zone& silver = lake->zones[1];
  ASSERT_EQ(silver.containers.size(), 1u);
  EXPECT_EQ(silver.containers[0].name, "pipelines");
  EXPECT_EQ(silver.containers[0].tier, "restricted");
  EXPECT_EQ(silver.containers[0].location.str(), "lake.yaml:3:1");  // the pipelines key
  EXPECT_THAT(lake->zones[0].containers, IsEmpty());
}

TEST(PipelinesConfig, ArtifactsContainerIsRenderedLikeTheOthers) {
  auto lake = parse(
      "lake: {name: healthetl, instance: dev01}\n"
      "naming: {container: \"{zone}-{container}-{tier}\"}\n"
      "zones: [{name: gold, tier: internal, containers: [curated]}, {name: bronze}]\n"
      "pipelines: [{name: job1, repo: /srv/git/p1, ref: main}]\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  const Zone& gold = lake->zones[0];
  ASSERT_EQ(gold.containers.size(), 2u);
  EXPECT_EQ(gold.containers[1].name, "pipelines");
  EXPECT_EQ(gold.containers[1].physical_name, "gold-pipelines-internal");
  EXPECT_EQ(gold.containers[0].physical_name, "gold-curated-internal");
}

TEST(PipelinesConfig, ArtifactsContainerAlreadyDeclaredIsNotAddedAgain) {
  auto lake = parse(
      "lake: {name: healthetl, instance: dev01}\n"
      "zones: [{name: gold, containers: [{name: pipelines, tier: internal}]}]\n"
      "pipelines: [{name: job1, repo: /srv/git/p1, ref: main}]\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  ASSERT_EQ(lake->zones[0].containers.size(), 1u);
  EXPECT_EQ(lake->zones[0].containers[0].tier, "internal");  // as declared
}

TEST(PipelinesConfig, ArtifactsContainerTakesPartInCollisionChecks) {
  EXPECT_THAT(errors("lake: {name: healthetl, instance: dev01}\n"
                     "naming: {container: \"c-{tier}\"}\n"
                     "zones: [{name: gold, containers: [curated]}]\n"
                     "artifacts: {container: builds}\n"
                     "pipelines: [{name: job1, repo: /srv/git/p1, ref: main}]\n"),
              ElementsAre(err("4:24",
                              "container \"builds\" of zone \"gold\" renders to physical name "
                              "\"c-sensitive\", the same as container \"curated\" of zone "
                              "\"gold\" (line 3)",
                              "physical names must be unique; change the name or the naming "
                              "template")));
}

TEST(PipelinesConfig, ArtifactsErrors) {
  EXPECT_THAT(errors(std::string(kHead) + "artifacts: {zone: golf, container: Builds, zones: x}\n"
                                          "pipelines: [{name: job1, repo: /srv/git/p1, ref: "
                                          "main}]\n"),
              ElementsAre(err("3:44", "unknown key \"zones\" in artifacts",
                              "did you mean \"zone\"? Valid keys: zone, container"),
                          err("3:19", "unknown zone \"golf\" in artifacts",
                              "did you mean \"gold\"? Declared zones: bronze, gold"),
                          err("3:36",
                              "container name \"Builds\" is invalid: uppercase letters are not "
                              "allowed",
                              std::string(kNameRule) + "; try \"builds\"")));
}

TEST(PipelinesConfig, ArtifactsBlockWithoutPipelinesIsCheckedButAddsNothing) {
  auto lake = parse(std::string(kHead) + "artifacts: {zone: bronze}\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->artifacts.zone, "bronze");
  EXPECT_EQ(lake->find_zone("bronze")->containers.size(), 1u);
  EXPECT_THAT(errors(std::string(kHead) + "artifacts: {zone: silver}\n"),
              ElementsAre(err("3:19", "unknown zone \"silver\" in artifacts",
                              "Declared zones: bronze, gold")));
}

TEST(PipelinesConfig, PipelinesNeedAZone) {
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"
             "zones: []\n"
             "pipelines: [{name: job1, repo: /srv/git/p1, ref: main}]\n"),
      ElementsAre(err("2:8", "\"zones\" must not be empty",
                      "a lake needs at least one zone, e.g. zones: [{name: bronze, containers: "
                      "[raw]}]"),
                  err("3:1", "pipelines need a zone for their artifacts",
                      "declare a zone, e.g. zones: [{name: gold}]; artifacts go to zone "
                      "\"gold\", else to the last zone, or to artifacts: {zone: ...}")));
}

// --- pipelines ---

TEST(PipelinesConfig, PipelineRequiredKeysUnknownKeysAndItems) {
  EXPECT_THAT(errors(std::string(kHead) + "pipelines:\n"
                                          "  - {name: job1, reop: x}\n"
                                          "  - hello\n"
                                          "  - {repo: [a], ref: main}\n"),
              ElementsAre(err("4:18", "unknown key \"reop\" in pipeline \"job1\"",
                              std::string("did you mean \"repo\"? ") + kPipelineKeys),
                          err("4:5", "missing required key \"repo\" in pipeline \"job1\"",
                              "e.g. repo: https://example.org/org/hello-world.git"),
                          err("4:5", "missing required key \"ref\" in pipeline \"job1\"",
                              "e.g. ref: main (a branch, a tag or a full commit sha)"),
                          err("5:5", "each pipeline must be a mapping, got \"hello\"",
                              "e.g. pipelines: [{name: hello-world, repo: "
                              "https://example.org/org/hello-world.git, ref: main}]"),
                          err("6:5", "missing required key \"name\" in pipeline #3",
                              "every pipeline needs a name, e.g. name: hello-world"),
                          err("6:12", "\"repo\" must be a string, got a list",
                              "e.g. repo: https://example.org/org/hello-world.git")));
}

TEST(PipelinesConfig, PipelineNamesFollowTheZoneRulesAndAreUnique) {
  EXPECT_THAT(errors(std::string(kHead) + "pipelines:\n"
                                          "  - {name: Hello_World, repo: /r, ref: main}\n"
                                          "  - {name: etl, repo: /r, ref: main}\n"
                                          "  - {name: etl, repo: /r, ref: main}\n"),
              ElementsAre(err("4:12",
                              "pipeline name \"Hello_World\" is invalid: uppercase letters are "
                              "not allowed",
                              std::string(kNameRule) + "; try \"hello-world\""),
                          err("6:12", "duplicate pipeline name \"etl\" (first defined on line 5)",
                              "pipeline names must be unique within a lake")));
}

TEST(PipelinesConfig, RepoForms) {
  auto repo_of = [](const std::string& repo) {
    auto lake = parse(with_pipeline("name: job1, repo: \"" + repo + "\", ref: main"));
    return lake ? lake->pipelines[0].repo : lake.error().str();
  };
  EXPECT_EQ(repo_of("https://example.org/org/x.git"), "https://example.org/org/x.git");
  EXPECT_EQ(repo_of("HTTP://example.org/x"), "HTTP://example.org/x");  // kept as written
  EXPECT_EQ(repo_of("git://example.org/x.git"), "git://example.org/x.git");
  EXPECT_EQ(repo_of("ssh://git@example.org:2222/org/x.git"),
            "ssh://git@example.org:2222/org/x.git");
  EXPECT_EQ(repo_of("file:///srv/git/x.git"), "file:///srv/git/x.git");
  EXPECT_EQ(repo_of("git@example.org:org/x.git"), "git@example.org:org/x.git");
  EXPECT_EQ(repo_of("example.org:org/x.git"), "example.org:org/x.git");
  EXPECT_EQ(repo_of("/srv/git/x/"), "/srv/git/x");
  EXPECT_EQ(repo_of("repos/./x"), "/srv/cfg/repos/x");
  EXPECT_EQ(repo_of("../x"), "/srv/x");
  EXPECT_EQ(repo_of("./x:y"), "/srv/cfg/x:y");  // a '/' before ':': a path, not scp-like
}

TEST(PipelinesConfig, RepoErrors) {
  auto repo_error = [](const std::string& repo) {
    auto all = errors(with_pipeline("name: job1, repo: \"" + repo + "\", ref: main"));
    return all.empty() ? std::string("no error") : all.front();
  };
  const std::string others = "or an scp-like address (git@host:org/repo.git) or a local path";
  EXPECT_EQ(repo_error(""),
            err("4:24", "repo \"\" of pipeline \"job1\" is invalid: it is empty",
                "give a git URL such as https://example.org/org/repo.git, " + others));
  EXPECT_EQ(
      repo_error("ftp://example.org/x.git"),
      err("4:24",
          "repo \"ftp://example.org/x.git\" of pipeline \"job1\" is invalid: the scheme "
          "\"ftp\" is not supported",
          "did you mean \"http\"? Supported schemes: https, http, git, ssh, file; " + others));
  EXPECT_EQ(
      repo_error("htps://example.org/x.git"),
      err("4:24",
          "repo \"htps://example.org/x.git\" of pipeline \"job1\" is invalid: the scheme "
          "\"htps\" is not supported",
          "did you mean \"https\"? Supported schemes: https, http, git, ssh, file; " + others));
  EXPECT_EQ(repo_error("https:///org/x.git"),
            err("4:24",
                "repo \"https:///org/x.git\" of pipeline \"job1\" is invalid: the host is missing",
                "e.g. https://example.org/org/repo.git"));
  EXPECT_EQ(repo_error("https:/example.org/x.git"),
            err("4:24",
                "repo \"https:/example.org/x.git\" of pipeline \"job1\" is invalid: \"https:\" "
                "must be followed by \"//\"",
                "e.g. https://example.org/org/repo.git"));
  EXPECT_EQ(repo_error("git@:org/x.git"),
            err("4:24",
                "repo \"git@:org/x.git\" of pipeline \"job1\" is invalid: the host before ':' is "
                "missing",
                "e.g. git@example.org:org/repo.git"));
  EXPECT_EQ(repo_error("git@example.org:"),
            err("4:24",
                "repo \"git@example.org:\" of pipeline \"job1\" is invalid: the path after ':' is "
                "missing",
                "e.g. git@example.org:org/repo.git"));
  EXPECT_EQ(repo_error("file://"),
            err("4:24", "repo \"file://\" of pipeline \"job1\" is invalid: the path is missing",
                "e.g. file:///srv/git/repo.git"));
}

TEST(PipelinesConfig, RefRules) {
  auto ref_error = [](const std::string& ref) {
    auto all = errors(with_pipeline("name: job1, repo: /r, ref: \"" + ref + "\""));
    return all.empty() ? std::string("no error") : all.front();
  };
  auto expect = [](const std::string& ref, const std::string& problem) {
    return err("4:33", "ref \"" + ref + "\" of pipeline \"job1\" is invalid: " + problem,
               "give a branch, a tag or a full commit sha, e.g. ref: v1.2.0");
  };
  EXPECT_EQ(ref_error(""), expect("", "it is empty"));
  EXPECT_EQ(ref_error("release 1"), expect("release 1", "whitespace is not allowed"));
  EXPECT_EQ(ref_error("main..dev"), expect("main..dev", "'..' is not allowed"));
  EXPECT_EQ(ref_error("--upload-pack=x"), expect("--upload-pack=x", "it starts with '-'"));
  EXPECT_EQ(ref_error("feature/x-1"), "no error");
  EXPECT_EQ(ref_error("refs/tags/v1.2.0"), "no error");
}

TEST(PipelinesConfig, PathIsRelativeAndNormalised) {
  auto path_of = [](const std::string& path) {
    auto lake = parse(with_pipeline("name: job1, repo: /r, ref: main, path: \"" + path + "\""));
    if (lake)
      return lake->pipelines[0].path;
    return lake.error().items().front().summary;
  };
  EXPECT_EQ(path_of("hello-world"), "hello-world");
  EXPECT_EQ(path_of("./a/./b//c/"), "a/b/c");
  EXPECT_EQ(path_of("."), "");
  EXPECT_EQ(path_of("/abs"), "path \"/abs\" of pipeline \"job1\" is invalid: it is absolute");
  EXPECT_EQ(path_of("a/../b"),
            "path \"a/../b\" of pipeline \"job1\" is invalid: '..' segments are not allowed");
  EXPECT_THAT(errors(with_pipeline("name: job1, repo: /r, ref: main, path: ..")),
              ElementsAre(err("4:45",
                              "path \"..\" of pipeline \"job1\" is invalid: '..' segments are not "
                              "allowed",
                              "give a folder relative to the repo's root, e.g. path: "
                              "hello-world; omit path for the root")));
}

TEST(PipelinesConfig, TokenEnvName) {
  const char hint[] =
      "an environment variable name is letters, digits and '_', not starting with a digit, e.g. "
      "token_env: PIPELINE_REPO_TOKEN";
  EXPECT_THAT(
      errors(std::string(kHead) +
             "pipelines:\n"
             "  - {name: job1, repo: https://h/r, ref: main, token_env: 1TOKEN}\n"
             "  - {name: job2, repo: https://h/r, ref: main, token_env: MY-TOKEN}\n"),
      ElementsAre(
          err("4:59",
              "token_env \"1TOKEN\" of pipeline \"job1\" is invalid: it starts with a digit", hint),
          err("5:59", "token_env \"MY-TOKEN\" of pipeline \"job2\" is invalid: '-' is not allowed",
              hint)));
  auto lake = parse(with_pipeline("name: job1, repo: https://h/r, ref: main, token_env: _Tok_9"));
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->pipelines[0].token_env, "_Tok_9");
}

TEST(PipelinesConfig, TokenEnvIsOnlyForHttpRepos) {
  const char hint[] =
      "a token is sent only to https:// and http:// repos; ssh uses your SSH keys and local "
      "repos need none; remove token_env";
  EXPECT_THAT(warnings(std::string(kHead) +
                       "pipelines:\n"
                       "  - {name: job1, repo: \"git@h:o/r.git\", ref: main, token_env: T}\n"
                       "  - {name: job2, repo: ./r, ref: main, token_env: T}\n"
                       "  - {name: job3, repo: \"http://h/r\", ref: main, token_env: T}\n"
                       "  - {name: job4, repo: \"https://h/r\", ref: main, token_env: T}\n"),
              ElementsAre(warn("4:52",
                               "token_env of pipeline \"job1\" has no effect: its repo "
                               "\"git@h:o/r.git\" is not an http(s) URL",
                               hint),
                          warn("5:40",
                               "token_env of pipeline \"job2\" has no effect: its repo "
                               "\"/srv/cfg/r\" is a local path",
                               hint),
                          warn("6:49",
                               "token_env of pipeline \"job3\" is sent unencrypted to "
                               "\"http://h/r\" (plain http)",
                               "use an https:// repo URL")));
}

TEST(PipelinesConfig, ScheduleIsAFiveFieldCronExpression) {
  auto schedule_error = [](const std::string& schedule) {
    auto lake =
        parse(with_pipeline("name: job1, repo: /r, ref: main, schedule: \"" + schedule + "\""));
    if (lake)
      return std::string("ok");
    return lake.error().items().front().summary.substr(
        std::string("schedule \"" + schedule + "\" of pipeline \"job1\" is invalid: ").size());
  };
  for (const char* valid : {"0 2 * * *", "*/15 * * * *", "0 9-17/2 * * mon-fri",
                            "30 4 1,15 jan,JUL sun", "0 0 1-31/10 1-12 0,7", "  5  4 * * 7 "}) {
    EXPECT_EQ(schedule_error(valid), "ok") << valid;
  }
  EXPECT_EQ(schedule_error("0 2 * *"), "it has 4 fields, expected 5");
  EXPECT_EQ(schedule_error("0 2 * * * *"), "it has 6 fields, expected 5");
  EXPECT_EQ(schedule_error("60 * * * *"), "minute \"60\": 60 is out of range 0-59");
  EXPECT_EQ(schedule_error("0 1,25 * * *"), "hour \"1,25\": 25 is out of range 0-23");
  EXPECT_EQ(schedule_error("0 0 0 * *"), "day-of-month \"0\": 0 is out of range 1-31");
  EXPECT_EQ(schedule_error("0 0 * 13 *"), "month \"13\": 13 is out of range 1-12");
  EXPECT_EQ(schedule_error("0 0 * jan-foo *"),
            "month \"jan-foo\": \"foo\" is not a number or month name (jan-dec)");
  EXPECT_EQ(schedule_error("0 0 * * 8"), "day-of-week \"8\": 8 is out of range 0-7");
  EXPECT_EQ(schedule_error("0 0 * * monday"),
            "day-of-week \"monday\": \"monday\" is not a number or day name (sun-sat)");
  EXPECT_EQ(schedule_error("jan 0 * * *"), "minute \"jan\": \"jan\" is not a number");
  EXPECT_EQ(schedule_error("*/0 * * * *"), "minute \"*/0\": the step must be at least 1");
  EXPECT_EQ(schedule_error("*/ * * * *"), "minute \"*/\": the step after '/' is missing");
  EXPECT_EQ(schedule_error("*/x * * * *"), "minute \"*/x\": the step \"x\" is not a number");
  EXPECT_EQ(schedule_error("0 */24 * * *"), "hour \"*/24\": the step 24 is larger than 23");
  EXPECT_EQ(schedule_error("5/10 * * * *"),
            "minute \"5/10\": a step needs \"*\" or a range before it, e.g. */10 or 5-59/10");
  EXPECT_EQ(schedule_error("0 17-9 * * *"), "hour \"17-9\": the range 17-9 runs backwards");
  EXPECT_EQ(schedule_error("0 -9 * * *"), "hour \"-9\": the range \"-9\" is incomplete");
  EXPECT_EQ(schedule_error("0 1,,2 * * *"), "hour \"1,,2\": an item of the list is empty");
  EXPECT_EQ(schedule_error("@daily"), "\"@daily\" is not supported");
}

TEST(PipelinesConfig, ScheduleErrorsPointAtTheValueWithTheRule) {
  EXPECT_THAT(
      errors(std::string(kHead) +
             "pipelines:\n"
             "  - {name: job1, repo: /r, ref: main, schedule: \"0 24 * * *\"}\n"
             "  - {name: job2, repo: /r, ref: main, schedule: \"@weekly\"}\n"
             "  - {name: job3, repo: /r, ref: main, schedule: [0, 2]}\n"),
      ElementsAre(err("4:49",
                      "schedule \"0 24 * * *\" of pipeline \"job1\" is invalid: hour \"24\": 24 is "
                      "out of range 0-23",
                      kCronRule),
                  err("5:49",
                      "schedule \"@weekly\" of pipeline \"job2\" is invalid: \"@weekly\" is "
                      "not supported",
                      "write it as 5 fields: schedule: \"0 0 * * 0\""),
                  err("6:49", "\"schedule\" must be a string, got a list",
                      "quote it, e.g. schedule: \"0 2 * * *\"")));
}

TEST(PipelinesConfig, BuildTimeoutIsADuration) {
  auto timeout_of = [](const std::string& timeout) {
    auto lake = parse(with_pipeline("name: job1, repo: /r, ref: main, build_timeout: " + timeout));
    if (lake)
      return std::to_string(lake->pipelines[0].build_timeout_seconds);
    const std::string& summary = lake.error().items().front().summary;
    return summary.substr(summary.find("is invalid: ") + 12);
  };
  EXPECT_EQ(timeout_of("90s"), "90");
  EXPECT_EQ(timeout_of("10m"), "600");
  EXPECT_EQ(timeout_of("1h"), "3600");
  EXPECT_EQ(timeout_of("24h"), "86400");
  EXPECT_EQ(timeout_of("45"), "45");
  EXPECT_EQ(timeout_of("\"120\""), "120");
  EXPECT_EQ(timeout_of("0"), "it must be more than 0");
  EXPECT_EQ(timeout_of("0m"), "it must be more than 0");
  EXPECT_EQ(timeout_of("25h"), "it is longer than 24h");
  EXPECT_EQ(timeout_of("86401"), "it is longer than 24h");
  EXPECT_EQ(timeout_of("99999999999999999999"), "it is longer than 24h");
  EXPECT_EQ(timeout_of("10min"), "unknown unit \"min\"");
  EXPECT_EQ(timeout_of("1.5h"), "unknown unit \".5h\"");
  EXPECT_EQ(timeout_of("-5"), "it must be a number of seconds, or a number followed by s, m or h");
  EXPECT_EQ(timeout_of("h"), "it must be a number of seconds, or a number followed by s, m or h");
  EXPECT_THAT(errors(with_pipeline("name: job1, repo: /r, ref: main, build_timeout: 2d")),
              ElementsAre(err("4:54",
                              "build_timeout \"2d\" of pipeline \"job1\" is invalid: unknown unit "
                              "\"d\"",
                              kDurationHint)));
}

// --- workspace ---

TEST(PipelinesConfig, WorkspaceRoot) {
  auto root_of = [](const std::string& root) {
    auto lake = parse(std::string(kHead) + "workspace: {root: \"" + root + "\"}\n");
    return lake ? lake->workspace.root.string() : lake.error().str();
  };
  EXPECT_EQ(root_of("./work/"), "/srv/cfg/work");
  EXPECT_EQ(root_of("../shared/ws"), "/srv/shared/ws");
  EXPECT_EQ(root_of("/var/lib/lake-ws"), "/var/lib/lake-ws");
  EXPECT_THAT(errors(std::string(kHead) + "workspace: {root: \"\", rot: x}\n"),
              ElementsAre(err("3:23", "unknown key \"rot\" in workspace",
                              "did you mean \"root\"? Valid keys: root"),
                          err("3:19", "\"root\" in workspace must not be empty",
                              "give a directory, e.g. root: ./workspace, or omit root for "
                              "./workspace beside the config file")));
}

// --- mounts ---

TEST(PipelinesConfig, MountZoneAndContainerMustBeDeclared) {
  EXPECT_THAT(
      errors(std::string(kHead) + "mounts:\n"
                                  "  - {name: mnt1, zone: brnze, path: /mnt/a}\n"
                                  "  - {name: mnt2, zone: gold, container: curatd, path: /mnt/b}\n"
                                  "  - {name: mnt3, zone: bronze, container: \"\", path: /mnt/c}\n"
                                  "  - {name: mnt4, path: /mnt/d, zon: gold}\n"
                                  "  - mnt5\n"),
      ElementsAre(
          err("4:24", "unknown zone \"brnze\" in mount \"mnt1\"",
              "did you mean \"bronze\"? Declared zones: bronze, gold"),
          err("5:41", "unknown container \"curatd\" in zone \"gold\" for mount \"mnt2\"",
              "did you mean \"curated\"? Containers of zone \"gold\": curated"),
          err("6:43", "\"container\" in mount \"mnt3\" must not be empty",
              "name a container, or omit container to mount the whole zone"),
          err("7:32", "unknown key \"zon\" in mount \"mnt4\"",
              "did you mean \"zone\"? Valid keys: name, zone, container, path"),
          err("7:5", "missing required key \"zone\" in mount \"mnt4\"", "e.g. zone: bronze"),
          err("8:5", "each mount must be a mapping, got \"mnt5\"",
              "e.g. mounts: [{name: bronze, zone: bronze, path: /mnt/bronze}]")));
}

TEST(PipelinesConfig, MountOfTheArtifactsContainer) {
  auto lake = parse(std::string(kHead) +
                    "pipelines: [{name: job1, repo: /r, ref: main}]\n"
                    "mounts: [{name: builds, zone: gold, container: pipelines, path: /mnt/b}]\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->mounts[0].container, "pipelines");
}

TEST(PipelinesConfig, MountNamesFollowTheRulesAndAreUnique) {
  EXPECT_THAT(errors(std::string(kHead) + "mounts:\n"
                                          "  - {name: mnt_1, zone: gold, path: /mnt/a}\n"
                                          "  - {name: mnt2, zone: gold, path: /mnt/b}\n"
                                          "  - {name: mnt2, zone: gold, path: /mnt/c}\n"),
              ElementsAre(err("4:12", "mount name \"mnt_1\" is invalid: '_' is not allowed",
                              std::string(kNameRule) + "; try \"mnt-1\""),
                          err("6:12", "duplicate mount name \"mnt2\" (first defined on line 5)",
                              "mount names must be unique within a lake")));
}

TEST(PipelinesConfig, MountPathRules) {
  auto path_error = [](const std::string& path) {
    auto all =
        errors(std::string(kHead) + "mounts: [{name: mnt1, zone: gold, path: \"" + path + "\"}]\n");
    return all.empty() ? std::string("no error") : all.front();
  };
  auto expect = [](const std::string& path, const std::string& problem) {
    return err("3:41", "mount path \"" + path + "\" of mount \"mnt1\" is invalid: " + problem,
               "give an absolute directory, e.g. path: /mnt/bronze");
  };
  EXPECT_EQ(path_error(""), expect("", "it is empty"));
  EXPECT_EQ(path_error("mnt/a"), expect("mnt/a", "it is not absolute"));
  EXPECT_EQ(path_error("/"), expect("/", "it is the root directory"));
  EXPECT_EQ(path_error("//"), expect("//", "it has an empty segment (\"//\")"));
  EXPECT_EQ(path_error("/mnt//a"), expect("/mnt//a", "it has an empty segment (\"//\")"));
  EXPECT_EQ(path_error("/mnt/../etc"), expect("/mnt/../etc", "'..' segments are not allowed"));
  EXPECT_EQ(path_error("/mnt/./a"), expect("/mnt/./a", "'.' segments are not allowed"));
  EXPECT_EQ(path_error("/mnt/a..b"), "no error");
  EXPECT_EQ(path_error("/mnt/a/"), "no error");
}

TEST(PipelinesConfig, MountPathsAreUniqueAndDoNotOverlap) {
  const char hint[] =
      "mount paths must not overlap: no mount may be inside another; give each mount its own "
      "directory";
  EXPECT_THAT(
      errors(std::string(kHead) + "mounts:\n"
                                  "  - {name: mnt1, zone: gold, path: /mnt/a}\n"
                                  "  - {name: mnt2, zone: gold, path: /mnt/ab}\n"
                                  "  - {name: mnt3, zone: gold, path: /mnt/a/}\n"
                                  "  - {name: mnt4, zone: gold, path: /mnt/a/b}\n"
                                  "  - {name: mnt5, zone: gold, path: /srv/x/y}\n"
                                  "  - {name: mnt6, zone: gold, path: /srv/x}\n"),
      ElementsAre(err("6:36",
                      "mount path \"/mnt/a\" of mount \"mnt3\" is the same as \"/mnt/a\" of mount "
                      "\"mnt1\" (line 4)",
                      hint),
                  err("7:36",
                      "mount path \"/mnt/a/b\" of mount \"mnt4\" is inside \"/mnt/a\" of mount "
                      "\"mnt1\" (line 4)",
                      hint),
                  err("9:36",
                      "mount path \"/srv/x\" of mount \"mnt6\" contains \"/srv/x/y\" of mount "
                      "\"mnt5\" (line 8)",
                      hint)));
}

// --- credentials ---

TEST(UrlCredentials, Redaction) {
  EXPECT_EQ(redact_url_credentials("https://user:pass@host/x"), "https://***@host/x");
  EXPECT_EQ(redact_url_credentials("https://token@host/x"), "https://***@host/x");
  EXPECT_EQ(redact_url_credentials("http://u:p%40ss@host:8080/x?y=1"),
            "http://***@host:8080/x?y=1");
  EXPECT_EQ(redact_url_credentials("https://u:p@ss@host/x"), "https://***@host/x");
  EXPECT_EQ(redact_url_credentials("ssh://git@host/org/x.git"), "ssh://git@host/org/x.git");
  EXPECT_EQ(redact_url_credentials("ssh://git:secret@host/org/x.git"), "ssh://***@host/org/x.git");
  EXPECT_EQ(redact_url_credentials("git@host:org/x.git"), "git@host:org/x.git");
  EXPECT_EQ(redact_url_credentials("git:secret@host:org/x.git"), "***@host:org/x.git");
  EXPECT_EQ(redact_url_credentials("git://tok@host/x.git"), "git://***@host/x.git");
  EXPECT_EQ(redact_url_credentials("https://host/org/x.git"), "https://host/org/x.git");
  EXPECT_EQ(redact_url_credentials("https://host/path@v1"), "https://host/path@v1");
  EXPECT_EQ(redact_url_credentials("/srv/git/x"), "/srv/git/x");
  EXPECT_EQ(redact_url_credentials("./repos/a@b:c"), "./repos/a@b:c");
  EXPECT_EQ(redact_url_credentials(""), "");
}

TEST(UrlCredentials, Secret) {
  EXPECT_EQ(url_credentials_secret("https://user:pass@host/x"), "pass");
  EXPECT_EQ(url_credentials_secret("https://token@host/x"), "token");
  EXPECT_EQ(url_credentials_secret("HTTP://token@host/x"), "token");
  EXPECT_EQ(url_credentials_secret("https://user:@host/x"), "user");
  EXPECT_EQ(url_credentials_secret("ssh://git@host/x"), "");
  EXPECT_EQ(url_credentials_secret("ssh://git:pw@host/x"), "pw");
  EXPECT_EQ(url_credentials_secret("git@host:org/x.git"), "");
  EXPECT_EQ(url_credentials_secret("https://host/x"), "");
  EXPECT_EQ(url_credentials_secret("/srv/git/x"), "");
}

TEST(UrlCredentials, RedactedRepo) {
  Pipeline p;
  p.repo = "https://bob:hunter22@example.org/org/x.git";
  EXPECT_EQ(p.redacted_repo(), "https://***@example.org/org/x.git");
}

TEST(UrlCredentials, APasswordInTheRepoNeverReachesADiagnostic) {
  const std::string secret = "hunter22";
  auto lake =
      parse(std::string(kHead) +
            "pipelines:\n"
            "  - {name: job1, repo: \"ssh://git:hunter22@h/r\", ref: main, token_env: T}\n"
            "  - {name: job2, repo: \"http://bob:hunter22@h/r\", ref: main, token_env: T}\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  ASSERT_EQ(lake->warnings.size(), 2u);
  EXPECT_THAT(lake->warnings.str(), Not(HasSubstr(secret)));
  EXPECT_THAT(lake->warnings.str(), HasSubstr("\"ssh://***@h/r\""));
  EXPECT_THAT(lake->warnings.str(), HasSubstr("\"http://***@h/r\""));

  auto failed =
      parse(std::string(kHead) +
            "pipelines:\n"
            "  - {name: job1, repo: \"ftp://bob:hunter22@h/r\", ref: main}\n"
            "  - {name: job2, repo: \"https://hunter22@/r\", ref: \"a b\", path: /x}\n"
            "  - {name: job3, repo: \"https:bob:hunter22@h/r\", ref: main, token_env: 1}\n");
  ASSERT_FALSE(failed.has_value());
  EXPECT_THAT(failed.error().str(), Not(HasSubstr(secret)));
  EXPECT_THAT(failed.error().str(), HasSubstr("repo \"ftp://***@h/r\" of pipeline \"job1\""));
  EXPECT_THAT(failed.error().str(), HasSubstr("repo \"https://***@/r\" of pipeline \"job2\""));
  EXPECT_THAT(failed.error().str(), HasSubstr("repo \"***@h/r\" of pipeline \"job3\""));
}

// --- overlays ---

class PipelinesOverlay : public ::testing::Test {
 protected:
  MemoryFileSystem fs_;
  MapEnvironment env_;
};

TEST_F(PipelinesOverlay, PipelinesAndMountsMergeByName) {
  fs_.add_file("/srv/cfg/lake.yaml",
               "lake: {name: healthetl, instance: dev01}\n"
               "zones: [{name: bronze}, {name: gold, containers: [curated]}]\n"
               "pipelines:\n"
               "  - {name: etl, repo: ../repos/etl, ref: main, schedule: \"0 2 * * *\"}\n"
               "  - {name: report, repo: \"https://h/report.git\", ref: v1}\n"
               "mounts:\n"
               "  - {name: bronze, zone: bronze, path: /mnt/bronze}\n"
               "  - {name: curated, zone: gold, container: curated, path: /mnt/curated}\n");
  fs_.add_file("/srv/cfg/lake.dev01.yaml",
               "pipelines:\n"
               "  - {name: etl, ref: dev, build_timeout: 1h}\n"
               "  - {name: extra, repo: ./extra, ref: main}\n"
               "mounts:\n"
               "  - {name: bronze, path: /data/bronze}\n"
               "  - {name: scratch, zone: bronze, path: /mnt/scratch}\n");
  auto lake = load_lake(LoadOptions{"/srv/cfg/lake.yaml", std::nullopt}, fs_, env_);
  ASSERT_TRUE(lake.has_value()) << lake.error().str();

  ASSERT_EQ(lake->pipelines.size(), 3u);
  const Pipeline& etl = lake->pipelines[0];
  EXPECT_EQ(etl.name, "etl");
  EXPECT_EQ(etl.repo, "/srv/repos/etl");  // from the base
  EXPECT_EQ(etl.ref, "dev");              // from the overlay
  EXPECT_EQ(etl.ref_location.str(), "/srv/cfg/lake.dev01.yaml:2:22");
  EXPECT_EQ(etl.schedule, "0 2 * * *");
  EXPECT_EQ(etl.build_timeout_seconds, 3600);
  EXPECT_EQ(lake->pipelines[1].ref, "v1");
  EXPECT_EQ(lake->pipelines[2].name, "extra");
  EXPECT_EQ(lake->pipelines[2].repo, "/srv/cfg/extra");
  EXPECT_EQ(lake->pipelines[2].location.str(), "/srv/cfg/lake.dev01.yaml:3:5");

  ASSERT_EQ(lake->mounts.size(), 3u);
  EXPECT_EQ(lake->mounts[0].name, "bronze");
  EXPECT_EQ(lake->mounts[0].zone, "bronze");
  EXPECT_EQ(lake->mounts[0].path, "/data/bronze");
  EXPECT_EQ(lake->mounts[0].path_location.str(), "/srv/cfg/lake.dev01.yaml:5:26");
  EXPECT_EQ(lake->mounts[1].path, "/mnt/curated");
  EXPECT_EQ(lake->mounts[2].name, "scratch");
}

TEST_F(PipelinesOverlay, ErrorsInOverlayValuesPointIntoTheOverlay) {
  fs_.add_file(
      "/srv/cfg/lake.yaml",
      "lake: {name: healthetl, instance: dev01}\n"
      "zones: [{name: bronze}]\n"
      "pipelines: [{name: etl, repo: /r, ref: main}]\n"
      "mounts: [{name: mnt-a, zone: bronze, path: /mnt/a}, {name: bee, zone: bronze, path: "
      "/mnt/b}]\n");
  fs_.add_file("/srv/cfg/lake.dev01.yaml",
               "pipelines: [{name: etl, schedule: \"0 0 * * 9\"}]\n"
               "mounts: [{name: bee, path: /mnt/a/b}]\n");
  auto lake = load_lake(LoadOptions{"/srv/cfg/lake.yaml", std::nullopt}, fs_, env_);
  ASSERT_FALSE(lake.has_value());
  EXPECT_EQ(lake.error().str(),
            "error: /srv/cfg/lake.dev01.yaml:1:35: schedule \"0 0 * * 9\" of pipeline \"etl\" is "
            "invalid: day-of-week \"9\": 9 is out of range 0-7\n"
            "  hint: " +
                std::string(kCronRule) +
                "\n"
                "error: /srv/cfg/lake.dev01.yaml:2:28: mount path \"/mnt/a/b\" of mount \"bee\" is "
                "inside \"/mnt/a\" of mount \"mnt-a\" (/srv/cfg/lake.yaml:4:44)\n"
                "  hint: mount paths must not overlap: no mount may be inside another; give each "
                "mount its own directory\n");
}

}  // namespace
}  // namespace lakeinfra::config
