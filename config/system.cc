#include "config/system.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <thread>

namespace lakeinfra::config {

std::chrono::system_clock::time_point SystemClock::now() {
  return std::chrono::system_clock::now();
}
std::chrono::steady_clock::time_point SystemClock::steady_now() {
  return std::chrono::steady_clock::now();
}
void SystemClock::sleep_for(std::chrono::milliseconds d) {
  std::this_thread::sleep_for(d);
}

int64_t RealHostInfo::pid() {
  return ::getpid();
}

std::string RealHostInfo::hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0)
    return "unknown";
  return buf;
}

std::string RealHostInfo::user() {
  if (const char* u = std::getenv("USER"); u && *u)
    return u;
  if (const passwd* pw = ::getpwuid(::geteuid()))
    return pw->pw_name;
  return std::to_string(::geteuid());
}

bool RealHostInfo::process_alive(int64_t pid) {
  if (pid <= 0)
    return false;
  if (::kill(static_cast<pid_t>(pid), 0) == 0)
    return true;
  return errno == EPERM;  // exists but belongs to someone else
}

std::string format_utc(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text) {
  if (text.size() != 20)
    return std::nullopt;
  std::tm tm{};
  char z = 0;
  std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
      z != 'Z') {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = ::timegm(&tm);
  if (secs == static_cast<std::time_t>(-1))
    return std::nullopt;
  auto t = std::chrono::system_clock::from_time_t(secs);
  if (format_utc(t) != text)
    return std::nullopt;  // out-of-range fields ("2026-13-40...") normalised into another date
  return t;
}

std::optional<std::string> ProcessEnvironment::get(const std::string& name) {
  if (const char* v = std::getenv(name.c_str()))
    return std::string(v);
  return std::nullopt;
}

}  // namespace lakeinfra::config
