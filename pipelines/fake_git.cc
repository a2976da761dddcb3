// FakeGitFetcher: repos held in memory; checkouts written to the real filesystem.
#include "pipelines/fake_git.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <system_error>

#include "config/diagnostics.h"

namespace lakeinfra::pipelines {

namespace {

namespace fs = std::filesystem;

/// 64-bit FNV-1a, to make shas that look like shas and differ between repos.
uint64_t fnv1a(const std::string& text, uint64_t seed) {
  uint64_t h = 1469598103934665603ULL ^ seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string made_up_sha(const std::string& url, int counter) {
  std::string key = url + "#" + std::to_string(counter);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%016llx%016llx%08x",
                static_cast<unsigned long long>(fnv1a(key, 1)),
                static_cast<unsigned long long>(fnv1a(key, 2)), static_cast<unsigned>(counter));
  return buf;
}

/// "refs/heads/x" and "refs/tags/x" → "x"; other names unchanged.
std::string short_ref(const std::string& ref) {
  for (const char* prefix : {"refs/heads/", "refs/tags/"}) {
    std::string p = prefix;
    if (ref.rfind(p, 0) == 0)
      return ref.substr(p.size());
  }
  return ref;
}

bool safe_relative(const fs::path& path) {
  if (path.empty() || path.is_absolute())
    return false;
  return std::none_of(path.begin(), path.end(), [](const fs::path& part) {
    return part == ".." || part == "." || part.empty();
  });
}

}  // namespace

std::string FakeGitFetcher::add_commit(const std::string& url,
                                       const std::map<std::string, std::string>& files,
                                       const std::vector<std::string>& refs) {
  std::lock_guard lock(mu_);
  std::string sha = made_up_sha(url, next_++);
  Repo& repo = repos_[url];
  repo.commits[sha] = files;
  for (const auto& ref : refs)
    repo.refs[short_ref(ref)] = sha;
  return sha;
}

void FakeGitFetcher::fail_next_fetch(const std::string& url, const std::string& message) {
  std::lock_guard lock(mu_);
  failures_[url] = message;
}

std::vector<std::string> FakeGitFetcher::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

Result<void> FakeGitFetcher::fetch(const std::string& url, const GitAuth& /*auth*/,
                                   const std::filesystem::path& cache_dir) {
  std::lock_guard lock(mu_);
  calls_.push_back("fetch " + redact_url(url));
  if (auto it = failures_.find(url); it != failures_.end()) {
    std::string message = it->second;
    failures_.erase(it);
    return fail("cannot fetch " + redact_url(url) + ": " + message);
  }
  if (!repos_.count(url))
    return fail("cannot fetch " + redact_url(url) + ": repository not found",
                "check the repo URL and that the repository exists");
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (ec)
    return fail("cannot create " + cache_dir.string() + ": " + ec.message());
  caches_[cache_dir.string()] = url;
  return {};
}

Result<std::string> FakeGitFetcher::resolve(const std::filesystem::path& cache_dir,
                                            const std::string& ref) {
  std::lock_guard lock(mu_);
  calls_.push_back("resolve " + ref);
  auto cache = caches_.find(cache_dir.string());
  if (cache == caches_.end())
    return fail("no git cache at " + cache_dir.string(), "fetch the repo first");
  const std::string& url = cache->second;
  const Repo& repo = repos_.at(url);
  if (is_commit_sha(ref)) {
    if (repo.commits.count(ref))
      return ref;
    return fail("commit " + ref + " is not in " + redact_url(url),
                "check the sha; a commit pushed after the last fetch needs a new fetch");
  }
  if (auto it = repo.refs.find(short_ref(ref)); it != repo.refs.end())
    return it->second;
  if (ref.size() >= 7) {  // a unique abbreviated sha
    std::vector<std::string> matches;
    for (const auto& [sha, files] : repo.commits) {
      if (sha.rfind(ref, 0) == 0)
        matches.push_back(sha);
    }
    if (matches.size() == 1)
      return matches.front();
  }
  std::vector<std::string> names;
  for (const auto& [name, sha] : repo.refs)
    names.push_back(name);
  std::string hint;
  if (std::string near = config::closest_match(ref, names); !near.empty())
    hint = "did you mean \"" + near + "\"? ";
  hint += "refs: ";
  for (size_t i = 0; i < names.size() && i < 10; ++i)
    hint += (i ? ", " : "") + names[i];
  return fail("ref \"" + ref + "\" not found in " + redact_url(url), hint);
}

Result<void> FakeGitFetcher::checkout(const std::filesystem::path& cache_dir,
                                      const std::string& commit,
                                      const std::filesystem::path& dest) {
  std::lock_guard lock(mu_);
  calls_.push_back("checkout " + commit);
  auto cache = caches_.find(cache_dir.string());
  if (cache == caches_.end())
    return fail("no git cache at " + cache_dir.string(), "fetch the repo first");
  const Repo& repo = repos_.at(cache->second);
  auto it = repo.commits.find(commit);
  if (it == repo.commits.end())
    return fail("commit " + commit + " is not in " + redact_url(cache->second),
                "fetch the repo, then resolve the ref again");
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dest, ec)))
    return fail("checkout destination " + dest.string() + " already exists",
                "remove it or check out into a new directory");
  try {
    fs::create_directories(dest);
    for (const auto& [name, content] : it->second) {
      fs::path rel(name);
      if (!safe_relative(rel))
        return fail("refusing to write \"" + name + "\" outside " + dest.string());
      fs::path path = dest / rel;
      fs::create_directories(path.parent_path());
      std::ofstream out(path, std::ios::binary);
      out << content;
      if (!out)
        return fail("cannot write " + path.string());
    }
  } catch (const std::exception& e) {
    return fail("cannot check out " + commit + " into " + dest.string() + ": " + e.what());
  }
  return {};
}

}  // namespace lakeinfra::pipelines
