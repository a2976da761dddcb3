// The s3 storage provider's configuration: keys, defaults, warnings, keys of the other
// provider, zone versioning and the S3 bucket-name rules.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "config/loader.h"
#include "config/memory_filesystem.h"
#include "config/names.h"
#include "config/parse_for_tests.h"

namespace lakeinfra::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using testing::err;
using testing::errors;
using testing::parse;
using testing::warn;
using testing::warnings;

const char kLakeLine[] = "lake: {name: healthetl, instance: dev01, region: eu-west-2}\n";
const char kNoRegionLakeLine[] = "lake: {name: healthetl, instance: dev01}\n";
const char kZones[] = "zones: [{name: bronze, containers: [raw]}]\n";
const char kS3Keys[] = "Valid keys: provider, endpoint, region, addressing, profile, verify_tls";

// A lake on s3 with the given storage keys (after "provider: s3, ").
std::string s3(const std::string& keys, const std::string& lake_line = kLakeLine) {
  return lake_line + "storage: {provider: s3" + (keys.empty() ? "" : ", " + keys) + "}\n" + kZones;
}

// --- what a valid file gives ---

TEST(S3Config, FillsTheModel) {
  auto lake = parse(std::string(kLakeLine) +
                    "storage:\n"
                    "  provider: s3\n"
                    "  endpoint: http://127.0.0.1:7480\n"
                    "  region: us-west-1\n"
                    "  addressing: virtual\n"
                    "  profile: ceph\n"
                    "  verify_tls: true\n"
                    "zones:\n"
                    "  - name: bronze\n"
                    "    versioning: true\n"
                    "    containers: [raw, landing]\n"
                    "  - name: silver\n"
                    "    versioning: false\n"
                    "  - name: gold\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  const Storage& storage = lake->storage;
  EXPECT_EQ(storage.provider, "s3");
  EXPECT_EQ(storage.endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(storage.endpoint_url(), "http://127.0.0.1:7480");
  EXPECT_EQ(storage.region, "us-west-1");
  EXPECT_EQ(storage.addressing, "virtual");
  EXPECT_EQ(storage.profile, "ceph");
  EXPECT_TRUE(storage.verify_tls);
  EXPECT_EQ(storage.root, "");  // a local key
  EXPECT_EQ(storage.location.str(), "lake.yaml:3:3");
  EXPECT_EQ(storage.endpoint_location.str(), "lake.yaml:4:13");
  EXPECT_EQ(storage.region_location.str(), "lake.yaml:5:11");
  EXPECT_EQ(storage.addressing_location.str(), "lake.yaml:6:15");
  EXPECT_EQ(storage.profile_location.str(), "lake.yaml:7:12");
  EXPECT_EQ(storage.verify_tls_location.str(), "lake.yaml:8:15");
  ASSERT_EQ(lake->zones.size(), 3u);
  EXPECT_TRUE(lake->zones[0].versioning);
  EXPECT_TRUE(lake->zones[0].versioning_set);
  EXPECT_FALSE(lake->zones[1].versioning);
  EXPECT_TRUE(lake->zones[1].versioning_set);
  EXPECT_FALSE(lake->zones[2].versioning);
  EXPECT_FALSE(lake->zones[2].versioning_set);
  EXPECT_EQ(lake->zones[0].physical_name, "healthetl-dev01-bronze");
  EXPECT_EQ(lake->zones[0].containers[1].physical_name, "landing");
  EXPECT_THAT(lake->warnings, IsEmpty());
}

TEST(S3Config, RegionDefaultsToTheLakesRegionThenUsEast1) {
  auto from_lake = parse(s3(""));
  ASSERT_TRUE(from_lake.has_value()) << from_lake.error().str();
  EXPECT_EQ(from_lake->storage.region, "eu-west-2");
  EXPECT_EQ(from_lake->storage.region_location.str(), "lake.yaml:2:10");  // the block

  auto fallback = parse(s3("", kNoRegionLakeLine));
  ASSERT_TRUE(fallback.has_value()) << fallback.error().str();
  EXPECT_EQ(fallback->storage.region, "us-east-1");

  auto own = parse(s3("region: ap-south-1"));
  ASSERT_TRUE(own.has_value()) << own.error().str();
  EXPECT_EQ(own->storage.region, "ap-south-1");
}

TEST(S3Config, WithoutAnEndpointItIsAwsWithVirtualAddressing) {
  auto lake = parse(s3(""));
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->storage.endpoint, "");
  EXPECT_EQ(lake->storage.endpoint_url(), "https://s3.eu-west-2.amazonaws.com");
  EXPECT_EQ(lake->storage.addressing, "virtual");
  EXPECT_EQ(lake->storage.profile, "");
  EXPECT_TRUE(lake->storage.verify_tls);
  EXPECT_THAT(lake->warnings, IsEmpty());

  auto path = parse(s3("addressing: path"));
  ASSERT_TRUE(path.has_value()) << path.error().str();
  EXPECT_EQ(path->storage.addressing, "path");
}

TEST(S3Config, WithAnEndpointAddressingDefaultsToPath) {
  auto lake = parse(s3("endpoint: \"http://localhost:9000\""));
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->storage.addressing, "path");
  auto virtual_hosted = parse(s3("endpoint: \"https://s3.example.com\", addressing: virtual"));
  ASSERT_TRUE(virtual_hosted.has_value()) << virtual_hosted.error().str();
  EXPECT_EQ(virtual_hosted->storage.addressing, "virtual");
}

