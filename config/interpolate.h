#pragma once

#include <optional>
#include <string>

#include "config/diagnostics.h"
#include "config/system.h"
#include "config/yaml_tree.h"

// Private to config/: `${env:NAME}` interpolation of scalar values.

namespace lakeinfra::config {

/// Replaces every `${env:NAME}` in `text` by the variable's value and every
/// `${env:NAME:-default}` by the value, or `default` when the variable is unset or empty;
/// `$${` stands for a literal `${`. Returns nullopt after adding an error at `location` to
/// `diags` for each unset variable without default and each malformed `${...}`.
std::optional<std::string> interpolate(const std::string& text, Environment& env,
                                       const Location& location, Diagnostics& diags);

/// Interpolates every scalar value (never a key) of `node` in place; scalars with errors are
/// left as written.
void interpolate_tree(YamlNode& node, Environment& env, Diagnostics& diags);

}  // namespace lakeinfra::config
