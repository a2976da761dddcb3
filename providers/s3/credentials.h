#pragma once

#include <string>

#include "config/filesystem.h"
#include "config/result.h"
#include "config/system.h"

// Where the S3 provider's credentials come from: the standard AWS chain, reduced to what a
// provisioner needs (static keys, optionally with a session token).

namespace lakeinfra::providers::s3 {

/// One set of AWS credentials. Never written to state, plan files or logs: every secret and
/// token is registered with config::add_secret() when it is read, so config::redact() removes it.
struct ResolvedCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  ///< "" for long-term keys.
  /// Where they came from, for messages: "environment", or
  /// "shared credentials file ~/.aws/credentials [default]". Never holds a secret.
  std::string source;
};

/// Resolves credentials the way the AWS CLI does for static keys:
///  1. The environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, plus AWS_SESSION_TOKEN
///     when set (an empty variable counts as unset). Only one of the pair set is an error
///     naming the missing variable.
///  2. The shared credentials file: AWS_SHARED_CREDENTIALS_FILE (a leading "~/" is HOME), else
///     $HOME/.aws/credentials, read through `fs`. The profile is `profile_from_config`
///     (storage.profile) when not empty, else AWS_PROFILE, else "default". The file is INI:
///     `[profile]` headers, `key = value` lines (keys are case-insensitive), whole-line comments
///     starting with '#' or ';', inline comments after whitespace, blank lines, indented
///     sub-sections (ignored). aws_access_key_id, aws_secret_access_key and aws_session_token
///     are read.
/// Fails, naming the variable, file, line or profile concerned but never a secret value, when:
/// only one variable of the pair is set; the file cannot be read (other than missing) or has a
/// line that is not a header, a key or a comment; the profile is not in the file (listing the
/// profiles found, with "did you mean"); the profile lacks a key; or nothing is found at all
/// (explaining the chain and what to set).
Result<ResolvedCredentials> resolve_credentials(config::Environment& env, config::FileSystem& fs,
                                                const std::string& profile_from_config);

}  // namespace lakeinfra::providers::s3