TEST(S3Config, EndpointIsNormalised) {
  auto endpoint_of = [](const std::string& url) {
    auto lake = parse(s3("endpoint: \"" + url + "\""));
    return lake ? lake->storage.endpoint : lake.error().str();
  };
  EXPECT_EQ(endpoint_of("HTTP://LocalHost:7480/"), "http://localhost:7480");
  EXPECT_EQ(endpoint_of("https://s3.example.com:443"), "https://s3.example.com");
  EXPECT_EQ(endpoint_of("http://127.0.0.1:80"), "http://127.0.0.1");
  EXPECT_EQ(endpoint_of("https://minio.internal:9000"), "https://minio.internal:9000");
  EXPECT_EQ(endpoint_of("http://[::1]:7480"), "http://[::1]:7480");
  EXPECT_EQ(endpoint_of("http://127.0.0.1:07480"), "http://127.0.0.1:7480");
}

// --- errors ---

TEST(S3ConfigErrors, InvalidEndpoint) {
  auto endpoint_error = [](const std::string& url) {
    auto all = errors(s3("endpoint: \"" + url + "\""));
    return all.empty() ? std::string("no error") : all.front();
  };
  auto expect = [](const std::string& shown, const std::string& problem, const std::string& hint) {
    return err("2:35", "endpoint \"" + shown + "\" is invalid: " + problem, hint);
  };
  const std::string only_host =
      "give only the scheme, host and port, e.g. http://127.0.0.1:7480; bucket names come from "
      "the zones";
  const std::string port_hint = "a port is a number from 1 to 65535";
  const std::string ipv6_hint = "write an IPv6 address in brackets, e.g. http://[::1]:7480";
  const std::string host_hint =
      "a host is a DNS name (letters, digits, '-', '_' and '.') or an IP address";
  EXPECT_EQ(endpoint_error(""),
            expect("", "it is empty",
                   "give a URL such as http://127.0.0.1:7480, or omit endpoint to use AWS"));
  for (const std::string url : {"s3.example.com", "ftp://s3.example.com", "//s3.example.com"}) {
    EXPECT_EQ(endpoint_error(url),
              expect(url, "it must start with http:// or https://",
                     "e.g. endpoint: https://s3.example.com or endpoint: http://127.0.0.1:7480"));
  }
  EXPECT_EQ(endpoint_error("http://admin:hunter2secret@127.0.0.1:7480"),
            expect("http://***@127.0.0.1:7480", "credentials in the URL are not allowed",
                   "give only the scheme, host and port; credentials come from "
                   "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or ~/.aws/credentials"));
  EXPECT_EQ(endpoint_error("http://127.0.0.1:7480/bucket"),
            expect("http://127.0.0.1:7480/bucket", "a path is not allowed", only_host));
  EXPECT_EQ(endpoint_error("https://s3.example.com?x=1"),
            expect("https://s3.example.com?x=1", "a query or fragment is not allowed", only_host));
  EXPECT_EQ(endpoint_error("https://s3.example.com/#top"),
            expect("https://s3.example.com/#top", "a query or fragment is not allowed", only_host));
  EXPECT_EQ(endpoint_error("http://:7480"),
            expect("http://:7480", "the host is missing", "e.g. endpoint: http://127.0.0.1:7480"));
  EXPECT_EQ(endpoint_error("http://"),
            expect("http://", "the host is missing", "e.g. endpoint: http://127.0.0.1:7480"));
  EXPECT_EQ(endpoint_error("http://s3 host"),
            expect("http://s3 host", "the host \"s3 host\" is invalid", host_hint));
  EXPECT_EQ(endpoint_error("http://-s3.example.com"),
            expect("http://-s3.example.com", "the host \"-s3.example.com\" is invalid", host_hint));
  EXPECT_EQ(endpoint_error("http://[::1"),
            expect("http://[::1", "the host \"[::1\" is invalid", ipv6_hint));
  EXPECT_EQ(endpoint_error("http://[zz]:80"),
            expect("http://[zz]:80", "the host \"[zz]\" is invalid", ipv6_hint));
  EXPECT_EQ(endpoint_error("http://127.0.0.1:"),
            expect("http://127.0.0.1:", "the port is missing after ':'", port_hint));
  EXPECT_EQ(endpoint_error("http://127.0.0.1:http"),
            expect("http://127.0.0.1:http", "the port \"http\" is invalid", port_hint));
  EXPECT_EQ(endpoint_error("http://127.0.0.1:70000"),
            expect("http://127.0.0.1:70000", "the port \"70000\" is invalid", port_hint));
  EXPECT_EQ(endpoint_error("http://127.0.0.1:0"),
            expect("http://127.0.0.1:0", "the port \"0\" is invalid", port_hint));
  EXPECT_EQ(endpoint_error("http://[::1]:7480"), "no error");
}

