#include "config/names.h"

namespace lakeinfra::config {
namespace {

constexpr size_t kMaxLength = 63;

bool allowed(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// The character starting at byte `i`, whole when it is a multi-byte UTF-8 sequence.
std::string char_at(std::string_view s, size_t i) {
  size_t len = 1;
  while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80)
    ++len;
  return std::string(s.substr(i, static_cast<unsigned char>(s[i]) < 0x80 ? 1 : len));
}

std::string problem(std::string_view s, size_t min_length) {
  if (s.empty())
    return "it is empty";
  if (s.find('/') != std::string_view::npos)
    return "'/' is not allowed";
  if (s.find("..") != std::string_view::npos)
    return "'..' is not allowed";
  for (char c : s) {
    if (c >= 'A' && c <= 'Z')
      return "uppercase letters are not allowed";
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (allowed(s[i]))
      continue;
    if (s[i] == ' ')
      return "spaces are not allowed";
    return "'" + char_at(s, i) + "' is not allowed";
  }
  if (s.size() < min_length) {
    return "shorter than " + std::to_string(min_length) + " characters";
  }
  if (s.size() > kMaxLength)
    return "longer than 63 characters";
  if (s.front() == '-')
    return "it starts with '-'";
  if (s.back() == '-')
    return "it ends with '-'";
  return {};
}

std::string fix_up(std::string_view s, size_t min_length) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80)
      continue;  // drop non-ASCII
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    if (!allowed(c))
      c = '-';
    if (c == '-' && (out.empty() || out.back() == '-'))
      continue;
    out += c;
  }
  if (out.size() > kMaxLength)
    out.resize(kMaxLength);
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  if (out == s || !problem(out, min_length).empty())
    return {};
  return out;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || is_digit(c);
}

// Four dot-separated groups of 1–3 digits: what S3 means by "formatted as an IP address".
bool looks_like_ipv4(std::string_view s) {
  int groups = 0;
  size_t i = 0;
  while (i <= s.size()) {
    size_t start = i;
    while (i < s.size() && is_digit(s[i]))
      ++i;
    if (i == start || i - start > 3)
      return false;
    ++groups;
    if (i == s.size())
      return groups == 4;
    if (s[i] != '.')
      return false;
    ++i;
  }
  return false;
}

const char* const kReservedPrefixes[] = {"xn--", "sthree-", "amzn-s3-demo-"};
const char* const kReservedSuffixes[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"};

}  // namespace

std::string bucket_name_problem(std::string_view name) {
  if (name.empty())
    return "it is empty";
  for (char c : name) {
    if (c >= 'A' && c <= 'Z')
      return "uppercase letters are not allowed";
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (is_alnum(c) || c == '-' || c == '.')
      continue;
    if (c == ' ')
      return "spaces are not allowed";
    return "'" + char_at(name, i) + "' is not allowed";
  }
  if (name.size() < 3)
    return "shorter than 3 characters";
  if (name.size() > kMaxLength)
    return "longer than 63 characters";
  if (!is_alnum(name.front()))
    return std::string("it starts with '") + name.front() + "'";
  if (!is_alnum(name.back()))
    return std::string("it ends with '") + name.back() + "'";
  if (name.find("..") != std::string_view::npos)
    return "'..' is not allowed";
  if (looks_like_ipv4(name))
    return "it is formatted as an IP address";
  for (std::string_view prefix : kReservedPrefixes) {
    if (name.starts_with(prefix))
      return "it starts with the reserved prefix \"" + std::string(prefix) + "\"";
  }
  for (std::string_view suffix : kReservedSuffixes) {
    if (name.ends_with(suffix))
      return "it ends with the reserved suffix \"" + std::string(suffix) + "\"";
  }
  return {};
}

std::string name_problem(std::string_view name) {
  return problem(name, 3);
}
std::string label_problem(std::string_view label) {
  return problem(label, 1);
}
std::string suggest_name(std::string_view name) {
  return fix_up(name, 3);
}
std::string suggest_label(std::string_view label) {
  return fix_up(label, 1);
}

}  // namespace lakeinfra::config
