#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace lakeinfra::config {

/// Time, behind a seam so tests control it.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Wall-clock time, for records that people read (lock start, apply history).
  virtual std::chrono::system_clock::time_point now() = 0;
  /// Monotonic time, for measuring durations.
  virtual std::chrono::steady_clock::time_point steady_now() = 0;
  /// Blocks the caller for `d` (a ManualClock just advances).
  virtual void sleep_for(std::chrono::milliseconds d) = 0;
};

class SystemClock : public Clock {
 public:
  std::chrono::system_clock::time_point now() override;
  std::chrono::steady_clock::time_point steady_now() override;
  void sleep_for(std::chrono::milliseconds d) override;
};

/// A clock that only moves when told to (sleep_for advances it).
class ManualClock : public Clock {
 public:
  std::chrono::system_clock::time_point now() override { return wall_; }
  std::chrono::steady_clock::time_point steady_now() override { return steady_; }
  void sleep_for(std::chrono::milliseconds d) override { advance(d); }
  void advance(std::chrono::milliseconds d) {
    wall_ += d;
    steady_ += d;
  }

 private:
  std::chrono::system_clock::time_point wall_{std::chrono::seconds(1'700'000'000)};
  std::chrono::steady_clock::time_point steady_{};
};

/// Facts about the running process and its host, behind a seam so lock tests can pretend to be
/// another process or host.
class HostInfo {
 public:
  virtual ~HostInfo() = default;
  virtual int64_t pid() = 0;
  virtual std::string hostname() = 0;
  virtual std::string user() = 0;
  /// Whether a process with this pid is alive on this host.
  virtual bool process_alive(int64_t pid) = 0;
};

class RealHostInfo : public HostInfo {
 public:
  int64_t pid() override;
  std::string hostname() override;
  std::string user() override;
  bool process_alive(int64_t pid) override;
};

/// Formats a wall-clock time as RFC 3339 UTC ("2026-11-21T14:32:10Z").
std::string format_utc(std::chrono::system_clock::time_point t);
/// The time format_utc() wrote ("2026-11-21T22:07:00Z"); nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text);

/// Environment variables, behind a seam for `${env:NAME}` interpolation and credentials.
class Environment {
 public:
  virtual ~Environment() = default;
  virtual std::optional<std::string> get(const std::string& name) = 0;
};

/// An environment held in a map, for tests (the fake beside the seam, like ManualClock).
class MapEnvironment : public Environment {
 public:
  MapEnvironment() = default;
  MapEnvironment(std::initializer_list<std::pair<const std::string, std::string>> vars)
      : vars_(vars) {}
  std::optional<std::string> get(const std::string& name) override {
    auto it = vars_.find(name);
    if (it == vars_.end())
      return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::string> vars_;
};

class ProcessEnvironment : public Environment {
 public:
  std::optional<std::string> get(const std::string& name) override;
};

}  // namespace lakeinfra::config
