#include "config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "config/memory_filesystem.h"
#include "config/parse_for_tests.h"
#include "templates/presets.h"

namespace lakeinfra::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Result<Lake> parse(const std::string& yaml, MapEnvironment env = {}) {
  return parse_lake(yaml, "lake.yaml", "/srv/cfg", env);
}

// Every diagnostic of parsing `yaml` as format_diagnostic() renders it; empty on success.
std::vector<std::string> errors(const std::string& yaml, MapEnvironment env = {}) {
  auto lake = parse(yaml, std::move(env));
  std::vector<std::string> out;
  if (lake)
    return out;
  for (const auto& d : lake.error())
    out.push_back(format_diagnostic(d));
  return out;
}

using testing::err;

const char kNameRule[] =
    "names are 3–63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit";
const char kZoneKeys[] = "Valid keys: name, tier, containers, force_destroy, naming, versioning";
const char kTiers[] = "Valid tiers: internal, restricted, sensitive";
const char kZonePlaceholders[] =
    "Valid placeholders: {lake}, {instance}, {region}, {org}, {zone}, {tier}";

// A valid document; tests append to or replace parts of it.
const char kLakeLine[] = "lake: {name: healthetl, instance: dev01, region: eu-west-2}\n";

// --- what a valid file gives ---

TEST(ParseLake, FillsTheModel) {
  auto lake = parse(
      "lake: {name: healthetl, instance: dev01, region: eu-west-2, org: acme}\n"
      "storage: {provider: local, root: ./data}\n"
      "naming: {zone: \"{org}-{lake}-{instance}-{zone}\", container: \"{zone}-{container}\"}\n"
      "zones:\n"
      "  - name: bronze\n"
      "    tier: restricted\n"
      "    force_destroy: true\n"
      "    containers: [raw, {name: landing, tier: internal}]\n"
      "  - name: drop\n"
      "    naming: \"{org}-datalake-drop-{instance}-{tier}-{region}\"\n"
      "    containers:\n"
      "      - incoming\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->lake.name, "healthetl");
  EXPECT_EQ(lake->lake.instance, "dev01");
  EXPECT_EQ(lake->lake.region, "eu-west-2");
  EXPECT_EQ(lake->lake.org, "acme");
  EXPECT_EQ(lake->lake.location.str(), "lake.yaml:1:7");
  EXPECT_EQ(lake->storage.provider, "local");
  EXPECT_EQ(lake->storage.root, "/srv/cfg/data");
  EXPECT_EQ(lake->storage.location.str(), "lake.yaml:2:10");
  EXPECT_EQ(lake->naming.zone_location.str(), "lake.yaml:3:16");
  EXPECT_EQ(lake->naming.container_location.str(), "lake.yaml:3:61");
  ASSERT_EQ(lake->zones.size(), 2u);

  const Zone& bronze = lake->zones[0];
  EXPECT_EQ(bronze.name, "bronze");
  EXPECT_EQ(bronze.tier, "restricted");
  EXPECT_TRUE(bronze.force_destroy);
  EXPECT_EQ(bronze.physical_name, "acme-healthetl-dev01-bronze");
  EXPECT_EQ(bronze.location.str(), "lake.yaml:5:5");
  ASSERT_EQ(bronze.containers.size(), 2u);
  EXPECT_EQ(bronze.containers[0].name, "raw");
  EXPECT_EQ(bronze.containers[0].tier, "restricted");  // the zone's
  EXPECT_EQ(bronze.containers[0].physical_name, "bronze-raw");
  EXPECT_EQ(bronze.containers[0].location.str(), "lake.yaml:8:18");
  EXPECT_EQ(bronze.containers[1].name, "landing");
  EXPECT_EQ(bronze.containers[1].tier, "internal");
  EXPECT_EQ(bronze.containers[1].location.str(), "lake.yaml:8:23");

  const Zone& drop = lake->zones[1];
  EXPECT_EQ(drop.tier, "sensitive");
  EXPECT_FALSE(drop.force_destroy);
  EXPECT_EQ(drop.naming, "{org}-datalake-drop-{instance}-{tier}-{region}");
  EXPECT_EQ(drop.physical_name, "acme-datalake-drop-dev01-sensitive-eu-west-2");
  EXPECT_EQ(drop.containers[0].location.str(), "lake.yaml:12:9");
  EXPECT_EQ(lake->find_zone("drop"), &drop);

  EXPECT_EQ(lake->config_path, "/srv/cfg/lake.yaml");
  EXPECT_EQ(lake->sources, std::vector<std::filesystem::path>{"/srv/cfg/lake.yaml"});
  EXPECT_TRUE(lake->warnings.empty());
}

TEST(ParseLake, Defaults) {
  auto lake = parse(std::string(kLakeLine) +
                    "zones:\n"
                    "  - name: bronze\n"
                    "    containers: [raw]\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  const Zone& zone = lake->zones[0];
  EXPECT_EQ(zone.tier, "sensitive");  // fail closed: the highest tier
  EXPECT_EQ(zone.containers[0].tier, "sensitive");
  EXPECT_FALSE(zone.force_destroy);
  EXPECT_EQ(zone.naming, "");
  EXPECT_EQ(lake->naming.zone, "{lake}-{instance}-{zone}");
  EXPECT_EQ(lake->naming.container, "{container}");
  EXPECT_EQ(zone.physical_name, "healthetl-dev01-bronze");
  EXPECT_EQ(zone.containers[0].physical_name, "raw");
  EXPECT_EQ(lake->storage.provider, "local");
  EXPECT_EQ(lake->storage.root, "/srv/cfg/lake");
  EXPECT_EQ(lake->storage.location.str(), "lake.yaml");
  EXPECT_EQ(lake->lake.org, "");
}

TEST(ParseLake, StorageRootIsAbsoluteAndNormal) {
  auto root_of = [](const std::string& root, const std::filesystem::path& base_dir) {
    MapEnvironment env;
    auto lake = parse_lake(
        std::string(kLakeLine) + "storage: {root: \"" + root + "\"}\nzones: [{name: bronze}]\n",
        "lake.yaml", base_dir, env);
    return lake ? lake->storage.root.string() : lake.error().str();
  };
  EXPECT_EQ(root_of("../data/./lake/", "/srv/cfg"), "/srv/data/lake");
  EXPECT_EQ(root_of("/var/lib/lake", "/srv/cfg"), "/var/lib/lake");
  std::filesystem::path relative = root_of("lake", "cfg");
  EXPECT_TRUE(relative.is_absolute());
  EXPECT_EQ(relative, (std::filesystem::current_path() / "cfg/lake").lexically_normal());
}

TEST(ParseLake, EveryPresetLayoutIsValid) {
  for (const auto& name : templates::preset_names()) {
    MapEnvironment env;
    auto lake = parse_lake(*templates::preset_text(name), name + ".yaml", "/srv", env);
    EXPECT_TRUE(lake.has_value()) << name << ": " << lake.error().str();
  }
  MapEnvironment env;
  auto enterprise = parse_lake(*templates::preset_text("enterprise"), "lake.yaml", "/srv", env);
  ASSERT_TRUE(enterprise.has_value());
  EXPECT_EQ(enterprise->zones[0].physical_name, "myorg-datalake-dev01-internal-us-east-1");
  EXPECT_EQ(enterprise->zones[3].physical_name, "myorg-datalake-drop-dev01-sensitive-us-east-1");
}

// --- file-level errors ---

// Found by fuzzing (tests/fuzz/regressions/config_fuzz): a sequence cut short by the end of the
// text made the message read the byte after the end (ASan: heap-buffer-overflow).
TEST(ParseLakeErrors, InvalidUtf8AtTheEndPointsAtTheLeadByte) {
  std::string text = "lake:\n  name: caf\xe2\x82";
  EXPECT_THAT(testing::errors(text),
              ElementsAre(err("2:12", "file is not valid UTF-8: unexpected byte 0xe2",
                              "save the file with UTF-8 encoding")));
}

// Found by fuzzing (tests/fuzz/regressions/config_fuzz): a ',' where a YAML document starts
// made yaml-cpp's LoadAll loop forever, allocating until the process was killed.
TEST(ParseLakeErrors, StrayCommaIsAnErrorNotAHang) {
  const std::string summary = "invalid YAML: unexpected ',' outside [ ] or { }";
  const std::string hint = "quote a value that starts with ',', or remove the comma";
  EXPECT_THAT(testing::errors(", a\nlake: {name: x}\n"), ElementsAre(err("1:1", summary, hint)));
  EXPECT_THAT(testing::errors("[bronze], silver\n"), ElementsAre(err("1:9", summary, hint)));
  EXPECT_THAT(testing::errors("lake: {name: x}\n---\n, b\n"),
              ElementsAre(err("3:1", summary, hint)));
}

TEST(ParseLakeErrors, InvalidUtf8PointsAtTheFirstBadByte) {
  EXPECT_THAT(errors("lake:\n  name: caf\xff\n"),
              ElementsAre(err("2:12", "file is not valid UTF-8: unexpected byte 0xff",
                              "save the file with UTF-8 encoding")));
  // A truncated sequence: the bad byte is the one after the lead byte.
  EXPECT_THAT(errors("a: \xc3(\n"),
              ElementsAre(err("1:5", "file is not valid UTF-8: unexpected byte 0x28",
                              "save the file with UTF-8 encoding")));
}

TEST(ParseLakeErrors, ControlCharacterPointsAtTheByte) {
  // A NUL inside a value: reported at its own place, never echoed raw into the message.
  EXPECT_THAT(
      errors(std::string("lake:\n  name: bro\0nze\n", 22)),
      ElementsAre(err("2:12", "file contains the control character 0x00, which YAML does not allow",
                      "remove it; a file saved as UTF-16 or a binary file is not a lake.yaml")));
  EXPECT_THAT(
      errors("a: b\x7f\n"),
      ElementsAre(err("1:5", "file contains the control character 0x7f, which YAML does not allow",
                      "remove it; a file saved as UTF-16 or a binary file is not a lake.yaml")));
  // Tabs, CR and LF are fine where YAML allows them.
  EXPECT_THAT(errors("lake: {name: demo,\tinstance: dev}\r\nzones: [{name: bronze}]\r\n"),
              ElementsAre());
}

TEST(ParseLakeErrors, DeepNestingSaysSo) {
  // yaml-cpp stops at its depth limit with the message "bad file"; say what is wrong instead.
  auto found = errors("zones: " + std::string(5000, '[') + std::string(5000, ']') + "\n");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_THAT(found[0],
              ::testing::HasSubstr("invalid YAML: lists and mappings are nested more than"));
  EXPECT_THAT(found[0], ::testing::HasSubstr("levels deep"));
  EXPECT_THAT(found[0], ::testing::Not(::testing::HasSubstr("bad file")));
}

TEST(ParseLakeErrors, EmptyFile) {
  const std::string empty =
      err("", "file is empty",
          "a lake needs at least a \"lake:\" block (name and instance) and a \"zones:\" list");
  EXPECT_THAT(errors(""), ElementsAre(empty));
  EXPECT_THAT(errors("# only a comment\n\n   \n"), ElementsAre(empty));
  EXPECT_THAT(errors("---\n"), ElementsAre(empty));
}

TEST(ParseLakeErrors, YamlSyntaxErrorAtYamlCppsMark) {
  EXPECT_THAT(errors("lake: {name: x\nzones: []\n"),
              ElementsAre(err("2:6", "invalid YAML: end of map flow not found",
                              "check the indentation, colons and quotes around here")));
  EXPECT_THAT(errors("lake:\n  name: a\n   instance: b\n"),
              ElementsAre(err("3:12", "invalid YAML: illegal map value",
                              "check the indentation, colons and quotes around here")));
}

TEST(ParseLakeErrors, TopLevelMustBeAMapping) {
  EXPECT_THAT(errors("- lake\n- zones\n"),
              ElementsAre(err("1:1",
                              "the top level must be a mapping with \"lake\" and \"zones\", got a "
                              "list",
                              "start the file with a \"lake:\" block and a \"zones:\" list")));
}

TEST(ParseLakeErrors, OnlyOneDocument) {
  EXPECT_THAT(errors("lake: {}\n---\nzones: []\n"),
              ElementsAre(err("3:1", "the file holds 2 YAML documents, expected one",
                              "remove the \"---\" separator and keep one document")));
}

// --- types ---

TEST(ParseLakeErrors, WrongTypes) {
  EXPECT_THAT(errors("lake: [healthetl]\n"
                     "storage: ./lake\n"
                     "zones:\n"
                     "  bronze: {}\n"),
              ElementsAre(err("1:7", "\"lake\" must be a mapping, got a list",
                              "e.g. lake: {name: healthetl, instance: dev01}"),
                          err("2:10", "\"storage\" must be a mapping, got \"./lake\"",
                              "e.g. storage: {provider: local, root: ./lake}"),
                          err("4:3", "\"zones\" must be a list of zones, got a mapping",
                              "e.g. zones: [{name: bronze, containers: [raw]}]")));
}

TEST(ParseLakeErrors, WrongTypesInAZone) {
  EXPECT_THAT(errors(std::string(kLakeLine) + "zones:\n"
                                              "  - name: [bronze]\n"
                                              "    force_destroy: yes please\n"
                                              "    containers: raw\n"
                                              "  - name: silver\n"
                                              "    force_destroy: \"true\"\n"
                                              "    containers: [[raw]]\n"
                                              "  - gold\n"),
              ElementsAre(err("3:11", "\"name\" must be a string, got a list",
                              "every zone needs a name, e.g. name: bronze"),
                          err("4:20", "\"force_destroy\" must be a boolean, got \"yes please\"",
                              "use true or false"),
                          err("5:17", "\"containers\" must be a list of containers, got \"raw\"",
                              "e.g. containers: [raw, {name: landing, tier: internal}]"),
                          err("7:20", "\"force_destroy\" must be a boolean, got \"true\"",
                              "use true or false, without quotes"),
                          err("8:18", "each container must be a name or a mapping, got a list",
                              "e.g. containers: [raw, {name: landing, tier: internal}]"),
                          err("9:5", "each zone must be a mapping, got \"gold\"",
                              "write \"- name: gold\"")));
}

TEST(ParseLakeErrors, UnquotedTemplateIsAMapping) {
  EXPECT_THAT(errors(std::string(kLakeLine) + "naming: {zone: {lake}}\n"
                                              "zones: [{name: bronze}]\n"),
              ElementsAre(err("2:16", "\"zone\" must be a string, got a mapping",
                              "quote templates, e.g. zone: \"{lake}-{instance}-{zone}\"")));
}

TEST(ParseLakeErrors, ZonesMustNotBeEmpty) {
  EXPECT_THAT(errors(std::string(kLakeLine) + "zones: []\n"),
              ElementsAre(err("2:8", "\"zones\" must not be empty",
                              "a lake needs at least one zone, e.g. zones: [{name: bronze, "
                              "containers: [raw]}]")));
}

// --- keys ---

TEST(ParseLakeErrors, MissingRequiredKeysPointAtTheMapping) {
  EXPECT_THAT(errors("storage: {}\n"),
              ElementsAre(err("1:1", "missing required key \"lake\" at the top level",
                              "add a lake block, e.g. lake: {name: healthetl, instance: dev01}"),
                          err("1:1", "missing required key \"zones\" at the top level",
                              "add a list of zones, e.g. zones: [{name: bronze, containers: "
                              "[raw]}]")));
  EXPECT_THAT(errors("lake:\n"
                     "  region: eu-west-2\n"
                     "zones:\n"
                     "  - tier: internal\n"
                     "    containers: [{tier: internal}]\n"),
              ElementsAre(err("2:3", "missing required key \"name\" in lake",
                              "add the lake's name, e.g. name: healthetl"),
                          err("2:3", "missing required key \"instance\" in lake",
                              "add the instance, e.g. instance: dev01"),
                          err("4:5", "missing required key \"name\" in zone #1",
                              "every zone needs a name, e.g. name: bronze"),
                          err("5:18", "missing required key \"name\" in container #1 of zone #1",
                              "every container needs a name, e.g. {name: raw, tier: internal}")));
}

TEST(ParseLakeErrors, UnknownKeysSuggestTheClosestValidKey) {
  EXPECT_THAT(
      errors(std::string(kLakeLine) + "zones:\n"
                                      "  - name: bronze\n"
                                      "    contaners: [raw]\n"
                                      "    owner: data-team\n"
                                      "    containers: [{name: raw, teir: internal}]\n"
                                      "zone: []\n"),
      ElementsAre(err("7:1", "unknown key \"zone\" at the top level",
                      "did you mean \"zones\"? Valid keys: lake, storage, naming, zones, jobs, "
                      "artifacts, pipelines, workspace, mounts, tiers, phi_tier, instances, roles"),
                  err("4:5", "unknown key \"contaners\" in zone \"bronze\"",
                      std::string("did you mean \"containers\"? ") + kZoneKeys),
                  err("5:5", "unknown key \"owner\" in zone \"bronze\"", kZoneKeys),
                  err("6:30", "unknown key \"teir\" in container \"raw\" of zone \"bronze\"",
                      "did you mean \"tier\"? Valid keys: name, tier")));
}

TEST(ParseLakeErrors, DuplicateKeys) {
  EXPECT_THAT(
      errors(std::string(kLakeLine) + "zones:\n"
                                      "  - name: bronze\n"
                                      "    tier: internal\n"
                                      "    tier: sensitive\n"),
      ElementsAre(err("5:5", "duplicate key \"tier\" in zone \"bronze\" (first defined on line 4)",
                      "a key may appear only once in a mapping")));
}

TEST(ParseLakeErrors, DuplicateZoneAndContainerNamesPointAtTheSecond) {
  EXPECT_THAT(errors(std::string(kLakeLine) + "zones:\n"
                                              "  - name: bronze\n"
                                              "    containers: [raw, landing, raw]\n"
                                              "  - name: bronze\n"),
              ElementsAre(err("4:32",
                              "duplicate container name \"raw\" in zone \"bronze\" (first defined "
                              "on line 4)",
                              "container names must be unique within a zone"),
                          err("5:11", "duplicate zone name \"bronze\" (first defined on line 3)",
                              "zone names must be unique within a lake")));
}

// --- values ---

TEST(ParseLakeErrors, NameRules) {
  auto zone_error = [](const std::string& name) {
    auto all = errors(std::string(kLakeLine) + "zones:\n  - name: \"" + name + "\"\n");
    return all.empty() ? std::string("no error") : all.front();
  };
  auto expect = [](const std::string& name, const std::string& rule, const std::string& fix) {
    return err("3:11", "zone name \"" + name + "\" is invalid: " + rule,
               std::string(kNameRule) + (fix.empty() ? "" : "; try \"" + fix + "\""));
  };
  EXPECT_EQ(zone_error("Bronze"), expect("Bronze", "uppercase letters are not allowed", "bronze"));
  EXPECT_EQ(zone_error("br"), expect("br", "shorter than 3 characters", ""));
  EXPECT_EQ(zone_error("raw_data"), expect("raw_data", "'_' is not allowed", "raw-data"));
  EXPECT_EQ(zone_error("raw data"), expect("raw data", "spaces are not allowed", "raw-data"));
  EXPECT_EQ(zone_error("-bronze"), expect("-bronze", "it starts with '-'", "bronze"));
  EXPECT_EQ(zone_error("bronze-"), expect("bronze-", "it ends with '-'", "bronze"));
  EXPECT_EQ(zone_error("a..b"), expect("a..b", "'..' is not allowed", "a-b"));
  EXPECT_EQ(zone_error("a/b/c"), expect("a/b/c", "'/' is not allowed", "a-b-c"));
  EXPECT_EQ(zone_error("café"), expect("café", "'é' is not allowed", "caf"));
  EXPECT_EQ(zone_error(""), expect("", "it is empty", ""));
  std::string long_name(64, 'a');
  EXPECT_EQ(zone_error(long_name),
            expect(long_name, "longer than 63 characters", std::string(63, 'a')));
  EXPECT_EQ(zone_error("bronze-01"), "no error");
}

TEST(ParseLakeErrors, LakeNameInstanceRegionAndOrgRules) {
  const std::string label_rule =
      "instance, region and org are 1–63 characters of a-z, 0-9 and '-', starting and ending "
      "with a letter or digit";
  EXPECT_THAT(errors("lake: {name: Health_ETL, instance: Dev01, region: \"eu west\", org: -a}\n"
                     "zones: [{name: bronze}]\n"),
              ElementsAre(err("1:14",
                              "lake name \"Health_ETL\" is invalid: uppercase letters "
                              "are not allowed",
                              std::string(kNameRule) + "; try \"health-etl\""),
                          err("1:36",
                              "instance \"Dev01\" is invalid: uppercase letters are not "
                              "allowed",
                              label_rule + "; try \"dev01\""),
                          err("1:51", "region \"eu west\" is invalid: spaces are not allowed",
                              label_rule + "; try \"eu-west\""),
                          err("1:67", "org \"-a\" is invalid: it starts with '-'",
                              label_rule + "; try \"a\"")));
}

TEST(ParseLakeErrors, UnknownTier) {
  EXPECT_THAT(errors(std::string(kLakeLine) + "zones:\n"
                                              "  - name: bronze\n"
                                              "    tier: secret\n"
                                              "    containers: [{name: raw, tier: internl}]\n"),
              ElementsAre(err("4:11", "unknown tier \"secret\"", kTiers),
                          err("5:36", "unknown tier \"internl\"",
                              std::string("did you mean \"internal\"? ") + kTiers)));
}

TEST(ParseLakeErrors, UnknownStorageProvider) {
  EXPECT_THAT(
      errors(std::string(kLakeLine) + "storage: {provider: gcs, root: \"\"}\n"
                                      "zones: [{name: bronze}]\n"),
      ElementsAre(
          err("2:21", "unknown storage provider \"gcs\"", "Known providers: local, s3"),
          err("2:32", "\"root\" must not be empty", "give a directory, e.g. root: ./lake")));
  EXPECT_THAT(errors(std::string(kLakeLine) + "storage: {provider: locl}\n"
                                              "zones: [{name: bronze}]\n"),
              ElementsAre(err("2:21", "unknown storage provider \"locl\"",
                              "did you mean \"local\"? Known providers: local, s3")));
}

// --- naming templates and physical names ---

TEST(ParseLakeErrors, TemplateSyntaxAndUnknownPlaceholders) {
  EXPECT_THAT(
      errors(std::string(kLakeLine) + "naming:\n"
                                      "  zone: \"{lake}-{zonee}-{instanse}\"\n"
                                      "  container: \"{container\"\n"
                                      "zones:\n"
                                      "  - name: bronze\n"
                                      "    naming: \"{lake}-{bogus}\"\n"
                                      "    containers: [raw]\n"),
      ElementsAre(err("3:9", "unknown placeholder {zonee} in naming.zone",
                      std::string("did you mean {zone}? ") + kZonePlaceholders),
                  err("3:9", "unknown placeholder {instanse} in naming.zone",
                      std::string("did you mean {instance}? ") + kZonePlaceholders),
                  err("4:14", "naming.container template \"{container\" is invalid: unclosed '{'",
                      "write placeholders as {name}; Valid placeholders: {lake}, {instance}, "
                      "{region}, {org}, {zone}, {tier}, {container}"),
                  err("7:13", "unknown placeholder {bogus} in the naming of zone \"bronze\"",
                      kZonePlaceholders)));
}

TEST(ParseLakeErrors, PlaceholderWithoutAValue) {
  EXPECT_THAT(errors("lake: {name: healthetl, instance: dev01}\n"
                     "naming: {zone: \"{lake}-{zone}-{region}\"}\n"
                     "zones: [{name: bronze}]\n"),
              ElementsAre(err("2:16", "naming.zone uses {region} but lake.region is not set",
                              "set region in the lake block, or remove {region} from the "
                              "template")));
}

TEST(ParseLakeErrors, RenderedPhysicalNameBreaksTheRules) {
  std::string zone(50, 'x');
  EXPECT_THAT(errors(std::string(kLakeLine) + "zones:\n  - name: " + zone + "\n"),
              ElementsAre(err("3:5",
                              "zone \"" + zone + "\" renders to physical name \"healthetl-dev01-" +
                                  zone + "\" which is invalid: longer than 63 characters",
                              "it comes from the template \"{lake}-{instance}-{zone}\"; shorten "
                              "the values it uses or change the template")));
  EXPECT_THAT(errors(std::string(kLakeLine) + "naming: {container: \"{container}_{tier}\"}\n"
                                              "zones: [{name: bronze, containers: [raw]}]\n"),
              ElementsAre(err("3:37",
                              "container \"raw\" of zone \"bronze\" renders to physical name "
                              "\"raw_sensitive\" which is invalid: '_' is not allowed",
                              "it comes from the template \"{container}_{tier}\"; shorten the "
                              "values it uses or change the template")));
}

TEST(ParseLakeErrors, TwoZonesOrContainersWithTheSamePhysicalName) {
  const char hint[] = "physical names must be unique; change the name or the naming template";
  EXPECT_THAT(errors(std::string(kLakeLine) +
                     "naming: {zone: \"{lake}-{tier}\", container: \"{tier}\"}\n"
                     "zones:\n"
                     "  - name: bronze\n"
                     "    containers: [raw, {name: landing, tier: internal}, curated]\n"
                     "  - name: silver\n"),
              ElementsAre(err("5:56",
                              "container \"curated\" of zone \"bronze\" renders to physical name "
                              "\"sensitive\", the same as container \"raw\" of zone \"bronze\" "
                              "(line 5)",
                              hint),
                          err("6:5",
                              "zone \"silver\" renders to physical name \"healthetl-sensitive\", "
                              "the same as zone \"bronze\" (line 4)",
                              hint)));
}

// --- all at once ---

TEST(ParseLakeErrors, ReportsEveryErrorInOneRun) {
  auto all = errors(
      "lake: {name: healthetl, instance: dev01}\n"
      "storage: {provider: gcs}\n"
      "zones:\n"
      "  - name: Bronze\n"
      "    tier: secret\n"
      "    contaners: [raw]\n"
      "  - name: silver\n"
      "    force_destroy: maybe\n");
  EXPECT_THAT(
      all,
      ElementsAre(
          err("2:21", "unknown storage provider \"gcs\"", "Known providers: local, s3"),
          err("6:5", "unknown key \"contaners\" in zone \"Bronze\"",
              std::string("did you mean \"containers\"? ") + kZoneKeys),
          err("4:11",
              "zone name \"Bronze\" is invalid: uppercase letters are not "
              "allowed",
              std::string(kNameRule) + "; try \"bronze\""),
          err("5:11", "unknown tier \"secret\"", kTiers),
          err("8:20", "\"force_destroy\" must be a boolean, got \"maybe\"", "use true or false")));
}

// --- ${env:NAME} ---

TEST(Interpolation, ReplacesVariablesAndDefaults) {
  MapEnvironment env{{"LAKE_INSTANCE", "ci42"}, {"EMPTY", ""}};
  auto lake = parse(
      "lake: {name: healthetl, instance: \"${env:LAKE_INSTANCE}\", region: "
      "\"${env:REGION:-eu-west-2}\"}\n"
      "storage: {root: \"/data/${env:EMPTY:-default}/$${env:LITERAL}\"}\n"
      "zones:\n"
      "  - name: bronze\n"
      "    force_destroy: ${env:FORCE:-false}\n"
      "    containers: [\"raw-${env:LAKE_INSTANCE}\"]\n",
      env);
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->lake.instance, "ci42");
  EXPECT_EQ(lake->lake.region, "eu-west-2");
  EXPECT_EQ(lake->storage.root, "/data/default/${env:LITERAL}");
  EXPECT_FALSE(lake->zones[0].force_destroy);
  EXPECT_EQ(lake->zones[0].containers[0].name, "raw-ci42");
}

TEST(Interpolation, UnsetVariableAndMalformedReferencesAreErrorsAtTheScalar) {
  const char syntax[] = "write ${env:NAME} or ${env:NAME:-default}; write $${ for a literal ${";
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: \"${env:LAKE_INSTANCE}\"}\n"
             "storage: {root: \"${HOME}/lake\"}\n"
             "zones:\n"
             "  - name: \"${env:ZONE\"\n"
             "    containers: [\"${env:1BAD}\", \"${env:}\"]\n"),
      ElementsAre(
          err("1:35", "environment variable \"LAKE_INSTANCE\" is not set",
              "set it, or give a default: ${env:LAKE_INSTANCE:-value}"),
          err("2:17", "malformed interpolation \"${HOME}\"", syntax),
          err("4:11", "malformed interpolation \"${env:ZONE\": missing \"}\"", syntax),
          err("5:18", "malformed interpolation \"${env:1BAD}\": \"1BAD\" is not a variable name",
              syntax),
          err("5:33", "malformed interpolation \"${env:}\": the variable name is missing",
              syntax)));
}