TEST(S3ConfigErrors, EndpointMustBeAString) {
  EXPECT_THAT(errors(s3("endpoint: [http://a]")),
              ElementsAre(err("2:35", "\"endpoint\" must be a string, got a list",
                              "e.g. endpoint: http://127.0.0.1:7480")));
}

TEST(S3ConfigErrors, UnknownAddressingStyle) {
  const std::string styles =
      "Valid styles: path, virtual (path: http://host/bucket/key, virtual: "
      "http://bucket.host/key)";
  EXPECT_THAT(errors(s3("addressing: paht")),
              ElementsAre(err("2:37", "unknown addressing style \"paht\"",
                              "did you mean \"path\"? " + styles)));
  EXPECT_THAT(errors(s3("addressing: dns")),
              ElementsAre(err("2:37", "unknown addressing style \"dns\"", styles)));
}

TEST(S3ConfigErrors, InvalidRegion) {
  EXPECT_THAT(errors(s3("region: US_EAST_1")),
              ElementsAre(err("2:33",
                              "region \"US_EAST_1\" is invalid: uppercase letters are not "
                              "allowed",
                              "instance, region and org are 1–63 characters of a-z, 0-9 and "
                              "'-', starting and ending with a letter or digit; try "
                              "\"us-east-1\"")));
}

TEST(S3ConfigErrors, EmptyProfile) {
  EXPECT_THAT(errors(s3("profile: \"\"")),
              ElementsAre(err("2:34", "\"profile\" must not be empty",
                              "name a profile of ~/.aws/credentials, or omit profile to use "
                              "AWS_PROFILE or \"default\"")));
}

TEST(S3ConfigErrors, VerifyTlsAndVersioningMustBeBooleans) {
  EXPECT_THAT(errors(std::string(kLakeLine) + "storage: {provider: s3, verify_tls: \"no\"}\n"
                                              "zones: [{name: bronze, versioning: enabled}]\n"),
              ElementsAre(err("2:37", "\"verify_tls\" must be a boolean, got \"no\"",
                              "use true or false, without quotes"),
                          err("3:36", "\"versioning\" must be a boolean, got \"enabled\"",
                              "use true or false")));
}

// --- keys of the other provider ---

TEST(S3ConfigErrors, LocalKeysAreUnknownForS3) {
  EXPECT_THAT(
      errors(s3("root: ./lake")),
      ElementsAre(err("2:25", "unknown key \"root\" in storage for provider \"s3\"",
                      std::string("\"root\" belongs to storage provider \"local\"; ") + kS3Keys)));
}

