#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "config/resource.h"

// Private to state/: a fast path for the JSON lakeinfra itself writes in nearly every row of the
// resources table. nlohmann's parser was most of loading a 10k-resource state, for values as
// plain as {"name":"raw","tier":"sensitive","zone":"bronze"} and ["zone.bronze"]. Each function
// accepts only that compact, escape-free ASCII form and gives exactly what
// nlohmann::json::parse() gives for it; anything else is nullopt, and the caller parses it in
// full.

namespace lakeinfra::state {

/// A flat object whose values are all plain strings: `{"k":"v",...}` or `{}`.
std::optional<config::Attributes> parse_plain_string_object(std::string_view text);

/// An array of plain strings: `["a","b"]` or `[]`. The views point into `text`.
std::optional<std::vector<std::string_view>> parse_plain_string_array(std::string_view text);

}  // namespace lakeinfra::state
