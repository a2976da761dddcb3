// The process runners: run_process (stdin/stdout/stderr on pipes) and run_in_pty (the child on a
// pseudo-terminal). Both kill the child's process group when the time limit passes.
#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

extern char** environ;

namespace lakeinfra::test_support {

namespace {

/// argv and envp prepared before fork, so the child only calls async-signal-safe functions.
struct Launch {
  explicit Launch(const ProcessOptions& options);

  /// In the child: changes directory and executes; on failure writes errno to `report_fd` and
  /// exits with 127. Never returns.
  [[noreturn]] void exec_in_child(int report_fd) const;

  std::vector<std::string> env_strings;
  std::string cwd;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

Launch::Launch(const ProcessOptions& options)
    : env_strings(child_environment(options)), cwd(options.cwd.string()) {
  for (const auto& a : options.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env_strings)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
}

void Launch::exec_in_child(int report_fd) const {
  // Only async-signal-safe calls from here on: the parent may have threads.
  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
    int e = errno;
    (void)!::write(report_fd, &e, sizeof e);
    ::_exit(127);
  }
  ::signal(SIGPIPE, SIG_DFL);
  ::execve(argv[0], argv.data(), envp.data());
  int e = errno;
  (void)!::write(report_fd, &e, sizeof e);
  ::_exit(127);
}

/// The launch error the child reported on `report_fd` (a close-on-exec pipe), or "" when the
/// program started (the pipe closed without data).
std::string read_launch_error(int report_fd, const std::string& program) {
  int e = 0;
  ssize_t n;
  do {
    n = ::read(report_fd, &e, sizeof e);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof e))
    return "cannot run " + program + ": " + std::strerror(e);
  return {};
}

/// Milliseconds until `deadline`, clamped to [0, 60000], for poll().
int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<long long>(left.count(), 0, 60'000));
}

/// Reaps `pid` into `result` (exit code or signal, elapsed), killing its process group if the
/// deadline passes first.
void finish(ProcessResult& result, pid_t pid, std::chrono::steady_clock::time_point deadline,
            std::chrono::steady_clock::time_point start) {
  int status = 0;
  bool reaped = false;
  for (;;) {
    struct rusage usage {};
    pid_t got = ::wait4(pid, &status, WNOHANG, &usage);
    if (got == pid)
      result.max_rss_kb = usage.ru_maxrss;
    if (got == pid) {
      reaped = true;
      break;
    }
    if (got < 0 && errno != EINTR) {
      result.launch_error +=
          std::string(result.launch_error.empty() ? "" : "; ") + "wait4: " + std::strerror(errno);
      break;
    }
    if (!result.timed_out && std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
    }
    ::usleep(500);
  }
  if (reaped && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (reaped && WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  auto took = std::chrono::steady_clock::now() - start;
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(took);
  result.elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(took);
}

/// Writes all of `text` to the terminal; false when the terminal went away.
bool type_into(int master, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t w = ::write(master, text.data() + done, text.size() - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    done += static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

std::vector<std::string> child_environment(const ProcessOptions& options) {
  std::set<std::string> drop(options.unset_env.begin(), options.unset_env.end());
  for (const auto& [k, v] : options.env)
    drop.insert(k);
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    if (!drop.count(entry.substr(0, entry.find('='))))
      out.push_back(entry);
  }
  for (const auto& [k, v] : options.env)
    out.push_back(k + "=" + v);
  return out;
}

std::string ProcessResult::describe() const {
  std::string s = "$ " + command + "\n";
  if (!launch_error.empty())
    s += "launch error: " + launch_error + "\n";
  if (timed_out)
    s += "TIMED OUT after " + std::to_string(elapsed.count()) + "ms\n";
  if (term_signal)
    s += "killed by signal " + std::to_string(term_signal) + "\n";
  else
    s += "exit code " + std::to_string(exit_code) + "\n";
  s += "--- stdout ---\n" + out + "--- stderr ---\n" + err + "--------------\n";
  return s;
}

std::ostream& operator<<(std::ostream& os, const ProcessResult& r) {
  return os << r.describe();
}

ProcessResult run_process(const ProcessOptions& options) {
  ProcessResult result;
  for (const auto& a : options.argv)
    result.command += (result.command.empty() ? "" : " ") + a;
  if (options.argv.empty()) {
    result.launch_error = "no program given";
    return result;
  }
  // A child that exits without reading its stdin must not kill us with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);

  int in[2], out[2], err[2], report[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC) ||
      ::pipe2(report, O_CLOEXEC)) {
    result.launch_error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  Launch launch(options);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + options.timeout;
  pid_t pid = ::fork();
  if (pid < 0) {
    result.launch_error = std::string("fork: ") + std::strerror(errno);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1], report[0], report[1]})
      ::close(fd);
    return result;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    launch.exec_in_child(report[1]);
  }
  result.pid = pid;
  ::setpgid(pid, pid);  // also in the parent, so a kill(-pid) can never miss
  for (int fd : {in[0], out[1], err[1], report[1]})
    ::close(fd);
  result.launch_error = read_launch_error(report[0], options.argv[0]);
  ::close(report[0]);

  int in_fd = in[1];
  size_t written = 0;
  if (options.stdin_text.empty()) {
    ::close(in_fd);
    in_fd = -1;
  } else {
    ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int fds[2] = {out[0], err[0]};
  std::string* sinks[2] = {&result.out, &result.err};
  while (fds[0] >= 0 || fds[1] >= 0) {
    pollfd p[3];
    int n = 0;
    for (int i = 0; i < 2; ++i)
      p[n++] = {fds[i], POLLIN, 0};
    p[n++] = {in_fd, POLLOUT, 0};  // a negative fd is ignored by poll
    if (!result.timed_out && std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
    }
    int ready = ::poll(p, n, result.timed_out ? 100 : remaining_ms(deadline));
    if (ready < 0 && errno != EINTR)
      break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char buf[8192];
      ssize_t got = ::read(fds[i], buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i]);
        fds[i] = -1;
      }
    }
    if (in_fd >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w =
          ::write(in_fd, options.stdin_text.data() + written, options.stdin_text.size() - written);
      if (w > 0)
        written += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == options.stdin_text.size()) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
  }
  if (in_fd >= 0)
    ::close(in_fd);
  finish(result, pid, deadline, start);
  return result;
}

