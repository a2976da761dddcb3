#pragma once

// The throw-away Ceph RGW that integration tests run against: where it listens and whom to sign
// as, read from the s3.env file that tests/support/rgw/rgw-up.sh writes. CTest gives every test
// labelled `integration` that file's path in LAKEINFRA_RGW_ENV (tests/integration/CMakeLists.txt).
// Also: Debian's awscli as a reference client, and bucket names that no other test uses.

#include <tl/expected.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/process.h"

namespace lakeinfra::test_support {

/// The environment variable that names the s3.env file.
inline constexpr const char* kRgwEnvVariable = "LAKEINFRA_RGW_ENV";

/// Debian's awscli (2.9.x). Another `aws` may come first on PATH; this one is always used.
inline constexpr const char* kDebianAws = "/usr/bin/aws";

/// Endpoint and credentials of the test RGW.
struct RgwEnv {
  std::string endpoint;  ///< "http://127.0.0.1:PORT", no trailing slash
  std::string host;      ///< always "127.0.0.1": the parser refuses any other host
  int port = 0;
  std::string access_key;
  std::string secret_key;
  /// Temporary credentials (STS AssumeRole) carry a session token; "" for the user's own keys.
  std::string session_token;
  std::string region;  ///< the signing region, "us-east-1"
  std::string user;    ///< the RGW uid owning the keys; its IAM ARN is arn:aws:iam:::user/<user>
  std::filesystem::path ceph_conf;  ///< the cluster's config, for `radosgw-admin -c`
  std::filesystem::path dir;        ///< the folder rgw-up.sh wrote: ceph.conf, pids, log/

  /// The variables a child such as awscli needs to reach this server and nothing else: the keys,
  /// the region, no config or credentials file, no instance metadata, one attempt per call.
  std::map<std::string, std::string> aws_environment() const;
};

/// Variables a child must not inherit from the developer's shell when it talks to the test RGW:
/// AWS profiles, session tokens, CA bundles, endpoint overrides, proxies, Python paths.
const std::vector<std::string>& foreign_aws_variables();

/// Parses the text of an s3.env file: `export NAME=value` or `NAME=value` lines, values optionally
/// in single quotes; blank lines and `#` comments are skipped. Requires S3_ENDPOINT (of the form
/// http://127.0.0.1:PORT), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, RGW_USER
/// and CEPH_CONF. On failure returns one line naming the problem ("line 3: ..." for a line that
/// cannot be read, "S3_ENDPOINT is missing", ...).
tl::expected<RgwEnv, std::string> parse_rgw_env(std::string_view text);

/// Reads and parses the file named by $LAKEINFRA_RGW_ENV. When the variable is unset the message
/// says how to get a server (run the test through ctest, or `make rgw-up`).
tl::expected<RgwEnv, std::string> load_rgw_env();

/// A valid S3 bucket name that no other test, process or run uses: `prefix` (lower case letters,
/// digits and '-'), the process id, a per-process counter and random letters; at most 63
/// characters (`prefix` is shortened when needed).
std::string unique_bucket_name(std::string_view prefix);

/// A lake name for a test whose buckets are named "{lake}-{instance}-{zone}": unique_bucket_name()
/// cut to its last 30 characters (room for the rest within 63), starting with a letter or digit.
std::string unique_lake_name(std::string_view prefix);

/// The last HTTP response recorded in awscli's `--debug` log (its stderr).
struct AwsResponse {
  int status = 0;    ///< HTTP status; 0 when the log shows no response (the server was not reached)
  std::string code;  ///< the `<Code>` of an S3 or IAM error body after it, or empty
};

/// Reads the last response from the text of an awscli `--debug` log: urllib3's
/// `"PUT /bucket HTTP/1.1" 403 190` line and the `<Code>` in the response body that follows.
AwsResponse last_aws_response(std::string_view debug_log);

/// Runs `/usr/bin/aws --endpoint-url <endpoint> --output json <args>` with env.aws_environment()
/// and without foreign_aws_variables(); never throws. Note that awscli prints RGW's empty error
/// messages as "argument of type 'NoneType' is not iterable": judge by the exit code, and by
/// the status and error code from last_aws_response() (pass "--debug" as the first argument).
ProcessResult run_aws(const RgwEnv& env, const std::vector<std::string>& args,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace lakeinfra::test_support
