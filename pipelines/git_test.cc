// Libgit2Fetcher against real repos made by the test (git CLI) in a temp dir: file:// and
// plain-path clones, git daemon on 127.0.0.1, a 401-only HTTP server for the credential
// callback; plus URL redaction and the FakeGitFetcher.
#include "pipelines/git.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pipelines/fake_git.h"
#include "tests/support/git_daemon.h"
#include "tests/support/process.h"

namespace lakeinfra::pipelines {
namespace {

namespace fs = std::filesystem;
using test_support::free_port;
using test_support::GitDaemon;
using test_support::ProcessOptions;
using test_support::run_process;

// ---- helpers -------------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed with everything in it.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string tmpl = (fs::temp_directory_path() / "lakeinfra-git-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = fs::canonical(tmpl);
  }
  ~ScopedTempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string base64(const std::string& in) {
  static const char* const kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6)
      out += kChars[(v >> k) & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += std::string{kChars[(v >> 18) & 63], kChars[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += std::string{kChars[(v >> 18) & 63], kChars[(v >> 12) & 63], kChars[(v >> 6) & 63], '='};
  }
  return out;
}

std::string message(const config::Diagnostics& d) {
  return d.str();
}

/// `git ...` in `cwd` with a hermetic identity and config.
std::string git(const fs::path& home, const fs::path& cwd, std::vector<std::string> args) {
  ProcessOptions options;
  options.argv = {"/usr/bin/git", "-C", cwd.string()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = {{"HOME", home.string()},        {"GIT_CONFIG_NOSYSTEM", "1"},
                 {"GIT_AUTHOR_NAME", "Test"},    {"GIT_AUTHOR_EMAIL", "test@example.com"},
                 {"GIT_COMMITTER_NAME", "Test"}, {"GIT_COMMITTER_EMAIL", "test@example.com"},
                 {"GIT_TERMINAL_PROMPT", "0"},   {"LC_ALL", "C"}};
  options.timeout = std::chrono::seconds(10);
  auto result = run_process(options);
  EXPECT_EQ(result.exit_code, 0) << result;
  std::string out = result.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  return out;
}

/// Names of the entries of `dir` that contain ".tmp-" (half-made caches or checkouts).
std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename().string().find(".tmp-") != std::string::npos)
      out.push_back(e.path().filename().string());
  }
  return out;
}

// ---- a source repo -------------------------------------------------------------------------

/// A source repo `src` on main: c1 (README, run.sh executable, link → README.md, lib/util.txt;
/// lightweight tag v1), c2 (README changed; annotated tag v2); branch feature: c3 (feature.txt).
class GitFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = tmp_.path() / "src";
    fs::create_directories(src_);
    run({"init", "-q", "-b", "main"});
    write(src_ / "README.md", "hello\n");
    write(src_ / "run.sh", "#!/bin/sh\necho hi\n");
    fs::permissions(src_ / "run.sh", fs::perms::owner_all | fs::perms::group_read |
                                         fs::perms::group_exec | fs::perms::others_read |
                                         fs::perms::others_exec);
    fs::create_symlink("README.md", src_ / "link");
    write(src_ / "lib" / "util.txt", "util\n");
    run({"add", "-A"});
    run({"commit", "-q", "-m", "one"});
    c1_ = rev("HEAD");
    run({"tag", "v1"});
    write(src_ / "README.md", "hello 2\n");
    run({"commit", "-q", "-am", "two"});
    c2_ = rev("HEAD");
    run({"tag", "-a", "v2", "-m", "release 2"});
    run({"checkout", "-q", "-b", "feature"});
    write(src_ / "feature.txt", "feature\n");
    run({"add", "feature.txt"});
    run({"commit", "-q", "-m", "three"});
    c3_ = rev("HEAD");
    run({"checkout", "-q", "main"});
    cache_ = tmp_.path() / "cache" / "src";
  }

  std::string run(std::vector<std::string> args, const fs::path& cwd = {}) {
    return git(tmp_.path(), cwd.empty() ? src_ : cwd, std::move(args));
  }
  std::string rev(const std::string& ref, const fs::path& cwd = {}) {
    return run({"rev-parse", ref + "^{commit}"}, cwd);
  }
  std::string commit_file(const std::string& name, const std::string& text) {
    write(src_ / name, text);
    run({"add", name});
    run({"commit", "-q", "-m", "change " + name});
    return rev("HEAD");
  }
  std::string file_url() const { return "file://" + src_.string(); }

  Result<std::string> resolve(const std::string& ref) { return fetcher_.resolve(cache_, ref); }

  ScopedTempDir tmp_;
  fs::path src_;
  fs::path cache_;
  std::string c1_, c2_, c3_;
  Libgit2Fetcher fetcher_;
};