ProcessResult run_in_pty(const ProcessOptions& options, const std::vector<PtyStep>& steps) {
  ProcessResult result;
  for (const auto& a : options.argv)
    result.command += (result.command.empty() ? "" : " ") + a;
  result.command = "[pty] " + result.command;
  if (options.argv.empty()) {
    result.launch_error = "no program given";
    return result;
  }
  ::signal(SIGPIPE, SIG_IGN);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    result.launch_error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  Launch launch(options);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + options.timeout;
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) {
    result.launch_error = std::string("forkpty: ") + std::strerror(errno);
    ::close(report[0]);
    ::close(report[1]);
    return result;
  }
  if (pid == 0)
    launch.exec_in_child(report[1]);  // forkpty made the child a session leader on the pty
  result.pid = pid;
  ::close(report[1]);
  result.launch_error = read_launch_error(report[0], options.argv[0]);
  ::close(report[0]);

  size_t step = 0;
  size_t search_from = 0;
  for (;;) {
    if (!result.timed_out && std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
    }
    pollfd p{master, POLLIN, 0};
    int ready = ::poll(&p, 1, result.timed_out ? 100 : remaining_ms(deadline));
    if (ready < 0 && errno != EINTR)
      break;
    if (ready <= 0)
      continue;
    char buf[4096];
    ssize_t got = ::read(master, buf, sizeof buf);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;  // EIO: every holder of the terminal's other end has closed it
    result.out.append(buf, static_cast<size_t>(got));
    while (step < steps.size()) {
      size_t at = result.out.find(steps[step].expect, search_from);
      if (at == std::string::npos)
        break;
      search_from = at + steps[step].expect.size();
      if (steps[step].on_match)
        steps[step].on_match();
      if (!type_into(master, steps[step].send))
        break;
      ++step;
    }
  }
  ::close(master);
  finish(result, pid, deadline, start);
  return result;
}

ProcessResult run_git(const std::filesystem::path& dir, const std::vector<std::string>& args) {
  ProcessOptions o;
  o.argv = {"/usr/bin/git",
            "-c",
            "user.name=lakeinfra test",
            "-c",
            "user.email=test@example.org",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.cwd = dir;
  o.env = {
      {"GIT_CONFIG_NOSYSTEM", "1"}, {"GIT_CONFIG_GLOBAL", "/dev/null"}, {"HOME", dir.string()}};
  o.timeout = std::chrono::milliseconds(10'000);
  return run_process(o);
}

ProcessResult commit_all_and_tag(const std::filesystem::path& dir, const std::string& message,
                                 const std::string& tag) {
  ProcessResult r;
  for (const std::vector<std::string>& args : {std::vector<std::string>{"add", "-A"},
                                               {"commit", "-q", "--allow-empty", "-m", message},
                                               {"tag", "-f", tag}}) {
    r = run_git(dir, args);
    if (r.exit_code != 0)
      break;
  }
  return r;
}

std::string read_file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace lakeinfra::test_support
