#include "state/plain_json.h"

namespace lakeinfra::state {
namespace {

/// Consumes a plain string literal: a quote, printable ASCII other than '"' and '\\' (nothing
/// JSON would escape), a quote. nullopt when the text does not start with one.
std::optional<std::string_view> plain_string(std::string_view& text) {
  if (text.empty() || text.front() != '"')
    return std::nullopt;
  for (size_t i = 1; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '"') {
      std::string_view value = text.substr(1, i - 1);
      text.remove_prefix(i + 1);
      return value;
    }
    if (c < 0x20 || c > 0x7e || c == '\\')
      return std::nullopt;
  }
  return std::nullopt;
}

bool eat(std::string_view& text, char c) {
  if (text.empty() || text.front() != c)
    return false;
  text.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<config::Attributes> parse_plain_string_object(std::string_view text) {
  config::Attributes out = config::Attributes::object();
  if (!eat(text, '{'))
    return std::nullopt;
  if (eat(text, '}'))
    return text.empty() ? std::optional<config::Attributes>(std::move(out)) : std::nullopt;
  auto& members = out.get_ref<config::Attributes::object_t&>();
  while (true) {
    auto key = plain_string(text);
    if (!key || !eat(text, ':'))
      return std::nullopt;
    auto value = plain_string(text);
    if (!value)
      return std::nullopt;
    // A repeated key keeps its last value in nlohmann's parser; rare enough to leave to it.
    if (!members.emplace(std::string(*key), config::Attributes(std::string(*value))).second)
      return std::nullopt;
    if (eat(text, ','))
      continue;
    if (eat(text, '}') && text.empty())
      return out;
    return std::nullopt;
  }
}

std::optional<std::vector<std::string_view>> parse_plain_string_array(std::string_view text) {
  std::vector<std::string_view> out;
  if (!eat(text, '['))
    return std::nullopt;
  if (eat(text, ']'))
    return text.empty() ? std::optional<std::vector<std::string_view>>(std::move(out))
                        : std::nullopt;
  while (true) {
    auto value = plain_string(text);
    if (!value)
      return std::nullopt;
    out.push_back(*value);
    if (eat(text, ','))
      continue;
    if (eat(text, ']') && text.empty())
      return out;
    return std::nullopt;
  }
}

}  // namespace lakeinfra::state