TEST(S3ConfigErrors, S3KeysAreUnknownForLocal) {
  EXPECT_THAT(
      errors(std::string(kLakeLine) +
             "storage:\n"
             "  provider: local\n"
             "  endpoint: http://127.0.0.1:7480\n"
             "  region: us-east-1\n"
             "  addressing: path\n"
             "  profile: default\n"
             "  verify_tls: false\n" +
             kZones),
      ElementsAre(
          err("4:3", "unknown key \"endpoint\" in storage for provider \"local\"",
              "\"endpoint\" belongs to storage provider \"s3\"; Valid keys: provider, root"),
          err("5:3", "unknown key \"region\" in storage for provider \"local\"",
              "\"region\" belongs to storage provider \"s3\"; Valid keys: provider, root"),
          err("6:3", "unknown key \"addressing\" in storage for provider \"local\"",
              "\"addressing\" belongs to storage provider \"s3\"; Valid keys: provider, root"),
          err("7:3", "unknown key \"profile\" in storage for provider \"local\"",
              "\"profile\" belongs to storage provider \"s3\"; Valid keys: provider, root"),
          err("8:3", "unknown key \"verify_tls\" in storage for provider \"local\"",
              "\"verify_tls\" belongs to storage provider \"s3\"; Valid keys: provider, root")));
  // Without `provider` the storage is local.
  EXPECT_THAT(
      errors(std::string(kLakeLine) + "storage: {endpoint: \"http://127.0.0.1:7480\"}\n" + kZones),
      ElementsAre(err("2:11", "unknown key \"endpoint\" in storage for provider \"local\"",
                      "\"endpoint\" belongs to storage provider \"s3\"; Valid keys: "
                      "provider, root")));
}

TEST(S3ConfigErrors, TyposInStorageKeysSuggestTheProvidersKeys) {
  EXPECT_THAT(errors(s3("endpont: \"http://127.0.0.1:7480\"")),
              ElementsAre(err("2:25", "unknown key \"endpont\" in storage",
                              std::string("did you mean \"endpoint\"? ") + kS3Keys)));
  EXPECT_THAT(errors(std::string(kLakeLine) + "storage: {rot: ./lake}\n" + kZones),
              ElementsAre(err("2:11", "unknown key \"rot\" in storage",
                              "did you mean \"root\"? Valid keys: provider, root")));
}

TEST(S3ConfigErrors, AnUnknownProviderAcceptsTheKeysOfEveryProvider) {
  EXPECT_THAT(
      errors(std::string(kLakeLine) +
             "storage: {provider: gcs, root: ./lake, endpoint: \"https://x.example\"}\n" + kZones),
      ElementsAre(err("2:21", "unknown storage provider \"gcs\"", "Known providers: local, s3")));
}

TEST(LoadS3Lake, AnOverlayMovesTheLakeToS3AndDropsTheLocalRoot) {
  MemoryFileSystem fs;
  MapEnvironment env;
  fs.add_file("/srv/cfg/lake.yaml", std::string(kLakeLine) +
                                        "storage: {provider: local, root: ./lake}\n"
                                        "zones: [{name: bronze, versioning: true}]\n");
  fs.add_file("/srv/cfg/lake.prod.yaml",
              "storage: {provider: s3, root: ~, endpoint: \"https://s3.example.com\"}\n");
  auto lake = load_lake(LoadOptions{"/srv/cfg/lake.yaml", "prod"}, fs, env);
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->storage.provider, "s3");
  EXPECT_EQ(lake->storage.endpoint, "https://s3.example.com");
  EXPECT_EQ(lake->storage.root, "");
  EXPECT_TRUE(lake->zones[0].versioning);
  EXPECT_THAT(lake->warnings, IsEmpty());  // versioning is in effect on s3

  fs.add_file("/srv/cfg/lake.prod.yaml", "storage: {provider: s3}\n");
  auto kept_root = load_lake(LoadOptions{"/srv/cfg/lake.yaml", "prod"}, fs, env);
  ASSERT_FALSE(kept_root.has_value());
  EXPECT_EQ(kept_root.error().str(),
            "error: /srv/cfg/lake.yaml:2:28: unknown key \"root\" in storage for provider \"s3\"\n"
            "  hint: \"root\" belongs to storage provider \"local\"; " +
                std::string(kS3Keys) + "\n");
}

// --- warnings ---

