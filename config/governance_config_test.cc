// The governance blocks of lake.yaml: tiers, phi_tier, instances, naming.role and roles.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config/memory_filesystem.h"
#include "config/parse_for_tests.h"

namespace lakeinfra::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using testing::err;
using testing::errors;
using testing::parse;

const char kNameRule[] =
    "names are 3–63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit";
const char kTiers[] = "Valid tiers: internal, restricted, sensitive";
const char kRoleKeys[] = "Valid keys: name, description, clearance, phi, principals, grants";
const char kPrincipalHint[] =
    "give an IAM ARN such as \"arn:aws:iam::123456789012:role/deployer\" or "
    "\"arn:aws:iam:::user/ci\", or a 12-digit account id such as \"123456789012\"";

// --- what a valid file gives ---

const char kExample[] =
    "lake: {name: healthetl, instance: dev01}\n"                       // 1
    "tiers: [internal, restricted, sensitive]\n"                       // 2
    "phi_tier: sensitive\n"                                            // 3
    "instances:\n"                                                     // 4
    "  dev01: {max_tier: sensitive}\n"                                 // 5
    "  ci: {max_tier: internal}\n"                                     // 6
    "naming: {role: \"{lake}-{instance}-{role}\"}\n"                   // 7
    "zones:\n"                                                         // 8
    "  - name: bronze\n"                                               // 9
    "    tier: sensitive\n"                                            // 10
    "    containers: [raw, {name: landing, tier: restricted}]\n"       // 11
    "  - name: gold\n"                                                 // 12
    "    tier: internal\n"                                             // 13
    "    containers: [curated]\n"                                      // 14
    "roles:\n"                                                         // 15
    "  - name: data-engineer\n"                                        // 16
    "    description: \"Builds the pipelines\"\n"                      // 17
    "    clearance: sensitive\n"                                       // 18
    "    phi: true\n"                                                  // 19
    "    principals: [\"arn:aws:iam:::user/ci\", \"123456789012\"]\n"  // 20
    "    grants:\n"                                                    // 21
    "      - {zone: bronze, access: write}\n"                          // 22
    "      - {zone: gold, container: curated, access: admin}\n"        // 23
    "  - name: analyst\n"                                              // 24
    "    grants:\n"                                                    // 25
    "      - {zone: gold, access: read}\n";                            // 26

