#include "config/diagnostics.h"

#include <algorithm>

namespace lakeinfra::config {

std::string Location::str() const {
  if (file.empty())
    return {};
  if (line <= 0)
    return file;
  std::string s = file + ":" + std::to_string(line);
  if (column > 0)
    s += ":" + std::to_string(column);
  return s;
}

Diagnostics Diagnostics::error(std::string summary, std::string detail, std::string hint,
                               Location location) {
  Diagnostics d;
  d.add_error(std::move(summary), std::move(location), std::move(hint), std::move(detail));
  return d;
}

void Diagnostics::add_error(std::string summary, Location location, std::string hint,
                            std::string detail) {
  items_.push_back(Diagnostic{Severity::kError,
                              std::move(summary),
                              std::move(detail),
                              std::move(hint),
                              std::move(location),
                              {}});
}

void Diagnostics::add_warning(std::string summary, Location location, std::string hint,
                              std::string detail) {
  items_.push_back(Diagnostic{Severity::kWarning,
                              std::move(summary),
                              std::move(detail),
                              std::move(hint),
                              std::move(location),
                              {}});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const {
  return std::any_of(items_.begin(), items_.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

std::string Diagnostics::str() const {
  std::string out;
  for (const auto& d : items_)
    out += format_diagnostic(d);
  return out;
}

std::string format_diagnostic(const Diagnostic& d) {
  std::string out;
  switch (d.severity) {
    case Severity::kError:
      out += "error: ";
      break;
    case Severity::kWarning:
      out += "warning: ";
      break;
    case Severity::kNote:
      out += "note: ";
      break;
  }
  if (d.location.known())
    out += d.location.str() + ": ";
  if (!d.address.empty())
    out += d.address + ": ";
  out += d.summary + "\n";
  if (!d.detail.empty())
    out += "  " + d.detail + "\n";
  if (!d.hint.empty())
    out += "  hint: " + d.hint + "\n";
  return out;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace lakeinfra::config