TEST(S3ConfigWarnings, VerifyTlsFalseNamesTheEndpoint) {
  const char hint[] =
      "anyone between lakeinfra and the server can impersonate it; use this only for test "
      "servers with self-signed certificates";
  EXPECT_THAT(warnings(s3("endpoint: \"https://rgw.test:8443\", verify_tls: false")),
              ElementsAre(warn("2:72",
                               "TLS certificate verification is off for "
                               "\"https://rgw.test:8443\" (verify_tls: false)",
                               hint)));
  EXPECT_THAT(warnings(s3("verify_tls: false")),
              ElementsAre(warn("2:37",
                               "TLS certificate verification is off for "
                               "\"https://s3.eu-west-2.amazonaws.com\" (verify_tls: false)",
                               hint)));
  auto lake = parse(s3("verify_tls: false"));
  ASSERT_TRUE(lake.has_value());
  EXPECT_FALSE(lake->storage.verify_tls);
}

TEST(S3ConfigWarnings, PlainHttpToAnotherHost) {
  EXPECT_THAT(warnings(s3("endpoint: \"http://minio.example.com:9000\"")),
              ElementsAre(warn("2:35",
                               "endpoint \"http://minio.example.com:9000\" uses plain HTTP: "
                               "requests, with the access key id, any session token and the "
                               "data, are sent unencrypted",
                               "use https:// for a server on another host; plain http is meant "
                               "for a server on this machine (localhost, 127.0.0.1, [::1])")));
  EXPECT_THAT(warnings(s3("endpoint: \"http://10.0.0.5\"")), ::testing::SizeIs(1));
  for (const char* quiet :
       {"http://127.0.0.1:7480", "http://127.9.8.7", "http://localhost:9000", "http://LOCALHOST",
        "http://rgw.localhost:80", "http://[::1]:7480", "https://minio.example.com:9000"}) {
    EXPECT_THAT(warnings(s3(std::string("endpoint: \"") + quiet + "\"")), IsEmpty()) << quiet;
  }
}

TEST(S3ConfigWarnings, VersioningOnLocalStorageHasNoEffect) {
  auto lake = parse(std::string(kLakeLine) +
                    "zones:\n"
                    "  - name: bronze\n"
                    "    versioning: true\n"
                    "  - name: silver\n"
                    "    versioning: false\n");
  ASSERT_TRUE(lake.has_value()) << lake.error().str();
  EXPECT_EQ(lake->warnings.str(),
            "warning: lake.yaml:4:5: versioning has no effect on local storage\n"
            "  hint: it applies with storage provider \"s3\"; remove it, or keep it for when the "
            "lake moves to s3\n");
  EXPECT_TRUE(lake->zones[0].versioning);
  EXPECT_TRUE(lake->zones[1].versioning_set);
}

// --- S3 bucket-name rules ---

TEST(S3ConfigErrors, RenderedZoneNamesFollowTheBucketRules) {
  auto bucket_error = [](const std::string& zone, const std::string& provider = "s3") {
    auto all = errors(std::string(kLakeLine) + "storage: {provider: " + provider +
                      "}\nnaming: {zone: \"{zone}\"}\nzones:\n  - name: " + zone + "\n");
    return all.empty() ? std::string("no error") : all.front();
  };
  auto expect = [](const std::string& zone, const std::string& problem) {
    return err("5:5",
               "zone \"" + zone + "\" renders to S3 bucket name \"" + zone +
                   "\" which is invalid: " + problem,
               "it comes from the template \"{zone}\"; change the values it uses or the template");
  };
  EXPECT_EQ(bucket_error("xn--bronze"),
            expect("xn--bronze", "it starts with the reserved prefix \"xn--\""));
  EXPECT_EQ(bucket_error("sthree-bronze"),
            expect("sthree-bronze", "it starts with the reserved prefix \"sthree-\""));
  EXPECT_EQ(bucket_error("amzn-s3-demo-bronze"),
            expect("amzn-s3-demo-bronze", "it starts with the reserved prefix \"amzn-s3-demo-\""));
  EXPECT_EQ(bucket_error("bronze-s3alias"),
            expect("bronze-s3alias", "it ends with the reserved suffix \"-s3alias\""));
  EXPECT_EQ(bucket_error("bronze--ol-s3"),
            expect("bronze--ol-s3", "it ends with the reserved suffix \"--ol-s3\""));
  EXPECT_EQ(bucket_error("bronze--x-s3"),
            expect("bronze--x-s3", "it ends with the reserved suffix \"--x-s3\""));
  EXPECT_EQ(bucket_error("bronze--table-s3"),
            expect("bronze--table-s3", "it ends with the reserved suffix \"--table-s3\""));
  EXPECT_EQ(bucket_error("bronze-s3"), "no error");
  EXPECT_EQ(bucket_error("xn--bronze", "local"), "no error");  // only S3 reserves these
}

