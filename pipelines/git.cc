// The libgit2 GitFetcher: a bare mirror per repo (refs/heads/* and refs/tags/* exactly as on the
// remote), credentials handed to libgit2 only through a callback that gives up after one
// rejected attempt, and checkouts written blob by blob (no filters, no index, no .git).
#include "pipelines/git.h"

#include <fcntl.h>
#include <git2.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <exception>
#include <memory>
#include <random>
#include <system_error>
#include <vector>

#include "config/diagnostics.h"
#include "pipelines/git_url.h"

namespace lakeinfra::pipelines {

namespace {

namespace fs = std::filesystem;
using git_url::ascii_lower;
using git_url::is_hex;
using git_url::is_ssh;
using git_url::is_supported;
using git_url::parse_url;
using git_url::percent_decode;
using git_url::redact_text;
using git_url::transport_url;
using git_url::UrlParts;

// ---- libgit2 handles -----------------------------------------------------------------------

template <typename T, void (*Free)(T*)>
struct GitFree {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitFree<T, Free>>;
using RepoPtr = GitPtr<git_repository, git_repository_free>;
using RemotePtr = GitPtr<git_remote, git_remote_free>;
using RefPtr = GitPtr<git_reference, git_reference_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;

/// libgit2's last error message for this thread, or a fallback naming the code.
std::string last_error(int code) {
  const git_error* e = git_error_last();
  if (e && e->message && *e->message)
    return e->message;
  return "libgit2 error " + std::to_string(code);
}

std::string oid_str(const git_oid* oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, oid);
  return buf;
}

bool looks_not_found(const std::string& message) {
  const std::string m = ascii_lower(message);
  for (const char* needle :
       {"not found", "status code: 404", "does not exist", "no such file", "not exported",
        "could not find", "failed to resolve path", "not a git repository", "no such repository",
        "repository not found", "does not appear to be a git repository"}) {
    if (m.find(needle) != std::string::npos)
      return true;
  }
  return false;
}

bool looks_unreachable(const std::string& message) {
  const std::string m = ascii_lower(message);
  for (const char* needle : {"failed to resolve address", "failed to connect", "timed out",
                             "connection refused", "network is unreachable"}) {
    if (m.find(needle) != std::string::npos)
      return true;
  }
  return false;
}

// ---- credentials ---------------------------------------------------------------------------

/// What the credential callback knows and what happened to it during one fetch.
struct CredentialState {
  enum class Outcome { kNone, kRejected, kMissing, kOtherHost };
  bool ssh = false;
  std::string host;  ///< credentials go only to this host (not to a redirect target)
  bool url_has_credentials = false;
  bool url_has_password = false;
  std::string url_user;      ///< decoded
  std::string url_password;  ///< decoded
  std::string token;
  int attempts = 0;
  Outcome outcome = Outcome::kNone;
};

int give_up(CredentialState& state, CredentialState::Outcome outcome, const char* message) {
  state.outcome = outcome;
  git_error_set_str(GIT_ERROR_NET, message);
  return GIT_EUSER;
}

/// libgit2 calls this whenever the server wants credentials, again after each rejection; the
/// second call for the same fetch means the first answer was rejected, so it gives up.
int acquire_credentials(git_credential** out, const char* url, const char* username_from_url,
                        unsigned int allowed, void* payload) noexcept {
  auto& state = *static_cast<CredentialState*>(payload);
  try {
    std::string user = username_from_url && *username_from_url ? username_from_url
                       : !state.url_user.empty()               ? state.url_user
                                                               : "git";
    if (state.ssh && (allowed & GIT_CREDENTIAL_USERNAME))
      return git_credential_username_new(out, user.c_str());
    if (state.attempts >= 1)
      return give_up(state, CredentialState::Outcome::kRejected, "authentication failed");
    if (url && parse_url(url).host != state.host)
      return give_up(state, CredentialState::Outcome::kOtherHost,
                     "credentials requested by another host");
    if (state.ssh) {
      if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && state.url_has_password) {
        ++state.attempts;
        return git_credential_userpass_plaintext_new(out, user.c_str(), state.url_password.c_str());
      }
      if (allowed & GIT_CREDENTIAL_SSH_KEY) {
        ++state.attempts;
        return git_credential_ssh_key_from_agent(out, user.c_str());
      }
    } else if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
      if (state.url_has_credentials) {
        ++state.attempts;
        return git_credential_userpass_plaintext_new(out, state.url_user.c_str(),
                                                     state.url_password.c_str());
      }
      if (!state.token.empty()) {
        ++state.attempts;
        return git_credential_userpass_plaintext_new(out, "x-access-token", state.token.c_str());
      }
    }
    return give_up(state, CredentialState::Outcome::kMissing, "authentication required");
  } catch (...) {
    git_error_set_str(GIT_ERROR_NET, "out of memory");
    return GIT_EUSER;
  }
}

