#include "config/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <regex>
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

std::string redact(std::string_view text) {
  static const std::regex userinfo(R"(([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@)");
  static const std::regex authorization(R"((Authorization:\s*)[^\r\n]*)", std::regex::icase);
  static const std::regex query(
      R"(((?:X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential|Signature)=)[^&\s]*)",
      std::regex::icase);
  std::string s(text);
  s = std::regex_replace(s, userinfo, "$1***@");
  s = std::regex_replace(s, authorization, "$1***");
  s = std::regex_replace(s, query, "$1***");
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