TEST(GovernanceConfig, ExampleDecodesEveryField) {
  auto lake = parse(kExample);
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_THAT(lake->warnings, IsEmpty());

  EXPECT_EQ(lake->tiers, (std::vector<std::string>{"internal", "restricted", "sensitive"}));
  EXPECT_EQ(lake->tiers_location.str(), "lake.yaml:2:8");
  EXPECT_EQ(lake->phi_tier, "sensitive");
  EXPECT_EQ(lake->phi_tier_location.str(), "lake.yaml:3:11");

  ASSERT_EQ(lake->instances.size(), 2u);
  EXPECT_EQ(lake->instances[0].name, "dev01");
  EXPECT_EQ(lake->instances[0].max_tier, "sensitive");
  EXPECT_EQ(lake->instances[0].location.str(), "lake.yaml:5:3");
  EXPECT_EQ(lake->instances[0].max_tier_location.str(), "lake.yaml:5:21");
  EXPECT_EQ(lake->find_instance("ci")->max_tier, "internal");
  EXPECT_EQ(lake->find_instance("prod"), nullptr);

  EXPECT_EQ(lake->naming.role, "{lake}-{instance}-{role}");
  EXPECT_EQ(lake->naming.role_location.str(), "lake.yaml:7:16");

  ASSERT_EQ(lake->roles.size(), 2u);
  const Role& engineer = lake->roles[0];
  EXPECT_EQ(engineer.name, "data-engineer");
  EXPECT_EQ(engineer.description, "Builds the pipelines");
  EXPECT_EQ(engineer.clearance, "sensitive");
  EXPECT_EQ(engineer.clearance_location.str(), "lake.yaml:18:16");
  EXPECT_TRUE(engineer.phi);
  EXPECT_EQ(engineer.phi_location.str(), "lake.yaml:19:10");
  EXPECT_EQ(engineer.principals,
            (std::vector<std::string>{"arn:aws:iam:::user/ci", "123456789012"}));
  EXPECT_EQ(engineer.physical_name, "healthetl-dev01-data-engineer");
  EXPECT_EQ(engineer.location.str(), "lake.yaml:16:5");
  ASSERT_EQ(engineer.grants.size(), 2u);
  EXPECT_EQ(engineer.grants[0].zone, "bronze");
  EXPECT_EQ(engineer.grants[0].container, "");
  EXPECT_EQ(engineer.grants[0].access, Access::kWrite);
  EXPECT_EQ(engineer.grants[0].location.str(), "lake.yaml:22:9");
  EXPECT_EQ(engineer.grants[0].zone_location.str(), "lake.yaml:22:16");
  EXPECT_EQ(engineer.grants[0].container_location.str(), "lake.yaml:22:9");
  EXPECT_EQ(engineer.grants[0].access_location.str(), "lake.yaml:22:32");
  EXPECT_EQ(engineer.grants[1].container, "curated");
  EXPECT_EQ(engineer.grants[1].container_location.str(), "lake.yaml:23:33");
  EXPECT_EQ(engineer.grants[1].access, Access::kAdmin);
  EXPECT_EQ(engineer.find_grant("gold", "curated"), &engineer.grants[1]);

  const Role& analyst = *lake->find_role("analyst");
  EXPECT_EQ(analyst.description, "");
  EXPECT_EQ(analyst.clearance, "internal");  // the lowest tier
  EXPECT_EQ(analyst.clearance_location.str(), "lake.yaml:24:5");
  EXPECT_FALSE(analyst.phi);
  EXPECT_EQ(analyst.phi_location.str(), "lake.yaml:24:5");
  EXPECT_THAT(analyst.principals, IsEmpty());
  EXPECT_EQ(analyst.physical_name, "healthetl-dev01-analyst");
}

