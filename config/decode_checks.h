#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "config/yaml_tree.h"

// Private to config/: the checks every block decoder shares (types, required and unknown keys,
// name rules, duplicates), each reporting into one Diagnostics with the offending location.

namespace lakeinfra::config {

/// "a, b, c".
std::string join(const std::vector<std::string>& items);

/// "did you mean \"x\"? <what>: a, b, c"; the first part only when a candidate is close to
/// `word`.
std::string valid_values_hint(const std::string& word, const std::vector<std::string>& valid,
                              const std::string& what);

/// `rule`, followed by "; try \"<suggestion>\"" when there is a suggestion.
std::string with_suggestion(const std::string& rule, const std::string& suggestion);

/// Reports problems of the YAML tree into a Diagnostics it does not own (it must outlive this).
/// Block decoders derive from it.
class DecodeChecks {
 public:
  explicit DecodeChecks(Diagnostics& diags) : diags_(diags) {}

 protected:
  /// Reports duplicate and unknown keys (unknown ones with "did you mean"). A key in `foreign`
  /// belongs to another storage provider (the value names it) and is reported as not used by
  /// `provider`, unless its value is empty: that is how an overlay that changes the provider
  /// drops the base's keys (`root: ~`).
  void check_keys(const YamlNode& map, const std::vector<std::string>& valid,
                  const std::string& where, const std::map<std::string, std::string>& foreign = {},
                  const std::string& provider = {});

  /// "\"<key>\" must be <expected>, got <what it is>" at the value.
  void type_error(const MapEntry& entry, const std::string& expected, const std::string& hint);

  /// "missing required key \"<key>\" <where>" at `location` (the mapping that lacks it).
  void missing(const std::string& key, const std::string& where, const Location& location,
               const std::string& hint);

  /// The string value of an optional key: nullopt when absent or empty (YAML null), or after
  /// reporting a value that is not a scalar.
  std::optional<std::string> optional_string(const MapEntry* entry, const std::string& hint);

  /// The string value of a required key, reporting it when missing or not a scalar.
  std::optional<std::string> required_string(const YamlNode& map, const std::string& key,
                                             const std::string& where, const std::string& hint);

  /// An unquoted true/false (any case as YAML writes it); nullopt when absent or after
  /// reporting another value.
  std::optional<bool> optional_bool(const MapEntry* entry);

  /// Checks a name against the name rules (names.h); `what` is "zone name" and so on.
  bool check_name(const std::string& what, const std::string& value, const Location& location);

  /// The same for instance, region and org.
  bool check_label(const std::string& what, const std::string& value, const Location& location);

  /// Calls `each(item, position)` (1-based) for every mapping of a list-valued key, in order:
  /// nothing when the key is absent or null, or after reporting a value that is not a list ("a
  /// list of <noun>s"); an item that is not a mapping is reported in its turn ("each <noun> must
  /// be a mapping") and skipped. `hint` goes with both errors.
  void for_each_mapping(const MapEntry* entry, const std::string& noun, const std::string& hint,
                        const std::function<void(const YamlNode& item, int position)>& each);

  /// A mapping-valued block; nullptr when absent or empty, or after reporting a wrong type.
  const YamlNode* block(const MapEntry* entry, const std::string& hint);

  /// Whether `name` is not yet in `names` (and adds it); reports a duplicate at `at` otherwise,
  /// naming where the first one is: "duplicate <what> \"x\"<scope> (first defined on line 3)".
  bool unique(std::map<std::string, Location>& names, const std::string& name, const Location& at,
              const std::string& what, const std::string& scope, const std::string& rule);

  Diagnostics& diags_;
};

}  // namespace lakeinfra::config
