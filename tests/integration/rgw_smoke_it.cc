// The harness itself, before any of our S3 code: the RGW that rgw-up.sh started answers on
// 127.0.0.1 only, refuses requests that are unsigned or signed with the wrong secret (so it can
// judge our signer), and serves a full bucket/object round trip to Debian's awscli.

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/rgw_env.h"

namespace lakeinfra::test_support {
namespace {

struct HttpReply {
  long status = 0;  ///< 0 when the request could not be sent
  std::string body;
  std::string error;
};

size_t append_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// One request without any Authorization: what an anonymous client sends.
HttpReply unsigned_request(const std::string& method, const std::string& url) {
  HttpReply reply;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    reply.error = "curl_easy_init failed";
    return reply;
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK)
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  else
    reply.error = curl_easy_strerror(rc);
  curl_easy_cleanup(curl);
  return reply;
}

class RgwSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = load_rgw_env();
    ASSERT_TRUE(env) << env.error();
    env_ = *env;
  }

  // awscli must succeed; the assertion message shows the command and both streams.
  std::string aws_ok(const std::vector<std::string>& args) {
    ProcessResult r = run_aws(env_, args);
    EXPECT_EQ(r.exit_code, 0) << r;
    return r.out;
  }

  RgwEnv env_;
};

TEST_F(RgwSmoke, UnsignedPutBucketIsRefused) {
  std::string bucket = unique_bucket_name("unsigned");
  HttpReply reply = unsigned_request("PUT", env_.endpoint + "/" + bucket);
  ASSERT_TRUE(reply.error.empty()) << reply.error;
  EXPECT_EQ(reply.status, 403) << reply.body;
  EXPECT_NE(reply.body.find("<Code>AccessDenied</Code>"), std::string::npos) << reply.body;

  // ...and it was not created.
  ProcessResult head = run_aws(env_, {"--debug", "s3api", "head-bucket", "--bucket", bucket});
  EXPECT_NE(head.exit_code, 0) << head;
  EXPECT_EQ(last_aws_response(head.err).status, 404) << head;
}

// With `rgw s3 auth use sts = true` RGW also tries its STS engine after the signature check fails,
// and reports that engine's verdict: 403 AccessDenied, not SignatureDoesNotMatch (which it sends
// with STS off). The canonical request it computed is in log/client.rgw.r.log at debug_rgw 10.
TEST_F(RgwSmoke, WrongSecretIsRefused) {
  RgwEnv forged = env_;
  forged.secret_key[0] = forged.secret_key[0] == 'x' ? 'y' : 'x';
  ProcessResult r = run_aws(forged, {"--debug", "s3api", "list-buckets"});
  EXPECT_NE(r.exit_code, 0) << r;
  AwsResponse response = last_aws_response(r.err);
  EXPECT_EQ(response.status, 403) << r;
  EXPECT_EQ(response.code, "AccessDenied") << r;
}

TEST_F(RgwSmoke, AwsCliCreatesListsAndDeletesBucketAndObject) {
  std::string bucket = unique_bucket_name("smoke");
  std::filesystem::path body = std::filesystem::temp_directory_path() / (bucket + ".txt");
  std::ofstream(body) << "hello from the lakeinfra harness\n";

  aws_ok({"s3api", "create-bucket", "--bucket", bucket});
  std::string buckets = aws_ok({"s3api", "list-buckets"});
  EXPECT_NE(buckets.find("\"" + bucket + "\""), std::string::npos) << buckets;

  aws_ok({"s3api", "put-object", "--bucket", bucket, "--key", "bronze/raw/a.txt", "--body",
          body.string()});
  std::filesystem::remove(body);
  std::string listing = aws_ok({"s3api", "list-objects-v2", "--bucket", bucket});
  EXPECT_NE(listing.find("\"Key\": \"bronze/raw/a.txt\""), std::string::npos) << listing;
  EXPECT_NE(listing.find("\"Size\": 33"), std::string::npos) << listing;

  // A bucket that holds an object cannot be deleted.
  ProcessResult busy = run_aws(env_, {"--debug", "s3api", "delete-bucket", "--bucket", bucket});
  EXPECT_NE(busy.exit_code, 0) << busy;
  AwsResponse response = last_aws_response(busy.err);
  EXPECT_EQ(response.status, 409) << busy;
  EXPECT_EQ(response.code, "BucketNotEmpty") << busy;

  aws_ok({"s3api", "delete-object", "--bucket", bucket, "--key", "bronze/raw/a.txt"});
  listing = aws_ok({"s3api", "list-objects-v2", "--bucket", bucket});
  EXPECT_EQ(listing.find("bronze/raw/a.txt"), std::string::npos) << listing;
  aws_ok({"s3api", "delete-bucket", "--bucket", bucket});
  ProcessResult gone = run_aws(env_, {"--debug", "s3api", "head-bucket", "--bucket", bucket});
  EXPECT_NE(gone.exit_code, 0) << gone;
  EXPECT_EQ(last_aws_response(gone.err).status, 404) << gone;
}

// Every socket of the cluster's daemons (mon, OSD, radosgw) is bound to 127.0.0.1.
TEST_F(RgwSmoke, DaemonsListenOnlyOnLoopback) {
  std::ifstream pids_file(env_.dir / "pids");
  ASSERT_TRUE(pids_file) << "cannot read " << (env_.dir / "pids");
  std::set<std::string> daemon_sockets;  // "socket:[inode]"
  std::string pid, name;
  int daemons = 0;
  while (pids_file >> pid >> name) {
    ++daemons;
    std::error_code ec;
    for (const auto& fd : std::filesystem::directory_iterator("/proc/" + pid + "/fd", ec)) {
      std::error_code link_ec;
      auto target = std::filesystem::read_symlink(fd.path(), link_ec).string();
      if (!link_ec && target.rfind("socket:[", 0) == 0)
        daemon_sockets.insert(target.substr(8, target.size() - 9));
    }
  }
  EXPECT_EQ(daemons, 3);

  // /proc/net/{tcp,udp}[6]: "sl local_address rem_address st ... inode"; addresses in hex.
  const std::set<std::string> loopback = {"0100007F", "00000000000000000000000001000000",
                                          "0000000000000000FFFF00000100007F"};
  int seen = 0;
  bool rgw_port_seen = false;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (!daemon_sockets.count(inode))
        continue;
      ++seen;
      std::string address = local.substr(0, local.find(':'));
      int port = std::stoi(local.substr(local.find(':') + 1), nullptr, 16);
      EXPECT_TRUE(loopback.count(address)) << table << ": a daemon socket is bound to " << local;
      rgw_port_seen = rgw_port_seen || port == env_.port;
    }
  }
  EXPECT_GT(seen, 3);
  EXPECT_TRUE(rgw_port_seen) << "nothing of the cluster listens on " << env_.endpoint;
}

}  // namespace
}  // namespace lakeinfra::test_support
