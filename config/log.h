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

/// `url` with the credentials of its userinfo replaced by "***": a password
/// ("https://user:pass@host/x" → "https://***@host/x", also for ssh:// and scp-like
/// "user:pass@host:x"), and a lone user ("https://token@host/x" → "https://***@host/x"), except
/// for ssh:// and scp-like "git@host:org/x.git", whose lone user is a login name, not a secret.
/// Text without userinfo (URLs without credentials, plain paths) is returned unchanged.
std::string redact_url_credentials(const std::string& url);

/// The secret in `url`'s userinfo, as written (percent-encoding kept): the password when there
/// is one, else for http:// and https:// a lone user (which is then a token); "" when there is
/// none. Register it with add_secret() before running anything that may print it.
std::string url_credentials_secret(const std::string& url);

/// Registers a secret value (a token read from the environment, a secret key) so that redact()
/// replaces it wherever it appears. Values shorter than 4 characters are ignored.
void add_secret(const std::string& value);

}  // namespace lakeinfra::config