TEST(Interpolation, KeysAreNotInterpolated) {
  MapEnvironment env{{"K", "zones"}};
  EXPECT_THAT(errors(std::string(kLakeLine) + "${env:K}: []\nzones: [{name: bronze}]\n", env),
              ElementsAre(err("2:1", "unknown key \"${env:K}\" at the top level",
                              "Valid keys: lake, storage, naming, zones, jobs, artifacts, "
                              "pipelines, workspace, mounts, tiers, phi_tier, instances, roles")));
}

// --- hostile input ---

TEST(ParseLakeErrors, RecursiveAliasAndAliasBombsAreErrors) {
  EXPECT_THAT(errors("lake: &a [*a]\n"),
              ElementsAre(err("1:11", "an alias refers to a value that contains it",
                              "remove the recursive alias")));
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'h'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + "]\n";
  }
  auto all = errors(bomb);
  ASSERT_EQ(all.size(), 1u);
  // The limit is 100,000 values plus one per byte of the text.
  EXPECT_THAT(all[0], ::testing::HasSubstr("the document expands to more than " +
                                           std::to_string(100'000 + bomb.size()) + " values"));
}

TEST(ParseLake, LargeHonestLakesAreNotMistakenForAliasBombs) {
  // 1,200 zones of 99 containers: about 120,000 values, more than the 100,000 a small file may
  // expand to, but fewer than its bytes.
  std::string yaml =
      "lake: {name: big, instance: dev01}\nstorage: {provider: local, root: /l}\nzones:\n";
  std::string containers;
  for (int c = 0; c < 99; ++c)
    containers += (c ? ", con" : "con") + std::to_string(c);
  for (int z = 0; z < 1200; ++z)
    yaml += "  - {name: zone" + std::to_string(z) + ", containers: [" + containers + "]}\n";
  auto lake = parse(yaml);
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->zones.size(), 1200u);
}

TEST(ParseLakeErrors, OddInputsGiveDiagnosticsNeverExceptions) {
  for (const char* text :
       {"\t", "{", "]", "? ", "*unknown", "!!binary x", "lake: !!int x\nzones: 3", "'",
        "? [a, b]\n: c\n", ": x\n", "\xef\xbb\xbflake: {}\n", "zones: [- a]", "- - - - - -",
        "lake: {name: abc, instance: x}\nzones: [{name: abc, containers: [~, '', {name: ~}]}]"}) {
    MapEnvironment env;
    EXPECT_FALSE(parse_lake(text, "odd.yaml", "/", env).has_value()) << text;
  }
}

TEST(ParseLakeErrors, NonScalarKeys) {
  EXPECT_THAT(errors("? [a, b]\n: c\n"),
              ElementsAre(err("1:3", "mapping keys must be plain strings, got a list",
                              "write keys as plain words, e.g. \"name:\"")));
}

// --- files and overlays (load_lake) ---

class LoadLake : public ::testing::Test {
 protected:
  Result<Lake> load(std::optional<std::string> instance = std::nullopt) {
    return load_lake(LoadOptions{"/srv/cfg/lake.yaml", std::move(instance)}, fs_, env_);
  }

  MemoryFileSystem fs_;
  MapEnvironment env_;
};

const char kBase[] =
    "lake: {name: healthetl, instance: dev01}\n"
    "zones:\n"
    "  - name: bronze\n"
    "    tier: sensitive\n"
    "    containers: [raw, landing]\n"
    "  - name: silver\n"
    "    containers: [{name: transformed, tier: restricted}]\n";

TEST_F(LoadLake, WithoutOverlayReadsOneFile) {
  fs_.add_file("/srv/cfg/lake.yaml", kBase);
  auto lake = load();
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->config_path, "/srv/cfg/lake.yaml");
  EXPECT_EQ(lake->sources, std::vector<std::filesystem::path>{"/srv/cfg/lake.yaml"});
  EXPECT_EQ(lake->storage.root, "/srv/cfg/lake");
  EXPECT_THAT(fs_.calls(), ElementsAre("read /srv/cfg/lake.yaml", "stat /srv/cfg/lake.dev01.yaml"));
}

