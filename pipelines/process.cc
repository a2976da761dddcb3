// RealProcessRunner: fork/exec with stdout and stderr merged into one pipe, the child in its own
// process group, poll()-based reading with a deadline, and a group kill (SIGTERM, then SIGKILL)
// when the deadline passes.
#include "pipelines/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <set>

extern char** environ;

namespace lakeinfra::pipelines {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// How long a group that ignores SIGTERM gets before SIGKILL.
constexpr milliseconds kTermGrace{2'000};
/// How long output is still read after the child exited (a grandchild may hold the pipe).
constexpr milliseconds kDrainAfterExit{200};
/// A line longer than this is delivered in pieces of this size, so memory stays bounded.
constexpr size_t kMaxLine = 1 << 20;

/// What the child reports on the status pipe when it cannot start the program.
struct LaunchFailure {
  int stage;  ///< kStageChdir or kStageExec
  int error;  ///< errno
};
constexpr int kStageChdir = 1;
constexpr int kStageExec = 2;

/// Closes a file descriptor once; EINTR is not retried (Linux closes the fd regardless).
void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

/// Moves `fd` to a number >= 3 (keeping O_CLOEXEC), so the child's dup2 onto 0/1/2 can never be
/// a no-op that leaves close-on-exec set. Only matters when the parent closed its std streams.
bool raise_above_stdio(int& fd) {
  if (fd > STDERR_FILENO)
    return true;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0)
    return false;
  ::close(fd);
  fd = moved;
  return true;
}

/// The environment of the child: the parent's minus unset_env and the overridden names, plus
/// the overrides.
std::vector<std::string> child_environment(const ProcessSpec& spec) {
  std::set<std::string, std::less<>> drop(spec.unset_env.begin(), spec.unset_env.end());
  for (const auto& [name, value] : spec.env)
    drop.insert(name);
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry = *e;
    if (!drop.count(entry.substr(0, entry.find('='))))
      out.emplace_back(entry);
  }
  for (const auto& [name, value] : spec.env)
    out.push_back(name + "=" + value);
  return out;
}

/// The value of PATH in `env` ("NAME=value" strings), or the libc default when unset.
std::string path_of(const std::vector<std::string>& env) {
  for (const auto& entry : env)
    if (entry.rfind("PATH=", 0) == 0)
      return entry.substr(5);
  return "/bin:/usr/bin";
}

/// Everything the child needs, prepared before fork: after fork the child may only make
/// async-signal-safe calls (the parent may have threads), so no allocation happens there.
struct Launch {
  explicit Launch(const ProcessSpec& spec);

  /// In the child: sets up the process and executes; on failure reports on `status_fd` (a
  /// close-on-exec pipe) and exits with 127. Never returns.
  [[noreturn]] void exec_in_child(int out_fd, int null_fd, int status_fd) const;

  std::vector<std::string> env_strings;
  std::vector<std::string> candidates;  ///< Paths to try for argv[0], in PATH order.
  std::string cwd;
  std::vector<char*> argv;
  std::vector<char*> envp;
  int max_fd = 1024;  ///< For the close() loop when close_range is unavailable.
};

Launch::Launch(const ProcessSpec& spec)
    : env_strings(child_environment(spec)), cwd(spec.cwd.string()) {
  for (const auto& a : spec.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env_strings)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  // execvp semantics: a name with a slash is used as given; otherwise each PATH entry is tried
  // (an empty entry means the current directory). PATH is the child's (after env/unset_env).
  const std::string& program = spec.argv.front();
  if (program.find('/') != std::string::npos) {
    candidates.push_back(program);
  } else {
    std::string path = path_of(env_strings);
    size_t begin = 0;
    for (;;) {
      size_t end = path.find(':', begin);
      std::string dir = path.substr(begin, end == std::string::npos ? end : end - begin);
      candidates.push_back(dir.empty() ? program : dir + "/" + program);
      if (end == std::string::npos)
        break;
      begin = end + 1;
    }
  }

  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    max_fd = static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 65'536));
}

/// In the child: reports why the program could not start, and exits.
[[noreturn]] void report(int status_fd, int stage, int error) {
  LaunchFailure failure{stage, error};
  (void)!::write(status_fd, &failure, sizeof failure);
  ::_exit(127);
}

