#include "providers/s3/credentials.h"

#include <gtest/gtest.h>

#include <map>

#include "config/log.h"
#include "config/memory_filesystem.h"

namespace lakeinfra::providers::s3 {
namespace {

const char kHome[] = "/home/ana";
const char kFile[] = "/home/ana/.aws/credentials";

const char kTwoProfiles[] =
    "[default]\n"
    "aws_access_key_id = AKIDDEFAULT\n"
    "aws_secret_access_key = default-secret-0001\n"
    "\n"
    "[prod]\n"
    "aws_access_key_id = AKIDPROD\n"
    "aws_secret_access_key = prod-secret-0002\n"
    "aws_session_token = prod-token-0003\n";

class ResolveCredentials : public ::testing::Test {
 protected:
  Result<ResolvedCredentials> resolve(config::MapEnvironment env, const std::string& profile = "") {
    return resolve_credentials(env, fs_, profile);
  }
  // The one error of a failed resolution, as format_diagnostic() renders it.
  std::string error(config::MapEnvironment env, const std::string& profile = "") {
    auto result = resolve(std::move(env), profile);
    if (result)
      return "no error: " + result->source;
    return result.error().str();
  }

  config::MemoryFileSystem fs_;
};

// --- the environment ---

TEST_F(ResolveCredentials, EnvironmentWinsOverTheFile) {
  fs_.add_file(kFile, kTwoProfiles);
  auto creds = resolve({{"HOME", kHome},
                        {"AWS_ACCESS_KEY_ID", "AKIDENV"},
                        {"AWS_SECRET_ACCESS_KEY", "env-secret-0004"}});
  ASSERT_TRUE(creds.has_value()) << creds.error().str();
  EXPECT_EQ(creds->access_key_id, "AKIDENV");
  EXPECT_EQ(creds->secret_access_key, "env-secret-0004");
  EXPECT_EQ(creds->session_token, "");
  EXPECT_EQ(creds->source, "environment");
  EXPECT_TRUE(fs_.calls().empty());  // the file is not read at all
}

TEST_F(ResolveCredentials, EnvironmentSessionToken) {
  auto creds = resolve({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                        {"AWS_SECRET_ACCESS_KEY", "env-secret-0005"},
                        {"AWS_SESSION_TOKEN", "env-token-0006"}});
  ASSERT_TRUE(creds.has_value()) << creds.error().str();
  EXPECT_EQ(creds->session_token, "env-token-0006");
}

TEST_F(ResolveCredentials, OnlyHalfOfTheEnvironmentPairIsAnError) {
  EXPECT_EQ(error({{"AWS_ACCESS_KEY_ID", "AKIDENV"}}),
            "error: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not\n"
            "  hint: set AWS_SECRET_ACCESS_KEY too, or unset AWS_ACCESS_KEY_ID to use the shared "
            "credentials file ~/.aws/credentials\n");
  EXPECT_EQ(error({{"AWS_SECRET_ACCESS_KEY", "lonely-secret-0007"}, {"AWS_ACCESS_KEY_ID", ""}}),
            "error: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not\n"
            "  hint: set AWS_ACCESS_KEY_ID too, or unset AWS_SECRET_ACCESS_KEY to use the shared "
            "credentials file ~/.aws/credentials\n");
  EXPECT_EQ(config::redact("lonely-secret-0007"), "***");
}

// --- the shared credentials file ---

TEST_F(ResolveCredentials, DefaultProfileOfTheFileInHome) {
  fs_.add_file(kFile, kTwoProfiles);
  auto creds = resolve({{"HOME", kHome}});
  ASSERT_TRUE(creds.has_value()) << creds.error().str();
  EXPECT_EQ(creds->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(creds->secret_access_key, "default-secret-0001");
  EXPECT_EQ(creds->session_token, "");
  EXPECT_EQ(creds->source, "shared credentials file ~/.aws/credentials [default]");
  EXPECT_EQ(fs_.calls(), std::vector<std::string>{std::string("read ") + kFile});
}

TEST_F(ResolveCredentials, AwsProfileChoosesTheProfileWithItsSessionToken) {
  fs_.add_file(kFile, kTwoProfiles);
  auto creds = resolve({{"HOME", kHome}, {"AWS_PROFILE", "prod"}});
  ASSERT_TRUE(creds.has_value()) << creds.error().str();
  EXPECT_EQ(creds->access_key_id, "AKIDPROD");
  EXPECT_EQ(creds->secret_access_key, "prod-secret-0002");
  EXPECT_EQ(creds->session_token, "prod-token-0003");
  EXPECT_EQ(creds->source, "shared credentials file ~/.aws/credentials [prod]");
}

TEST_F(ResolveCredentials, ConfigProfileBeatsAwsProfile) {
  fs_.add_file(kFile, kTwoProfiles);
  auto creds = resolve({{"HOME", kHome}, {"AWS_PROFILE", "prod"}}, "default");
  ASSERT_TRUE(creds.has_value()) << creds.error().str();
  EXPECT_EQ(creds->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(creds->source, "shared credentials file ~/.aws/credentials [default]");
}

TEST_F(ResolveCredentials, SharedCredentialsFileVariable) {
  fs_.add_file("/etc/lake/creds", kTwoProfiles);
  fs_.add_file("/home/ana/ci/creds",
               "[ci]\naws_access_key_id=AKIDCI\naws_secret_access_key=ci-secret-0008\n");
  auto creds = resolve({{"HOME", kHome}, {"AWS_SHARED_CREDENTIALS_FILE", "/etc/lake/creds"}});
  ASSERT_TRUE(creds.has_value()) << creds.error().str();
  EXPECT_EQ(creds->source, "shared credentials file /etc/lake/creds [default]");
  auto home = resolve({{"HOME", kHome}, {"AWS_SHARED_CREDENTIALS_FILE", "~/ci/creds"}}, "ci");
  ASSERT_TRUE(home.has_value()) << home.error().str();
  EXPECT_EQ(home->access_key_id, "AKIDCI");
  EXPECT_EQ(home->source, "shared credentials file ~/ci/creds [ci]");
}

TEST_F(ResolveCredentials, IniWithCommentsSpacesAndOddLayout) {
  fs_.add_file(kFile,
               "\xEF\xBB\xBF# written by hand\r\n"
               "; another comment\n"
               "\n"
               "[ other ]\n"
               "aws_access_key_id=AKIDOTHER\n"
               "aws_secret_access_key=other-secret-0009\n"
               "\n"
               "   [default]   # the main one\n"
               "\tAWS_Access_Key_ID   =   AKIDSPACED   \r\n"
               "  # indented comment\n"
               "aws_secret_access_key =spaced-secret-0010 ; inline comment\n"
               "s3 =\n"
               "    max_concurrent_requests = 20\n"
               "    aws_access_key_id = NOT-THIS-ONE\n"
               "region: eu-west-2\n"
               "aws_session_token = spaced-token-0011\n");
  auto creds = resolve({{"HOME", kHome}});
  ASSERT_TRUE(creds.has_value()) << creds.error().str();
  EXPECT_EQ(creds->access_key_id, "AKIDSPACED");
  EXPECT_EQ(creds->secret_access_key, "spaced-secret-0010");
  EXPECT_EQ(creds->session_token, "spaced-token-0011");
  auto other = resolve({{"HOME", kHome}}, "other");
  ASSERT_TRUE(other.has_value()) << other.error().str();
  EXPECT_EQ(other->access_key_id, "AKIDOTHER");
}

TEST_F(ResolveCredentials, MissingProfileListsTheProfilesFound) {
  fs_.add_file(kFile, kTwoProfiles);
  EXPECT_EQ(error({{"HOME", kHome}, {"AWS_PROFILE", "prd"}}),
            "error: profile \"prd\" (from AWS_PROFILE) is not in the shared credentials file "
            "~/.aws/credentials\n"
            "  hint: did you mean \"prod\"? Profiles in the file: default, prod\n");
  EXPECT_EQ(error({{"HOME", kHome}}, "staging"),
            "error: profile \"staging\" (from storage.profile) is not in the shared credentials "
            "file ~/.aws/credentials\n"
            "  hint: Profiles in the file: default, prod\n");
  fs_.add_file(kFile, "[ci]\naws_access_key_id = A\naws_secret_access_key = ci-secret-0012\n");
  EXPECT_EQ(error({{"HOME", kHome}}),
            "error: profile \"default\" is not in the shared credentials file ~/.aws/credentials\n"
            "  hint: Profiles in the file: ci; choose one with storage.profile or AWS_PROFILE\n");
  fs_.add_file(kFile, "# empty\n");
  EXPECT_EQ(error({{"HOME", kHome}}),
            "error: profile \"default\" is not in the shared credentials file ~/.aws/credentials\n"
            "  hint: the file has no profiles; add [default] with aws_access_key_id and "
            "aws_secret_access_key\n");
}

TEST_F(ResolveCredentials, ProfileWithoutAKey) {
  fs_.add_file(kFile,
               "[default]\n"
               "aws_access_key_id = AKIDHALF\n"
               "\n"
               "[sso]\n"
               "sso_session = corp\n"
               "sso_account_id = 123456789012\n");
  EXPECT_EQ(error({{"HOME", kHome}}),
            "error: ~/.aws/credentials:1: profile \"default\" in the shared credentials file "
            "~/.aws/credentials has no aws_secret_access_key\n"
            "  hint: add \"aws_secret_access_key = ...\" under [default]\n");
  EXPECT_EQ(error({{"HOME", kHome}}, "sso"),
            "error: ~/.aws/credentials:4: profile \"sso\" in the shared credentials file "
            "~/.aws/credentials has no aws_access_key_id\n"
            "  hint: lakeinfra reads only static keys (aws_access_key_id, aws_secret_access_key, "
            "aws_session_token), not role_arn, sso or credential_process profiles; export "
            "temporary keys instead, e.g. eval \"$(aws configure export-credentials --profile sso "
            "--format env)\"\n");
}

TEST_F(ResolveCredentials, MalformedLinesAreNamedButNotShown) {
  const std::string file_hint = " (the line is not shown: it may hold a secret)";
  fs_.add_file(kFile, "[default]\naws_access_key_id = A\nmalformed-secret-0013\n");
  EXPECT_EQ(error({{"HOME", kHome}}),
            "error: ~/.aws/credentials:3: cannot parse the shared credentials file "
            "~/.aws/credentials: line 3 is neither a [profile] header, \"key = value\" nor a "
            "comment\n"
            "  hint: fix or remove it" +
                file_hint + "\n");
  fs_.add_file(kFile, "aws_secret_access_key = orphan-secret-0014\n[default]\n");
  EXPECT_EQ(error({{"HOME", kHome}}),
            "error: ~/.aws/credentials:1: cannot parse the shared credentials file "
            "~/.aws/credentials: line 1 is outside any [profile] section\n"
            "  hint: put keys under a profile header, e.g. [default]" +
                file_hint + "\n");
  fs_.add_file(kFile, "\n[default\n");
  EXPECT_EQ(error({{"HOME", kHome}}),
            "error: ~/.aws/credentials:2: cannot parse the shared credentials file "
            "~/.aws/credentials: line 2 is not a valid [profile] header\n"
            "  hint: write a header as [name], e.g. [default]" +
                file_hint + "\n");
  EXPECT_EQ(config::redact("malformed-secret-0013 orphan-secret-0014"),
            "malformed-secret-0013 orphan-secret-0014");  // never parsed as values
}

// --- nothing found ---

TEST_F(ResolveCredentials, MissingFileExplainsTheChain) {
  EXPECT_EQ(error({{"HOME", kHome}}),
            "error: no S3 credentials found\n"
            "  looked for AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (not "
            "set), then for profile \"default\" in the shared credentials file ~/.aws/credentials "
            "(it does not exist)\n"
            "  hint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
            "temporary credentials), or write aws_access_key_id and aws_secret_access_key under "
            "[default] in ~/.aws/credentials\n");
  EXPECT_EQ(error({{"HOME", kHome}, {"AWS_SHARED_CREDENTIALS_FILE", "/nope/creds"}}, "ceph"),
            "error: no S3 credentials found\n"
            "  looked for AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (not "
            "set), then for profile \"ceph\" (from storage.profile) in the shared credentials "
            "file /nope/creds (from AWS_SHARED_CREDENTIALS_FILE) (it does not exist)\n"
            "  hint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
            "temporary credentials), or write aws_access_key_id and aws_secret_access_key under "
            "[ceph] in /nope/creds\n");
  EXPECT_EQ(error({}),
            "error: no S3 credentials found\n"
            "  looked for AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (not "
            "set), then for profile \"default\" in the shared credentials file (not looked for: "
            "neither HOME nor AWS_SHARED_CREDENTIALS_FILE is set)\n"
            "  hint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
            "temporary credentials), or write aws_access_key_id and aws_secret_access_key under "
            "[default] in ~/.aws/credentials\n");
}

TEST_F(ResolveCredentials, UnreadableFile) {
  fs_.add_file(kFile, kTwoProfiles);
  fs_.fail_on(kFile, std::make_error_code(std::errc::permission_denied));
  EXPECT_EQ(error({{"HOME", kHome}}),
            "error: ~/.aws/credentials: cannot read the shared credentials file "
            "~/.aws/credentials: Permission denied\n"
            "  hint: check the file's permissions\n");
}

// --- secrets ---

TEST_F(ResolveCredentials, SecretsAndTokensAreRedactedAfterwards) {
  fs_.add_file(kFile, kTwoProfiles);
  ASSERT_TRUE(resolve({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                       {"AWS_SECRET_ACCESS_KEY", "redact-env-secret-0015"},
                       {"AWS_SESSION_TOKEN", "redact-env-token-0016"}})
                  .has_value());
  EXPECT_EQ(config::redact("redact-env-secret-0015"), "***");
  EXPECT_EQ(config::redact("token=redact-env-token-0016;"), "token=***;");
  ASSERT_TRUE(resolve({{"HOME", kHome}}).has_value());
  EXPECT_EQ(config::redact("default-secret-0001"), "***");
  // Every secret read from the file, not only the chosen profile's.
  EXPECT_EQ(config::redact("prod-secret-0002 prod-token-0003"), "*** ***");
  EXPECT_EQ(config::redact("AKIDPROD"), "AKIDPROD");  // an access key id is not a secret
}

TEST_F(ResolveCredentials, ErrorsNeverContainSecrets) {
  fs_.add_file(kFile, "[default]\naws_secret_access_key = visible-secret-0017\n");
  std::string message = error({{"HOME", kHome}});
  EXPECT_EQ(message.find("visible-secret-0017"), std::string::npos) << message;
  EXPECT_NE(message.find("has no aws_access_key_id"), std::string::npos) << message;
}

}  // namespace
}  // namespace lakeinfra::providers::s3
