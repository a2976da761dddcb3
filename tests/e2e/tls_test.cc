// TLS to an https endpoint: peer verification is on unless the config turns it off, and then
// lakeinfra says so. The server is cpp-httplib's SSLServer with a self-signed certificate made
// here by the openssl CLI; it answers every request 403 AccessDenied, so a request that got
// through the handshake fails at once, and visibly not on the certificate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessOptions req;
    req.argv = {"/usr/bin/openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                ws_.path("key.pem").string(),
                "-out",
                ws_.path("cert.pem").string(),
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1"};
    auto made = run_process(req);
    ASSERT_EQ(made.exit_code, 0) << made;
    server_ = std::make_unique<httplib::SSLServer>(ws_.path("cert.pem").c_str(),
                                                   ws_.path("key.pem").c_str());
    ASSERT_TRUE(server_->is_valid());
    auto deny = [](const httplib::Request&, httplib::Response& res) {
      res.status = 403;
      res.set_content(
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>"
          "<Message>test server</Message></Error>",
          "application/xml");
    };
    server_->Get(".*", deny);
    server_->Put(".*", deny);
    server_->Post(".*", deny);
    server_->Delete(".*", deny);
    int port = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    endpoint_ = "https://127.0.0.1:" + std::to_string(port);
  }

  void write_lake(const std::string& extra) {
    ws_.write("lake.yaml",
              "lake: {name: tls, instance: dev}\n"
              "storage: {provider: s3, endpoint: \"" +
                  endpoint_ + "\", region: us-east-1" + extra +
                  "}\n"
                  "zones: [{name: bronze, containers: [raw]}]\n");
  }

  /// apply: the first command that talks to the server (a plan of an empty state does not).
  ProcessResult apply() {
    RunOptions o;
    o.env = {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
             {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}};
    return ws_.run({"apply", "--auto-approve"}, o);
  }

  void TearDown() override {
    if (server_)
      server_->stop();
    if (thread_.joinable())
      thread_.join();
  }

  Workspace ws_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  std::string endpoint_;
};

TEST_F(TlsTest, SelfSignedCertificateIsRefusedByDefault) {
  write_lake("");
  auto r = apply();
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.out, HasSubstr("SSL certificate problem: self-signed certificate")) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("AccessDenied"))) << "no request got through";
  EXPECT_THAT(r.err, Not(HasSubstr("verification is off")));
}

TEST_F(TlsTest, VerifyTlsFalseWarnsAndGetsPastTheHandshake) {
  write_lake(", verify_tls: false");
  auto r = apply();
  EXPECT_THAT(r.err, HasSubstr("Warning: TLS certificate verification is off for \"" + endpoint_ +
                               "\" (verify_tls: false)"))
      << r;
  // The request went through the handshake and was answered by the server.
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.out, HasSubstr("AccessDenied")) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("certificate problem"))) << r;
}

}  // namespace
}  // namespace lakeinfra::test_support