TEST(GovernanceConfig, DefaultsWithoutGovernanceBlocks) {
  auto lake = parse(
      "lake: {name: healthetl, instance: dev01}\n"
      "zones: [{name: bronze}]\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->tiers, default_tiers());
  EXPECT_EQ(lake->tiers_location.str(), "lake.yaml");
  EXPECT_EQ(lake->phi_tier, "sensitive");
  EXPECT_EQ(lake->phi_tier_location.str(), "lake.yaml");
  EXPECT_THAT(lake->instances, IsEmpty());
  EXPECT_THAT(lake->roles, IsEmpty());
  EXPECT_EQ(lake->naming.role, "{lake}-{instance}-{role}");
  EXPECT_EQ(lake->zones[0].tier, "sensitive");
}

TEST(GovernanceConfig, CustomTiersChangeEveryDefault) {
  auto lake = parse(
      "lake: {name: healthetl, instance: dev01}\n"
      "tiers: [public, private]\n"
      "zones: [{name: bronze, containers: [raw, {name: open, tier: public}]}]\n"
      "roles: [{name: reader}]\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->tiers, (std::vector<std::string>{"public", "private"}));
  EXPECT_EQ(lake->phi_tier, "private");  // no "sensitive": the highest tier
  EXPECT_EQ(lake->zones[0].tier, "private");
  EXPECT_EQ(lake->zones[0].containers[0].tier, "private");
  EXPECT_EQ(lake->zones[0].containers[1].tier, "public");
  EXPECT_EQ(lake->roles[0].clearance, "public");
  EXPECT_EQ(lake->tier_rank("private"), 1);
}

TEST(GovernanceConfig, CustomTiersAreTheOnlyValidOnes) {
  EXPECT_THAT(errors("lake: {name: healthetl, instance: dev01}\n"
                     "tiers: [public, private]\n"
                     "zones: [{name: bronze, tier: sensitive, containers: [{name: raw, tier: "
                     "publc}]}]\n"),
              ElementsAre(err("3:30", "unknown tier \"sensitive\"", "Valid tiers: public, private"),
                          err("3:72", "unknown tier \"publc\"",
                              "did you mean \"public\"? Valid tiers: public, private")));
}

TEST(GovernanceConfig, NamingRoleWithRegionAndOrg) {
  auto lake = parse(
      "lake: {name: healthetl, instance: dev01, region: eu-west-2, org: acme}\n"
      "naming: {role: \"{org}-{region}-{role}\"}\n"
      "zones: [{name: bronze}]\n"
      "roles: [{name: reader}]\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->roles[0].physical_name, "acme-eu-west-2-reader");
}

TEST(GovernanceConfig, InstancesWithoutALimitAndOtherInstancesAllowAnyTier) {
  auto lake = parse(
      "lake: {name: healthetl, instance: dev01}\n"
      "instances: {dev01: ~, test01: {max_tier: internal}}\n"
      "zones: [{name: bronze}]\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  ASSERT_EQ(lake->instances.size(), 2u);
  EXPECT_EQ(lake->instances[0].max_tier, "");
}

// --- rule 1: clearance ---

const char kClearance[] =
    "lake: {name: healthetl, instance: dev01}\n"                   // 1
    "zones:\n"                                                     // 2
    "  - name: bronze\n"                                           // 3
    "    tier: internal\n"                                         // 4
    "    containers: [{name: raw, tier: sensitive}, landing]\n"    // 5
    "  - name: silver\n"                                           // 6
    "    tier: restricted\n"                                       // 7
    "roles:\n"                                                     // 8
    "  - name: analyst\n"                                          // 9
    "    clearance: internal\n"                                    // 10
    "    grants:\n"                                                // 11
    "      - {zone: bronze, access: read}\n"                       // 12
    "      - {zone: bronze, container: raw, access: read}\n"       // 13
    "      - {zone: bronze, container: landing, access: write}\n"  // 14
    "      - {zone: silver, access: read}\n";                      // 15

TEST(GovernanceRules, GrantAboveClearance) {
  EXPECT_THAT(
      errors(kClearance),
      ElementsAre(
          err("12:16",
              "role \"analyst\" (clearance internal) is granted read on bronze, which holds "
              "sensitive data (container bronze/raw)",
              "raise the role's clearance to sensitive, or grant only containers of tier internal "
              "or lower"),
          err("13:35",
              "role \"analyst\" (clearance internal) is granted read on bronze/raw, which holds "
              "sensitive data",
              "raise the role's clearance to sensitive, or grant only containers of tier internal "
              "or lower"),
          err("15:16",
              "role \"analyst\" (clearance internal) is granted read on silver, which holds "
              "restricted data",
              "raise the role's clearance to restricted, or grant only containers of tier internal "
              "or lower")));
}

// --- rule 2: PHI ---

TEST(GovernanceRules, PhiTierNeedsPhiTrue) {
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"               // 1
             "tiers: [public, internal, restricted, sensitive]\n"       // 2
             "phi_tier: restricted\n"                                   // 3
             "zones:\n"                                                 // 4
             "  - name: bronze\n"                                       // 5
             "    tier: internal\n"                                     // 6
             "    containers: [{name: raw, tier: restricted}, deid]\n"  // 7
             "roles:\n"                                                 // 8
             "  - name: analyst\n"                                      // 9
             "    clearance: sensitive\n"                               // 10
             "    grants:\n"                                            // 11
             "      - {zone: bronze, container: raw, access: read}\n"   // 12
             "      - {zone: bronze, access: read}\n"                   // 13
             "      - {zone: bronze, container: deid, access: read}\n"  // 14
             "  - {name: clinician, clearance: sensitive, phi: true, grants: [{zone: bronze, "
             "access: read}]}\n"),
      ElementsAre(
          err("12:35",
              "role \"analyst\" is not cleared for PHI but is granted read on bronze/raw, whose "
              "tier restricted holds PHI (phi_tier: restricted)",
              "set phi: true on the role if it may see PHI, or grant instead a de-identified "
              "container of a tier below restricted"),
          err("13:16",
              "role \"analyst\" is not cleared for PHI but is granted read on bronze, whose tier "
              "restricted holds PHI (container bronze/raw; phi_tier: restricted)",
              "set phi: true on the role if it may see PHI, or grant instead a de-identified "
              "container of a tier below restricted")));
}

TEST(GovernanceRules, ClearanceIsCheckedBeforePhi) {
  EXPECT_THAT(errors("lake: {name: healthetl, instance: dev01}\n"
                     "zones: [{name: bronze}]\n"
                     "roles: [{name: analyst, grants: [{zone: bronze, access: read}]}]\n"),
              ElementsAre(err("3:41",
                              "role \"analyst\" (clearance internal) is granted read on bronze, "
                              "which holds sensitive data",
                              "raise the role's clearance to sensitive, or grant only containers "
                              "of tier internal or lower")));
}

// --- rule 3: max_tier of the instance ---

const char kMaxTier[] =
    "lake: {name: healthetl, instance: dev01}\n"                                             // 1
    "instances:\n"                                                                           // 2
    "  dev01: {max_tier: restricted}\n"                                                      // 3
    "  prod01: {max_tier: internal}\n"                                                       // 4
    "zones:\n"                                                                               // 5
    "  - name: bronze\n"                                                                     // 6
    "    tier: sensitive\n"                                                                  // 7
    "    containers: [raw]\n"                                                                // 8
    "  - name: silver\n"                                                                     // 9
    "  - name: gold\n"                                                                       // 10
    "    tier: internal\n"                                                                   // 11
    "    containers: [{name: curated, tier: sensitive}, {name: okay, tier: restricted}]\n";  // 12

TEST(GovernanceRules, TiersAboveTheInstancesMaxTier) {
  const std::string may = "instance \"dev01\" may hold data of tier restricted or lower; ";
  const std::string raise = ", or raise max_tier of instance \"dev01\"";
  EXPECT_THAT(
      errors(kMaxTier),
      ElementsAre(
          err("7:11",
              "zone \"bronze\" has tier sensitive, above max_tier restricted of instance "
              "\"dev01\" (max_tier set on line 3)",
              may + "lower the zone's tier" + raise),
          err("9:5",
              "zone \"silver\" has tier sensitive (by default the highest tier), above max_tier "
              "restricted of instance \"dev01\" (max_tier set on line 3)",
              may + "declare tier: restricted (or lower) on the zone" + raise),
          err("12:40",
              "container \"curated\" of zone \"gold\" has tier sensitive, above max_tier "
              "restricted of instance \"dev01\" (max_tier set on line 3)",
              may + "lower the container's tier" + raise)));
}

// --- rule 4 and the rest: what is declared and how it is written ---

TEST(GovernanceErrors, UnknownZonesAndContainersInGrants) {
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"
             "zones: [{name: bronze, containers: [raw]}, {name: gold}]\n"
             "roles:\n"
             "  - name: engineer\n"
             "    clearance: sensitive\n"
             "    phi: true\n"
             "    grants:\n"
             "      - {zone: bronz, access: read}\n"
             "      - {zone: bronze, container: rwa, access: read}\n"
             "      - {zone: gold, container: raw, access: read}\n"
             "      - {zone: bronze, container: \"\", access: read}\n"),
      ElementsAre(
          err("8:16", "unknown zone \"bronz\" in grant #1 of role \"engineer\"",
              "did you mean \"bronze\"? Declared zones: bronze, gold"),
          err("9:35",
              "unknown container \"rwa\" in zone \"bronze\" in grant #2 of role \"engineer\"",
              "did you mean \"raw\"? Containers of zone \"bronze\": raw"),
          err("10:33",
              "unknown container \"raw\" in zone \"gold\" in grant #3 of role \"engineer\"",
              "zone \"gold\" declares no containers; omit container to grant the whole zone"),
          err("11:35", "\"container\" in grant #4 of role \"engineer\" must not be empty",
              "name a container, or omit container to grant the whole zone")));
}

