#pragma once

// `git daemon` on 127.0.0.1 for tests that fetch over the git protocol, and two small socket
// helpers. Generic; nothing here knows lakeinfra.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace lakeinfra::test_support {

/// A port on 127.0.0.1 that nothing listens on (just now).
int free_port();
/// Whether something accepts TCP connections on 127.0.0.1:`port`.
bool port_accepts(int port);

/// A server started with `argv` and exactly `env` (NAME=value strings), in its own process
/// group, killed on destruction (and by the kernel if this process dies first); its output goes
/// to `log`. ready() says whether it accepted connections on 127.0.0.1:`port` within 5 s.
class ServerProcess {
 public:
  ServerProcess(std::vector<std::string> argv, std::vector<std::string> env,
                const std::filesystem::path& log, int port);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool ready() const { return ready_; }
  int port() const { return port_; }

 private:
  int port_;
  pid_t pid_ = -1;
  bool ready_ = false;
  std::vector<std::string> args_;
  std::vector<std::string> env_;
};

/// `git daemon` serving `base` on 127.0.0.1 (export-all, a free port).
class GitDaemon {
 public:
  GitDaemon(const std::filesystem::path& base, const std::filesystem::path& log,
            int port = free_port());

  bool ready() const { return server_.ready(); }
  int port() const { return server_.port(); }

 private:
  ServerProcess server_;
};

}  // namespace lakeinfra::test_support
