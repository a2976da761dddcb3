#include "config/address.h"

namespace lakeinfra::config {

Address::Address(std::string type, std::vector<std::string> names)
    : type_(std::move(type)), names_(std::move(names)) {
  text_ = type_;
  for (const auto& n : names_)
    text_ += "." + n;
}

std::optional<Address> Address::parse(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    std::string_view part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty())
      return std::nullopt;
    parts.emplace_back(part);
    if (dot == std::string_view::npos)
      break;
    start = dot + 1;
  }
  if (parts.size() < 2)
    return std::nullopt;
  std::string type = std::move(parts.front());
  parts.erase(parts.begin());
  // artifact.PIPELINE.FILE: FILE is a path below artifacts/ and may contain dots ("main.py").
  if (type == "artifact" && parts.size() > 2) {
    std::string file = parts[1];
    for (size_t i = 2; i < parts.size(); ++i)
      file += "." + parts[i];
    parts = {parts[0], file};
  }
  return Address(std::move(type), std::move(parts));
}

}  // namespace lakeinfra::config
