#include "providers/s3/s3_provider.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "providers/http/fake_client.h"

namespace lakeinfra::providers::s3 {
namespace {

using http::FakeClient;

class S3ProviderTest : public ::testing::Test {
 protected:
  S3ProviderTest() {
    S3ClientConfig config;
    config.endpoint = "http://127.0.0.1:7480";
    config.retry.max_attempts = 1;
    auto client = S3Client::create(http_, {"AKID", "SECRET", ""}, config, clock_);
    EXPECT_TRUE(client.has_value());
    provider_ = make_s3_provider(nullptr, std::move(*client), fs_);
  }
  /// Answers ListObjectVersions with these (key, size, delete marker) entries.
  static std::string versions_xml(
      const std::vector<std::tuple<std::string, uint64_t, bool>>& entries) {
    std::string xml = "<ListVersionsResult><IsTruncated>false</IsTruncated>";
    for (const auto& [key, size, marker] : entries) {
      if (marker) {
        xml += "<DeleteMarker><Key>" + key + "</Key><VersionId>d1</VersionId></DeleteMarker>";
      } else {
        xml += "<Version><Key>" + key + "</Key><VersionId>v1</VersionId><Size>" +
               std::to_string(size) + "</Size></Version>";
      }
    }
    return xml + "</ListVersionsResult>";
  }
  config::ResourceRecord record(const std::string& type, const std::string& id) {
    config::ResourceRecord r;
    r.type = type;
    r.provider_id = id;
    return r;
  }

  config::ManualClock clock_;
  config::RealFileSystem fs_;
  FakeClient http_;
  std::unique_ptr<Provider> provider_;
};

TEST_F(S3ProviderTest, DescribesBucketsAndPrefixes) {
  EXPECT_EQ(provider_->describe("zone", "lake-dev-bronze"), "s3://lake-dev-bronze");
  EXPECT_EQ(provider_->describe("container", "lake-dev-bronze/raw"), "s3://lake-dev-bronze/raw/");
}

TEST_F(S3ProviderTest, DataCountSkipsMarkersAndDeleteMarkers) {
  http_.push(FakeClient::response(200, versions_xml({{"raw/", 0, false},
                                                     {"raw/a.csv", 10, false},
                                                     {"raw/b.csv", 0, true},
                                                     {"landing/", 0, false},
                                                     {"raw/old.csv", 5, false}})));
  auto n = provider_->count_data("zone", "lake-dev-bronze", {});
  ASSERT_TRUE(n.has_value()) << n.error().message;
  EXPECT_EQ(*n, 2u);
  ASSERT_EQ(http_.requests().size(), 1u);
  EXPECT_NE(http_.requests()[0].url.find("?versions"), std::string::npos);
}

TEST_F(S3ProviderTest, RemoveWithoutForceRefusesDataAndDeletesNothing) {
  http_.push(
      FakeClient::response(200, versions_xml({{"raw/", 0, false}, {"raw/a.csv", 1, false}})));
  auto r = provider_->remove(record("container", "lake-dev-bronze/raw"), /*force=*/false);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, FailureKind::kConflict);
  EXPECT_EQ(r.error().message,
            "s3://lake-dev-bronze/raw/ holds 1 object version; refusing to delete data");
  EXPECT_EQ(http_.requests().size(), 1u);  // only the listing
}

TEST_F(S3ProviderTest, RemoveOfEmptyPrefixDeletesEveryVersionOfItsMarker) {
  http_.push(FakeClient::response(200, versions_xml({{"raw/", 0, false}, {"raw/", 0, true}})));
  http_.push(FakeClient::response(200, "<DeleteResult/>"));
  auto r = provider_->remove(record("container", "lake-dev-bronze/raw"), false);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(http_.requests().size(), 2u);
  const auto del = http_.requests()[1];  // a copy: requests() returns a new vector
  EXPECT_EQ(del.method, "POST");
  EXPECT_NE(del.body.find("<VersionId>v1</VersionId>"), std::string::npos);
  EXPECT_NE(del.body.find("<VersionId>d1</VersionId>"), std::string::npos);
}

TEST_F(S3ProviderTest, AuthFailureIsAuthKindWithTheS3Code) {
  http_.push(FakeClient::response(
      403, "<Error><Code>SignatureDoesNotMatch</Code><Message></Message></Error>"));
  auto r = provider_->read("container", "lake-dev-bronze/raw");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, FailureKind::kAuth);
  EXPECT_NE(r.error().message.find("403"), std::string::npos) << r.error().message;
}

