#include "config/log.h"

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace lakeinfra::config {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kWarn)};
std::mutex g_mutex;
std::function<void(std::string_view)> g_sink;
FILE* g_file = nullptr;
std::vector<std::string> g_secrets;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      break;
  }
  return "off";
}

}  // namespace

void Log::init_from_environment() {
  if (const char* v = std::getenv("LAKEINFRA_LOG")) {
    std::string s = v;
    if (s == "debug" || s == "trace")
      set_level(LogLevel::kDebug);
    else if (s == "info")
      set_level(LogLevel::kInfo);
    else if (s == "warn")
      set_level(LogLevel::kWarn);
    else if (s == "error")
      set_level(LogLevel::kError);
    else if (s == "off")
      set_level(LogLevel::kOff);
  }
  if (const char* f = std::getenv("LAKEINFRA_LOG_FILE"); f && *f) {
    std::lock_guard lock(g_mutex);
    g_file = std::fopen(f, "a");
  }
}

void Log::set_level(LogLevel level) {
  g_level = static_cast<int>(level);
}

bool Log::enabled(LogLevel level) {
  return level != LogLevel::kOff && static_cast<int>(level) >= g_level.load();
}

void Log::write(LogLevel level, std::string_view message) {
  if (!enabled(level))
    return;
  std::string line = std::string("lakeinfra ") + level_name(level) + ": " + redact(message);
  std::lock_guard lock(g_mutex);
  if (g_sink) {
    g_sink(line);
    return;
  }
  FILE* out = g_file ? g_file : stderr;
  std::fprintf(out, "%s\n", line.c_str());
  std::fflush(out);
}

void Log::set_sink(std::function<void(std::string_view)> sink) {
  std::lock_guard lock(g_mutex);
  g_sink = std::move(sink);
}

void add_secret(const std::string& value) {
  if (value.size() < 4)
    return;
  std::lock_guard lock(g_mutex);
  g_secrets.push_back(value);
}

namespace {

bool ieq_at(const std::string& s, size_t pos, std::string_view word) {
  if (pos + word.size() > s.size())
    return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[pos + i])) !=
        std::tolower(static_cast<unsigned char>(word[i])))
      return false;
  }
  return true;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/// "scheme://user:secret@host" → "scheme://***@host".
void redact_userinfo(std::string& s) {
  for (size_t pos = s.find("://"); pos != std::string::npos; pos = s.find("://", pos + 3)) {
    size_t start = pos + 3;
    size_t end = start;
    while (end < s.size() && s[end] != '/' && s[end] != '@' && !is_space(s[end]))
      ++end;
    if (end < s.size() && s[end] == '@' && end > start)
      s.replace(start, end - start, "***");
  }
}

/// Replaces what follows `key` up to any of `stops` (or the end) with "***".
void redact_after(std::string& s, std::string_view key, std::string_view stops) {
  for (size_t pos = 0; pos < s.size(); ++pos) {
    if (!ieq_at(s, pos, key))
      continue;
    size_t start = pos + key.size();
    while (key.back() == ':' && start < s.size() && (s[start] == ' ' || s[start] == '\t'))
      ++start;
    size_t end = start;
    while (end < s.size() && stops.find(s[end]) == std::string_view::npos)
      ++end;
    if (end > start)
      s.replace(start, end - start, "***");
    pos = start;
  }
}

// Where the userinfo ("user" or "user:password" before '@') of a URL or scp-like address is.
struct Userinfo {
  bool found = false;
  size_t begin = 0;  ///< [begin, end) holds the userinfo; url[end] is the '@'.
  size_t end = 0;
  std::string scheme;  ///< Lowercase; "" for an scp-like address.
};

bool scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

Userinfo find_userinfo(std::string_view url) {
  Userinfo u;
  size_t sep = url.find("://");
  bool is_url = sep != std::string_view::npos && sep > 0;
  for (size_t i = 0; is_url && i < sep; ++i)
    is_url = scheme_char(url[i]);
  if (is_url) {
    for (size_t i = 0; i < sep; ++i)
      u.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(url[i])));
    size_t start = sep + 3;
    size_t stop = url.find_first_of("/?#", start);
    std::string_view authority =
        url.substr(start, stop == std::string_view::npos ? std::string_view::npos : stop - start);
    size_t at = authority.rfind('@');
    if (at == std::string_view::npos)
      return u;
    u.found = true;
    u.begin = start;
    u.end = start + at;
    return u;
  }
  // scp-like "user@host:path": the '@' comes before any '/'.
  size_t at = url.find('@');
  if (at == std::string_view::npos || url.substr(0, at).find('/') != std::string_view::npos)
    return u;
  u.found = true;
  u.end = at;
  return u;
}

}  // namespace

std::string redact_url_credentials(const std::string& url) {
  Userinfo u = find_userinfo(url);
  if (!u.found || u.end == u.begin)
    return url;
  std::string_view info = std::string_view(url).substr(u.begin, u.end - u.begin);
  bool password = info.find(':') != std::string_view::npos;
  bool user_is_login = u.scheme.empty() || u.scheme == "ssh";
  if (!password && user_is_login)
    return url;
  return url.substr(0, u.begin) + "***" + url.substr(u.end);
}

std::string url_credentials_secret(const std::string& url) {
  Userinfo u = find_userinfo(url);
  if (!u.found)
    return {};
  std::string info = url.substr(u.begin, u.end - u.begin);
  if (size_t colon = info.find(':'); colon != std::string::npos) {
    if (colon + 1 < info.size())
      return info.substr(colon + 1);
    info.resize(colon);
  }
  return u.scheme == "http" || u.scheme == "https" ? info : std::string();
}

std::string redact(std::string_view text) {
  std::string s(text);
  redact_userinfo(s);
  redact_after(s, "Authorization:", "\r\n");
  for (std::string_view key :
       {"X-Amz-Signature=", "X-Amz-Security-Token=", "X-Amz-Credential=", "Signature="}) {
    redact_after(s, key, "& \t\r\n");
  }
  std::vector<std::string> secrets;
  {
    std::lock_guard lock(g_mutex);
    secrets = g_secrets;
  }
  for (const auto& secret : secrets) {
    for (size_t pos = s.find(secret); pos != std::string::npos; pos = s.find(secret, pos + 3)) {
      s.replace(pos, secret.size(), "***");
    }
  }
  return s;
}

}  // namespace lakeinfra::config