// ---- files ---------------------------------------------------------------------------------

/// Creates a new directory beside `target` named "TARGET.tmp-XXXXXXXX"; "" and `error` set on
/// failure.
fs::path make_temp_sibling(const fs::path& target, std::string& error) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* const kHex = "0123456789abcdef";
  for (int i = 0; i < 100; ++i) {
    std::string suffix = ".tmp-";
    auto r = rng();
    for (int k = 0; k < 8; ++k)
      suffix += kHex[(r >> (4 * k)) & 0xf];
    fs::path candidate = target;
    candidate += suffix;
    std::error_code ec;
    if (fs::create_directory(candidate, ec))
      return candidate;
    if (ec) {
      error = "cannot create " + candidate.string() + ": " + ec.message();
      return {};
    }
  }
  error = "cannot create a temporary directory beside " + target.string();
  return {};
}

/// Removes `path` (recursively) when it goes out of scope, unless released.
class TempDir {
 public:
  explicit TempDir(fs::path path) : path_(std::move(path)) {}
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

/// Writes `size` bytes to a new file `path` (never following a symlink), with mode 0777 when
/// `executable` else 0666, less the umask, as git does.
std::string write_file(const fs::path& path, const void* data, size_t size, bool executable) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                  executable ? 0777 : 0666);
  if (fd < 0)
    return "cannot create " + path.string() + ": " + errno_text();
  const char* p = static_cast<const char*>(data);
  size_t done = 0;
  while (done < size) {
    ssize_t w = ::write(fd, p + done, size - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      std::string error = "cannot write " + path.string() + ": " + errno_text();
      ::close(fd);
      return error;
    }
    done += static_cast<size_t>(w);
  }
  if (::close(fd) != 0)
    return "cannot write " + path.string() + ": " + errno_text();
  return {};
}

/// Whether a tree entry name is safe to create inside the checkout directory.
bool safe_entry_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && ascii_lower(name) != ".git" &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