TEST_F(S3ProviderTest, InvalidIdsAreRefusedWithoutARequest) {
  EXPECT_FALSE(provider_->read("zone", "a/b").has_value());
  EXPECT_FALSE(provider_->read("container", "bucket").has_value());
  EXPECT_FALSE(provider_->read("grant", "role-without-policy").has_value());
  EXPECT_FALSE(provider_->read("grant", "a/b/c").has_value());
  EXPECT_FALSE(provider_->read("mount", "x").has_value());
  EXPECT_EQ(http_.requests().size(), 0u);
}

// Roles and grants (IAM). Request bodies are matched by their Action.

/// A role as RGW describes it, with these tags and trust policy document.
std::string role_xml(const std::string& name, const Tags& tags,
                     const std::string& trust = R"({"Statement":[]})") {
  std::string xml = "<GetRoleResponse><GetRoleResult><Role><RoleName>" + name +
                    "</RoleName><Path>/</Path><Arn>arn:aws:iam:::role/" + name +
                    "</Arn><AssumeRolePolicyDocument>" + trust +
                    "\n</AssumeRolePolicyDocument><Tags>";
  for (const auto& [k, v] : tags)
    xml += "<Key><Key>" + k + "</Key></Key><Value><Value>" + v + "</Value></Value>";
  return xml + "</Tags></Role></GetRoleResult></GetRoleResponse>";
}

constexpr const char* kMissing = "<Error><Code>NoSuchEntity</Code><Message></Message></Error>";

std::string action_of(const http::Request& r) {
  size_t start = r.body.find("Action=");
  if (start == std::string::npos)
    return "";
  start += 7;
  return r.body.substr(start, r.body.find('&', start) - start);
}

std::vector<std::string> actions(const FakeClient& http) {
  std::vector<std::string> out;
  for (const auto& r : http.requests())
    out.push_back(action_of(r));
  return out;
}

config::DesiredResource desired_role(const std::string& name = "h-dev-analyst") {
  config::DesiredResource d;
  d.type = "role";
  d.provider_id = name;
  d.attributes = {
      {"name", "analyst"},
      {"clearance", "internal"},
      {"phi", false},
      {"trust_policy", {{"Version", "2012-10-17"}, {"Statement", config::Attributes::array()}}},
      {"tags",
       {{"lakeinfra:lake", "h"},
        {"lakeinfra:role", "analyst"},
        {"lakeinfra:clearance", "internal"},
        {"lakeinfra:phi", "false"},
        {"lakeinfra:managed-by", "lakeinfra"}}}};
  return d;
}

const Tags kOurTags = {{"lakeinfra:lake", "h"},
                       {"lakeinfra:role", "analyst"},
                       {"lakeinfra:clearance", "internal"},
                       {"lakeinfra:phi", "false"},
                       {"lakeinfra:managed-by", "lakeinfra"}};
const std::string kTrust = R"({"Statement":[],"Version":"2012-10-17"})";

TEST_F(S3ProviderTest, DescribesRolesAndGrants) {
  EXPECT_EQ(provider_->describe("role", "h-dev-analyst"), "iam role h-dev-analyst");
  EXPECT_EQ(provider_->describe("grant", "h-dev-analyst/lakeinfra.gold"),
            "iam role h-dev-analyst, inline policy lakeinfra.gold");
  EXPECT_TRUE(provider_->manages("role"));
  EXPECT_TRUE(provider_->manages("grant"));
  EXPECT_FALSE(provider_->requires_replace("role", "name"));
  EXPECT_FALSE(provider_->requires_replace("grant", "zone"));
  EXPECT_FALSE(provider_->requires_replace("grant", "container"));
  EXPECT_TRUE(provider_->requires_replace("zone", "name"));
  EXPECT_EQ(provider_->count_data("role", "r", {}).value(), 0u);
  EXPECT_EQ(provider_->count_data("grant", "r/p", {}).value(), 0u);
  EXPECT_EQ(http_.calls(), 0u);
}