TEST_F(LoadLake, MissingConfigFile) {
  auto lake = load();
  ASSERT_FALSE(lake.has_value());
  EXPECT_EQ(lake.error().str(),
            "error: /srv/cfg/lake.yaml: cannot read config file \"/srv/cfg/lake.yaml\": No such "
            "file or directory\n"
            "  hint: check the path; `lakeinfra init` writes a starter lake.yaml\n");
}

TEST_F(LoadLake, OverlayOverridesZonesAndAddsContainersAndZones) {
  fs_.add_file("/srv/cfg/lake.yaml", kBase);
  fs_.add_file("/srv/cfg/lake.dev01.yaml",
               "storage: {root: /scratch/lake}\n"
               "zones:\n"
               "  - name: bronze\n"
               "    tier: internal\n"
               "    force_destroy: true\n"
               "    containers: [{name: raw, tier: restricted}, archive]\n"
               "  - name: gold\n");
  auto lake = load();
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->sources,
            (std::vector<std::filesystem::path>{"/srv/cfg/lake.yaml", "/srv/cfg/lake.dev01.yaml"}));
  EXPECT_EQ(lake->storage.root, "/scratch/lake");
  ASSERT_EQ(lake->zones.size(), 3u);
  const Zone& bronze = lake->zones[0];
  EXPECT_EQ(bronze.tier, "internal");
  EXPECT_TRUE(bronze.force_destroy);
  ASSERT_EQ(bronze.containers.size(), 3u);
  EXPECT_EQ(bronze.containers[0].name, "raw");
  EXPECT_EQ(bronze.containers[0].tier, "restricted");
  EXPECT_EQ(bronze.containers[0].location.str(), "/srv/cfg/lake.yaml:5:18");
  EXPECT_EQ(bronze.containers[1].name, "landing");
  EXPECT_EQ(bronze.containers[1].tier, "internal");
  EXPECT_EQ(bronze.containers[2].name, "archive");
  EXPECT_EQ(bronze.containers[2].location.str(), "/srv/cfg/lake.dev01.yaml:6:49");
  EXPECT_EQ(lake->zones[1].name, "silver");
  EXPECT_EQ(lake->zones[1].containers[0].name, "transformed");
  EXPECT_EQ(lake->zones[2].name, "gold");
  EXPECT_EQ(lake->zones[2].location.str(), "/srv/cfg/lake.dev01.yaml:7:5");
}