/// Writes the entries of `tree` into the existing directory `dir`; an error message or "".
std::string write_tree(git_repository* repo, const git_tree* tree, const fs::path& dir) {
  size_t count = git_tree_entrycount(tree);
  for (size_t i = 0; i < count; ++i) {
    const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
    std::string name = git_tree_entry_name(entry);
    if (!safe_entry_name(name))
      return "refusing to write the tree entry \"" + name + "\" in " + dir.string();
    fs::path path = dir / name;
    git_filemode_t mode = git_tree_entry_filemode(entry);
    const git_oid* id = git_tree_entry_id(entry);
    switch (mode) {
      case GIT_FILEMODE_TREE: {
        std::error_code ec;
        fs::create_directory(path, ec);
        if (ec)
          return "cannot create " + path.string() + ": " + ec.message();
        git_tree* sub_raw = nullptr;
        if (int rc = git_tree_lookup(&sub_raw, repo, id); rc < 0)
          return "cannot read tree " + oid_str(id) + ": " + last_error(rc);
        TreePtr sub(sub_raw);
        if (std::string error = write_tree(repo, sub.get(), path); !error.empty())
          return error;
        break;
      }
      case GIT_FILEMODE_BLOB:
      case GIT_FILEMODE_BLOB_EXECUTABLE:
      case GIT_FILEMODE_LINK: {
        git_blob* blob_raw = nullptr;
        if (int rc = git_blob_lookup(&blob_raw, repo, id); rc < 0)
          return "cannot read blob " + oid_str(id) + ": " + last_error(rc);
        BlobPtr blob(blob_raw);
        const void* data = git_blob_rawcontent(blob.get());
        auto size = static_cast<size_t>(git_blob_rawsize(blob.get()));
        if (mode == GIT_FILEMODE_LINK) {
          std::string target(static_cast<const char*>(data), size);
          if (target.empty() || target.find('\0') != std::string::npos)
            return "invalid symlink target for " + path.string();
          if (::symlink(target.c_str(), path.c_str()) != 0)
            return "cannot create symlink " + path.string() + ": " + errno_text();
        } else if (std::string error =
                       write_file(path, data, size, mode == GIT_FILEMODE_BLOB_EXECUTABLE);
                   !error.empty()) {
          return error;
        }
        break;
      }
      case GIT_FILEMODE_COMMIT: {  // a submodule: an empty directory, as git leaves it
        std::error_code ec;
        fs::create_directory(path, ec);
        if (ec)
          return "cannot create " + path.string() + ": " + ec.message();
        break;
      }
      default:
        return "unsupported file mode " + std::to_string(static_cast<int>(mode)) + " for " +
               path.string();
    }
  }
  return {};
}

// ---- the cache -----------------------------------------------------------------------------

constexpr const char* kHeadsSpec = "+refs/heads/*:refs/heads/*";
constexpr const char* kTagsSpec = "+refs/tags/*:refs/tags/*";

/// Opens the bare cache at `dir`.
Result<RepoPtr> open_cache(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec))
    return fail("no git cache at " + dir.string(), "fetch the repo first");
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(
      &raw, dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, nullptr);
  if (rc < 0)
    return fail("cannot open the git cache " + dir.string() + ": " + last_error(rc),
                "delete the directory; the next fetch clones the repo again");
  return RepoPtr(raw);
}

/// The cache's origin URL, redacted, for messages; the cache directory when it has none.
std::string repo_name(git_repository* repo, const fs::path& dir) {
  git_remote* raw = nullptr;
  if (git_remote_lookup(&raw, repo, "origin") < 0)
    return dir.string();
  RemotePtr remote(raw);
  const char* url = git_remote_url(remote.get());
  return url ? redact_url(url) : dir.string();
}

/// Adds the mirror refspecs to "origin" when they are missing.
int ensure_refspecs(git_repository* repo, git_remote* remote) {
  git_strarray specs{};
  int rc = git_remote_get_fetch_refspecs(&specs, remote);
  if (rc < 0)
    return rc;
  bool heads = false;
  bool tags = false;
  for (size_t i = 0; i < specs.count; ++i) {
    heads = heads || std::string(specs.strings[i]) == kHeadsSpec;
    tags = tags || std::string(specs.strings[i]) == kTagsSpec;
  }
  git_strarray_dispose(&specs);
  if (!heads && (rc = git_remote_add_fetch(repo, "origin", kHeadsSpec)) < 0)
    return rc;
  if (!tags && (rc = git_remote_add_fetch(repo, "origin", kTagsSpec)) < 0)
    return rc;
  return 0;
}

/// Points HEAD at the remote's default branch, when the remote said which it is and the cache
/// has it; so that "HEAD" resolves like on the remote. Best effort.
void follow_remote_head(git_repository* repo, git_remote* remote) {
  git_buf buf = GIT_BUF_INIT;
  if (git_remote_default_branch(&buf, remote) == 0) {
    git_reference* ref = nullptr;
    if (git_reference_lookup(&ref, repo, buf.ptr) == 0) {
      git_reference_free(ref);
      git_repository_set_head(repo, buf.ptr);
    }
  }
  git_buf_dispose(&buf);
  git_error_clear();
}

