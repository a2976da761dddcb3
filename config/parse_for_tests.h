#pragma once

// Parsing a lake.yaml text in config tests: the document as "lake.yaml" in /srv/cfg with an
// empty environment, and its errors rendered as format_diagnostic() prints them.

#include <string>
#include <vector>

#include "config/loader.h"

namespace lakeinfra::config::testing {

inline Result<Lake> parse(const std::string& yaml) {
  MapEnvironment env;
  return parse_lake(yaml, "lake.yaml", "/srv/cfg", env);
}

/// Every diagnostic of parsing `yaml`, rendered; empty on success.
inline std::vector<std::string> errors(const std::string& yaml) {
  auto lake = parse(yaml);
  std::vector<std::string> out;
  if (lake)
    return out;
  for (const auto& d : lake.error())
    out.push_back(format_diagnostic(d));
  return out;
}

/// The warnings of `yaml` when it is valid, else its errors, rendered.
inline std::vector<std::string> warnings(const std::string& yaml) {
  auto lake = parse(yaml);
  std::vector<std::string> out;
  for (const auto& d : lake ? lake->warnings : lake.error())
    out.push_back(format_diagnostic(d));
  return out;
}

/// How format_diagnostic() renders a diagnostic of lake.yaml at `where` ("line:col"; "" for the
/// file as a whole), with its hint line when `hint` is not empty.
inline std::string diag(const std::string& severity, const std::string& where,
                        const std::string& summary, const std::string& hint) {
  std::string out =
      severity + ": lake.yaml" + (where.empty() ? "" : ":" + where) + ": " + summary + "\n";
  if (!hint.empty())
    out += "  hint: " + hint + "\n";
  return out;
}
inline std::string err(const std::string& where, const std::string& summary,
                       const std::string& hint) {
  return diag("error", where, summary, hint);
}
inline std::string warn(const std::string& where, const std::string& summary,
                        const std::string& hint) {
  return diag("warning", where, summary, hint);
}

}  // namespace lakeinfra::config::testing
