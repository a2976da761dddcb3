#include "config/pipeline_values.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "config/decode_checks.h"

namespace lakeinfra::config {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

// The value of a string of digits, capped at `cap` + 1 so that no length overflows.
long digits_value(std::string_view s, long cap) {
  long value = 0;
  for (char c : s) {
    value = value * 10 + (c - '0');
    if (value > cap)
      return cap + 1;
  }
  return value;
}

// A character for a message: printable ASCII as itself, anything else as its byte value.
std::string shown_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f)
    return std::string(1, c);
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02x", u);
  return buffer;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos)
      return parts;
    start = end + 1;
  }
}

// --- cron ---

struct CronField {
  const char* name;
  int min;
  int max;
  const std::array<const char*, 12>* names;  ///< Lowercase names for min, min+1, ...; or null.
  const char* names_what;                    ///< "month name (jan-dec)".
};

const std::array<const char*, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
const std::array<const char*, 12> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri",
                                               "sat", "",    "",    "",    "",    ""};

const std::array<CronField, 5> kCronFields = {{
    {"minute", 0, 59, nullptr, nullptr},
    {"hour", 0, 23, nullptr, nullptr},
    {"day-of-month", 1, 31, nullptr, nullptr},
    {"month", 1, 12, &kMonthNames, "month name (jan-dec)"},
    {"day-of-week", 0, 7, &kDayNames, "day name (sun-sat)"},
}};

// A number or name of `field`, or a problem.
std::string cron_value(std::string_view text, const CronField& field, int& value) {
  if (all_digits(text)) {
    value = static_cast<int>(digits_value(text, 1000));
    if (value < field.min || value > field.max) {
      return std::string(text) + " is out of range " + std::to_string(field.min) + "-" +
             std::to_string(field.max);
    }
    return {};
  }
  if (field.names) {
    std::string word = lowercase(text);
    for (size_t i = 0; i < field.names->size(); ++i) {
      if (!word.empty() && word == (*field.names)[i]) {
        value = field.min + static_cast<int>(i);
        return {};
      }
    }
    return "\"" + std::string(text) + "\" is not a number or " + field.names_what;
  }
  return "\"" + std::string(text) + "\" is not a number";
}

std::string cron_item(std::string_view item, const CronField& field) {
  if (item.empty())
    return "an item of the list is empty";
  std::string_view base = item;
  if (size_t slash = item.find('/'); slash != std::string_view::npos) {
    base = item.substr(0, slash);
    std::string_view step = item.substr(slash + 1);
    if (step.empty())
      return "the step after '/' is missing";
    if (!all_digits(step))
      return "the step \"" + std::string(step) + "\" is not a number";
    long n = digits_value(step, 1000);
    if (n < 1)
      return "the step must be at least 1";
    if (n > field.max)
      return "the step " + std::string(step) + " is larger than " + std::to_string(field.max);
    if (base != "*" && base.find('-') == std::string_view::npos)
      return "a step needs \"*\" or a range before it, e.g. */10 or 5-59/10";
  }
  if (base == "*")
    return {};
  if (size_t dash = base.find('-'); dash != std::string_view::npos) {
    std::string_view lo = base.substr(0, dash);
    std::string_view hi = base.substr(dash + 1);
    if (lo.empty() || hi.empty())
      return "the range \"" + std::string(base) + "\" is incomplete";
    int a = 0;
    int b = 0;
    if (std::string problem = cron_value(lo, field, a); !problem.empty())
      return problem;
    if (std::string problem = cron_value(hi, field, b); !problem.empty())
      return problem;
    if (a > b)
      return "the range " + std::string(base) + " runs backwards";
    return {};
  }
  int value = 0;
  return cron_value(base, field, value);
}

}  // namespace

