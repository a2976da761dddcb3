#pragma once

#include <tl/expected.hpp>

#include "config/diagnostics.h"

namespace lakeinfra {

/// The return type of every fallible call that crosses a folder boundary: a value, or the
/// diagnostics explaining why there is none. No exceptions cross folders.
template <typename T>
using Result = tl::expected<T, config::Diagnostics>;

/// Shorthand for returning a single error from a function returning Result<T>.
inline tl::unexpected<config::Diagnostics> fail(std::string summary, std::string hint = {},
                                                config::Location location = {}) {
  return tl::unexpected(
      config::Diagnostics::error(std::move(summary), {}, std::move(hint), std::move(location)));
}

inline tl::unexpected<config::Diagnostics> fail(config::Diagnostics diagnostics) {
  return tl::unexpected(std::move(diagnostics));
}

}  // namespace lakeinfra