TEST_F(S3ProviderTest, ReadRoleKeepsOurTagsAndParsesTheTrustPolicy) {
  Tags tags = kOurTags;
  tags["owner"] = "someone";
  http_.push(FakeClient::response(200, role_xml("h-dev-analyst", tags, kTrust)));
  auto r = provider_->read("role", "h-dev-analyst");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(*r);
  EXPECT_FALSE((*r)->unmanaged);
  EXPECT_EQ((*r)->attributes["trust_policy"], desired_role().attributes["trust_policy"]);
  EXPECT_EQ((*r)->attributes["tags"], desired_role().attributes["tags"]);
}

TEST_F(S3ProviderTest, ReadRoleWithoutOurMarkerIsUnmanagedAndMissingIsNullopt) {
  http_.push(FakeClient::response(200, role_xml("r", {{"owner", "x"}})));
  http_.push(FakeClient::response(404, kMissing));
  auto r = provider_->read("role", "r");
  ASSERT_TRUE(r && *r);
  EXPECT_TRUE((*r)->unmanaged);
  EXPECT_EQ((*r)->attributes["tags"], config::Attributes::object());
  auto missing = provider_->read("role", "r");
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_FALSE(*missing);
}

TEST_F(S3ProviderTest, CreateRoleSendsTrustAndTagsAndRecordsTheDesiredAttributes) {
  http_.push(FakeClient::response(200, role_xml("h-dev-analyst", kOurTags, kTrust)));
  auto made = provider_->create(desired_role());
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(*made, desired_role().attributes) << "nothing the configuration does not declare";
  ASSERT_EQ(actions(http_), (std::vector<std::string>{"CreateRole"}));
  const std::string body = http_.requests()[0].body;
  EXPECT_NE(body.find("AssumeRolePolicyDocument=%7B%22Statement%22%3A%5B%5D%2C%22Version%22%3A%"
                      "222012-10-17%22%7D"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("Tags.member.5.Key=lakeinfra%3Arole&Tags.member.5.Value=analyst"),
            std::string::npos)
      << body;
}

TEST_F(S3ProviderTest, CreateRoleAdoptsOursAndFixesTrustAndTags) {
  Tags have = kOurTags;
  have["lakeinfra:clearance"] = "public";  // drifted
  have["lakeinfra:old"] = "x";             // ours, no longer wanted
  have["owner"] = "someone";               // foreign: left alone
  http_.push(FakeClient::response(409, "<Error><Code>EntityAlreadyExists</Code></Error>"));
  http_.push(FakeClient::response(200, role_xml("h-dev-analyst", have, R"({"Statement":[1]})")));
  http_.push(FakeClient::response(200, "<UpdateAssumeRolePolicyResponse/>"));
  http_.push(FakeClient::response(200, "<UntagRoleResponse/>"));
  http_.push(FakeClient::response(200, "<TagRoleResponse/>"));
  auto made = provider_->create(desired_role());
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(*made, desired_role().attributes);
  ASSERT_EQ(actions(http_),
            (std::vector<std::string>{"CreateRole", "GetRole", "UpdateAssumeRolePolicy",
                                      "UntagRole", "TagRole"}));
  auto requests = http_.requests();
  EXPECT_NE(requests[3].body.find("TagKeys.member.1=lakeinfra%3Aold&Version"), std::string::npos)
      << requests[3].body;
  EXPECT_NE(requests[4].body.find(
                "RoleName=h-dev-analyst&Tags.member.1.Key=lakeinfra%3Aclearance&Tags.member.1."
                "Value=internal&Version"),
            std::string::npos)
      << requests[4].body;
}

TEST_F(S3ProviderTest, CreateRoleRefusesSomeoneElsesRole) {
  http_.push(FakeClient::response(409, "<Error><Code>EntityAlreadyExists</Code></Error>"));
  http_.push(FakeClient::response(200, role_xml("h-dev-analyst", {{"owner", "x"}})));
  auto made = provider_->create(desired_role());
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().kind, FailureKind::kConflict);
  EXPECT_EQ(made.error().message,
            "iam role h-dev-analyst already exists and is not lakeinfra's (it lacks the tag "
            "lakeinfra:managed-by=lakeinfra); refusing to adopt it");
  EXPECT_EQ(http_.calls(), 2u);
}

