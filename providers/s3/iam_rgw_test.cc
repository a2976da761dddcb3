// IamClient and the S3 provider's roles and grants against a real Ceph RGW (16.2). Skipped
// unless LAKEINFRA_RGW_ENV names the s3.env file of tests/support/rgw/rgw-up.sh (ctest sets it
// when the `rgw` fixture runs). Every test uses its own role names and removes its roles.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "config/filesystem.h"
#include "config/system.h"
#include "providers/http/curl_client.h"
#include "providers/s3/iam.h"
#include "providers/s3/s3_provider.h"
#include "tests/support/rgw_env.h"

namespace lakeinfra::providers::s3 {
namespace {

using config::Attributes;

const Attributes kDenyAll = Attributes::parse(R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Deny","Principal":{"AWS":["*"]},"Action":["sts:AssumeRole"]}]})");

/// A policy shaped like the planner's grant_policy: Sids, a prefix Condition, ARN wildcards.
Attributes read_policy(const std::string& bucket) {
  return {{"Version", "2012-10-17"},
          {"Statement",
           {{{"Sid", "List"},
             {"Effect", "Allow"},
             {"Action", {"s3:ListBucket"}},
             {"Resource", {"arn:aws:s3:::" + bucket}},
             {"Condition", {{"StringLike", {{"s3:prefix", {"raw/", "raw/*"}}}}}}},
            {{"Sid", "Read"},
             {"Effect", "Allow"},
             {"Action", {"s3:GetObject"}},
             {"Resource", {"arn:aws:s3:::" + bucket + "/raw/*"}}}}}};
}

class RgwIam : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv(test_support::kRgwEnvVariable);
    if (path == nullptr || *path == '\0')
      GTEST_SKIP() << "LAKEINFRA_RGW_ENV is not set (run through ctest, or point it at the s3.env "
                      "of tests/support/rgw/rgw-up.sh)";
    auto env = test_support::load_rgw_env();
    ASSERT_TRUE(env) << env.error();
    env_ = *env;
    client_ = make_client();
    ASSERT_TRUE(client_);
    iam_ = std::make_unique<IamClient>(*client_);
  }

  void TearDown() override {
    if (!iam_)
      return;
    for (const auto& role : roles_) {
      auto policies = iam_->list_role_policies(role);
      if (policies) {
        for (const auto& p : *policies)
          EXPECT_TRUE(iam_->delete_role_policy(role, p));
      }
      auto deleted = iam_->delete_role(role);
      EXPECT_TRUE(deleted) << deleted.error().str();
    }
  }

  std::unique_ptr<S3Client> make_client() {
    S3ClientConfig config;
    config.endpoint = env_.endpoint;
    config.region = env_.region;
    auto made = S3Client::create(http_, {env_.access_key, env_.secret_key, ""}, config, clock_);
    EXPECT_TRUE(made) << made.error().str();
    return made ? std::move(*made) : nullptr;
  }

  /// A role name no other test or run uses, deleted (with its policies) after the test.
  std::string unique_role(const std::string& prefix) {
    std::string name = test_support::unique_bucket_name("iam-" + prefix);
    roles_.push_back(name);
    return name;
  }

  test_support::RgwEnv env_;
  http::CurlClient http_;
  config::SystemClock clock_;
  std::unique_ptr<S3Client> client_;
  std::unique_ptr<IamClient> iam_;
  std::vector<std::string> roles_;
};