// ---- redaction -----------------------------------------------------------------------------

TEST(GitUrl, RedactUrlHidesPasswordsAndHttpUsers) {
  EXPECT_EQ(redact_url("https://user:pass@host/x"), "https://***@host/x");
  EXPECT_EQ(redact_url("https://token@host/x"), "https://***@host/x");
  EXPECT_EQ(redact_url("http://u:p@127.0.0.1:8080/org/x.git"),
            "http://***@127.0.0.1:8080/org/x.git");
  EXPECT_EQ(redact_url("https://u:p@ss@host/x"), "https://***@host/x");   // '@' in the password
  EXPECT_EQ(redact_url("https://host/x@y.git"), "https://host/x@y.git");  // '@' in the path
  EXPECT_EQ(redact_url("ssh://git@host/x.git"), "ssh://git@host/x.git");
  EXPECT_EQ(redact_url("ssh://git:pw@host/x.git"), "ssh://***@host/x.git");
  EXPECT_EQ(redact_url("git@github.com:org/x.git"), "git@github.com:org/x.git");
  EXPECT_EQ(redact_url("git://host/x.git"), "git://host/x.git");
  EXPECT_EQ(redact_url("https://host/x.git"), "https://host/x.git");
  EXPECT_EQ(redact_url("/srv/git/x.git"), "/srv/git/x.git");
  EXPECT_EQ(redact_url("file:///srv/git/x.git"), "file:///srv/git/x.git");
  EXPECT_EQ(redact_url(""), "");
}

TEST(GitUrl, UrlSecretIsThePasswordOrTheHttpUser) {
  EXPECT_EQ(url_secret("https://user:pass@host/x"), "pass");
  EXPECT_EQ(url_secret("https://tok123@host/x"), "tok123");
  EXPECT_EQ(url_secret("ssh://git@host/x"), "");
  EXPECT_EQ(url_secret("ssh://git:pw@host/x"), "pw");
  EXPECT_EQ(url_secret("git@host:org/x.git"), "");
  EXPECT_EQ(url_secret("https://host/x"), "");
  EXPECT_EQ(url_secret("/srv/x"), "");
}