TEST_F(LoadLake, OverlayContainerNamesMatchByNameAndOtherValuesAreReplaced) {
  fs_.add_file("/srv/cfg/lake.yaml",
               "lake: {name: healthetl, instance: dev01}\n"
               "naming: {zone: \"{lake}-{zone}\"}\n"
               "zones: [{name: bronze, containers: [raw, landing]}]\n");
  fs_.add_file("/srv/cfg/lake.dev01.yaml",
               "naming: {zone: \"{lake}-{instance}-{zone}\"}\n"
               "zones: [{name: bronze, containers: [raw, extra]}]\n");
  auto lake = load();
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  std::vector<std::string> names;
  for (const auto& c : lake->zones[0].containers)
    names.push_back(c.name);
  EXPECT_THAT(names, ElementsAre("raw", "landing", "extra"));
  EXPECT_EQ(lake->zones[0].physical_name, "healthetl-dev01-bronze");
  EXPECT_EQ(lake->naming.zone_location.str(), "/srv/cfg/lake.dev01.yaml:1:16");
}

TEST_F(LoadLake, EmptyListInTheOverlayClearsTheList) {
  fs_.add_file("/srv/cfg/lake.yaml", kBase);
  fs_.add_file("/srv/cfg/lake.dev01.yaml", "zones: [{name: bronze, containers: []}]\n");
  auto lake = load();
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_THAT(lake->zones[0].containers, IsEmpty());
}

