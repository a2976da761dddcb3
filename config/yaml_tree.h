#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/result.h"

// Private to config/: the loader's own YAML tree. yaml-cpp nodes are converted into this tree
// at once, so that every node remembers the file, line and column it came from (an overlay's
// values point into the overlay file after merging) and no yaml-cpp exception escapes.

namespace lakeinfra::config {

struct MapEntry;

/// One YAML value with its origin.
struct YamlNode {
  enum class Kind { kNull, kScalar, kList, kMap };

  Kind kind = Kind::kNull;
  std::string scalar;             ///< The text of a scalar ("" otherwise).
  bool quoted = false;            ///< A scalar written in quotes (or with a tag): never a boolean.
  bool failed = false;            ///< Its interpolation failed and was reported: ignore its value.
  Location location;              ///< 1-based; for an empty value in a mapping, its key's location.
  std::vector<YamlNode> items;    ///< List items, in order.
  std::vector<MapEntry> entries;  ///< Mapping entries in order; duplicate keys are kept.

  bool is_null() const { return kind == Kind::kNull; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_list() const { return kind == Kind::kList; }
  bool is_map() const { return kind == Kind::kMap; }

  /// The first entry with `key` in a mapping, or nullptr (also for a non-mapping).
  const MapEntry* find(std::string_view key) const;
  MapEntry* find(std::string_view key);
};

/// A key and its value. Keys are always scalars (the parser rejects other keys).
struct MapEntry {
  std::string key;
  Location key_location;
  YamlNode value;
};

/// Parses one YAML document. Checks the bytes are UTF-8 first (error at the first bad byte),
/// converts yaml-cpp syntax errors into diagnostics at their mark, and rejects a second
/// document and non-scalar keys. An empty file (only whitespace, comments or "---") gives a
/// kNull node whose location is unknown.
Result<YamlNode> parse_yaml(std::string_view text, const std::string& file);

/// Short description of a node's kind or value for messages: "a mapping", "a list",
/// "an empty value", or the scalar in quotes ("\"yes please\"").
std::string describe(const YamlNode& node);

/// Merges `overlay` over `base` in place: mappings recursively; lists whose overlay items are
/// all mappings with a `name` (or, under a `containers` key, plain strings too) merged by name,
/// matching items merged recursively and new names appended; anything else replaced by the
/// overlay's value. A key or name repeated within the overlay is appended rather than merged,
/// so validation still reports the duplicate.
void merge_yaml(YamlNode& base, const YamlNode& overlay);

}  // namespace lakeinfra::config
