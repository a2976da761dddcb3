// IamClient over a FakeClient: the form bodies it sends, and how it reads AWS's and Ceph RGW's
// answers (RGW's bodies below are copied from a Ceph 16.2 radosgw).

#include "providers/s3/iam.h"

#include <gtest/gtest.h>

#include "providers/http/fake_client.h"
#include "providers/s3/s3_xml.h"

namespace lakeinfra::providers::s3 {
namespace {

using http::FakeClient;

constexpr const char* kRgwRole =
    "<GetRoleResponse><ResponseMetadata><RequestId>tx1</RequestId></ResponseMetadata>"
    "<GetRoleResult><Role><RoleId>b288</RoleId><RoleName>t-analyst</RoleName><Path>/</Path>"
    "<Arn>arn:aws:iam:::role/t-analyst</Arn><MaxSessionDuration>3600</MaxSessionDuration>"
    "<AssumeRolePolicyDocument>{&quot;Version&quot;:&quot;2012-10-17&quot;,&quot;Statement&quot;:"
    "[]}\n</AssumeRolePolicyDocument><Tags><Key><Key>lakeinfra:clearance</Key></Key><Value>"
    "<Value>internal</Value></Value><Key><Key>x</Key></Key><Value><Value>y</Value></Value>"
    "</Tags></Role></GetRoleResult></GetRoleResponse>";

constexpr const char* kAwsRole =
    "<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetRoleResult><Role>"
    "<Path>/</Path><AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement"
    "%22%3A%5B%5D%7D</AssumeRolePolicyDocument><RoleName>t-analyst</RoleName>"
    "<Arn>arn:aws:iam::123456789012:role/t-analyst</Arn><Tags><member><Key>lakeinfra:lake</Key>"
    "<Value>healthetl</Value></member><member><Key>team</Key><Value>a b</Value></member></Tags>"
    "</Role></GetRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>"
    "</GetRoleResponse>";

constexpr const char* kNoSuchEntity =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchEntity</Code><Message>"
    "</Message><RequestId>tx2</RequestId><HostId>101a-default-default</HostId></Error>";

std::string policies_xml(const std::vector<std::string>& names, const std::string& marker = {}) {
  std::string xml = "<ListRolePoliciesResponse><ListRolePoliciesResult><PolicyNames>";
  for (const auto& n : names)
    xml += "<member>" + n + "</member>";
  xml += "</PolicyNames>";
  if (!marker.empty())
    xml += "<IsTruncated>true</IsTruncated><Marker>" + marker + "</Marker>";
  return xml + "</ListRolePoliciesResult></ListRolePoliciesResponse>";
}

TEST(IamXml, ParsesRgwRoleWithItsAlternatingTagShape) {
  auto role = parse_role(kRgwRole);
  ASSERT_TRUE(role) << role.error();
  EXPECT_EQ(role->name, "t-analyst");
  EXPECT_EQ(role->arn, "arn:aws:iam:::role/t-analyst");
  EXPECT_EQ(role->path, "/");
  EXPECT_EQ(role->trust_policy, "{\"Version\":\"2012-10-17\",\"Statement\":[]}\n");
  EXPECT_EQ(role->tags, (Tags{{"lakeinfra:clearance", "internal"}, {"x", "y"}}));
}

TEST(IamXml, ParsesAwsRoleWithMemberTagsAndEncodedPolicy) {
  auto role = parse_role(kAwsRole);
  ASSERT_TRUE(role) << role.error();
  EXPECT_EQ(role->arn, "arn:aws:iam::123456789012:role/t-analyst");
  EXPECT_EQ(role->trust_policy, "{\"Version\":\"2012-10-17\",\"Statement\":[]}");
  EXPECT_EQ(role->tags, (Tags{{"lakeinfra:lake", "healthetl"}, {"team", "a b"}}));
}

TEST(IamXml, RoleWithoutTagsAndCreateRoleResponse) {
  auto role = parse_role(
      "<CreateRoleResponse><CreateRoleResult><Role><RoleName>r</RoleName><Arn>arn:aws:iam:::"
      "role/r</Arn><AssumeRolePolicyDocument>{}</AssumeRolePolicyDocument></Role>"
      "</CreateRoleResult></CreateRoleResponse>");
  ASSERT_TRUE(role) << role.error();
  EXPECT_EQ(role->name, "r");
  EXPECT_TRUE(role->tags.empty());
}

TEST(IamXml, RefusesDocumentsWithoutARole) {
  EXPECT_EQ(parse_role("<GetRoleResponse/>").error(), "expected a result in <GetRoleResponse>");
  EXPECT_EQ(parse_role("<GetRoleResponse><GetRoleResult/></GetRoleResponse>").error(),
            "expected <Role> in <GetRoleResult>");
  EXPECT_FALSE(parse_role("<GetRole").has_value());
}

TEST(IamXml, PolicyDocumentsPlainAndUrlEncoded) {
  auto plain = parse_role_policy(
      "<GetRolePolicyResponse><GetRolePolicyResult><PolicyName>p</PolicyName><PolicyDocument>"
      "{&quot;Statement&quot;:[{&quot;Resource&quot;:[&quot;arn:aws:s3:::b/*&quot;]}]}\n"
      "</PolicyDocument></GetRolePolicyResult></GetRolePolicyResponse>");
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_EQ(*plain, "{\"Statement\":[{\"Resource\":[\"arn:aws:s3:::b/*\"]}]}\n");
  auto encoded = parse_role_policy(
      "<GetRolePolicyResponse><GetRolePolicyResult><PolicyDocument>%7B%0A%20%20%22Statement%22"
      "%3A%20%5B%22arn%3Aaws%3As3%3A%3A%3Ab%2F%2A%22%5D%7D</PolicyDocument>"
      "</GetRolePolicyResult></GetRolePolicyResponse>");
  ASSERT_TRUE(encoded) << encoded.error();
  EXPECT_EQ(*encoded, "{\n  \"Statement\": [\"arn:aws:s3:::b/*\"]}");
  EXPECT_EQ(decode_policy_document("{\"a\":\"100%\"}"), "{\"a\":\"100%\"}");
  EXPECT_EQ(decode_policy_document("%7B%7d%zz%"), "{}%zz%");
}

TEST(IamXml, PolicyNamesAndPagination) {
  auto page = parse_role_policy_names(policies_xml({"lakeinfra.gold.curated", "b"}));
  ASSERT_TRUE(page) << page.error();
  EXPECT_EQ(page->names, (std::vector<std::string>{"lakeinfra.gold.curated", "b"}));
  EXPECT_FALSE(page->truncated);
  auto first = parse_role_policy_names(policies_xml({"a"}, "m1"));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->truncated);
  EXPECT_EQ(first->marker, "m1");
}

TEST(IamForm, EncodesJsonDocumentsAndEndsWithTheVersion) {
  EXPECT_EQ(iam_form_body("PutRolePolicy", {{"RoleName", "r"},
                                            {"PolicyDocument", "{\"R\":[\"arn:aws:s3:::b/*\"]}"}}),
            "Action=PutRolePolicy&RoleName=r&PolicyDocument=%7B%22R%22%3A%5B%22arn%3Aaws%3As3%3A%"
            "3A%3Ab%2F%2A%22%5D%7D&Version=2010-05-08");
  EXPECT_EQ(iam_form_body("GetRole", {{"RoleName", "a b+c&d=e"}}),
            "Action=GetRole&RoleName=a%20b%2Bc%26d%3De&Version=2010-05-08");
}

class IamClientTest : public ::testing::Test {
 protected:
  IamClientTest() {
    S3ClientConfig config;
    config.endpoint = "http://127.0.0.1:7480";
    config.retry.max_attempts = 1;
    auto client = S3Client::create(http_, {"AKID", "SECRET", ""}, config, clock_);
    EXPECT_TRUE(client.has_value());
    client_ = std::move(*client);
    iam_ = std::make_unique<IamClient>(*client_);
  }
  const http::Request& request(size_t i) const {
    requests_ = http_.requests();
    return requests_.at(i);
  }