TEST(GovernanceErrors, GrantsToTheArtifactsContainerAreValid) {
  auto lake = parse(
      "lake: {name: healthetl, instance: dev01}\n"
      "zones: [{name: gold, tier: internal}]\n"
      "pipelines: [{name: hello, repo: https://example.org/h.git, ref: main}]\n"
      "roles: [{name: deployer, grants: [{zone: gold, container: pipelines, "
      "access: write}]}]\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->roles[0].grants[0].container, "pipelines");
}

TEST(GovernanceErrors, DuplicateRolesAndGrants) {
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"
             "zones: [{name: gold, tier: internal, containers: [curated]}]\n"
             "roles:\n"
             "  - name: analyst\n"
             "    grants:\n"
             "      - {zone: gold, access: read}\n"
             "      - {zone: gold, container: curated, access: read}\n"
             "      - {zone: gold, access: write}\n"
             "      - {zone: gold, container: curated, access: admin}\n"
             "  - name: analyst\n"),
      ElementsAre(
          err("8:9", "duplicate grant on gold in role \"analyst\" (first defined on line 6)",
              "a role has at most one grant per zone and per container; keep one with "
              "the access needed"),
          err("9:9",
              "duplicate grant on gold/curated in role \"analyst\" (first defined on "
              "line 7)",
              "a role has at most one grant per zone and per container; keep one with "
              "the access needed"),
          err("10:11", "duplicate role name \"analyst\" (first defined on line 4)",
              "role names must be unique within a lake")));
}

