#pragma once

// Test-only helpers for state/ tests: a HostInfo whose pid, host and live processes are set by
// the test, and a scoped temporary directory. Not part of lakeinfra_state.

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <utility>

#include "config/system.h"

namespace lakeinfra::state::test {

/// Pretends to be process `pid` of `user` on `host`. Every pid is alive unless marked dead.
class FakeHostInfo : public config::HostInfo {
 public:
  FakeHostInfo(int64_t pid = 100, std::string host = "host-a", std::string user = "alice")
      : pid_(pid), host_(std::move(host)), user_(std::move(user)) {}

  int64_t pid() override { return pid_; }
  std::string hostname() override { return host_; }
  std::string user() override { return user_; }
  bool process_alive(int64_t pid) override { return dead_.count(pid) == 0; }

  void set_pid(int64_t pid) { pid_ = pid; }
  void set_host(std::string host) { host_ = std::move(host); }
  void set_user(std::string user) { user_ = std::move(user); }
  void kill(int64_t pid) { dead_.insert(pid); }

 private:
  int64_t pid_;
  std::string host_;
  std::string user_;
  std::set<int64_t> dead_;
};

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/lakeinfra-state-XXXXXX";
    if (char* made = ::mkdtemp(templ.data()))
      path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace lakeinfra::state::test
