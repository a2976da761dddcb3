#include "templates/presets.h"

#include <algorithm>

namespace lakeinfra::templates {

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& p : detail::kEmbeddedPresets)
    names.emplace_back(p.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::string> preset_text(std::string_view name) {
  for (const auto& p : detail::kEmbeddedPresets) {
    if (name == p.name)
      return std::string(p.text);
  }
  return std::nullopt;
}

}  // namespace lakeinfra::templates