  config::ManualClock clock_;
  FakeClient http_;
  std::unique_ptr<S3Client> client_;
  std::unique_ptr<IamClient> iam_;
  mutable std::vector<http::Request> requests_;
};

TEST_F(IamClientTest, GetRoleSignsAnIamPost) {
  http_.push(FakeClient::response(200, kRgwRole));
  auto role = iam_->get_role("t-analyst");
  ASSERT_TRUE(role) << role.error().str();
  ASSERT_TRUE(*role);
  EXPECT_EQ((*role)->name, "t-analyst");
  const auto& r = request(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://127.0.0.1:7480/");
  EXPECT_EQ(r.body, "Action=GetRole&RoleName=t-analyst&Version=2010-05-08");
  bool signed_for_iam = false;
  bool form = false;
  for (const auto& [name, value] : r.headers) {
    if (name == "Authorization")
      signed_for_iam = value.find("/us-east-1/iam/aws4_request") != std::string::npos;
    if (name == "Content-Type")
      form = value.starts_with("application/x-www-form-urlencoded");
  }
  EXPECT_TRUE(signed_for_iam);
  EXPECT_TRUE(form);
}

TEST_F(IamClientTest, MissingRoleIsNullopt) {
  http_.push(FakeClient::response(404, kNoSuchEntity));
  auto role = iam_->get_role("nope");
  ASSERT_TRUE(role) << role.error().str();
  EXPECT_FALSE(*role);
}

TEST_F(IamClientTest, OtherFailuresAreFailures) {
  http_.push(FakeClient::response(403, "<Error><Code>AccessDenied</Code></Error>"));
  auto role = iam_->get_role("r");
  ASSERT_FALSE(role);
  EXPECT_EQ(role.error().kind, S3FailureKind::kAuth);
  EXPECT_EQ(role.error().operation, "GetRole");
}

TEST_F(IamClientTest, CreateRoleSendsPathPolicyAndTags) {
  http_.push(FakeClient::response(200, kRgwRole));
  auto made = iam_->create_role("t-analyst", "{\"Statement\":[]}",
                                {{"lakeinfra:lake", "h"}, {"lakeinfra:managed-by", "lakeinfra"}});
  ASSERT_TRUE(made) << made.error().str();
  EXPECT_EQ(made->arn, "arn:aws:iam:::role/t-analyst");
  EXPECT_EQ(request(0).body,
            "Action=CreateRole&RoleName=t-analyst&Path=%2F&AssumeRolePolicyDocument=%7B%22Statement"
            "%22%3A%5B%5D%7D&Tags.member.1.Key=lakeinfra%3Alake&Tags.member.1.Value=h"
            "&Tags.member.2.Key=lakeinfra%3Amanaged-by&Tags.member.2.Value=lakeinfra"
            "&Version=2010-05-08");
}

TEST_F(IamClientTest, CreateRoleThatExistsIsAConflict) {
  http_.push(FakeClient::response(409, "<Error><Code>EntityAlreadyExists</Code></Error>"));
  auto made = iam_->create_role("r", "{}", {});
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().kind, S3FailureKind::kConflict);
  EXPECT_EQ(made.error().code, "EntityAlreadyExists");
}

TEST_F(IamClientTest, TagUntagAndTrustPolicyBodies) {
  http_.push(FakeClient::response(200, "<TagRoleResponse/>"));
  http_.push(FakeClient::response(200, "<UntagRoleResponse/>"));
  http_.push(FakeClient::response(200, "<UpdateAssumeRolePolicyResponse/>"));
  ASSERT_TRUE(iam_->tag_role("r", {{"k", "v"}}));
  ASSERT_TRUE(iam_->untag_role("r", {"a", "lakeinfra:phi"}));
  ASSERT_TRUE(iam_->update_assume_role_policy("r", "{}"));
  EXPECT_EQ(request(0).body,
            "Action=TagRole&RoleName=r&Tags.member.1.Key=k&Tags.member.1.Value=v"
            "&Version=2010-05-08");
  EXPECT_EQ(request(1).body,
            "Action=UntagRole&RoleName=r&TagKeys.member.1=a&TagKeys.member.2=lakeinfra%3Aphi"
            "&Version=2010-05-08");
  EXPECT_EQ(request(2).body,
            "Action=UpdateAssumeRolePolicy&RoleName=r&PolicyDocument=%7B%7D&Version=2010-05-08");
  // Nothing to tag or untag sends nothing.
  ASSERT_TRUE(iam_->tag_role("r", {}));
  ASSERT_TRUE(iam_->untag_role("r", {}));
  EXPECT_EQ(http_.calls(), 3u);
}

TEST_F(IamClientTest, DeletesSucceedWhenAlreadyGone) {
  http_.push(FakeClient::response(404, kNoSuchEntity));
  // RGW's answer to DeleteRolePolicy of a missing policy: two documents glued together.
  http_.push(FakeClient::response(
      404,
      "<DeleteRolePoliciesResponse><ResponseMetadata><RequestId>tx3</RequestId>"
      "</ResponseMetadata></DeleteRolePoliciesResponse>" +
          std::string(kNoSuchEntity)));
  EXPECT_TRUE(iam_->delete_role("r"));
  EXPECT_TRUE(iam_->delete_role_policy("r", "p"));
  EXPECT_EQ(request(1).body, "Action=DeleteRolePolicy&RoleName=r&PolicyName=p&Version=2010-05-08");
}

TEST_F(IamClientTest, DeleteRoleWithPoliciesLeftIsAConflict) {
  http_.push(FakeClient::response(409, "<Error><Code>DeleteConflict</Code></Error>"));
  auto r = iam_->delete_role("r");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, S3FailureKind::kConflict);
}

