#include "tests/support/rgw_env.h"

#include <cctype>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace lakeinfra::test_support {

namespace {

constexpr std::string_view kLoopbackPrefix = "http://127.0.0.1:";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// "http://127.0.0.1:PORT" -> PORT, or 0 when `endpoint` is anything else.
int loopback_port(std::string_view endpoint) {
  if (endpoint.substr(0, kLoopbackPrefix.size()) != kLoopbackPrefix)
    return 0;
  std::string_view digits = endpoint.substr(kLoopbackPrefix.size());
  if (digits.empty() || digits.size() > 5)
    return 0;
  int port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return 0;
    port = port * 10 + (c - '0');
  }
  return port <= 65535 ? port : 0;
}

}  // namespace

std::map<std::string, std::string> RgwEnv::aws_environment() const {
  std::map<std::string, std::string> env = {
      {"AWS_ACCESS_KEY_ID", access_key},
      {"AWS_SECRET_ACCESS_KEY", secret_key},
      {"AWS_DEFAULT_REGION", region},
      {"AWS_REGION", region},
      {"AWS_CONFIG_FILE", "/dev/null"},
      {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
      {"AWS_EC2_METADATA_DISABLED", "true"},
      {"AWS_MAX_ATTEMPTS", "1"},
      {"AWS_PAGER", ""},
      {"NO_PROXY", "127.0.0.1"},
  };
  if (!session_token.empty())
    env["AWS_SESSION_TOKEN"] = session_token;
  return env;
}

const std::vector<std::string>& foreign_aws_variables() {
  static const std::vector<std::string> names = {"AWS_PROFILE",
                                                 "AWS_DEFAULT_PROFILE",
                                                 "AWS_SESSION_TOKEN",
                                                 "AWS_SECURITY_TOKEN",
                                                 "AWS_CA_BUNDLE",
                                                 "AWS_ENDPOINT_URL",
                                                 "AWS_ENDPOINT_URL_S3",
                                                 "AWS_ENDPOINT_URL_IAM",
                                                 "AWS_ENDPOINT_URL_STS",
                                                 "AWS_ROLE_ARN",
                                                 "AWS_ROLE_SESSION_NAME",
                                                 "AWS_WEB_IDENTITY_TOKEN_FILE",
                                                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                                 "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                                 "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                                                 "AWS_USE_FIPS_ENDPOINT",
                                                 "AWS_USE_DUALSTACK_ENDPOINT",
                                                 "AWS_CLI_AUTO_PROMPT",
                                                 "HTTP_PROXY",
                                                 "HTTPS_PROXY",
                                                 "ALL_PROXY",
                                                 "http_proxy",
                                                 "https_proxy",
                                                 "all_proxy",
                                                 "PYTHONPATH",
                                                 "PYTHONHOME"};
  return names;
}

tl::expected<RgwEnv, std::string> parse_rgw_env(std::string_view text) {
  std::map<std::string, std::string, std::less<>> vars;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t eol = text.find('\n');
    std::string_view line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (line.empty() || line.front() == '#')
      continue;
    if (line.substr(0, 7) == "export ")
      line = trim(line.substr(7));
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return tl::unexpected("line " + std::to_string(line_no) + ": expected NAME=value, got \"" +
                            std::string(line) + "\"");
    std::string_view value = line.substr(eq + 1);
    if (!value.empty() && value.front() == '\'') {
      if (value.size() < 2 || value.back() != '\'')
        return tl::unexpected("line " + std::to_string(line_no) + ": unterminated quote");
      value = value.substr(1, value.size() - 2);
    }
    vars[std::string(line.substr(0, eq))] = std::string(value);
  }

  for (const char* name : {"S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                           "AWS_DEFAULT_REGION", "RGW_USER", "CEPH_CONF"}) {
    auto it = vars.find(name);
    if (it == vars.end() || it->second.empty())
      return tl::unexpected(std::string(name) + " is missing");
  }
  RgwEnv env;
  env.endpoint = vars["S3_ENDPOINT"];
  env.port = loopback_port(env.endpoint);
  if (env.port == 0)
    return tl::unexpected(
        "S3_ENDPOINT must be http://127.0.0.1:PORT (tests only talk to this "
        "machine), got \"" +
        env.endpoint + "\"");
  env.host = "127.0.0.1";
  env.access_key = vars["AWS_ACCESS_KEY_ID"];
  env.secret_key = vars["AWS_SECRET_ACCESS_KEY"];
  env.region = vars["AWS_DEFAULT_REGION"];
  env.user = vars["RGW_USER"];
  env.ceph_conf = vars["CEPH_CONF"];
  env.dir = env.ceph_conf.parent_path();
  return env;
}

tl::expected<RgwEnv, std::string> load_rgw_env() {
  const char* path = std::getenv(kRgwEnvVariable);
  if (path == nullptr || *path == '\0')
    return tl::unexpected(std::string(kRgwEnvVariable) +
                          " is not set: run integration tests through ctest (`ctest -L "
                          "integration` starts the RGW), or start one with `make rgw-up` and "
                          "export " +
                          kRgwEnvVariable + "=$PWD/build/rgw-dev/s3.env");
  std::ifstream in(path);
  if (!in)
    return tl::unexpected(std::string("cannot read ") + path + " (" + kRgwEnvVariable +
                          "): did rgw-up.sh succeed?");
  std::ostringstream text;
  text << in.rdbuf();
  auto env = parse_rgw_env(text.str());
  if (!env)
    return tl::unexpected(std::string(path) + ": " + env.error());
  return env;
}

std::string unique_bucket_name(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  static const std::string letters = [] {
    std::random_device rd;
    std::mt19937 gen(rd());
    std::uniform_int_distribution<int> pick(0, 25);
    std::string s;
    for (int i = 0; i < 4; ++i)
      s += static_cast<char>('a' + pick(gen));
    return s;
  }();
  std::string clean;
  for (char c : prefix) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    clean += ok ? c : '-';
  }
  std::string suffix =
      "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + letters;
  if (clean.empty() ||
      !((clean[0] >= 'a' && clean[0] <= 'z') || (clean[0] >= '0' && clean[0] <= '9')))
    clean.insert(0, "t");
  if (clean.size() + suffix.size() > 63)
    clean.resize(63 - suffix.size());
  return clean + suffix;
}

