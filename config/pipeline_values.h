#pragma once

#include <string>
#include <string_view>
#include <vector>

// Private to config/: the values of the pipelines and mounts blocks taken apart without any
// I/O. Each check returns a problem as a phrase to follow "is invalid: " ("" when the value is
// valid) and, where the general hint is not enough, a hint of its own.

namespace lakeinfra::config {

/// The repo schemes lakeinfra fetches, in the order hints list them.
const std::vector<std::string>& repo_schemes();

/// How a pipeline's `repo` is written.
enum class RepoForm { kUrl, kScpLike, kPath };

struct RepoAddress {
  RepoForm form = RepoForm::kPath;
  std::string scheme;   ///< kUrl: lowercase scheme; kScpLike: "ssh"; kPath: "".
  std::string problem;  ///< "" when usable.
  std::string hint;
};

/// Classifies `repo`: "scheme://..." is a URL (the scheme must be one of repo_schemes() and a
/// host is required except for file://), "[user@]host:path" with no '/' before the first ':' is
/// scp-like (as git reads it), anything else a local path. Empty text is a problem.
RepoAddress parse_repo(std::string_view repo);

/// A git ref: not empty, no whitespace or control characters, no "..", not starting with '-'.
std::string ref_problem(std::string_view ref);

/// A folder inside a repo, normalised.
struct RepoSubpath {
  std::string path;  ///< Segments joined by '/': no "." segments, no trailing '/'; "" = root.
  std::string problem;
};

/// Checks and normalises `path:`: relative (no leading '/'), no ".." segments; "./", empty
/// segments and a trailing '/' are dropped ("./a//b/" → "a/b", "." → "").
RepoSubpath parse_repo_subpath(std::string_view path);

/// An environment variable name: [A-Za-z_][A-Za-z0-9_]*.
std::string env_name_problem(std::string_view name);

/// A 5-field cron expression: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or
/// jan-dec) day-of-week (0-7 or sun-sat; 0 and 7 are Sunday). Each field is a comma list of
/// `*`, a number, a range a-b, each optionally with a step /n (a step needs `*` or a range).
/// The problem names the bad field: "hour \"25\": 25 is out of range 0-23".
struct CronCheck {
  std::string problem;
  std::string hint;  ///< Set for macros ("@daily"): their 5-field form.
};
CronCheck check_cron(std::string_view expression);

/// What check_cron() accepts, for hints.
extern const char kCronRule[];

/// A duration such as "90s", "10m", "1h" or a number of seconds, more than 0 and at most 24h.
struct Duration {
  int seconds = 0;
  std::string problem;
};
Duration parse_duration(std::string_view text);

/// A mount path, normalised.
struct MountPath {
  std::string path;  ///< Without a trailing '/'.
  std::string problem;
};

/// Checks a mount path: absolute, not "/" itself, no empty ("//"), "." or ".." segments; a
/// trailing '/' is dropped.
MountPath parse_mount_path(std::string_view path);

/// Whether mount path `inner` lies inside (or is) `outer`; both normalised.
bool path_within(std::string_view inner, std::string_view outer);

}  // namespace lakeinfra::config