TEST(GovernanceErrors, UnknownKeysAndInvalidAccess) {
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"
             "zones: [{name: gold, tier: internal, containers: [a1b, b2c]}]\n"
             "instances: {dev01: {max_teir: internal}}\n"
             "naming: {roles: x}\n"
             "roles:\n"
             "  - name: analyst\n"
             "    clearence: internal\n"
             "    grants:\n"
             "      - {zone: gold, acess: read}\n"
             "      - {zone: gold, container: a1b, access: wirte}\n"
             "      - {zone: gold, container: b2c, access: owner}\n"),
      ElementsAre(
          err("4:10", "unknown key \"roles\" in naming",
              "did you mean \"role\"? Valid keys: zone, container, role"),
          err("3:21", "unknown key \"max_teir\" in instance \"dev01\"",
              "did you mean \"max_tier\"? Valid keys: max_tier"),
          err("7:5", "unknown key \"clearence\" in role \"analyst\"",
              std::string("did you mean \"clearance\"? ") + kRoleKeys),
          err("9:22", "unknown key \"acess\" in grant #1 of role \"analyst\"",
              "did you mean \"access\"? Valid keys: zone, container, access"),
          err("9:9", "missing required key \"access\" in grant #1 of role \"analyst\"",
              "e.g. access: read"),
          err("10:46", "unknown access \"wirte\" in grant #2 of role \"analyst\"",
              "did you mean \"write\"? Valid access: read, write, admin (read: list and get "
              "objects; write: also put and delete them; admin: also object versions and, on a "
              "whole zone, its settings)"),
          err("11:46", "unknown access \"owner\" in grant #3 of role \"analyst\"",
              "Valid access: read, write, admin (read: list and get objects; write: also put and "
              "delete them; admin: also object versions and, on a whole zone, its settings)")));
}