void Launch::exec_in_child(int out_fd, int null_fd, int status_fd) const {
  ::setpgid(0, 0);
  // Ignored signals and the signal mask survive exec; the program should start with defaults.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD})
    ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  if (::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(out_fd, STDOUT_FILENO) < 0 ||
      ::dup2(out_fd, STDERR_FILENO) < 0)
    report(status_fd, kStageExec, errno);
  // Descriptors other threads opened without O_CLOEXEC must not leak into the program (one
  // holding another run's pipe would keep that run's output open). The status pipe must stay
  // open until exec, so everything >= 3 is marked close-on-exec rather than closed.
  if (::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) != 0) {
    for (int fd = 3; fd < max_fd; ++fd)
      if (fd != status_fd)
        ::close(fd);
  }

  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0)
    report(status_fd, kStageChdir, errno);

  int error = ENOENT;
  bool denied = false;
  for (const auto& candidate : candidates) {
    ::execve(candidate.c_str(), argv.data(), envp.data());
    error = errno;
    if (error == EACCES) {
      denied = true;
      continue;
    }
    if (error == ENOENT || error == ENOTDIR || error == ESTALE || error == ENODEV ||
        error == ETIMEDOUT)
      continue;
    break;  // the program exists but cannot run: report that, like execvp
  }
  report(status_fd, kStageExec, denied && (error == ENOENT || error == ENOTDIR) ? EACCES : error);
}

