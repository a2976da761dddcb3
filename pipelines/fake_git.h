#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "pipelines/git.h"

namespace lakeinfra::pipelines {

/// A GitFetcher over repos described in memory, for tests of what is built on top of it.
/// checkout() writes the commit's files to the real directory `dest` (builds need real files;
/// no modes or symlinks). fetch() creates `cache_dir` and remembers which repo it holds; the
/// cache is a view of the repo, not a snapshot, so commits added later are seen without a new
/// fetch. `auth` is ignored. Thread-safe. URLs in calls() and messages are redacted.
class FakeGitFetcher : public GitFetcher {
 public:
  /// Adds a commit to repo `url`; returns its (made-up, 40-hex) sha. `refs` (branches and tags,
  /// short or as "refs/heads/x"/"refs/tags/x") are pointed at it. `files`: relative path →
  /// content.
  std::string add_commit(const std::string& url, const std::map<std::string, std::string>& files,
                         const std::vector<std::string>& refs);
  /// The next fetch of `url` fails with `message`.
  void fail_next_fetch(const std::string& url, const std::string& message);
  /// Calls made, e.g. "fetch URL", "resolve REF", "checkout SHA".
  std::vector<std::string> calls() const;

  Result<void> fetch(const std::string& url, const GitAuth& auth,
                     const std::filesystem::path& cache_dir) override;
  Result<std::string> resolve(const std::filesystem::path& cache_dir,
                              const std::string& ref) override;
  Result<void> checkout(const std::filesystem::path& cache_dir, const std::string& commit,
                        const std::filesystem::path& dest) override;

 private:
  struct Repo {
    std::map<std::string, std::map<std::string, std::string>> commits;  // sha → files
    std::map<std::string, std::string> refs;                            // ref → sha
  };
  mutable std::mutex mu_;
  std::map<std::string, Repo> repos_;            // url → repo
  std::map<std::string, std::string> caches_;    // cache dir → url
  std::map<std::string, std::string> failures_;  // url → message
  std::vector<std::string> calls_;
  int next_ = 1;
};

}  // namespace lakeinfra::pipelines