TEST_F(IamClientTest, ListRolePoliciesFollowsMarkers) {
  http_.push(FakeClient::response(200, policies_xml({"a", "b"}, "m 1")));
  http_.push(FakeClient::response(200, policies_xml({"c"})));
  auto names = iam_->list_role_policies("r");
  ASSERT_TRUE(names) << names.error().str();
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(request(0).body, "Action=ListRolePolicies&RoleName=r&Version=2010-05-08");
  EXPECT_EQ(request(1).body, "Action=ListRolePolicies&RoleName=r&Marker=m%201&Version=2010-05-08");
}

TEST_F(IamClientTest, ListRolePoliciesOfMissingRoleIsNotFound) {
  http_.push(FakeClient::response(404, kNoSuchEntity));
  auto names = iam_->list_role_policies("r");
  ASSERT_FALSE(names);
  EXPECT_EQ(names.error().kind, S3FailureKind::kNotFound);
}

TEST_F(IamClientTest, GetAndPutRolePolicy) {
  http_.push(FakeClient::response(
      200,
      "<GetRolePolicyResponse><GetRolePolicyResult><PolicyDocument>%7B%7D</PolicyDocument>"
      "</GetRolePolicyResult></GetRolePolicyResponse>"));
  http_.push(FakeClient::response(404, kNoSuchEntity));
  http_.push(FakeClient::response(200, "<PutRolePolicyResponse/>"));
  auto got = iam_->get_role_policy("r", "lakeinfra.gold");
  ASSERT_TRUE(got) << got.error().str();
  EXPECT_EQ(*got, std::optional<std::string>("{}"));
  auto missing = iam_->get_role_policy("r", "nope");
  ASSERT_TRUE(missing) << missing.error().str();
  EXPECT_FALSE(*missing);
  ASSERT_TRUE(iam_->put_role_policy("r", "lakeinfra.gold", "{\"Effect\":\"Allow\"}"));
  EXPECT_EQ(request(0).body,
            "Action=GetRolePolicy&RoleName=r&PolicyName=lakeinfra.gold&Version=2010-05-08");
  EXPECT_EQ(request(2).body,
            "Action=PutRolePolicy&RoleName=r&PolicyName=lakeinfra.gold&PolicyDocument=%7B%22Effect"
            "%22%3A%22Allow%22%7D&Version=2010-05-08");
}

TEST_F(IamClientTest, UnreadableSuccessIsInternal) {
  http_.push(FakeClient::response(200, "not xml"));
  auto role = iam_->get_role("r");
  ASSERT_FALSE(role);
  EXPECT_EQ(role.error().kind, S3FailureKind::kInternal);
}

}  // namespace
}  // namespace lakeinfra::providers::s3