TEST_F(LoadLake, InstanceOverrideNeedsNoInstanceInTheFile) {
  fs_.add_file("/srv/cfg/lake.yaml", "lake: {name: healthetl}\nzones: [{name: bronze}]\n");
  auto lake = load("ci");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->zones[0].physical_name, "healthetl-ci-bronze");
}

TEST_F(LoadLake, ErrorInAnOverlayValuePointsIntoTheOverlay) {
  fs_.add_file("/srv/cfg/lake.yaml", kBase);
  fs_.add_file("/srv/cfg/lake.dev01.yaml",
               "zones:\n"
               "  - name: silver\n"
               "    tier: secret\n");
  auto lake = load();
  ASSERT_FALSE(lake.has_value());
  EXPECT_EQ(lake.error().str(),
            "error: /srv/cfg/lake.dev01.yaml:3:11: unknown tier \"secret\"\n"
            "  hint: Valid tiers: internal, restricted, sensitive\n");
}

TEST_F(LoadLake, OverlaySyntaxErrorPointsIntoTheOverlay) {
  fs_.add_file("/srv/cfg/lake.yaml", kBase);
  fs_.add_file("/srv/cfg/lake.dev01.yaml", "zones: [\n");
  auto lake = load();
  ASSERT_FALSE(lake.has_value());
  EXPECT_EQ(lake.error().str(),
            "error: /srv/cfg/lake.dev01.yaml:2:1: invalid YAML: end of sequence flow not found\n"
            "  hint: check the indentation, colons and quotes around here\n");
}