TEST_F(S3ProviderTest, CreateRoleRefusesAnotherLakesRole) {
  Tags other = kOurTags;
  other["lakeinfra:lake"] = "other";
  http_.push(FakeClient::response(409, "<Error><Code>EntityAlreadyExists</Code></Error>"));
  http_.push(FakeClient::response(200, role_xml("h-dev-analyst", other)));
  auto made = provider_->create(desired_role());
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().kind, FailureKind::kConflict);
  EXPECT_NE(made.error().message.find("belongs to lake \"other\""), std::string::npos)
      << made.error().message;
}

TEST_F(S3ProviderTest, UpdateRoleInSyncSendsOnlyTheRead) {
  http_.push(FakeClient::response(200, role_xml("h-dev-analyst", kOurTags, kTrust)));
  auto updated = provider_->update(record("role", "h-dev-analyst"), desired_role());
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(actions(http_), (std::vector<std::string>{"GetRole"}));
}

TEST_F(S3ProviderTest, UpdateOfMissingRoleIsNotFound) {
  http_.push(FakeClient::response(404, kMissing));
  auto updated = provider_->update(record("role", "h-dev-analyst"), desired_role());
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().kind, FailureKind::kNotFound);
}

TEST_F(S3ProviderTest, RemoveRoleDeletesItsPoliciesFirst) {
  http_.push(FakeClient::response(
      200,
      "<ListRolePoliciesResponse><ListRolePoliciesResult><PolicyNames><member>lakeinfra.gold"
      "</member><member>handmade</member></PolicyNames></ListRolePoliciesResult>"
      "</ListRolePoliciesResponse>"));
  http_.push(FakeClient::response(200, "<DeleteRolePolicyResponse/>"));
  http_.push(FakeClient::response(200, "<DeleteRolePolicyResponse/>"));
  http_.push(FakeClient::response(200, "<DeleteRoleResponse/>"));
  auto removed = provider_->remove(record("role", "h-dev-analyst"), false);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(actions(http_), (std::vector<std::string>{"ListRolePolicies", "DeleteRolePolicy",
                                                      "DeleteRolePolicy", "DeleteRole"}));
  EXPECT_NE(http_.requests()[2].body.find("PolicyName=handmade"), std::string::npos);
}

TEST_F(S3ProviderTest, RemoveOfMissingRoleSucceeds) {
  http_.push(FakeClient::response(404, kMissing));
  auto removed = provider_->remove(record("role", "h-dev-analyst"), false);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(http_.calls(), 1u);
}

TEST_F(S3ProviderTest, GrantsAreInlinePolicies) {
  config::DesiredResource grant;
  grant.type = "grant";
  grant.provider_id = "h-dev-analyst/lakeinfra.gold";
  grant.attributes = {{"role", "analyst"},
                      {"zone", "gold"},
                      {"container", ""},
                      {"access", "read"},
                      {"policy", {{"Statement", {{{"Resource", {"arn:aws:s3:::b/*"}}}}}}}};
  http_.push(FakeClient::response(200, "<PutRolePolicyResponse/>"));
  http_.push(FakeClient::response(200, "<PutRolePolicyResponse/>"));
  http_.push(FakeClient::response(
      200,
      "<GetRolePolicyResponse><GetRolePolicyResult><PolicyDocument>{&quot;Statement&quot;:[{&quot;"
      "Resource&quot;:[&quot;arn:aws:s3:::b/*&quot;]}]}\n</PolicyDocument></GetRolePolicyResult>"
      "</GetRolePolicyResponse>"));
  http_.push(FakeClient::response(
      200,
      "<GetRolePolicyResponse><GetRolePolicyResult><PolicyDocument>not json</PolicyDocument>"
      "</GetRolePolicyResult></GetRolePolicyResponse>"));
  http_.push(FakeClient::response(404, kMissing));
  http_.push(FakeClient::response(404, kMissing));

  auto made = provider_->create(grant);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(*made, grant.attributes);
  ASSERT_TRUE(provider_->update(record("grant", grant.provider_id), grant));
  auto read = provider_->read("grant", grant.provider_id);
  ASSERT_TRUE(read && *read);
  EXPECT_EQ((*read)->attributes["policy"], grant.attributes["policy"]);
  auto drifted = provider_->read("grant", grant.provider_id);
  ASSERT_TRUE(drifted && *drifted);
  EXPECT_EQ((*drifted)->attributes["policy"], "not json");
  auto missing = provider_->read("grant", grant.provider_id);
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_FALSE(*missing);
  ASSERT_TRUE(provider_->remove(record("grant", grant.provider_id), false));

  EXPECT_EQ(actions(http_),
            (std::vector<std::string>{"PutRolePolicy", "PutRolePolicy", "GetRolePolicy",
                                      "GetRolePolicy", "GetRolePolicy", "DeleteRolePolicy"}));
  EXPECT_EQ(http_.requests()[0].body,
            "Action=PutRolePolicy&RoleName=h-dev-analyst&PolicyName=lakeinfra.gold&PolicyDocument="
            "%7B%22Statement%22%3A%5B%7B%22Resource%22%3A%5B%22arn%3Aaws%3As3%3A%3A%3Ab%2F%2A%22%"
            "5D%7D%5D%7D&Version=2010-05-08");
}

