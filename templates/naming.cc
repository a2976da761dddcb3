#include "templates/naming.h"

namespace lakeinfra::templates {

tl::expected<std::string, RenderError> render(std::string_view tmpl,
                                              const std::map<std::string, std::string>& vars) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c == '}')
      return tl::unexpected(RenderError{"", i, "unmatched '}'"});
    if (c != '{') {
      out += c;
      continue;
    }
    size_t close = tmpl.find('}', i + 1);
    if (close == std::string_view::npos)
      return tl::unexpected(RenderError{"", i, "unclosed '{'"});
    std::string name(tmpl.substr(i + 1, close - i - 1));
    if (name.empty())
      return tl::unexpected(RenderError{"", i, "empty placeholder '{}'"});
    auto it = vars.find(name);
    if (it == vars.end()) {
      return tl::unexpected(RenderError{name, i, "unknown placeholder {" + name + "}"});
    }
    out += it->second;
    i = close;
  }
  return out;
}

std::vector<std::string> placeholders(std::string_view tmpl) {
  std::vector<std::string> names;
  size_t pos = 0;
  while ((pos = tmpl.find('{', pos)) != std::string_view::npos) {
    size_t close = tmpl.find('}', pos + 1);
    if (close == std::string_view::npos)
      break;
    if (close > pos + 1)
      names.emplace_back(tmpl.substr(pos + 1, close - pos - 1));
    pos = close + 1;
  }
  return names;
}

}  // namespace lakeinfra::templates