TEST_F(LoadLake, InstanceOverrideSelectsAnotherOverlay) {
  fs_.add_file("/srv/cfg/lake.yaml", kBase);
  fs_.add_file("/srv/cfg/lake.dev01.yaml", "zones: [{name: dev-only}]\n");
  fs_.add_file("/srv/cfg/lake.prod.yaml", "zones: [{name: bronze, force_destroy: false}]\n");
  auto lake = load("prod");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->lake.instance, "prod");
  EXPECT_EQ(lake->zones.size(), 2u);
  EXPECT_EQ(lake->zones[0].physical_name, "healthetl-prod-bronze");
  EXPECT_EQ(lake->sources.back(), "/srv/cfg/lake.prod.yaml");
}

TEST_F(LoadLake, InvalidInstanceOverrideIsAnErrorAndNoPathIsBuiltFromIt) {
  fs_.add_file("/srv/cfg/lake.yaml", kBase);
  auto lake = load("../etc");
  ASSERT_FALSE(lake.has_value());
  EXPECT_EQ(lake.error().str(),
            "error: instance \"../etc\" (from --instance) is invalid: '/' is not allowed\n"
            "  hint: instance, region and org are 1–63 characters of a-z, 0-9 and '-', starting "
            "and ending with a letter or digit; try \"etc\"\n");
  EXPECT_THAT(fs_.calls(), ElementsAre("read /srv/cfg/lake.yaml"));
}