TEST(GitUrl, IsCommitShaMeansFortyHexDigits) {
  EXPECT_TRUE(is_commit_sha("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_TRUE(is_commit_sha("0123456789ABCDEF0123456789ABCDEF01234567"));
  EXPECT_FALSE(is_commit_sha("0123456789abcdef0123456789abcdef0123456"));
  EXPECT_FALSE(is_commit_sha("0123456789abcdef0123456789abcdef012345678"));
  EXPECT_FALSE(is_commit_sha("g123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(is_commit_sha("main"));
  EXPECT_FALSE(is_commit_sha(""));
}

// ---- clone, resolve, checkout --------------------------------------------------------------

TEST_F(GitFetcherTest, ClonesAFileUrlIntoABareMirror) {
  auto fetched = fetcher_.fetch(file_url(), {}, cache_);
  ASSERT_TRUE(fetched) << message(fetched.error());
  EXPECT_TRUE(fs::exists(cache_ / "HEAD"));
  EXPECT_FALSE(fs::exists(cache_ / ".git"));
  EXPECT_EQ(run({"config", "remote.origin.url"}, cache_), file_url());
  EXPECT_EQ(resolve("main").value_or("?"), c2_);
  EXPECT_EQ(resolve("feature").value_or("?"), c3_);
  EXPECT_EQ(resolve("HEAD").value_or("?"), c2_);  // follows the remote's default branch
  EXPECT_TRUE(leftovers(cache_.parent_path()).empty());
}

TEST_F(GitFetcherTest, ClonesAPlainPath) {
  auto fetched = fetcher_.fetch(src_.string(), {}, cache_);
  ASSERT_TRUE(fetched) << message(fetched.error());
  EXPECT_EQ(resolve("main").value_or("?"), c2_);
}

TEST_F(GitFetcherTest, ResolvesTagsShasAndFullRefs) {
  ASSERT_TRUE(fetcher_.fetch(file_url(), {}, cache_));
  EXPECT_EQ(resolve("v1").value_or("?"), c1_);
  EXPECT_EQ(resolve("v2").value_or("?"), c2_);  // annotated: peeled to the commit
  EXPECT_NE(run({"rev-parse", "v2"}), c2_);     // (the tag object itself differs)
  EXPECT_EQ(resolve("refs/tags/v2").value_or("?"), c2_);
  EXPECT_EQ(resolve("refs/heads/feature").value_or("?"), c3_);
  EXPECT_EQ(resolve(c1_).value_or("?"), c1_);
  EXPECT_EQ(resolve(c1_.substr(0, 10)).value_or("?"), c1_);
}

TEST_F(GitFetcherTest, UnknownRefNamesTheRefAndListsBranchesAndTags) {
  ASSERT_TRUE(fetcher_.fetch(file_url(), {}, cache_));
  auto r = resolve("v9");
  ASSERT_FALSE(r);
  const auto& d = r.error().items().at(0);
  EXPECT_EQ(d.summary, "ref \"v9\" not found in " + file_url());
  EXPECT_EQ(d.hint, "did you mean \"v1\"? branches: feature, main; tags: v1, v2");
}

TEST_F(GitFetcherTest, UnknownShaIsReported) {
  ASSERT_TRUE(fetcher_.fetch(file_url(), {}, cache_));
  std::string sha = "0123456789abcdef0123456789abcdef01234567";
  auto r = resolve(sha);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().items().at(0).summary, "commit " + sha + " is not in " + file_url());
}

TEST_F(GitFetcherTest, ResolveWithoutACacheSaysFetchFirst) {
  auto r = resolve("main");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().items().at(0).summary, "no git cache at " + cache_.string());
}

TEST_F(GitFetcherTest, ChecksOutFilesWithExecBitAndSymlinks) {
  ASSERT_TRUE(fetcher_.fetch(file_url(), {}, cache_));
  fs::path dest = tmp_.path() / "out" / "c2";
  auto done = fetcher_.checkout(cache_, c2_, dest);
  ASSERT_TRUE(done) << message(done.error());
  EXPECT_EQ(read(dest / "README.md"), "hello 2\n");
  EXPECT_EQ(read(dest / "lib" / "util.txt"), "util\n");
  EXPECT_NE(fs::status(dest / "run.sh").permissions() & fs::perms::owner_exec, fs::perms::none);
  EXPECT_EQ(fs::status(dest / "README.md").permissions() & fs::perms::owner_exec, fs::perms::none);
  ASSERT_TRUE(fs::is_symlink(dest / "link"));
  EXPECT_EQ(fs::read_symlink(dest / "link"), "README.md");
  EXPECT_FALSE(fs::exists(dest / ".git"));
  EXPECT_FALSE(fs::exists(dest / "feature.txt"));
  EXPECT_TRUE(leftovers(dest.parent_path()).empty());
}

TEST_F(GitFetcherTest, ChecksOutAnOlderCommit) {
  ASSERT_TRUE(fetcher_.fetch(file_url(), {}, cache_));
  fs::path dest = tmp_.path() / "c1";
  ASSERT_TRUE(fetcher_.checkout(cache_, resolve("v1").value_or("?"), dest));
  EXPECT_EQ(read(dest / "README.md"), "hello\n");
}

TEST_F(GitFetcherTest, CheckoutRefusesAnExistingDestinationOrAnUnknownCommit) {
  ASSERT_TRUE(fetcher_.fetch(file_url(), {}, cache_));
  fs::path dest = tmp_.path() / "out";
  fs::create_directories(dest);
  auto exists = fetcher_.checkout(cache_, c2_, dest);
  ASSERT_FALSE(exists);
  EXPECT_EQ(exists.error().items().at(0).summary,
            "checkout destination " + dest.string() + " already exists");
  std::string sha(40, 'a');
  auto unknown = fetcher_.checkout(cache_, sha, tmp_.path() / "x");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().items().at(0).summary, "commit " + sha + " is not in " + file_url());
  auto not_sha = fetcher_.checkout(cache_, "main", tmp_.path() / "y");
  ASSERT_FALSE(not_sha);
  EXPECT_EQ(not_sha.error().items().at(0).summary, "\"main\" is not a full commit sha");
  EXPECT_FALSE(fs::exists(tmp_.path() / "x"));
  EXPECT_TRUE(leftovers(tmp_.path()).empty());
}

// ---- fetching again ------------------------------------------------------------------------

TEST_F(GitFetcherTest, SecondFetchSeesNewCommitsAndMovedTags) {
  ASSERT_TRUE(fetcher_.fetch(file_url(), {}, cache_));
  std::string c4 = commit_file("new.txt", "new\n");
  run({"tag", "-f", "v1"});                          // lightweight tag moved
  run({"tag", "-f", "-a", "v2", "-m", "moved v2"});  // annotated tag moved
  auto fetched = fetcher_.fetch(file_url(), {}, cache_);
  ASSERT_TRUE(fetched) << message(fetched.error());
  EXPECT_EQ(resolve("main").value_or("?"), c4);
  EXPECT_EQ(resolve("v1").value_or("?"), c4);
  EXPECT_EQ(resolve("v2").value_or("?"), c4);
  EXPECT_EQ(resolve(c4).value_or("?"), c4);
}

TEST_F(GitFetcherTest, LockFilesLeftByAKilledFetchAreCleared) {
  ASSERT_TRUE(fetcher_.fetch(file_url(), {}, cache_));
  std::string c4 = commit_file("new.txt", "new\n");
  run({"tag", "-f", "v1"});
  // What a fetch killed mid-way (SIGKILL) leaves: libgit2's lock files, which make every
  // later fetch fail with "failed to lock file ... for writing".
  for (const char* lock : {"refs/tags/v1.lock", "refs/heads/main.lock", "packed-refs.lock",
                           "config.lock", "FETCH_HEAD.lock"}) {
    std::ofstream(cache_ / lock) << "";
  }
  auto fetched = fetcher_.fetch(file_url(), {}, cache_);
  ASSERT_TRUE(fetched) << message(fetched.error());
  EXPECT_EQ(resolve("main").value_or("?"), c4);
  EXPECT_EQ(resolve("v1").value_or("?"), c4);
  EXPECT_FALSE(fs::exists(cache_ / "refs/tags/v1.lock"));
  EXPECT_FALSE(fs::exists(cache_ / "packed-refs.lock"));
}

TEST_F(GitFetcherTest, DeletedBranchesAndTagsArePruned) {
  ASSERT_TRUE(fetcher_.fetch(file_url(), {}, cache_));
  run({"branch", "-q", "-D", "feature"});
  run({"tag", "-d", "v1"});
  ASSERT_TRUE(fetcher_.fetch(file_url(), {}, cache_));
  auto branch = resolve("feature");
  ASSERT_FALSE(branch);
  EXPECT_EQ(branch.error().items().at(0).summary, "ref \"feature\" not found in " + file_url());
  EXPECT_FALSE(resolve("v1"));
  EXPECT_EQ(resolve(c3_).value_or("?"), c3_);  // the objects stay; only the refs go
}

TEST_F(GitFetcherTest, FollowsAChangedRepoUrl) {
  ASSERT_TRUE(fetcher_.fetch(file_url(), {}, cache_));
  fs::path other = tmp_.path() / "other";
  run({"clone", "-q", src_.string(), other.string()}, tmp_.path());
  write(other / "other.txt", "other\n");
  run({"add", "other.txt"}, other);
  run({"commit", "-q", "-m", "other"}, other);
  run({"branch", "only-other"}, other);
  std::string other_main = rev("HEAD", other);

  auto fetched = fetcher_.fetch(other.string(), {}, cache_);
  ASSERT_TRUE(fetched) << message(fetched.error());
  EXPECT_EQ(run({"config", "remote.origin.url"}, cache_), other.string());
  EXPECT_EQ(resolve("main").value_or("?"), other_main);
  EXPECT_EQ(resolve("only-other").value_or("?"), other_main);
  auto gone = resolve("feature");  // the old repo's branch (the clone has no local "feature")
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().items().at(0).summary, "ref \"feature\" not found in " + other.string());
}

