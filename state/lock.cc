#include "state/lock.h"

#include "config/log.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace lakeinfra::state {

namespace {

constexpr std::chrono::milliseconds kRetryInterval{100};

/// `n` random bytes from the operating system's generator. std::random_device may throw when
/// no entropy source exists; fall back to a time-and-address seeded generator rather than let
/// an exception escape (these ids need to be unique, not secret).
template <size_t N>
std::array<uint8_t, N> random_bytes() {
  std::array<uint8_t, N> out{};
  try {
    std::random_device rd;
    for (size_t i = 0; i < N; i += 4) {
      uint32_t v = rd();
      for (size_t j = 0; j < 4 && i + j < N; ++j)
        out[i + j] = static_cast<uint8_t>(v >> (8 * j));
    }
  } catch (...) {
    static thread_local std::mt19937_64 gen(
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
        reinterpret_cast<uintptr_t>(&out));
    for (auto& b : out)
      b = static_cast<uint8_t>(gen());
  }
  return out;
}

std::string hex(const uint8_t* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 0xf];
  }
  return s;
}

std::string describe(const LockInfo& holder) {
  return "pid " + std::to_string(holder.pid) + " (" + holder.user + "@" + holder.host +
         ") running \"" + holder.command + "\" since " + holder.started_at;
}

/// "45s", "7m12s", "3h05m", "2d4h".
std::string format_age(std::chrono::seconds age) {
  auto s = age.count();
  char buf[48];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  else if (s < 86400)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  else
    std::snprintf(buf, sizeof buf, "%lldd%lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  return buf;
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0)
    return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

std::string new_lock_id() {
  auto bytes = random_bytes<8>();
  return hex(bytes.data(), bytes.size());
}

std::string new_lineage() {
  auto b = random_bytes<16>();
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return hex(&b[0], 4) + "-" + hex(&b[4], 2) + "-" + hex(&b[6], 2) + "-" + hex(&b[8], 2) + "-" +
         hex(&b[10], 6);
}

LockInfo make_lock_info(const LockRequest& request, config::Clock& clock, config::HostInfo& host) {
  LockInfo info;
  info.id = new_lock_id();
  info.pid = host.pid();
  info.host = host.hostname();
  info.user = host.user();
  info.command = request.command;
  info.started_at = config::format_utc(clock.now());
  info.heartbeat_at = info.started_at;
  return info;
}

bool is_reclaimable(const LockInfo& holder, config::HostInfo& host) {
  return holder.host == host.hostname() && !host.process_alive(holder.pid);
}

config::Diagnostic reclaim_warning(const LockInfo& dead) {
  config::Diagnostic d;
  d.severity = config::Severity::kWarning;
  d.summary = "reclaimed the state lock of process " + std::to_string(dead.pid) + " (" +
              dead.command + ", started " + dead.started_at + "), which is no longer running";
  d.detail =
      "lock " + dead.id + " was taken by " + dead.user + "@" + dead.host +
      "; that run was interrupted, so any step it had started is still pending in the journal";
  return d;
}

std::optional<std::chrono::seconds> heartbeat_age(const LockInfo& holder,
                                                  std::chrono::system_clock::time_point now) {
  auto beat =
      config::parse_utc(holder.heartbeat_at.empty() ? holder.started_at : holder.heartbeat_at);
  if (!beat)
    return std::nullopt;
  return std::max(std::chrono::seconds(0),
                  std::chrono::duration_cast<std::chrono::seconds>(now - *beat));
}

config::Diagnostics locked_error(const LockInfo& holder, std::chrono::milliseconds waited,
                                 std::chrono::system_clock::time_point now) {
  std::vector<std::string> details;
  auto age = heartbeat_age(holder, now);
  const bool expired = age && *age > kLockExpiry;
  if (age) {
    std::string beat = holder.heartbeat_at.empty() ? "it has sent no heartbeat since it started"
                                                   : "its last heartbeat was";
    details.push_back(beat + " " + format_age(*age) + " ago (a running apply sends one every " +
                      format_duration(kLockHeartbeatInterval) + ")" +
                      (expired ? ": that run has most likely died" : ""));
  }
  if (waited.count() > 0)
    details.push_back("waited " + format_duration(waited) + " for it to be released");
  std::string detail;
  for (const auto& d : details)
    detail += (detail.empty() ? "" : "; ") + d;
  std::string hint =
      expired ? "lock id " + holder.id +
                    ". If that run is gone (its machine or CI job ended), "
                    "release the lock with `lakeinfra force-unlock " +
                    holder.id + "`; then apply again: the journal resumes its unfinished steps"
              : "lock id " + holder.id +
                    ". Wait for that run to finish (or retry with --lock-timeout), or, if you "
                    "are sure it is no longer running, run `lakeinfra force-unlock " +
                    holder.id + "`";
  std::string summary = "state is locked by " + describe(holder);
  if (expired)
    summary += ", whose lock has expired";
  return config::Diagnostics::error(summary, detail, hint);
}

config::Diagnostics unlock_mismatch(const std::string& operation, const std::string& id,
                                    const std::optional<LockInfo>& current) {
  if (!current) {
    return config::Diagnostics::error("cannot " + operation + " " + id +
                                      ": the state is not locked");
  }
  return config::Diagnostics::error(
      "cannot " + operation + " " + id + ": the current lock is " + current->id + ", held by " +
          describe(*current),
      {}, "to release that lock, run `lakeinfra force-unlock " + current->id + "`");
}

Result<Lease> acquire_lock(const LockRequest& request, config::Clock& clock,
                           const std::function<Result<LockAttempt>()>& attempt) {
  const auto start = clock.steady_now();
  const auto deadline = start + request.timeout;
  for (;;) {
    Result<LockAttempt> got = attempt();
    if (!got)
      return fail(std::move(got.error()));
    if (got->lease)
      return std::move(*got->lease);
    const auto now = clock.steady_now();
    if (now >= deadline) {
      auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - start);
      return fail(locked_error(got->holder, waited, clock.now()));
    }
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    clock.sleep_for(std::max(std::chrono::milliseconds(1), std::min(kRetryInterval, remaining)));
  }
}

struct LockHeartbeat::Impl {
  Impl(StateStore& s, std::string lock_id, std::chrono::milliseconds every)
      : store(s), id(std::move(lock_id)), interval(every) {}

  StateStore& store;
  std::string id;
  std::chrono::milliseconds interval;
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;
  std::atomic<int> beats{0};
  std::thread thread;

  void run() {
    std::unique_lock<std::mutex> hold(mu);
    while (!wake.wait_for(hold, interval, [&] { return stopping; })) {
      hold.unlock();
      auto beat = store.heartbeat(id);
      ++beats;
      if (!beat) {
        std::string why = beat.error().empty() ? "unknown error" : beat.error().items()[0].summary;
        config::Log::write(config::LogLevel::kWarn,
                           "state lock " + id + ": heartbeat failed: " + why);
      } else {
        config::Log::write(config::LogLevel::kDebug, "state lock " + id + ": heartbeat");
      }
      hold.lock();
    }
  }
};

LockHeartbeat::LockHeartbeat(StateStore& store, std::string id, std::chrono::milliseconds interval)
    : impl_(std::make_unique<Impl>(store, std::move(id), interval)) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

LockHeartbeat::~LockHeartbeat() {
  {
    std::lock_guard<std::mutex> hold(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

int LockHeartbeat::beats() const {
  return impl_->beats.load();
}

}  // namespace lakeinfra::state