TEST_F(LoadLake, InstanceFromTheEnvironmentSelectsTheOverlay) {
  env_ = MapEnvironment{{"LAKE_INSTANCE", "test"}};
  fs_.add_file("/srv/cfg/lakes.yml",
               "lake: {name: healthetl, instance: \"${env:LAKE_INSTANCE:-dev01}\"}\n"
               "zones: [{name: bronze}]\n");
  fs_.add_file("/srv/cfg/lakes.test.yaml", "lake: {region: eu-west-2}\n");
  auto lake = load_lake(LoadOptions{"/srv/cfg/lakes.yml", std::nullopt}, fs_, env_);
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->lake.instance, "test");
  EXPECT_EQ(lake->lake.region, "eu-west-2");
}

TEST_F(LoadLake, EmptyOverlayIsAWarning) {
  fs_.add_file("/srv/cfg/lake.yaml", kBase);
  fs_.add_file("/srv/cfg/lake.dev01.yaml", "# nothing differs yet\n");
  auto lake = load();
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->warnings.str(),
            "warning: /srv/cfg/lake.dev01.yaml: overlay file is empty\n"
            "  hint: remove it, or add the values that differ for instance \"dev01\"\n");
}

TEST_F(LoadLake, UnreadableOverlay) {
  fs_.add_file("/srv/cfg/lake.yaml", kBase);
  fs_.fail_on("/srv/cfg/lake.dev01.yaml", std::make_error_code(std::errc::permission_denied));
  auto lake = load();
  ASSERT_FALSE(lake.has_value());
  EXPECT_EQ(lake.error().str(),
            "error: /srv/cfg/lake.dev01.yaml: cannot read overlay file "
            "\"/srv/cfg/lake.dev01.yaml\": Permission denied\n");
}

TEST_F(LoadLake, DuplicateZoneWithinAnOverlayIsStillReported) {
  fs_.add_file("/srv/cfg/lake.yaml", kBase);
  fs_.add_file("/srv/cfg/lake.dev01.yaml",
               "zones:\n"
               "  - name: gold\n"
               "  - name: gold\n");
  auto lake = load();
  ASSERT_FALSE(lake.has_value());
  EXPECT_EQ(lake.error().str(),
            "error: /srv/cfg/lake.dev01.yaml:3:11: duplicate zone name \"gold\" (first defined on "
            "line 2)\n"
            "  hint: zone names must be unique within a lake\n");
}

}  // namespace
}  // namespace lakeinfra::config