TEST_F(RgwIam, ClientRoleLifecycle) {
  std::string name = unique_role("client");
  auto before = iam_->get_role(name);
  ASSERT_TRUE(before) << before.error().str();
  EXPECT_FALSE(*before);

  Tags tags = {{"lakeinfra:managed-by", "lakeinfra"}, {"lakeinfra:clearance", "internal"}};
  auto made = iam_->create_role(name, kDenyAll.dump(), tags);
  ASSERT_TRUE(made) << made.error().str();
  EXPECT_EQ(made->arn, "arn:aws:iam:::role/" + name);
  auto again = iam_->create_role(name, kDenyAll.dump(), tags);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, S3FailureKind::kConflict);
  EXPECT_EQ(again.error().code, "EntityAlreadyExists");

  auto got = iam_->get_role(name);
  ASSERT_TRUE(got) << got.error().str();
  ASSERT_TRUE(*got);
  EXPECT_EQ((*got)->name, name);
  EXPECT_EQ((*got)->path, "/");
  EXPECT_EQ((*got)->arn, "arn:aws:iam:::role/" + name);
  EXPECT_EQ(Attributes::parse((*got)->trust_policy), kDenyAll);
  EXPECT_EQ((*got)->tags, tags);

  // Trust policy and tags change in place.
  Attributes deny_one = kDenyAll;
  deny_one["Statement"][0]["Principal"]["AWS"] = {"arn:aws:iam:::user/" + env_.user};
  auto trust = iam_->update_assume_role_policy(name, deny_one.dump());
  ASSERT_TRUE(trust) << trust.error().str();
  ASSERT_TRUE(iam_->tag_role(name, {{"lakeinfra:clearance", "restricted"}, {"x", "a b/c:d"}}));
  ASSERT_TRUE(iam_->untag_role(name, {"lakeinfra:managed-by", "absent"}));
  got = iam_->get_role(name);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(Attributes::parse((*got)->trust_policy), deny_one);
  EXPECT_EQ((*got)->tags, (Tags{{"lakeinfra:clearance", "restricted"}, {"x", "a b/c:d"}}));

  // Inline policies.
  auto none = iam_->list_role_policies(name);
  ASSERT_TRUE(none) << none.error().str();
  EXPECT_TRUE(none->empty());
  auto missing = iam_->get_role_policy(name, "lakeinfra.gold");
  ASSERT_TRUE(missing) << missing.error().str();
  EXPECT_FALSE(*missing);
  for (const char* policy : {"lakeinfra.gold", "lakeinfra.silver.curated"}) {
    auto put = iam_->put_role_policy(name, policy, read_policy("b-" + std::string(policy)).dump());
    ASSERT_TRUE(put) << put.error().str();
  }
  auto listed = iam_->list_role_policies(name);
  ASSERT_TRUE(listed) << listed.error().str();
  EXPECT_EQ(*listed, (std::vector<std::string>{"lakeinfra.gold", "lakeinfra.silver.curated"}));
  auto document = iam_->get_role_policy(name, "lakeinfra.gold");
  ASSERT_TRUE(document && *document);
  EXPECT_EQ(Attributes::parse(**document), read_policy("b-lakeinfra.gold"));

  // A role with policies cannot be deleted; deleting what is gone succeeds.
  auto conflict = iam_->delete_role(name);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().kind, S3FailureKind::kConflict);
  ASSERT_TRUE(iam_->delete_role_policy(name, "lakeinfra.gold"));
  auto gone_policy = iam_->delete_role_policy(name, "lakeinfra.gold");
  EXPECT_TRUE(gone_policy) << gone_policy.error().str();
  ASSERT_TRUE(iam_->delete_role_policy(name, "lakeinfra.silver.curated"));
  auto deleted = iam_->delete_role(name);
  ASSERT_TRUE(deleted) << deleted.error().str();
  auto deleted_again = iam_->delete_role(name);
  EXPECT_TRUE(deleted_again) << deleted_again.error().str();
  auto after = iam_->get_role(name);
  ASSERT_TRUE(after) << after.error().str();
  EXPECT_FALSE(*after);
  auto policy_of_missing_role = iam_->get_role_policy(name, "lakeinfra.gold");
  ASSERT_TRUE(policy_of_missing_role) << policy_of_missing_role.error().str();
  EXPECT_FALSE(*policy_of_missing_role);
  auto list_of_missing_role = iam_->list_role_policies(name);
  ASSERT_FALSE(list_of_missing_role);
  EXPECT_EQ(list_of_missing_role.error().kind, S3FailureKind::kNotFound);
}