/// Describes one fetch for messages and for the credential callback.
struct FetchJob {
  std::string redacted;   ///< the URL as the user wrote it, redacted
  std::string transport;  ///< the URL given to libgit2 (no credentials)
  std::vector<std::string> secrets;
  CredentialState credentials;
};

tl::unexpected<config::Diagnostics> fetch_error(const FetchJob& job, const std::string& message) {
  using Outcome = CredentialState::Outcome;
  std::string what = "cannot fetch " + job.redacted;
  switch (job.credentials.outcome) {
    case Outcome::kRejected:
      return fail(what + ": authentication failed: the server rejected the credentials",
                  job.credentials.ssh
                      ? "check that ssh-agent (SSH_AUTH_SOCK) holds a key the server accepts"
                      : "check that the token (or the URL's user and password) is valid and "
                        "may read the repository");
    case Outcome::kMissing:
      return fail(what + ": authentication required: the server asks for credentials",
                  job.credentials.ssh ? "add a key the server accepts to ssh-agent"
                                      : "give a token for this repository");
    case Outcome::kOtherHost:
      return fail(what +
                      ": a different host (after a redirect) asks for credentials; "
                      "they were not sent",
                  "use the repository's final URL");
    case Outcome::kNone:
      break;
  }
  std::string detail = redact_text(message, job.secrets);
  std::string hint;
  if (looks_not_found(detail))
    hint = "check the repo URL and that the repository exists";
  else if (looks_unreachable(detail))
    hint = "check the host and port in the repo URL and that the server is reachable";
  return fail(what + ": " + detail, hint);
}

Result<void> run_fetch(git_repository* repo, FetchJob& job) {
  git_remote* raw = nullptr;
  if (int rc = git_remote_lookup(&raw, repo, "origin"); rc < 0)
    return fetch_error(job, last_error(rc));
  RemotePtr remote(raw);
  git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
  opts.callbacks.credentials = acquire_credentials;
  opts.callbacks.payload = &job.credentials;
  opts.prune = GIT_FETCH_PRUNE;
  opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
  opts.update_fetchhead = 0;
  opts.proxy_opts.type = GIT_PROXY_AUTO;
  git_error_clear();
  if (int rc = git_remote_fetch(remote.get(), nullptr, &opts, "lakeinfra: fetch"); rc < 0)
    return fetch_error(job, last_error(rc));
  follow_remote_head(repo, remote.get());
  return {};
}

Result<void> clone_into(const fs::path& cache_dir, FetchJob& job) {
  std::error_code ec;
  if (cache_dir.has_parent_path()) {
    fs::create_directories(cache_dir.parent_path(), ec);
    if (ec)
      return fail("cannot create " + cache_dir.parent_path().string() + ": " + ec.message());
  }
  std::string error;
  fs::path tmp = make_temp_sibling(cache_dir, error);
  if (tmp.empty())
    return fail("cannot fetch " + job.redacted + ": " + error);
  TempDir guard(tmp);
  {
    git_repository* raw = nullptr;
    if (int rc = git_repository_init(&raw, tmp.c_str(), 1); rc < 0)
      return fail("cannot create a git cache at " + tmp.string() + ": " + last_error(rc));
    RepoPtr repo(raw);
    git_remote* remote = nullptr;
    int rc = git_remote_create_with_fetchspec(&remote, repo.get(), "origin", job.transport.c_str(),
                                              kHeadsSpec);
    git_remote_free(remote);
    if (rc >= 0)
      rc = git_remote_add_fetch(repo.get(), "origin", kTagsSpec);
    if (rc < 0)
      return fetch_error(job, last_error(rc));
    if (auto fetched = run_fetch(repo.get(), job); !fetched)
      return fetched;
  }
  fs::rename(tmp, cache_dir, ec);
  if (ec)
    return fail("cannot move the new git cache into place at " + cache_dir.string() + ": " +
                ec.message());
  guard.release();
  return {};
}

