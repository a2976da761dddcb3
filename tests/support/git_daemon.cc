#include "tests/support/git_daemon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/support/process.h"

namespace lakeinfra::test_support {
namespace fs = std::filesystem;

/// A port on 127.0.0.1 that nothing listens on (just now).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool port_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

ServerProcess::ServerProcess(std::vector<std::string> argv, std::vector<std::string> env,
                             const fs::path& log, int port)
    : port_(port), args_(std::move(argv)), env_(std::move(env)) {
  std::vector<char*> argv_ptrs;
  for (auto& a : args_)
    argv_ptrs.push_back(a.data());
  argv_ptrs.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string log_path = log.string();
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {  // async-signal-safe calls only
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(1);
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = ::open("/dev/null", O_RDONLY);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    if (null >= 0)
      ::dup2(null, 0);
    ::execve(argv_ptrs[0], argv_ptrs.data(), envp.data());
    ::_exit(127);
  }
  if (pid_ > 0)
    ::setpgid(pid_, pid_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
    if (port_accepts(port_)) {
      ready_ = true;
      break;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ <= 0)
    return;
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid_, SIGKILL);  // any per-connection child still in the group
}

namespace {

std::vector<std::string> git_daemon_env(const fs::path& base) {
  ProcessOptions options;
  options.env = {{"GIT_CONFIG_NOSYSTEM", "1"}, {"HOME", base.string()}};
  return child_environment(options);
}

}  // namespace

GitDaemon::GitDaemon(const fs::path& base, const fs::path& log, int port)
    : server_({"/usr/bin/git", "daemon", "--listen=127.0.0.1", "--port=" + std::to_string(port),
               "--base-path=" + base.string(), "--export-all", "--reuseaddr",
               "--informative-errors", "--timeout=10", base.string()},
              git_daemon_env(base), log, port) {}

}  // namespace lakeinfra::test_support