// ---- failures ------------------------------------------------------------------------------

TEST_F(GitFetcherTest, MissingRepositoryIsNamedAndLeavesNoCache) {
  std::string path = (tmp_.path() / "nope.git").string();
  for (const std::string& url : {path, "file://" + path}) {
    auto r = fetcher_.fetch(url, {}, cache_);
    ASSERT_FALSE(r) << url;
    const auto& d = r.error().items().at(0);
    EXPECT_EQ(d.summary, "cannot fetch " + url + ": repository path " + path + " does not exist");
    EXPECT_EQ(d.hint, "check the repo URL and that the repository exists");
  }
  // A path that exists but is no repository fails inside libgit2, with the same hint.
  fs::create_directories(tmp_.path() / "empty");
  auto r = fetcher_.fetch((tmp_.path() / "empty").string(), {}, cache_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().items().at(0).summary.find("cannot fetch " +
                                                 (tmp_.path() / "empty").string() + ": "),
            std::string::npos)
      << message(r.error());
  EXPECT_EQ(r.error().items().at(0).hint, "check the repo URL and that the repository exists");
  EXPECT_FALSE(fs::exists(cache_));
  EXPECT_TRUE(leftovers(cache_.parent_path()).empty());
}

TEST_F(GitFetcherTest, AnEmptyRepoFetchesButHasNoRefs) {
  fs::path empty = tmp_.path() / "empty.git";
  run({"init", "-q", "--bare", empty.string()}, tmp_.path());
  auto fetched = fetcher_.fetch(empty.string(), {}, cache_);
  ASSERT_TRUE(fetched) << message(fetched.error());
  auto r = resolve("main");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().items().at(0).hint, "the repo has no branches or tags; is it empty?");
}