/// The launch failure the child reported, if any: blocks until the child has exec'd (the pipe
/// closes) or written its report.
std::optional<LaunchFailure> read_launch_failure(int status_fd) {
  LaunchFailure failure{};
  size_t got = 0;
  while (got < sizeof failure) {
    ssize_t n = ::read(status_fd, reinterpret_cast<char*>(&failure) + got, sizeof failure - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += static_cast<size_t>(n);
  }
  if (got == sizeof failure)
    return failure;
  return std::nullopt;
}

/// waitpid, EINTR-safe. Returns true when the child was reaped (status in `status`); with
/// `block` false, false means it is still running.
bool reap(pid_t pid, bool block, int& status) {
  for (;;) {
    pid_t got = ::waitpid(pid, &status, block ? 0 : WNOHANG);
    if (got == pid)
      return true;
    if (got == 0)
      return false;
    if (errno == EINTR)
      continue;
    // ECHILD: someone else reaped it (SIGCHLD ignored, or a waitpid(-1) elsewhere).
    status = -1;
    return true;
  }
}

int exit_code_of(int status) {
  if (status == -1)
    return -1;
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

/// Milliseconds until `t` for poll(), at least 0 and at most one minute.
int ms_until(Clock::time_point t) {
  auto left = std::chrono::duration_cast<milliseconds>(t - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left + 1, 0, 60'000));
}

/// Splits the byte stream into lines for the sink.
class LineSplitter {
 public:
  explicit LineSplitter(const LineSink& sink) : sink_(sink) {}

  void feed(const char* data, size_t n) {
    pending_.append(data, n);
    size_t begin = 0;
    for (;;) {
      size_t nl = pending_.find('\n', begin);
      if (nl == std::string::npos)
        break;
      emit(std::string_view(pending_).substr(begin, nl - begin));
      begin = nl + 1;
    }
    while (pending_.size() - begin > kMaxLine) {
      emit(std::string_view(pending_).substr(begin, kMaxLine));
      begin += kMaxLine;
    }
    pending_.erase(0, begin);
  }

  void finish() {
    if (!pending_.empty())
      emit(pending_);
    pending_.clear();
  }

 private:
  void emit(std::string_view line) {
    if (sink_)
      sink_(line);
  }

  const LineSink& sink_;
  std::string pending_;
};

/// One started child: its pid (= its process group), the output pipe and optional pidfd.
class Child {
 public:
  Child(pid_t pid, int out_fd, const ProcessSpec& spec, Clock::time_point start)
      : pid_(pid), out_fd_(out_fd), start_(start) {
    if (spec.timeout.count() > 0)
      deadline_ = start + spec.timeout;
    // A pidfd becomes readable when the child exits, so poll() wakes for both events.
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  }
  ~Child() {
    if (!reaped_) {
      ::kill(-pid_, SIGKILL);
      int status = 0;
      reap(pid_, true, status);
    }
    close_fd(out_fd_);
    close_fd(pidfd_);
  }

  /// Reads and splits output until the child has exited and the pipe is closed (or drained
  /// for kDrainAfterExit), enforcing the deadline.
  ProcessOutcome wait(LineSplitter& lines) {
    char buf[64 * 1024];
    std::optional<Clock::time_point> drain_until, kill_at;
    for (;;) {
      auto now = Clock::now();
      if (!reaped_ && reap(pid_, false, status_)) {
        reaped_ = true;
        drain_until = now + kDrainAfterExit;
      }
      if (reaped_ && out_fd_ < 0)
        break;
      if (reaped_ && now >= *drain_until) {
        ::kill(-pid_, SIGKILL);  // a grandchild still holds the pipe: stop it and stop reading
        break;
      }
      if (!reaped_ && !timed_out_ && deadline_ && now >= *deadline_) {
        timed_out_ = true;
        ::kill(-pid_, SIGTERM);
        kill_at = now + kTermGrace;
      }
      if (kill_at && now >= *kill_at) {
        ::kill(-pid_, SIGKILL);
        kill_at.reset();
      }

      // Sleep until output, the child's exit, or the next deadline.
      std::optional<Clock::time_point> wake;
      auto earliest = [&wake](std::optional<Clock::time_point> t) {
        if (t && (!wake || *t < *wake))
          wake = t;
      };
      if (!reaped_ && !timed_out_)
        earliest(deadline_);
      earliest(kill_at);
      earliest(drain_until);
      if (!reaped_ && pidfd_ < 0)
        earliest(now + milliseconds(20));  // no pidfd: look for the exit now and then
      pollfd fds[2];
      nfds_t nfds = 0;
      if (out_fd_ >= 0)
        fds[nfds++] = {out_fd_, POLLIN, 0};
      if (!reaped_ && pidfd_ >= 0)
        fds[nfds++] = {pidfd_, POLLIN, 0};
      int rc = ::poll(fds, nfds, wake ? ms_until(*wake) : -1);
      if (rc < 0 && errno != EINTR)
        ::usleep(10'000);  // should not happen; avoid a busy loop
      if (rc <= 0 || out_fd_ < 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      ssize_t n = ::read(out_fd_, buf, sizeof buf);
      if (n > 0)
        lines.feed(buf, static_cast<size_t>(n));
      else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        close_fd(out_fd_);
    }
    if (timed_out_)
      ::kill(-pid_, SIGKILL);  // whatever of the group survived SIGTERM
    lines.finish();
    ProcessOutcome outcome;
    outcome.exit_code = exit_code_of(status_);
    outcome.timed_out = timed_out_;
    outcome.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start_);
    return outcome;
  }

 private:
  pid_t pid_;
  int out_fd_;
  int pidfd_ = -1;
  Clock::time_point start_;
  std::optional<Clock::time_point> deadline_;
  bool reaped_ = false;
  bool timed_out_ = false;
  int status_ = 0;
};

}  // namespace

Result<ProcessOutcome> RealProcessRunner::run(const ProcessSpec& spec, const LineSink& on_line) {
  if (spec.argv.empty() || spec.argv.front().empty())
    return fail("cannot run a process: no program given");
  const std::string& program = spec.argv.front();

  int out[2] = {-1, -1}, status[2] = {-1, -1};
  int null_fd = -1;
  auto close_all = [&] {
    for (int* fd : {&out[0], &out[1], &status[0], &status[1], &null_fd})
      close_fd(*fd);
  };
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(status, O_CLOEXEC) != 0 ||
      (null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 || !raise_above_stdio(out[1]) ||
      !raise_above_stdio(null_fd) || !raise_above_stdio(status[1])) {
    std::string error = std::strerror(errno);
    close_all();
    return fail("cannot run " + program + ": cannot create a pipe: " + error);
  }

  std::optional<Launch> launch;
  try {
    launch.emplace(spec);
  } catch (const std::exception& e) {
    close_all();
    return fail("cannot run " + program + ": " + e.what());
  }

  const auto start = Clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    std::string error = std::strerror(errno);
    close_all();
    return fail("cannot run " + program + ": fork failed: " + error);
  }
  if (pid == 0)
    launch->exec_in_child(out[1], null_fd, status[1]);

  ::setpgid(pid, pid);  // also here, so that kill(-pid) cannot run before the child's setpgid
  close_fd(out[1]);
  close_fd(status[1]);
  close_fd(null_fd);

  std::optional<LaunchFailure> failure = read_launch_failure(status[0]);
  close_fd(status[0]);
  if (failure) {
    int ignored = 0;
    reap(pid, true, ignored);
    close_fd(out[0]);
    std::string error = std::strerror(failure->error);
    if (failure->stage == kStageChdir)
      return fail(
          "cannot run " + program + ": cannot enter directory " + spec.cwd.string() + ": " + error,
          "check that the directory exists");
    return fail("cannot run " + program + ": " + error,
                failure->error == ENOENT ? "check that " + program + " is installed and on PATH"
                                         : std::string());
  }

  Child child(pid, out[0], spec, start);  // owns out[0] and the pid from here on
  LineSplitter lines(on_line);
  try {
    return child.wait(lines);
  } catch (const std::exception& e) {
    // The caller's line sink threw; ~Child kills the group and reaps it.
    return fail("running " + program + " failed: the output handler threw: " + e.what());
  } catch (...) {
    return fail("running " + program + " failed: the output handler threw");
  }
}

}  // namespace lakeinfra::pipelines