std::string unique_lake_name(std::string_view prefix) {
  std::string lake = unique_bucket_name(prefix);
  if (lake.size() > 30)
    lake = lake.substr(lake.size() - 30);
  while (!lake.empty() && !std::isalnum(static_cast<unsigned char>(lake.front())))
    lake.erase(0, 1);
  return lake;
}

AwsResponse last_aws_response(std::string_view debug_log) {
  AwsResponse response;
  constexpr std::string_view kStatusMark = " HTTP/1.1\" ";
  size_t mark = debug_log.rfind(kStatusMark);
  if (mark == std::string_view::npos)
    return response;
  size_t pos = mark + kStatusMark.size();
  while (pos < debug_log.size() && debug_log[pos] >= '0' && debug_log[pos] <= '9')
    response.status = response.status * 10 + (debug_log[pos++] - '0');
  size_t open = debug_log.find("<Code>", pos);
  if (open != std::string_view::npos) {
    open += 6;
    size_t close = debug_log.find("</Code>", open);
    if (close != std::string_view::npos)
      response.code = std::string(debug_log.substr(open, close - open));
  }
  return response;
}

ProcessResult run_aws(const RgwEnv& env, const std::vector<std::string>& args,
                      std::chrono::milliseconds timeout) {
  ProcessOptions options;
  options.argv = {kDebianAws, "--endpoint-url", env.endpoint, "--output", "json"};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = env.aws_environment();
  options.unset_env = foreign_aws_variables();
  options.timeout = timeout;
  return run_process(options);
}

}  // namespace lakeinfra::test_support
