// Repo URLs: splitting around the userinfo, stripping credentials before libgit2 sees them,
// and redaction for messages.
#include "pipelines/git_url.h"

#include <algorithm>
#include <cctype>

#include "config/log.h"
#include "pipelines/git.h"

namespace lakeinfra::pipelines {

namespace git_url {

namespace {

bool valid_scheme(const std::string& s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0])))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

/// The host of "host:port", "[v6]:port" or "host".
std::string host_of_hostport(const std::string& hostport) {
  if (!hostport.empty() && hostport[0] == '[') {
    auto close = hostport.find(']');
    return ascii_lower(
        hostport.substr(0, close == std::string::npos ? hostport.size() : close + 1));
  }
  return ascii_lower(hostport.substr(0, hostport.find(':')));
}

void split_userinfo(const std::string& userinfo, UrlParts& parts) {
  parts.has_userinfo = true;
  auto colon = userinfo.find(':');
  parts.user = userinfo.substr(0, colon);
  if (colon != std::string::npos) {
    parts.has_password = true;
    parts.password = userinfo.substr(colon + 1);
  }
}

}  // namespace

std::string ascii_lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_hex(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

UrlParts parse_url(const std::string& url) {
  UrlParts parts;
  auto sep = url.find("://");
  if (sep != std::string::npos && valid_scheme(url.substr(0, sep))) {
    parts.kind = UrlParts::Kind::kUrl;
    parts.scheme = ascii_lower(url.substr(0, sep));
    size_t start = sep + 3;
    size_t end = url.find_first_of("/?#", start);
    std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
    auto at = authority.rfind('@');  // a host never holds '@'; a password might
    if (at != std::string::npos) {
      split_userinfo(authority.substr(0, at), parts);
      parts.before = url.substr(0, start);
      parts.after = url.substr(start + at + 1);
      parts.host = host_of_hostport(authority.substr(at + 1));
    } else {
      parts.before = url.substr(0, start);
      parts.after = url.substr(start);
      parts.host = host_of_hostport(authority);
    }
    return parts;
  }
  if (!url.empty() && url[0] == '/') {
    parts.kind = UrlParts::Kind::kPath;
    parts.after = url;
    return parts;
  }
  // scp-like "[user@]host:path": a ':' before any '/'.
  auto colon = url.find(':');
  auto slash = url.find('/');
  if (colon == std::string::npos || colon == 0 || (slash != std::string::npos && slash < colon)) {
    parts.after = url;
    return parts;
  }
  parts.kind = UrlParts::Kind::kScp;
  auto at = url.find('@');
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    split_userinfo(url.substr(0, at), parts);
    parts.after = url.substr(at + 1);
  } else {
    parts.after = url;
  }
  parts.host = ascii_lower(parts.after.substr(0, parts.after.find(':')));
  return parts;
}

bool is_http(const UrlParts& p) {
  return p.kind == UrlParts::Kind::kUrl && (p.scheme == "http" || p.scheme == "https");
}

bool is_ssh(const UrlParts& p) {
  return p.kind == UrlParts::Kind::kScp ||
         (p.kind == UrlParts::Kind::kUrl &&
          (p.scheme == "ssh" || p.scheme == "git+ssh" || p.scheme == "ssh+git"));
}

bool is_supported(const UrlParts& p) {
  if (p.kind == UrlParts::Kind::kPath || p.kind == UrlParts::Kind::kScp)
    return true;
  return p.kind == UrlParts::Kind::kUrl &&
         (is_http(p) || is_ssh(p) || p.scheme == "git" || p.scheme == "file");
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string transport_url(const UrlParts& p) {
  if (!p.has_userinfo)
    return p.before + p.after;
  if (is_ssh(p))
    return p.before + p.user + "@" + p.after;
  return p.before + p.after;
}

std::string redact_text(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty())
      continue;
    for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3))
      text.replace(pos, secret.size(), "***");
  }
  const std::string stops = " \t\n\r'\"<>()";
  for (size_t pos = text.find("://"); pos != std::string::npos; pos = text.find("://", pos + 3)) {
    size_t begin = text.find_last_of(stops, pos);
    begin = begin == std::string::npos ? 0 : begin + 1;
    size_t end = text.find_first_of(stops, pos);
    end = end == std::string::npos ? text.size() : end;
    std::string redacted = redact_url(text.substr(begin, end - begin));
    text.replace(begin, end - begin, redacted);
    pos = begin + redacted.find("://");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

}  // namespace git_url

// One redaction rule for the whole program: config's (also used by the loader's messages).
std::string redact_url(const std::string& url) {
  return config::redact_url_credentials(url);
}

std::string url_secret(const std::string& url) {
  return config::url_credentials_secret(url);
}

bool is_commit_sha(const std::string& text) {
  return text.size() == 40 && git_url::is_hex(text);
}

}  // namespace lakeinfra::pipelines