const char kCronRule[] =
    "5 fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or jan-dec) "
    "day-of-week (0-7 or sun-sat, 0 and 7 are Sunday); each a comma list of *, a number, a range "
    "a-b, or */n or a-b/n for steps; e.g. schedule: \"0 2 * * *\"";

const std::vector<std::string>& repo_schemes() {
  static const std::vector<std::string> schemes = {"https", "http", "git", "ssh", "file"};
  return schemes;
}

RepoAddress parse_repo(std::string_view repo) {
  RepoAddress r;
  auto bad = [&r](std::string problem, std::string hint) {
    r.problem = std::move(problem);
    r.hint = std::move(hint);
    return r;
  };
  const std::string other_forms = "or an scp-like address (git@host:org/repo.git) or a local path";
  if (repo.empty()) {
    return bad("it is empty",
               "give a git URL such as https://example.org/org/repo.git, " + other_forms);
  }
  size_t sep = repo.find("://");
  bool url = sep != std::string_view::npos && sep > 0 && is_alpha(repo[0]);
  for (size_t i = 0; url && i < sep; ++i) {
    char c = repo[i];
    url = is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
  }
  if (url) {
    r.form = RepoForm::kUrl;
    r.scheme = lowercase(repo.substr(0, sep));
    const auto& schemes = repo_schemes();
    if (std::find(schemes.begin(), schemes.end(), r.scheme) == schemes.end()) {
      return bad("the scheme \"" + r.scheme + "\" is not supported",
                 valid_values_hint(r.scheme, schemes, "Supported schemes") + "; " + other_forms);
    }
    std::string_view rest = repo.substr(sep + 3);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    std::string_view host = authority.substr(authority.rfind('@') + 1);
    if (r.scheme == "file" && rest.empty())
      return bad("the path is missing", "e.g. file:///srv/git/repo.git");
    if (r.scheme != "file" && host.empty())
      return bad("the host is missing", "e.g. " + r.scheme + "://example.org/org/repo.git");
    return r;
  }
  size_t colon = repo.find(':');
  if (colon == std::string_view::npos || repo.substr(0, colon).find('/') != std::string_view::npos)
    return r;  // a local path
  r.form = RepoForm::kScpLike;
  r.scheme = "ssh";
  std::string before = lowercase(repo.substr(0, colon));
  const auto& schemes = repo_schemes();
  if (std::find(schemes.begin(), schemes.end(), before) != schemes.end()) {
    return bad("\"" + before + ":\" must be followed by \"//\"",
               "e.g. " + before + "://example.org/org/repo.git");
  }
  std::string_view host = repo.substr(0, colon);
  host = host.substr(host.find('@') == std::string_view::npos ? 0 : host.find('@') + 1);
  if (host.empty())
    return bad("the host before ':' is missing", "e.g. git@example.org:org/repo.git");
  if (colon + 1 == repo.size())
    return bad("the path after ':' is missing", "e.g. git@example.org:org/repo.git");
  return r;
}

std::string ref_problem(std::string_view ref) {
  if (ref.empty())
    return "it is empty";
  for (char c : ref) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      return "whitespace is not allowed";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return "control characters are not allowed";
  }
  if (ref.find("..") != std::string_view::npos)
    return "'..' is not allowed";
  if (ref.front() == '-')
    return "it starts with '-'";
  return {};
}

RepoSubpath parse_repo_subpath(std::string_view path) {
  RepoSubpath out;
  if (!path.empty() && path.front() == '/') {
    out.problem = "it is absolute";
    return out;
  }
  for (std::string_view segment : split(path, '/')) {
    if (segment.empty() || segment == ".")
      continue;
    if (segment == "..") {
      out.problem = "'..' segments are not allowed";
      out.path.clear();
      return out;
    }
    out.path += (out.path.empty() ? "" : "/") + std::string(segment);
  }
  return out;
}

