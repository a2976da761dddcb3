#pragma once

#include <string>
#include <vector>

namespace lakeinfra::config {

/// Where a diagnostic points in a source file. Lines and columns are 1-based; 0 means unknown.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;

  bool known() const { return !file.empty(); }
  /// "file:line:col", or just "file" when the position is unknown, or "" when nothing is known.
  std::string str() const;
  bool operator==(const Location&) const = default;
};

enum class Severity { kError, kWarning, kNote };

/// One problem found anywhere in lakeinfra. Diagnostics are collected, never thrown, so one run
/// can report every problem. `summary` is one line naming the thing that is wrong; `detail`
/// explains; `hint` says what would be right ("did you mean ...", the valid values).
struct Diagnostic {
  Severity severity = Severity::kError;
  std::string summary;
  std::string detail;
  std::string hint;
  Location location;    ///< Source location, when the problem comes from a file.
  std::string address;  ///< Resource address ("zone.bronze"), when it concerns a resource.
  bool operator==(const Diagnostic&) const = default;
};

/// An ordered collection of diagnostics.
class Diagnostics {
 public:
  Diagnostics() = default;
  /// Convenience: a collection holding one error.
  static Diagnostics error(std::string summary, std::string detail = {}, std::string hint = {},
                           Location location = {});

  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void add_error(std::string summary, Location location = {}, std::string hint = {},
                 std::string detail = {});
  void add_warning(std::string summary, Location location = {}, std::string hint = {},
                   std::string detail = {});
  void append(const Diagnostics& other);

  bool has_errors() const;
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

  /// All diagnostics as plain text, one block per diagnostic (no colour, no source excerpt).
  std::string str() const;
  bool operator==(const Diagnostics&) const = default;

 private:
  std::vector<Diagnostic> items_;
};

/// Plain one-block rendering of a diagnostic: "error: file:1:2: summary\n  hint: ...".
std::string format_diagnostic(const Diagnostic& d);

/// Edit distance between two strings (Levenshtein), for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate closest to `word` if it is close enough to be a plausible typo, else "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace lakeinfra::config