TEST(GovernanceErrors, WrongTypes) {
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"
             "zones: [{name: gold, tier: internal}]\n"
             "tiers: internal\n"
             "instances: [dev01]\n"
             "roles:\n"
             "  - name: analyst\n"
             "    phi: \"yes\"\n"
             "    principals: arn:aws:iam:::user/ci\n"
             "    grants: {zone: gold}\n"
             "  - reader\n"),
      ElementsAre(
          err("3:8", "\"tiers\" must be a list of tier names, got \"internal\"",
              "e.g. tiers: [internal, restricted, sensitive] (lowest first)"),
          err("4:12", "\"instances\" must be a mapping, got a list",
              "e.g. instances: {dev01: {max_tier: internal}}"),
          err("7:10", "\"phi\" must be a boolean, got \"yes\"",
              "use true or false, without quotes"),
          err("8:17", "\"principals\" must be a list of principals, got \"arn:aws:iam:::user/ci\"",
              "e.g. principals: [\"arn:aws:iam::123456789012:role/deployer\", "
              "\"arn:aws:iam:::user/ci\"]"),
          err("9:13", "\"grants\" must be a list of grants, got a mapping",
              "e.g. grants: [{zone: gold, container: curated, access: read}]"),
          err("10:5", "each role must be a mapping, got \"reader\"",
              "e.g. roles: [{name: analyst, clearance: internal, grants: [{zone: gold, access: "
              "read}]}]")));
}

TEST(GovernanceErrors, UnknownTiers) {
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"
             "phi_tier: secret\n"
             "instances: {dev01: {max_tier: restriced}}\n"
             "zones: [{name: gold, tier: internal}]\n"
             "roles: [{name: analyst, clearance: top, grants: [{zone: gold, access: read}]}]\n"),
      ElementsAre(
          err("2:11", "unknown tier \"secret\" for phi_tier",
              std::string(kTiers) + " (data of phi_tier or above needs roles with phi: true)"),
          err("3:31", "unknown tier \"restriced\" for max_tier of instance \"dev01\"",
              std::string("did you mean \"restricted\"? ") + kTiers),
          err("5:36", "unknown tier \"top\" for the clearance of role \"analyst\"", kTiers)));
}

TEST(GovernanceErrors, InvalidTiersList) {
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"
             "tiers: [low, Mid_1, low, [x]]\n"
             "zones: [{name: gold, tier: Mid_1}]\n"),
      ElementsAre(
          err("2:14", "tier \"Mid_1\" is invalid: uppercase letters are not allowed",
              "tiers are 1–63 characters of a-z, 0-9 and '-', starting and ending with a letter "
              "or digit; try \"mid-1\""),
          err("2:21", "duplicate tier \"low\" (first defined on line 2)",
              "tiers must be unique in the tiers list"),
          err("2:26", "each tier must be a name, got a list",
              "e.g. tiers: [internal, restricted, sensitive] (lowest first)")));
  EXPECT_THAT(errors("lake: {name: healthetl, instance: dev01}\n"
                     "tiers: []\n"
                     "zones: [{name: gold}]\n"),
              ElementsAre(err("2:8", "\"tiers\" must not be empty",
                              "a lake needs at least one tier, e.g. tiers: [internal, "
                              "restricted, sensitive] (lowest first), or omit tiers for "
                              "internal, restricted, sensitive")));
}