TEST(S3ConfigErrors, BucketRulesApplyToZoneNamingOverridesAndNotToContainers) {
  EXPECT_THAT(errors(std::string(kLakeLine) + "storage: {provider: s3}\n"
                                              "naming: {container: \"{container}-s3alias\"}\n"
                                              "zones:\n"
                                              "  - name: bronze\n"
                                              "    naming: \"xn--{lake}-{zone}\"\n"
                                              "    containers: [raw]\n"),
              ElementsAre(err("5:5",
                              "zone \"bronze\" renders to S3 bucket name \"xn--healthetl-bronze\" "
                              "which is invalid: it starts with the reserved prefix \"xn--\"",
                              "it comes from the template \"xn--{lake}-{zone}\"; change the "
                              "values it uses or the template")));
}

TEST(S3ConfigErrors, NameRuleErrorsAreNotRepeatedAsBucketErrors) {
  std::string zone(50, 'x');
  EXPECT_THAT(
      errors(std::string(kLakeLine) + "storage: {provider: s3}\nzones:\n  - name: " + zone + "\n"),
      ElementsAre(err("4:5",
                      "zone \"" + zone + "\" renders to physical name \"healthetl-dev01-" + zone +
                          "\" which is invalid: longer than 63 characters",
                      "it comes from the template \"{lake}-{instance}-{zone}\"; shorten "
                      "the values it uses or change the template")));
}

TEST(BucketNameProblem, FollowsTheAwsRules) {
  EXPECT_EQ(bucket_name_problem("my-bucket.v2"), "");
  EXPECT_EQ(bucket_name_problem("abc"), "");
  EXPECT_EQ(bucket_name_problem(std::string(63, 'a')), "");
  EXPECT_EQ(bucket_name_problem(""), "it is empty");
  EXPECT_EQ(bucket_name_problem("ab"), "shorter than 3 characters");
  EXPECT_EQ(bucket_name_problem(std::string(64, 'a')), "longer than 63 characters");
  EXPECT_EQ(bucket_name_problem("My-Bucket"), "uppercase letters are not allowed");
  EXPECT_EQ(bucket_name_problem("my_bucket"), "'_' is not allowed");
  EXPECT_EQ(bucket_name_problem("my bucket"), "spaces are not allowed");
  EXPECT_EQ(bucket_name_problem("-bucket"), "it starts with '-'");
  EXPECT_EQ(bucket_name_problem(".bucket"), "it starts with '.'");
  EXPECT_EQ(bucket_name_problem("bucket-"), "it ends with '-'");
  EXPECT_EQ(bucket_name_problem("my..bucket"), "'..' is not allowed");
  EXPECT_EQ(bucket_name_problem("192.168.5.4"), "it is formatted as an IP address");
  EXPECT_EQ(bucket_name_problem("192.168.5"), "");
  EXPECT_EQ(bucket_name_problem("192.168.5.4.1"), "");
  EXPECT_EQ(bucket_name_problem("1234.168.5.4"), "");
  EXPECT_EQ(bucket_name_problem("xn--abc"), "it starts with the reserved prefix \"xn--\"");
  EXPECT_EQ(bucket_name_problem("sthree-configurator"),
            "it starts with the reserved prefix \"sthree-\"");
  EXPECT_EQ(bucket_name_problem("amzn-s3-demo-bucket"),
            "it starts with the reserved prefix \"amzn-s3-demo-\"");
  EXPECT_EQ(bucket_name_problem("abc-s3alias"), "it ends with the reserved suffix \"-s3alias\"");
  EXPECT_EQ(bucket_name_problem("abc--ol-s3"), "it ends with the reserved suffix \"--ol-s3\"");
  EXPECT_EQ(bucket_name_problem("abc.mrap"), "it ends with the reserved suffix \".mrap\"");
  EXPECT_EQ(bucket_name_problem("abc--x-s3"), "it ends with the reserved suffix \"--x-s3\"");
  EXPECT_EQ(bucket_name_problem("abc--table-s3"),
            "it ends with the reserved suffix \"--table-s3\"");
}

}  // namespace
}  // namespace lakeinfra::config
