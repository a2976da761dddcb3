#pragma once

// Internal to pipelines/git*: how repo URLs are split, stripped of credentials and redacted.
// The public face is redact_url/url_secret/is_commit_sha in pipelines/git.h.

#include <string>
#include <vector>

namespace lakeinfra::pipelines::git_url {

/// A repo URL split around its userinfo ("user:password@"), which is kept as written
/// (percent-encoded). The userinfo ends at the last '@' before the first '/', '?' or '#' after
/// "://" (a host never contains '@'; an unencoded password may); credentials containing '/'
/// must be percent-encoded.
struct UrlParts {
  enum class Kind {
    kUrl,    ///< "scheme://..."
    kScp,    ///< scp-like ssh, "[user@]host:path" (a ':' before any '/')
    kPath,   ///< an absolute local path
    kOther,  ///< anything else (a relative path, ...); not supported
  };
  Kind kind = Kind::kOther;
  std::string scheme;  ///< lowercased, for kUrl
  bool has_userinfo = false;
  bool has_password = false;  ///< a ':' in the userinfo (the password may still be empty)
  std::string user;
  std::string password;
  std::string before;  ///< text before the userinfo ("https://"); "" for scp-like
  std::string after;   ///< text after the '@' (the whole rest when there is no userinfo)
  std::string host;    ///< lowercased host without port, for kUrl and kScp
};

/// Splits `url`; never fails (an unrecognised text is kOther).
UrlParts parse_url(const std::string& url);

bool is_http(const UrlParts& p);  ///< http:// or https://
bool is_ssh(const UrlParts& p);   ///< ssh://, git+ssh://, ssh+git:// or scp-like
/// https, http, git, ssh (any form), file, or an absolute path.
bool is_supported(const UrlParts& p);

/// "%41" → "A"; malformed escapes are kept as written.
std::string percent_decode(const std::string& s);

/// The URL libgit2 is given (and the cache's origin records): no credentials at all, except
/// that ssh keeps its user name ("git@"), which is not a secret. Credentials travel only
/// through the credential callback, so they are never written to the cache's config and
/// libgit2 cannot echo them in an error.
std::string transport_url(const UrlParts& p);

/// `text` (e.g. a libgit2 error message) with every non-empty secret replaced by "***", every
/// URL in it passed through redact_url, and trailing newlines removed.
std::string redact_text(std::string text, const std::vector<std::string>& secrets);

/// ASCII lowercase.
std::string ascii_lower(std::string s);

/// Whether every character is a hex digit (either case); true for "".
bool is_hex(const std::string& text);

}  // namespace lakeinfra::pipelines::git_url