TEST_F(RgwIam, ProviderRoleAndGrantLifecycle) {
  config::RealFileSystem fs;
  auto provider = make_s3_provider(nullptr, make_client(), fs);
  std::string name = unique_role("prov");

  config::DesiredResource role;
  role.type = config::kRoleType;
  role.provider_id = name;
  role.attributes = {{"name", "analyst"},
                     {"clearance", "internal"},
                     {"phi", false},
                     {"trust_policy", kDenyAll},
                     {"tags",
                      {{"lakeinfra:lake", "healthetl"},
                       {"lakeinfra:role", "analyst"},
                       {"lakeinfra:clearance", "internal"},
                       {"lakeinfra:phi", "false"},
                       {"lakeinfra:managed-by", "lakeinfra"}}}};
  auto absent = provider->read("role", name);
  ASSERT_TRUE(absent) << absent.error().message;
  EXPECT_FALSE(*absent);

  auto made = provider->create(role);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(*made, role.attributes);
  auto read = provider->read("role", name);
  ASSERT_TRUE(read && *read);
  EXPECT_FALSE((*read)->unmanaged);
  EXPECT_EQ((*read)->attributes["trust_policy"], kDenyAll);
  EXPECT_EQ((*read)->attributes["tags"], role.attributes["tags"]);
  // Creating again adopts it (same lake).
  auto adopted = provider->create(role);
  ASSERT_TRUE(adopted) << adopted.error().message;

  // A foreign tag survives; lakeinfra's tags and the trust policy follow the config.
  ASSERT_TRUE(iam_->tag_role(name, {{"owner", "data-team"}}));
  config::ResourceRecord prior;
  prior.type = config::kRoleType;
  prior.provider_id = name;
  prior.attributes = *made;
  config::DesiredResource changed = role;
  changed.attributes["clearance"] = "restricted";
  changed.attributes["tags"]["lakeinfra:clearance"] = "restricted";
  changed.attributes["tags"].erase("lakeinfra:phi");
  changed.attributes["trust_policy"]["Statement"][0]["Principal"]["AWS"] = {"arn:aws:iam:::user/" +
                                                                            env_.user};
  auto updated = provider->update(prior, changed);
  ASSERT_TRUE(updated) << updated.error().message;
  read = provider->read("role", name);
  ASSERT_TRUE(read && *read);
  EXPECT_EQ((*read)->attributes["trust_policy"], changed.attributes["trust_policy"]);
  EXPECT_EQ((*read)->attributes["tags"], changed.attributes["tags"]);
  auto raw = iam_->get_role(name);
  ASSERT_TRUE(raw && *raw);
  EXPECT_EQ((*raw)->tags.count("owner"), 1u);

  // Another lake's config may not take the role over.
  config::DesiredResource other_lake = role;
  other_lake.attributes["tags"]["lakeinfra:lake"] = "other";
  auto refused = provider->create(other_lake);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, FailureKind::kConflict);

  // Grants.
  config::DesiredResource grant;
  grant.type = config::kGrantType;
  grant.provider_id = name + "/lakeinfra.gold";
  grant.attributes = {{"role", "analyst"},
                      {"zone", "gold"},
                      {"container", ""},
                      {"access", "read"},
                      {"policy", read_policy("healthetl-dev-gold")}};
  auto no_grant = provider->read("grant", grant.provider_id);
  ASSERT_TRUE(no_grant) << no_grant.error().message;
  EXPECT_FALSE(*no_grant);
  ASSERT_TRUE(provider->create(grant));
  auto got = provider->read("grant", grant.provider_id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->attributes["policy"], grant.attributes["policy"]);
  config::DesiredResource wider = grant;
  wider.attributes["policy"]["Statement"][1]["Action"].push_back("s3:PutObject");
  config::ResourceRecord grant_prior;
  grant_prior.type = config::kGrantType;
  grant_prior.provider_id = grant.provider_id;
  grant_prior.attributes = grant.attributes;
  ASSERT_TRUE(provider->update(grant_prior, wider));
  got = provider->read("grant", grant.provider_id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->attributes["policy"], wider.attributes["policy"]);
  auto removed_grant = provider->remove(grant_prior, false);
  ASSERT_TRUE(removed_grant) << removed_grant.error().message;
  ASSERT_TRUE(provider->remove(grant_prior, false));  // already gone
  got = provider->read("grant", grant.provider_id);
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got);

  // Removing the role with policies left removes them too.
  config::DesiredResource second = grant;
  second.provider_id = name + "/lakeinfra.silver.curated";
  ASSERT_TRUE(provider->create(grant));
  ASSERT_TRUE(provider->create(second));
  auto removed = provider->remove(prior, false);
  ASSERT_TRUE(removed) << removed.error().message;
  auto after = provider->read("role", name);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_FALSE(*after);
  auto grant_after = provider->read("grant", second.provider_id);
  ASSERT_TRUE(grant_after) << grant_after.error().message;
  EXPECT_FALSE(*grant_after);
  auto removed_again = provider->remove(prior, false);
  EXPECT_TRUE(removed_again) << removed_again.error().message;
}

TEST_F(RgwIam, ProviderRefusesAHandMadeRole) {
  config::RealFileSystem fs;
  auto provider = make_s3_provider(nullptr, make_client(), fs);
  std::string name = unique_role("hand");
  ASSERT_TRUE(iam_->create_role(name, kDenyAll.dump(), {{"owner", "someone"}}));
  auto read = provider->read("role", name);
  ASSERT_TRUE(read && *read);
  EXPECT_TRUE((*read)->unmanaged);
  config::DesiredResource role;
  role.type = config::kRoleType;
  role.provider_id = name;
  role.attributes = {{"trust_policy", kDenyAll},
                     {"tags", {{"lakeinfra:lake", "h"}, {"lakeinfra:managed-by", "lakeinfra"}}}};
  auto made = provider->create(role);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().kind, FailureKind::kConflict);
  EXPECT_NE(made.error().message.find("not lakeinfra's"), std::string::npos)
      << made.error().message;
}

}  // namespace
}  // namespace lakeinfra::providers::s3