TEST_F(GitFetcherTest, ACacheThatIsNoRepositoryFails) {
  fs::create_directories(cache_);
  write(cache_ / "junk", "x");
  auto r = fetcher_.fetch(file_url(), {}, cache_);
  ASSERT_FALSE(r);
  EXPECT_EQ(
      r.error().items().at(0).summary.rfind("cannot open the git cache " + cache_.string(), 0), 0u)
      << message(r.error());
}

TEST_F(GitFetcherTest, UnsupportedUrlsAreRefused) {
  auto r = fetcher_.fetch("relative/repo", {}, cache_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().items().at(0).summary, "unsupported repo URL \"relative/repo\"");
}

TEST_F(GitFetcherTest, DifferentCachesCanBeFetchedConcurrently) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      fs::path cache = tmp_.path() / "caches" / std::to_string(i);
      if (fetcher_.fetch(file_url(), {}, cache) &&
          fetcher_.resolve(cache, "v2").value_or("") == c2_ &&
          fetcher_.checkout(cache, c2_, tmp_.path() / "outs" / std::to_string(i)))
        ++ok;
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), 4);
}

// ---- credentials ---------------------------------------------------------------------------

TEST_F(GitFetcherTest, UrlPasswordsAndTokensNeverAppearInErrorsOrTheCache) {
  ASSERT_TRUE(fetcher_.fetch(file_url(), {}, cache_));
  int port = free_port();
  std::string url = "https://alice:s3cretpw@127.0.0.1:" + std::to_string(port) + "/org/x.git";
  auto r = fetcher_.fetch(url, GitAuth{"tok-abc-123"}, cache_);
  ASSERT_FALSE(r);
  std::string text = message(r.error());
  EXPECT_NE(
      text.find("cannot fetch https://***@127.0.0.1:" + std::to_string(port) + "/org/x.git: "),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("s3cretpw"), std::string::npos) << text;
  EXPECT_EQ(text.find("alice"), std::string::npos) << text;
  EXPECT_EQ(text.find("tok-abc-123"), std::string::npos) << text;
  // The cache's config records the URL without its credentials.
  EXPECT_EQ(read(cache_ / "config").find("s3cretpw"), std::string::npos);
  EXPECT_EQ(run({"config", "remote.origin.url"}, cache_),
            "https://127.0.0.1:" + std::to_string(port) + "/org/x.git");
}