TEST_F(S3ProviderTest, IamCallsGoThroughTheIamClientWhenGiven) {
  FakeClient iam_http;
  S3ClientConfig config;
  config.endpoint = "https://iam.amazonaws.com";
  config.retry.max_attempts = 1;
  auto storage = S3Client::create(http_, {"AKID", "SECRET", ""}, {}, clock_);
  auto iam = S3Client::create(iam_http, {"AKID", "SECRET", ""}, config, clock_);
  ASSERT_TRUE(storage && iam);
  auto provider = make_s3_provider(nullptr, std::move(*storage), fs_, std::move(*iam));
  iam_http.push(FakeClient::response(404, kMissing));
  auto r = provider->read("role", "r");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(http_.calls(), 0u);
  ASSERT_EQ(iam_http.calls(), 1u);
  EXPECT_EQ(iam_http.requests()[0].url, "https://iam.amazonaws.com/");
}

// RGW updates a role and its inline policies read-modify-write: two PutRolePolicy calls on one
// role at once lose a policy. Changes to one role are serialised; other roles run in parallel.
TEST_F(S3ProviderTest, ChangesToOneRoleNeverOverlapButOtherRolesRunInParallel) {
  std::mutex mu;
  std::map<std::string, int> in_flight;  // role → PutRolePolicy calls being answered
  std::map<std::string, int> most;       // role → the most at once
  int all_in_flight = 0, most_overall = 0;
  http_.set_handler([&](const http::Request& request) -> FakeClient::Reply {
    size_t at = request.body.find("RoleName=");
    std::string role = request.body.substr(at + 9, request.body.find('&', at) - at - 9);
    {
      std::lock_guard<std::mutex> hold(mu);
      most[role] = std::max(most[role], ++in_flight[role]);
      most_overall = std::max(most_overall, ++all_in_flight);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    {
      std::lock_guard<std::mutex> hold(mu);
      --in_flight[role];
      --all_in_flight;
    }
    return FakeClient::response(200, "<PutRolePolicyResponse/>");
  });
  auto grant = [](const std::string& role, const std::string& zone) {
    config::DesiredResource g;
    g.type = "grant";
    g.provider_id = role + "/lakeinfra." + zone;
    g.attributes = {{"policy", {{"Statement", nlohmann::json::array()}}}};
    return g;
  };
  std::vector<std::thread> workers;
  for (const std::string role : {"role-a", "role-b"}) {
    for (const std::string zone : {"bronze", "silver", "gold"}) {
      workers.emplace_back([&, role, zone] {
        auto made = provider_->create(grant(role, zone));
        EXPECT_TRUE(made) << made.error().message;
      });
    }
  }
  for (auto& w : workers)
    w.join();
  EXPECT_EQ(http_.calls(), 6u);
  EXPECT_EQ(most["role-a"], 1);
  EXPECT_EQ(most["role-b"], 1);
  EXPECT_EQ(most_overall, 2) << "different roles are changed in parallel";
}

}  // namespace
}  // namespace lakeinfra::providers::s3
