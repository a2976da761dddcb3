#pragma once

#include <filesystem>
#include <mutex>
#include <string>

#include "config/result.h"

namespace lakeinfra::pipelines {

/// Credentials for one fetch. Never logged, never stored.
struct GitAuth {
  /// An https token (GitHub, GitLab, Azure DevOps PAT), sent as the password of user
  /// "x-access-token" when the server asks for credentials. "" = none. Credentials written in
  /// the URL itself ("https://user:password@host/...") take precedence over it.
  std::string token;
};

/// The git seam: fetching pipeline repos into a local cache and exporting commits from it.
/// Every message names the repo by its redacted URL (redact_url).
class GitFetcher {
 public:
  virtual ~GitFetcher() = default;

  /// Makes `cache_dir` a bare mirror of `url`: clones it when `cache_dir` does not exist,
  /// otherwise fetches every branch and tag again (pruning deleted ones, following moved tags).
  /// `url` is an https, http, git, ssh (also scp-like "git@host:org/x.git") or file URL, or an
  /// absolute local path. When an existing cache was made from another URL, the cache is
  /// pointed at `url` and re-mirrored. A failed first fetch leaves no `cache_dir` behind.
  /// Fails naming the operation and the redacted URL, with the server's reason.
  virtual Result<void> fetch(const std::string& url, const GitAuth& auth,
                             const std::filesystem::path& cache_dir) = 0;

  /// Resolves `ref` in the cache to a 40-hex commit sha: a full commit sha, a branch name, a
  /// tag name (annotated tags are peeled to their commit), or a full ref ("refs/tags/v1").
  /// Fails naming the ref and listing (some of) the branches and tags that exist.
  virtual Result<std::string> resolve(const std::filesystem::path& cache_dir,
                                      const std::string& ref) = 0;

  /// Writes the files of `commit` (a full 40-hex sha, as returned by resolve) into `dest`
  /// (created with its parents; must not exist): a clean checkout without .git, with the
  /// executable bit and symlinks as committed. Fails when `commit` is not in the cache or
  /// `dest` exists; a failure leaves no `dest` behind.
  virtual Result<void> checkout(const std::filesystem::path& cache_dir, const std::string& commit,
                                const std::filesystem::path& dest) = 0;
};

/// The libgit2 implementation.
///
/// Cache layout: `cache_dir` is a bare repository whose "origin" has the refspecs
/// `+refs/heads/*:refs/heads/*` and `+refs/tags/*:refs/tags/*` (a mirror: branch and tag names
/// resolve directly; HEAD follows the remote's default branch). The origin URL recorded in its
/// config carries no password or token: credentials reach libgit2 only through a callback, for
/// the URL's host only, once per fetch (a rejected credential fails the fetch with
/// "authentication failed" instead of retrying). ssh uses the ssh-agent (SSH_AUTH_SOCK) and
/// libgit2's known_hosts check (1.5.1+); ~/.ssh/config is not read.
///
/// Checkouts write the committed bytes as they are: no .gitattributes filters, no line-ending
/// conversion, no LFS; a submodule becomes an empty directory.
///
/// Thread-safe for different cache directories; calls on the same cache directory must be
/// serialised by the caller. A fetch that was killed mid-way leaves lock files in the cache;
/// the next fetch removes them (with calls serialised, no live fetch can own one). libgit2 1.5 has
/// no network timeouts: a server that accepts the connection and then stalls blocks fetch().
class Libgit2Fetcher : public GitFetcher {
 public:
  Libgit2Fetcher();
  ~Libgit2Fetcher() override;
  Libgit2Fetcher(const Libgit2Fetcher&) = delete;
  Libgit2Fetcher& operator=(const Libgit2Fetcher&) = delete;

  Result<void> fetch(const std::string& url, const GitAuth& auth,
                     const std::filesystem::path& cache_dir) override;
  Result<std::string> resolve(const std::filesystem::path& cache_dir,
                              const std::string& ref) override;
  Result<void> checkout(const std::filesystem::path& cache_dir, const std::string& commit,
                        const std::filesystem::path& dest) override;

 private:
  /// Initialises libgit2 on first use: its start-up reads the system's CA certificates
  /// (~6% of a 10k-resource plan), which commands without pipelines never need.
  void ensure_initialised();
  std::once_flag initialised_;
  bool live_ = false;
};

/// `url` safe to show: its whole userinfo becomes "***" when it holds a password (any scheme,
/// also scp-like) or when it is on an http(s) URL (where a lone user is a token):
///   "https://user:pass@host/x" → "https://***@host/x", "https://tok@host/x" →
///   "https://***@host/x", "ssh://git:pw@host/x" → "ssh://***@host/x".
/// A user without a password on ssh, git or file URLs ("ssh://git@host/x", "git@host:org/x.git")
/// is not a secret and is kept. Plain paths and URLs without userinfo are returned unchanged.
/// The userinfo ends at the last '@' before the first '/', '?' or '#' after "://", so
/// credentials containing '/' must be percent-encoded (as git requires too).
std::string redact_url(const std::string& url);

/// The secret embedded in `url`, as written there (not percent-decoded), "" if none: the
/// password when there is a non-empty one, else, for http(s) URLs with only a user, that user
/// (a token). For registering with the log's redaction.
std::string url_secret(const std::string& url);

/// Whether `text` is a full 40-hex commit sha (either case).
bool is_commit_sha(const std::string& text);

}  // namespace lakeinfra::pipelines