/// An HTTP server on 127.0.0.1 that answers 401 (Basic) to everything and records the
/// Authorization headers it was sent.
class DenyingServer {
 public:
  DenyingServer() {
    auto deny = [this](const httplib::Request& req, httplib::Response& res) {
      if (req.has_header("Authorization")) {
        std::lock_guard lock(mu_);
        auth_.push_back(req.get_header_value("Authorization"));
      }
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"x\"");
      res.set_content("denied", "text/plain");
    };
    server_.Get(".*", deny);
    server_.Post(".*", deny);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~DenyingServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> auth() const {
    std::lock_guard lock(mu_);
    return auth_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> auth_;
};

TEST_F(GitFetcherTest, CredentialCallbackGivesUpAfterOneRejectedToken) {
  DenyingServer server;
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/org/x.git";
  auto start = std::chrono::steady_clock::now();
  auto r = fetcher_.fetch(url, GitAuth{"tok-abc-123"}, cache_);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  const auto& d = r.error().items().at(0);
  EXPECT_EQ(d.summary,
            "cannot fetch " + url + ": authentication failed: the server rejected the credentials");
  EXPECT_EQ(message(r.error()).find("tok-abc-123"), std::string::npos);
  auto auth = server.auth();
  ASSERT_GE(auth.size(), 1u);
  EXPECT_LE(auth.size(), 2u);
  EXPECT_EQ(auth[0], "Basic " + base64("x-access-token:tok-abc-123"));
  EXPECT_FALSE(fs::exists(cache_));
}

TEST_F(GitFetcherTest, UrlCredentialsAreSentOnceAndNeverShown) {
  DenyingServer server;
  std::string rest = "127.0.0.1:" + std::to_string(server.port()) + "/org/x.git";
  auto r = fetcher_.fetch("http://alice:pa55word@" + rest, {}, cache_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().items().at(0).summary,
            "cannot fetch http://***@" + rest +
                ": authentication failed: the server rejected the credentials");
  EXPECT_EQ(message(r.error()).find("pa55word"), std::string::npos);
  auto auth = server.auth();
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0], "Basic " + base64("alice:pa55word"));
}

TEST_F(GitFetcherTest, NoCredentialsMeansAuthenticationRequired) {
  DenyingServer server;
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/org/x.git";
  auto r = fetcher_.fetch(url, {}, cache_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().items().at(0).summary,
            "cannot fetch " + url + ": authentication required: the server asks for credentials");
  EXPECT_EQ(r.error().items().at(0).hint, "give a token for this repository");
  EXPECT_TRUE(server.auth().empty());
}

TEST_F(GitFetcherTest, SshUrlFailsNamingTheUrl) {
  std::string url = "ssh://git@127.0.0.1:" + std::to_string(free_port()) + "/org/x.git";
  auto r = fetcher_.fetch(url, {}, cache_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().items().at(0).summary.rfind("cannot fetch " + url + ": ", 0), 0u)
      << message(r.error());
}

