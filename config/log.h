#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace lakeinfra::config {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

/// The one logger of lakeinfra. Diagnostics and plans go through renderers, never here; the log
/// is for operators (`LAKEINFRA_LOG=debug`). Messages are redacted before they are written.
/// Thread-safe.
class Log {
 public:
  /// Level from `LAKEINFRA_LOG` (debug|info|warn|error|off; default warn) and destination from
  /// `LAKEINFRA_LOG_FILE` (default stderr).
  static void init_from_environment();
  static void set_level(LogLevel level);
  static bool enabled(LogLevel level);
  /// Writes one line when `level` is enabled. Build the message only when enabled():
  /// `if (Log::enabled(LogLevel::kDebug)) Log::write(LogLevel::kDebug, expensive());`
  static void write(LogLevel level, std::string_view message);
  /// Replaces the sink (tests capture lines with it). Pass nullptr to restore stderr.
  static void set_sink(std::function<void(std::string_view)> sink);
};

/// Removes credentials from text before it is logged or shown: userinfo in URLs
/// ("https://user:token@host" → "https://***@host"), Authorization header values,
/// X-Amz-Signature / X-Amz-Security-Token / X-Amz-Credential query values, and every literal
/// registered with add_secret().
std::string redact(std::string_view text);

/// Registers a secret value (a token read from the environment, a secret key) so that redact()
/// replaces it wherever it appears. Values shorter than 4 characters are ignored.
void add_secret(const std::string& value);

}  // namespace lakeinfra::config