TEST(GovernanceErrors, InvalidRoleNamesAndPrincipals) {
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"
             "zones: [{name: gold, tier: internal}]\n"
             "roles:\n"
             "  - name: Data_Eng\n"
             "    principals:\n"
             "      - arn:aws:iam::123456789012:role/deployer\n"
             "      - arn:aws:sts::123456789012:assumed-role/deployer/session\n"
             "      - arn:aws:iam::12345:user/ci\n"
             "      - arn:aws:s3:::bucket\n"
             "      - arn:aws:iam::123456789012:group/devs\n"
             "      - \"1234\"\n"
             "      - alice\n"
             "  - description: no name\n"),
      ElementsAre(
          err("4:11", "role name \"Data_Eng\" is invalid: uppercase letters are not allowed",
              std::string(kNameRule) + "; try \"data-eng\""),
          err("8:9",
              "principal \"arn:aws:iam::12345:user/ci\" of role \"Data_Eng\" is invalid: the "
              "account \"12345\" is not 12 digits",
              kPrincipalHint),
          err("9:9",
              "principal \"arn:aws:s3:::bucket\" of role \"Data_Eng\" is invalid: the service is "
              "\"s3\", not iam or sts",
              kPrincipalHint),
          err("10:9",
              "principal \"arn:aws:iam::123456789012:group/devs\" of role \"Data_Eng\" is invalid: "
              "\"group/devs\" is not root, user/NAME or role/NAME",
              kPrincipalHint),
          err("11:9",
              "principal \"1234\" of role \"Data_Eng\" is invalid: an account id is exactly 12 "
              "digits",
              kPrincipalHint),
          err("12:9",
              "principal \"alice\" of role \"Data_Eng\" is invalid: it is neither an IAM ARN nor "
              "a 12-digit account id",
              kPrincipalHint),
          err("13:5", "missing required key \"name\" in role #2",
              "every role needs a name, e.g. name: data-engineer")));
}

TEST(GovernanceErrors, RolePhysicalNames) {
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"
             "naming: {role: \"{lake}-{rol}\"}\n"
             "zones: [{name: gold, tier: internal}]\n"
             "roles: [{name: reader}]\n"),
      ElementsAre(err("2:16", "unknown placeholder {rol} in naming.role",
                      "did you mean {role}? Valid placeholders: {lake}, {instance}, {region}, "
                      "{org}, {role}")));
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"
             "naming: {role: \"{lake}-readers\"}\n"
             "zones: [{name: gold, tier: internal}]\n"
             "roles: [{name: reader}, {name: writer}]\n"),
      ElementsAre(err("4:25",
                      "role \"writer\" renders to physical name \"healthetl-readers\", the same "
                      "as role \"reader\" (line 4)",
                      "physical names must be unique; change the name or the naming template")));
  std::string long_name(60, 'r');
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"
             "zones: [{name: gold, tier: internal}]\n"
             "roles: [{name: " +
             long_name + "}]\n"),
      ElementsAre(err("3:9",
                      "role \"" + long_name + "\" renders to physical name \"healthetl-dev01-" +
                          long_name + "\" which is invalid: longer than 63 characters",
                      "it comes from the template \"{lake}-{instance}-{role}\"; shorten the "
                      "values it uses or change the template")));
  // Without roles, naming.role is not checked.
  EXPECT_THAT(errors("lake: {name: healthetl, instance: dev01}\n"
                     "naming: {role: \"{nope}\"}\n"
                     "zones: [{name: gold}]\n"),
              IsEmpty());
}

TEST(GovernanceErrors, InvalidTargetsAndTiersAreNotReportedTwice) {
  // The unknown tier of raw is reported once; the grants covering raw are not checked.
  EXPECT_THAT(
      errors("lake: {name: healthetl, instance: dev01}\n"
             "instances: {dev01: {max_tier: internal}}\n"
             "zones: [{name: bronze, tier: internal, containers: [{name: raw, tier: secret}]}]\n"
             "roles:\n"
             "  - name: analyst\n"
             "    clearance: nope\n"
             "    grants: [{zone: bronze, access: read}]\n"
             "  - name: reader\n"
             "    grants: [{zone: bronze, access: read}, {zone: bronze, container: raw, access: "
             "read}]\n"),
      ElementsAre(
          err("3:71", "unknown tier \"secret\"", kTiers),
          err("6:16", "unknown tier \"nope\" for the clearance of role \"analyst\"", kTiers)));
}

// --- overlays ---

class GovernanceOverlay : public ::testing::Test {
 protected:
  Result<Lake> load(std::optional<std::string> instance = std::nullopt) {
    return load_lake(LoadOptions{"/srv/cfg/lake.yaml", std::move(instance)}, fs_, env_);
  }

  MemoryFileSystem fs_;
  MapEnvironment env_;
};