// ---- git daemon ----------------------------------------------------------------------------

TEST_F(GitFetcherTest, FetchesFromGitDaemon) {
  GitDaemon daemon(tmp_.path(), tmp_.path() / "daemon.log");
  ASSERT_TRUE(daemon.ready()) << read(tmp_.path() / "daemon.log");
  std::string base = "git://127.0.0.1:" + std::to_string(daemon.port());
  auto fetched = fetcher_.fetch(base + "/src", {}, cache_);
  ASSERT_TRUE(fetched) << message(fetched.error());
  EXPECT_EQ(resolve("main").value_or("?"), c2_);
  EXPECT_EQ(resolve("v2").value_or("?"), c2_);

  std::string c4 = commit_file("new.txt", "new\n");
  ASSERT_TRUE(fetcher_.fetch(base + "/src", {}, cache_));
  EXPECT_EQ(resolve("main").value_or("?"), c4);

  auto missing = fetcher_.fetch(base + "/nope", {}, tmp_.path() / "cache2");
  ASSERT_FALSE(missing);
  const auto& d = missing.error().items().at(0);
  EXPECT_EQ(d.summary.rfind("cannot fetch " + base + "/nope: ", 0), 0u) << message(missing.error());
  EXPECT_EQ(d.hint, "check the repo URL and that the repository exists") << d.summary;
}

// ---- the fake ------------------------------------------------------------------------------

TEST(FakeGitFetcher, FetchesResolvesAndChecksOut) {
  ScopedTempDir tmp;
  FakeGitFetcher git;
  std::string url = "https://example.com/org/p.git";
  std::string one = git.add_commit(url, {{"a.txt", "1"}, {"dir/b.txt", "b"}}, {"main", "v1"});
  std::string two = git.add_commit(url, {{"a.txt", "2"}}, {"main"});
  EXPECT_TRUE(is_commit_sha(one));
  EXPECT_NE(one, two);
  fs::path cache = tmp.path() / "cache";
  ASSERT_TRUE(git.fetch(url, {}, cache));
  EXPECT_TRUE(fs::is_directory(cache));
  EXPECT_EQ(git.resolve(cache, "main").value_or("?"), two);
  EXPECT_EQ(git.resolve(cache, "refs/tags/v1").value_or("?"), one);
  EXPECT_EQ(git.resolve(cache, one).value_or("?"), one);
  auto unknown = git.resolve(cache, "v2");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().items().at(0).summary, "ref \"v2\" not found in " + url);
  EXPECT_EQ(unknown.error().items().at(0).hint, "did you mean \"v1\"? refs: main, v1");
  ASSERT_TRUE(git.checkout(cache, one, tmp.path() / "out"));
  EXPECT_EQ(read(tmp.path() / "out" / "dir" / "b.txt"), "b");
  EXPECT_FALSE(git.checkout(cache, one, tmp.path() / "out"));  // exists
  EXPECT_EQ(git.calls(),
            (std::vector<std::string>{"fetch " + url, "resolve main", "resolve refs/tags/v1",
                                      "resolve " + one, "resolve v2", "checkout " + one,
                                      "checkout " + one}));
}

TEST(FakeGitFetcher, FailsOnDemandAndForUnknownRepos) {
  ScopedTempDir tmp;
  FakeGitFetcher git;
  std::string url = "https://user:tok@example.com/p.git";
  git.add_commit(url, {}, {"main"});
  git.fail_next_fetch(url, "network down");
  auto failed = git.fetch(url, {}, tmp.path() / "c");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().items().at(0).summary,
            "cannot fetch https://***@example.com/p.git: network down");
  EXPECT_TRUE(git.fetch(url, {}, tmp.path() / "c"));
  EXPECT_FALSE(git.fetch("https://example.com/other.git", {}, tmp.path() / "d"));
  EXPECT_FALSE(git.resolve(tmp.path() / "d", "main"));
}

}  // namespace
}  // namespace lakeinfra::pipelines
