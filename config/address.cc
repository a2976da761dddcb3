#include "config/address.h"

namespace lakeinfra::config {

namespace {

/// The name parts of `text` after its type: split at dots, except that the file part of an
/// artifact address ("artifact.PIPELINE.FILE") keeps its dots. Empty when a part is empty or
/// there is no name.
std::vector<std::string> split_names(std::string_view text) {
  std::vector<std::string> names;
  size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0)
    return {};
  const bool artifact = text.substr(0, dot) == "artifact";
  size_t start = dot + 1;
  while (true) {
    size_t next = text.find('.', start);
    if (artifact && names.size() == 1)
      next = std::string_view::npos;  // the file part takes the rest, dots included
    std::string_view part =
        text.substr(start, next == std::string_view::npos ? next : next - start);
    if (part.empty() ||
        (artifact && names.size() == 1 &&
         (part.front() == '.' || part.back() == '.' || part.find("..") != std::string_view::npos)))
      return {};  // no empty part, in the file part's dotted pieces either
    names.emplace_back(part);
    if (next == std::string_view::npos)
      return names;
    start = next + 1;
  }
}

}  // namespace

Address::Address(std::string_view type, const std::vector<std::string>& names) {
  size_t size = type.size();
  for (const auto& n : names)
    size += 1 + n.size();
  text_.reserve(size);
  text_ = type;
  for (const auto& n : names) {
    text_ += '.';
    text_ += n;
  }
}

std::optional<Address> Address::parse(std::string_view text) {
  if (split_names(text).empty())
    return std::nullopt;
  return Address(std::string(text));
}

std::vector<std::string> Address::names() const {
  return split_names(text_);
}

}  // namespace lakeinfra::config