std::string env_name_problem(std::string_view name) {
  if (name.empty())
    return "it is empty";
  if (is_digit(name.front()))
    return "it starts with a digit";
  for (char c : name) {
    if (!is_alpha(c) && !is_digit(c) && c != '_')
      return "'" + shown_char(c) + "' is not allowed";
  }
  return {};
}

CronCheck check_cron(std::string_view expression) {
  CronCheck out;
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < expression.size()) {
    while (i < expression.size() && (expression[i] == ' ' || expression[i] == '\t'))
      ++i;
    size_t start = i;
    while (i < expression.size() && expression[i] != ' ' && expression[i] != '\t')
      ++i;
    if (i > start)
      fields.push_back(expression.substr(start, i - start));
  }
  if (fields.size() == 1 && fields[0].front() == '@') {
    static const std::array<std::pair<const char*, const char*>, 7> kMacros = {{
        {"@yearly", "0 0 1 1 *"},
        {"@annually", "0 0 1 1 *"},
        {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"},
        {"@daily", "0 0 * * *"},
        {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"},
    }};
    out.problem = "\"" + std::string(fields[0]) + "\" is not supported";
    for (const auto& [macro, fields_form] : kMacros) {
      if (lowercase(fields[0]) == macro)
        out.hint = std::string("write it as 5 fields: schedule: \"") + fields_form + "\"";
    }
    return out;
  }
  if (fields.size() != kCronFields.size()) {
    out.problem = "it has " + std::to_string(fields.size()) + " field" +
                  (fields.size() == 1 ? "" : "s") + ", expected 5";
    return out;
  }
  for (size_t f = 0; f < fields.size(); ++f) {
    for (std::string_view item : split(fields[f], ',')) {
      std::string problem = cron_item(item, kCronFields[f]);
      if (!problem.empty()) {
        out.problem =
            std::string(kCronFields[f].name) + " \"" + std::string(fields[f]) + "\": " + problem;
        return out;
      }
    }
  }
  return out;
}

Duration parse_duration(std::string_view text) {
  constexpr long kMax = 24 * 60 * 60;
  Duration out;
  size_t digits = 0;
  while (digits < text.size() && is_digit(text[digits]))
    ++digits;
  if (digits == 0) {
    out.problem = "it must be a number of seconds, or a number followed by s, m or h";
    return out;
  }
  std::string_view unit = text.substr(digits);
  long factor = 0;
  if (unit.empty() || unit == "s")
    factor = 1;
  else if (unit == "m")
    factor = 60;
  else if (unit == "h")
    factor = 3600;
  if (factor == 0) {
    out.problem = "unknown unit \"" + std::string(unit) + "\"";
    return out;
  }
  long value = digits_value(text.substr(0, digits), kMax);
  if (value == 0) {
    out.problem = "it must be more than 0";
    return out;
  }
  if (value > kMax || value * factor > kMax) {
    out.problem = "it is longer than 24h";
    return out;
  }
  out.seconds = static_cast<int>(value * factor);
  return out;
}

MountPath parse_mount_path(std::string_view path) {
  MountPath out;
  auto bad = [&out](std::string problem) {
    out.problem = std::move(problem);
    return out;
  };
  if (path.empty())
    return bad("it is empty");
  if (path.front() != '/')
    return bad("it is not absolute");
  if (path == "/")
    return bad("it is the root directory");
  std::string_view body = path.substr(1);
  if (body.back() == '/')
    body.remove_suffix(1);
  for (std::string_view segment : split(body, '/')) {
    if (segment.empty())
      return bad("it has an empty segment (\"//\")");
    if (segment == "..")
      return bad("'..' segments are not allowed");
    if (segment == ".")
      return bad("'.' segments are not allowed");
  }
  out.path = "/" + std::string(body);
  return out;
}

bool path_within(std::string_view inner, std::string_view outer) {
  return inner == outer ||
         (inner.starts_with(outer) && inner.size() > outer.size() && inner[outer.size()] == '/');
}

}  // namespace lakeinfra::config
