#include "providers/s3/credentials.h"

#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/log.h"

namespace lakeinfra::providers::s3 {
namespace {

namespace fs = std::filesystem;

const char kAccessKeyId[] = "aws_access_key_id";
const char kSecretAccessKey[] = "aws_secret_access_key";
const char kSessionToken[] = "aws_session_token";
const char kSecurityToken[] = "aws_security_token";  // the older name of aws_session_token

/// One `[name]` section of the credentials file; a repeated section is merged into the first.
struct Profile {
  std::string name;
  int line = 0;  ///< Of its first header.
  std::map<std::string, std::string> values;
};

/// The credentials file as shown in messages and where it is.
struct CredentialsFile {
  std::string shown;  ///< "~/.aws/credentials", or AWS_SHARED_CREDENTIALS_FILE as written.
  fs::path path;
  std::string origin;  ///< " (from AWS_SHARED_CREDENTIALS_FILE)" or "".
};

/// The profile asked for and why it is that one.
struct ProfileChoice {
  std::string name;
  std::string origin;  ///< " (from storage.profile)", " (from AWS_PROFILE)" or "".
};

// A variable's value; nullopt when unset or empty.
std::optional<std::string> variable(config::Environment& env, const std::string& name) {
  auto value = env.get(name);
  if (!value || value->empty())
    return std::nullopt;
  return value;
}

std::string_view trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos)
    return {};
  size_t end = s.find_last_not_of(" \t");
  return s.substr(begin, end - begin + 1);
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// `value` without an inline comment: '#' or ';' after a space or tab.
std::string_view strip_inline_comment(std::string_view value) {
  for (size_t i = 1; i < value.size(); ++i) {
    if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t'))
      return trim(value.substr(0, i));
  }
  return value;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Parses the INI text of a credentials file. Error messages name the line, never its text: it
// may hold a secret.
Result<std::vector<Profile>> parse_credentials(std::string_view text, const CredentialsFile& file) {
  if (text.starts_with("\xEF\xBB\xBF"))
    text.remove_prefix(3);
  std::vector<Profile> profiles;
  Profile* current = nullptr;
  bool in_subsection = false;  // indented lines after "key =" with no value
  int number = 0;
  auto malformed = [&](const std::string& problem, const std::string& hint) {
    return fail("cannot parse the shared credentials file " + file.shown + ": line " +
                    std::to_string(number) + " " + problem,
                hint + " (the line is not shown: it may hold a secret)",
                config::Location{file.shown, number, 0});
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    std::string_view raw = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? text.size() + 1 : end + 1;
    ++number;
    if (raw.ends_with('\r'))
      raw.remove_suffix(1);
    std::string_view line = trim(raw);
    bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    if (line.empty() || line.front() == '#' || line.front() == ';')
      continue;
    if (!indented)
      in_subsection = false;
    if (in_subsection)
      continue;
    if (line.front() == '[') {
      size_t close = line.find(']');
      std::string_view name =
          close == std::string_view::npos ? "" : trim(line.substr(1, close - 1));
      std::string_view after = close == std::string_view::npos ? "" : trim(line.substr(close + 1));
      if (name.empty() || (!after.empty() && after.front() != '#' && after.front() != ';')) {
        return malformed("is not a valid [profile] header",
                         "write a header as [name], e.g. [default]");
      }
      current = nullptr;
      for (auto& p : profiles) {
        if (p.name == name)
          current = &p;
      }
      if (!current) {
        profiles.push_back(Profile{std::string(name), number, {}});
        current = &profiles.back();
      }
      continue;
    }
    size_t separator = line.find_first_of("=:");
    std::string key = separator == std::string_view::npos
                          ? std::string()
                          : lowercase(trim(line.substr(0, separator)));
    if (key.empty()) {
      return malformed("is neither a [profile] header, \"key = value\" nor a comment",
                       "fix or remove it");
    }
    if (!current) {
      return malformed("is outside any [profile] section",
                       "put keys under a profile header, e.g. [default]");
    }
    std::string value(strip_inline_comment(trim(line.substr(separator + 1))));
    if (value.empty())
      in_subsection = true;  // e.g. "s3 =" followed by indented settings
    current->values[key] = value;
  }
  return profiles;
}

ProfileChoice choose_profile(config::Environment& env, const std::string& from_config) {
  if (!from_config.empty())
    return {from_config, " (from storage.profile)"};
  if (auto profile = variable(env, "AWS_PROFILE"))
    return {*profile, " (from AWS_PROFILE)"};
  return {"default", ""};
}

std::optional<CredentialsFile> locate_file(config::Environment& env) {
  auto home = variable(env, "HOME");
  if (auto path = variable(env, "AWS_SHARED_CREDENTIALS_FILE")) {
    fs::path resolved = *path;
    if (home && path->starts_with("~/"))
      resolved = fs::path(*home) / path->substr(2);
    return CredentialsFile{*path, resolved, " (from AWS_SHARED_CREDENTIALS_FILE)"};
  }
  if (!home)
    return std::nullopt;
  return CredentialsFile{"~/.aws/credentials", fs::path(*home) / ".aws" / "credentials", ""};
}

// The error when neither step of the chain found anything; `file_note` says why the file gave
// nothing.
tl::unexpected<config::Diagnostics> nothing_found(const ProfileChoice& profile,
                                                  const std::string& file_shown,
                                                  const std::string& file_note) {
  std::string where = file_shown.empty() ? "~/.aws/credentials" : file_shown;
  return tl::unexpected(config::Diagnostics::error(
      "no S3 credentials found",
      "looked for AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (not set), then "
      "for profile \"" +
          profile.name + "\"" + profile.origin + " in the shared credentials file " + file_note,
      "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary "
      "credentials), or write aws_access_key_id and aws_secret_access_key under [" +
          profile.name + "] in " + where));
}

// The profile's credentials, or why it has none.
Result<ResolvedCredentials> from_profile(const Profile& profile, const CredentialsFile& file) {
  auto get = [&profile](const char* key) -> std::string {
    auto it = profile.values.find(key);
    return it == profile.values.end() ? std::string() : it->second;
  };
  ResolvedCredentials out{get(kAccessKeyId), get(kSecretAccessKey), get(kSessionToken), {}};
  if (out.session_token.empty())
    out.session_token = get(kSecurityToken);
  for (const char* key : {kAccessKeyId, kSecretAccessKey}) {
    if (!get(key).empty())
      continue;
    std::string hint = "add \"" + std::string(key) + " = ...\" under [" + profile.name + "]";
    bool indirect = false;
    for (const char* other : {"role_arn", "source_profile", "credential_process", "sso_session",
                              "sso_start_url", "sso_account_id"}) {
      indirect = indirect || profile.values.count(other) > 0;
    }
    if (indirect) {
      hint =
          "lakeinfra reads only static keys (aws_access_key_id, aws_secret_access_key, "
          "aws_session_token), not role_arn, sso or credential_process profiles; export "
          "temporary keys instead, e.g. eval \"$(aws configure export-credentials --profile " +
          profile.name + " --format env)\"";
    }
    return fail("profile \"" + profile.name + "\" in the shared credentials file " + file.shown +
                    " has no " + key,
                hint, config::Location{file.shown, profile.line, 0});
  }
  out.source = "shared credentials file " + file.shown + " [" + profile.name + "]";
  return out;
}

}  // namespace

Result<ResolvedCredentials> resolve_credentials(config::Environment& env, config::FileSystem& files,
                                                const std::string& profile_from_config) {
  // 1. The environment.
  auto id = variable(env, "AWS_ACCESS_KEY_ID");
  auto secret = variable(env, "AWS_SECRET_ACCESS_KEY");
  auto token = variable(env, "AWS_SESSION_TOKEN");
  if (secret)
    config::add_secret(*secret);
  if (id && secret) {
    if (token)
      config::add_secret(*token);
    return ResolvedCredentials{*id, *secret, token.value_or(""), "environment"};
  }
  if (id || secret) {
    std::string set = id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY";
    std::string unset = id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID";
    return fail(set + " is set but " + unset + " is not",
                "set " + unset + " too, or unset " + set +
                    " to use the shared credentials file ~/.aws/credentials");
  }

  // 2. The shared credentials file.
  ProfileChoice profile = choose_profile(env, profile_from_config);
  std::optional<CredentialsFile> file = locate_file(env);
  if (!file) {
    return nothing_found(profile, "",
                         "(not looked for: neither HOME nor AWS_SHARED_CREDENTIALS_FILE is set)");
  }
  auto text = files.read_file(file->path);
  if (!text) {
    if (text.error() == std::errc::no_such_file_or_directory)
      return nothing_found(profile, file->shown,
                           file->shown + file->origin + " (it does not exist)");
    return fail("cannot read the shared credentials file " + file->shown + file->origin + ": " +
                    text.error().message(),
                "check the file's permissions", config::Location{file->shown});
  }
  auto profiles = parse_credentials(*text, *file);
  if (!profiles)
    return fail(std::move(profiles.error()));
  std::vector<std::string> names;
  const Profile* chosen = nullptr;
  for (const auto& p : *profiles) {
    for (const char* key : {kSecretAccessKey, kSessionToken, kSecurityToken}) {
      if (auto it = p.values.find(key); it != p.values.end())
        config::add_secret(it->second);
    }
    names.push_back(p.name);
    if (p.name == profile.name)
      chosen = &p;
  }
  if (!chosen) {
    std::string hint;
    if (names.empty()) {
      hint = "the file has no profiles; add [" + profile.name +
             "] with aws_access_key_id and aws_secret_access_key";
    } else {
      if (std::string close = config::closest_match(profile.name, names); !close.empty())
        hint = "did you mean \"" + close + "\"? ";
      hint += "Profiles in the file: " + join(names);
      if (profile.origin.empty())
        hint += "; choose one with storage.profile or AWS_PROFILE";
    }
    return fail("profile \"" + profile.name + "\"" + profile.origin +
                    " is not in the shared credentials file " + file->shown + file->origin,
                hint);
  }
  return from_profile(*chosen, *file);
}

}  // namespace lakeinfra::providers::s3