/// Removes the lock files a fetch killed mid-way (SIGKILL, a power cut) left in the cache: the
/// ref, packed-refs, config and HEAD locks libgit2 takes while it writes. Calls on one cache
/// are serialised by the caller (under the state lock), so any lock found here is stale, and
/// left in place it would fail every later fetch ("failed to lock file ... for writing").
void remove_stale_locks(const fs::path& cache_dir) {
  std::error_code ec;
  auto stale = [](const fs::directory_entry& e) {
    const std::string name = e.path().filename().string();
    return name.size() > 5 && name.compare(name.size() - 5, 5, ".lock") == 0 && e.is_regular_file();
  };
  for (const auto& e : fs::directory_iterator(cache_dir, ec)) {
    if (stale(e))
      fs::remove(e.path(), ec);
  }
  for (auto it = fs::recursive_directory_iterator(cache_dir / "refs", ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (stale(*it))
      fs::remove(it->path(), ec);
  }
}

Result<void> update(const fs::path& cache_dir, FetchJob& job) {
  remove_stale_locks(cache_dir);
  auto repo = open_cache(cache_dir);
  if (!repo)
    return tl::unexpected(repo.error());
  git_remote* raw = nullptr;
  int rc = git_remote_lookup(&raw, repo->get(), "origin");
  if (rc == GIT_ENOTFOUND) {
    rc = git_remote_create_with_fetchspec(&raw, repo->get(), "origin", job.transport.c_str(),
                                          kHeadsSpec);
  } else if (rc >= 0) {
    const char* current = git_remote_url(raw);
    if (!current || job.transport != current)  // the user pointed the pipeline elsewhere
      rc = git_remote_set_url(repo->get(), "origin", job.transport.c_str());
  }
  RemotePtr remote(raw);
  if (rc >= 0)
    rc = ensure_refspecs(repo->get(), remote.get());
  if (rc < 0)
    return fail("cannot update the git cache " + cache_dir.string() + ": " +
                redact_text(last_error(rc), job.secrets));
  return run_fetch(repo->get(), job);
}

/// Branch and tag short names in the cache, branches first.
std::pair<std::vector<std::string>, std::vector<std::string>> list_refs(git_repository* repo) {
  std::vector<std::string> branches;
  std::vector<std::string> tags;
  git_strarray names{};
  if (git_reference_list(&names, repo) == 0) {
    for (size_t i = 0; i < names.count; ++i) {
      std::string name = names.strings[i];
      if (name.rfind("refs/heads/", 0) == 0)
        branches.push_back(name.substr(11));
      else if (name.rfind("refs/tags/", 0) == 0)
        tags.push_back(name.substr(10));
    }
    git_strarray_dispose(&names);
  }
  std::sort(branches.begin(), branches.end());
  std::sort(tags.begin(), tags.end());
  return {branches, tags};
}

std::string unknown_ref_hint(git_repository* repo, const std::string& ref) {
  auto [branches, tags] = list_refs(repo);
  if (branches.empty() && tags.empty())
    return "the repo has no branches or tags; is it empty?";
  std::vector<std::string> all = branches;
  all.insert(all.end(), tags.begin(), tags.end());
  std::string hint;
  if (std::string near = config::closest_match(ref, all); !near.empty())
    hint = "did you mean \"" + near + "\"? ";
  constexpr size_t kMax = 10;
  size_t shown = 0;
  auto list = [&](const char* title, const std::vector<std::string>& names) {
    if (names.empty() || shown >= kMax)
      return;
    hint += std::string(shown ? "; " : "") + title + ": ";
    for (size_t i = 0; i < names.size() && shown < kMax; ++i, ++shown)
      hint += (i ? ", " : "") + names[i];
  };
  list("branches", branches);
  list("tags", tags);
  if (all.size() > shown)
    hint += " (and " + std::to_string(all.size() - shown) + " more)";
  return hint;
}

Result<std::string> resolve_in(git_repository* repo, const fs::path& cache_dir,
                               const std::string& ref) {
  if (ref.empty())
    return fail("empty git ref for " + repo_name(repo, cache_dir),
                "give a branch, a tag or a commit sha");
  if (is_commit_sha(ref)) {
    git_oid oid;
    git_commit* commit = nullptr;
    if (git_oid_fromstr(&oid, ascii_lower(ref).c_str()) < 0 ||
        git_commit_lookup(&commit, repo, &oid) < 0)
      return fail("commit " + ref + " is not in " + repo_name(repo, cache_dir),
                  "check the sha; a commit pushed after the last fetch needs a new fetch");
    git_commit_free(commit);
    return ascii_lower(ref);
  }
  std::vector<std::string> candidates = {"refs/heads/" + ref, "refs/tags/" + ref,
                                         "refs/remotes/origin/" + ref};
  if (ref.rfind("refs/", 0) == 0 || ref == "HEAD")
    candidates.push_back(ref);
  for (const auto& name : candidates) {
    git_reference* raw = nullptr;
    if (git_reference_lookup(&raw, repo, name.c_str()) < 0)
      continue;
    RefPtr reference(raw);
    git_object* peeled = nullptr;
    if (int rc = git_reference_peel(&peeled, reference.get(), GIT_OBJECT_COMMIT); rc < 0)
      return fail("ref \"" + ref + "\" in " + repo_name(repo, cache_dir) +
                  " does not point to a commit: " + last_error(rc));
    ObjectPtr object(peeled);
    return oid_str(git_object_id(object.get()));
  }
  if (ref.size() >= 7 && ref.size() < GIT_OID_HEXSZ && is_hex(ref)) {
    git_object* raw = nullptr;
    int rc = git_revparse_single(&raw, repo, ascii_lower(ref).c_str());
    if (rc == GIT_EAMBIGUOUS)
      return fail("commit prefix " + ref + " is ambiguous in " + repo_name(repo, cache_dir),
                  "give the full 40-hex sha");
    if (rc == 0) {
      ObjectPtr object(raw);
      git_object* commit = nullptr;
      if (git_object_peel(&commit, object.get(), GIT_OBJECT_COMMIT) == 0) {
        ObjectPtr peeled(commit);
        return oid_str(git_object_id(peeled.get()));
      }
    }
  }
  git_error_clear();
  return fail("ref \"" + ref + "\" not found in " + repo_name(repo, cache_dir),
              unknown_ref_hint(repo, ref));
}

Result<void> checkout_in(git_repository* repo, const fs::path& cache_dir, const std::string& commit,
                         const fs::path& dest) {
  if (!is_commit_sha(commit))
    return fail("\"" + commit + "\" is not a full commit sha", "resolve the ref first");
  git_oid oid;
  git_commit* commit_raw = nullptr;
  if (git_oid_fromstr(&oid, ascii_lower(commit).c_str()) < 0 ||
      git_commit_lookup(&commit_raw, repo, &oid) < 0)
    return fail("commit " + commit + " is not in " + repo_name(repo, cache_dir),
                "fetch the repo, then resolve the ref again");
  CommitPtr found(commit_raw);
  git_tree* tree_raw = nullptr;
  if (int rc = git_commit_tree(&tree_raw, found.get()); rc < 0)
    return fail("cannot read the tree of commit " + commit + ": " + last_error(rc));
  TreePtr tree(tree_raw);

  std::error_code ec;
  if (fs::exists(fs::symlink_status(dest, ec)))
    return fail("checkout destination " + dest.string() + " already exists",
                "remove it or check out into a new directory");
  if (dest.has_parent_path()) {
    fs::create_directories(dest.parent_path(), ec);
    if (ec)
      return fail("cannot create " + dest.parent_path().string() + ": " + ec.message());
  }
  std::string error;
  fs::path tmp = make_temp_sibling(dest, error);
  if (tmp.empty())
    return fail("cannot check out " + commit + ": " + error);
  TempDir guard(tmp);
  if (error = write_tree(repo, tree.get(), tmp); !error.empty())
    return fail("cannot check out " + commit + " of " + repo_name(repo, cache_dir) + " into " +
                dest.string() + ": " + error);
  fs::rename(tmp, dest, ec);
  if (ec)
    return fail("cannot move the checkout into place at " + dest.string() + ": " + ec.message());
  guard.release();
  return {};
}

}  // namespace