const char kOverlayBase[] =
    "lake: {name: healthetl, instance: dev01}\n"
    "zones:\n"
    "  - {name: bronze, tier: restricted, containers: [raw, {name: landing, tier: internal}]}\n"
    "  - {name: gold, tier: internal}\n"
    "roles:\n"
    "  - name: analyst\n"
    "    description: Reads gold\n"
    "    grants: [{zone: gold, access: read}]\n"
    "  - name: engineer\n"
    "    clearance: restricted\n"
    "    grants: [{zone: bronze, access: write}]\n";

TEST_F(GovernanceOverlay, RolesMergeByNameAndGrantListsAreReplaced) {
  fs_.add_file("/srv/cfg/lake.yaml", kOverlayBase);
  fs_.add_file("/srv/cfg/lake.dev01.yaml",
               "roles:\n"
               "  - name: analyst\n"
               "    clearance: restricted\n"
               "    grants: [{zone: bronze, container: landing, access: read}]\n"
               "  - name: auditor\n"
               "    principals: [\"123456789012\"]\n");
  auto lake = load();
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  ASSERT_EQ(lake->roles.size(), 3u);
  const Role& analyst = lake->roles[0];
  EXPECT_EQ(analyst.name, "analyst");
  EXPECT_EQ(analyst.description, "Reads gold");  // kept from the base
  EXPECT_EQ(analyst.clearance, "restricted");    // from the overlay
  EXPECT_EQ(analyst.clearance_location.str(), "/srv/cfg/lake.dev01.yaml:3:16");
  ASSERT_EQ(analyst.grants.size(), 1u);  // the overlay's list replaces the base's
  EXPECT_EQ(analyst.grants[0].zone, "bronze");
  EXPECT_EQ(analyst.grants[0].container, "landing");
  EXPECT_EQ(lake->roles[1].name, "engineer");
  EXPECT_EQ(lake->roles[1].grants[0].access, Access::kWrite);
  EXPECT_EQ(lake->roles[2].name, "auditor");
  EXPECT_EQ(lake->roles[2].physical_name, "healthetl-dev01-auditor");
}

TEST_F(GovernanceOverlay, MaxTierSetInTheOverlayIsNamedWithItsFile) {
  fs_.add_file("/srv/cfg/lake.yaml", kOverlayBase);
  fs_.add_file("/srv/cfg/lake.dev01.yaml", "instances: {dev01: {max_tier: internal}}\n");
  auto lake = load();
  ASSERT_FALSE(lake.has_value());
  EXPECT_EQ(lake.error().str(),
            "error: /srv/cfg/lake.yaml:3:26: zone \"bronze\" has tier restricted, above max_tier "
            "internal of instance \"dev01\" (max_tier set on /srv/cfg/lake.dev01.yaml:1:31)\n"
            "  hint: instance \"dev01\" may hold data of tier internal or lower; lower the zone's "
            "tier, or raise max_tier of instance \"dev01\"\n");
}

TEST_F(GovernanceOverlay, MaxTierFollowsTheInstanceOverride) {
  fs_.add_file("/srv/cfg/lake.yaml", kMaxTier);
  auto qa = load("qa001");  // not listed in instances: no limit
  EXPECT_TRUE(qa.has_value()) << qa.error().str();
  auto prod = load("prod01");
  ASSERT_FALSE(prod.has_value());
  std::vector<Diagnostic> all(prod.error().begin(), prod.error().end());
  ASSERT_EQ(all.size(), 4u);  // bronze, silver, curated and okay are above internal
  EXPECT_EQ(format_diagnostic(all[0]),
            "error: /srv/cfg/lake.yaml:7:11: zone \"bronze\" has tier sensitive, above max_tier "
            "internal of instance \"prod01\" (max_tier set on line 4)\n"
            "  hint: instance \"prod01\" may hold data of tier internal or lower; lower the "
            "zone's tier, or raise max_tier of instance \"prod01\"\n");
}

}  // namespace
}  // namespace lakeinfra::config
