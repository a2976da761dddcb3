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

}  // namespace

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