// ---- public --------------------------------------------------------------------------------

Libgit2Fetcher::Libgit2Fetcher() = default;

Libgit2Fetcher::~Libgit2Fetcher() {
  if (live_)
    git_libgit2_shutdown();
}

void Libgit2Fetcher::ensure_initialised() {
  std::call_once(initialised_, [this] {
    git_libgit2_init();
    live_ = true;
  });
}

Result<void> Libgit2Fetcher::fetch(const std::string& url, const GitAuth& auth,
                                   const fs::path& cache_dir) {
  ensure_initialised();
  try {
    UrlParts parts = parse_url(url);
    FetchJob job;
    job.redacted = redact_url(url);
    job.secrets = {auth.token, url_secret(url)};
    if (!is_supported(parts))
      return fail("unsupported repo URL \"" + job.redacted + "\"",
                  "use an https, http, git, ssh or file URL, or an absolute path");
    if (is_ssh(parts) && !(git_libgit2_features() & GIT_FEATURE_SSH))
      return fail("cannot fetch " + job.redacted + ": this libgit2 has no ssh support",
                  "use an https URL with a token");
    if (parts.kind == UrlParts::Kind::kPath ||
        (parts.kind == UrlParts::Kind::kUrl && parts.scheme == "file")) {
      std::string path = parts.kind == UrlParts::Kind::kPath
                             ? url
                             : percent_decode(parts.after.substr(
                                   std::min(parts.after.find('/'), parts.after.size())));
      std::error_code ec;
      if (!fs::exists(path, ec))
        return fail(
            "cannot fetch " + job.redacted + ": repository path " + path + " does not exist",
            "check the repo URL and that the repository exists");
    }
    job.transport = transport_url(parts);
    job.credentials.ssh = is_ssh(parts);
    job.credentials.host = parts.host;
    job.credentials.url_has_credentials = parts.has_userinfo && !job.credentials.ssh;
    job.credentials.url_has_password = parts.has_password;
    job.credentials.url_user = percent_decode(parts.user);
    job.credentials.url_password = percent_decode(parts.password);
    job.credentials.token = auth.token;

    std::error_code ec;
    bool exists = fs::exists(fs::symlink_status(cache_dir, ec));
    return exists ? update(cache_dir, job) : clone_into(cache_dir, job);
  } catch (const std::exception& e) {
    return fail("cannot fetch " + redact_url(url) + ": " + e.what());
  }
}

Result<std::string> Libgit2Fetcher::resolve(const fs::path& cache_dir, const std::string& ref) {
  ensure_initialised();
  try {
    auto repo = open_cache(cache_dir);
    if (!repo)
      return tl::unexpected(repo.error());
    return resolve_in(repo->get(), cache_dir, ref);
  } catch (const std::exception& e) {
    return fail("cannot resolve \"" + ref + "\" in " + cache_dir.string() + ": " + e.what());
  }
}

Result<void> Libgit2Fetcher::checkout(const fs::path& cache_dir, const std::string& commit,
                                      const fs::path& dest) {
  ensure_initialised();
  try {
    auto repo = open_cache(cache_dir);
    if (!repo)
      return tl::unexpected(repo.error());
    return checkout_in(repo->get(), cache_dir, commit, dest);
  } catch (const std::exception& e) {
    return fail("cannot check out " + commit + " into " + dest.string() + ": " + e.what());
  }
}

}  // namespace lakeinfra::pipelines
