#pragma once

#include <tl/expected.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lakeinfra::templates {

/// Why a naming template could not be rendered.
struct RenderError {
  std::string placeholder;  ///< The unknown placeholder, or "" for a syntax error.
  size_t offset = 0;        ///< Byte offset of the problem in the template.
  std::string message;      ///< "unknown placeholder {zonee}", "unclosed '{'".
};

/// Renders a naming template such as "{lake}-{instance}-{zone}" with `vars`. Text outside braces
/// is copied; "{name}" is replaced by vars.at(name). An unknown name, an empty or unclosed brace
/// is an error.
tl::expected<std::string, RenderError> render(std::string_view tmpl,
                                              const std::map<std::string, std::string>& vars);

/// The placeholder names used by a template, in order of appearance (syntax errors ignored).
std::vector<std::string> placeholders(std::string_view tmpl);

}  // namespace lakeinfra::templates
