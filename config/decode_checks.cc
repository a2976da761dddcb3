#include "config/decode_checks.h"

#include <algorithm>

#include "config/decode.h"
#include "config/names.h"

namespace lakeinfra::config {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string valid_values_hint(const std::string& word, const std::vector<std::string>& valid,
                              const std::string& what) {
  std::string hint;
  if (std::string close = closest_match(word, valid); !close.empty()) {
    hint = "did you mean \"" + close + "\"? ";
  }
  return hint + what + ": " + join(valid);
}

std::string with_suggestion(const std::string& rule, const std::string& suggestion) {
  return suggestion.empty() ? rule : rule + "; try \"" + suggestion + "\"";
}

void DecodeChecks::check_keys(const YamlNode& map, const std::vector<std::string>& valid,
                              const std::string& where,
                              const std::map<std::string, std::string>& foreign,
                              const std::string& provider) {
  std::map<std::string, Location> seen;
  for (const auto& entry : map.entries) {
    auto [it, inserted] = seen.emplace(entry.key, entry.key_location);
    if (!inserted) {
      diags_.add_error("duplicate key \"" + entry.key + "\" " + where + " (first defined on " +
                           first_defined(it->second, entry.key_location) + ")",
                       entry.key_location, "a key may appear only once in a mapping");
      continue;
    }
    if (auto owner = foreign.find(entry.key); owner != foreign.end()) {
      if (entry.value.is_null())
        continue;
      diags_.add_error(
          "unknown key \"" + entry.key + "\" " + where + " for provider \"" + provider + "\"",
          entry.key_location,
          "\"" + entry.key + "\" belongs to storage provider \"" + owner->second +
              "\"; Valid keys: " + join(valid));
    } else if (std::find(valid.begin(), valid.end(), entry.key) == valid.end()) {
      diags_.add_error("unknown key \"" + entry.key + "\" " + where, entry.key_location,
                       valid_values_hint(entry.key, valid, "Valid keys"));
    }
  }
}

void DecodeChecks::type_error(const MapEntry& entry, const std::string& expected,
                              const std::string& hint) {
  diags_.add_error("\"" + entry.key + "\" must be " + expected + ", got " + describe(entry.value),
                   entry.value.location, hint);
}

void DecodeChecks::for_each_mapping(
    const MapEntry* entry, const std::string& noun, const std::string& hint,
    const std::function<void(const YamlNode& item, int position)>& each) {
  if (!entry || entry->value.is_null())
    return;
  if (!entry->value.is_list()) {
    type_error(*entry, "a list of " + noun + "s", hint);
    return;
  }
  int position = 0;
  for (const auto& item : entry->value.items) {
    ++position;
    if (!item.is_map()) {
      diags_.add_error("each " + noun + " must be a mapping, got " + describe(item), item.location,
                       hint);
      continue;
    }
    each(item, position);
  }
}

void DecodeChecks::missing(const std::string& key, const std::string& where,
                           const Location& location, const std::string& hint) {
  diags_.add_error("missing required key \"" + key + "\" " + where, location, hint);
}

std::optional<std::string> DecodeChecks::optional_string(const MapEntry* entry,
                                                         const std::string& hint) {
  if (!entry || entry->value.is_null() || entry->value.failed)
    return std::nullopt;
  if (!entry->value.is_scalar()) {
    type_error(*entry, "a string", hint);
    return std::nullopt;
  }
  return entry->value.scalar;
}

std::optional<std::string> DecodeChecks::required_string(const YamlNode& map,
                                                         const std::string& key,
                                                         const std::string& where,
                                                         const std::string& hint) {
  const MapEntry* entry = map.find(key);
  if (!entry) {
    missing(key, where, map.location, hint);
    return std::nullopt;
  }
  if (entry->value.failed)
    return std::nullopt;
  if (!entry->value.is_scalar()) {
    type_error(*entry, "a string", hint);
    return std::nullopt;
  }
  return entry->value.scalar;
}

std::optional<bool> DecodeChecks::optional_bool(const MapEntry* entry) {
  if (!entry || entry->value.is_null() || entry->value.failed)
    return std::nullopt;
  const YamlNode& v = entry->value;
  if (v.is_scalar() && !v.quoted) {
    if (v.scalar == "true" || v.scalar == "True" || v.scalar == "TRUE")
      return true;
    if (v.scalar == "false" || v.scalar == "False" || v.scalar == "FALSE")
      return false;
  }
  type_error(*entry, "a boolean",
             v.is_scalar() && v.quoted ? "use true or false, without quotes" : "use true or false");
  return std::nullopt;
}

bool DecodeChecks::check_name(const std::string& what, const std::string& value,
                              const Location& location) {
  std::string problem = name_problem(value);
  if (problem.empty())
    return true;
  diags_.add_error(what + " \"" + value + "\" is invalid: " + problem, location,
                   with_suggestion(kNameRule, suggest_name(value)));
  return false;
}

bool DecodeChecks::check_label(const std::string& what, const std::string& value,
                               const Location& location) {
  std::string problem = label_problem(value);
  if (problem.empty())
    return true;
  diags_.add_error(what + " \"" + value + "\" is invalid: " + problem, location,
                   with_suggestion(kLabelRule, suggest_label(value)));
  return false;
}

const YamlNode* DecodeChecks::block(const MapEntry* entry, const std::string& hint) {
  if (!entry || entry->value.is_null())
    return nullptr;
  if (!entry->value.is_map()) {
    type_error(*entry, "a mapping", hint);
    return nullptr;
  }
  return &entry->value;
}

bool DecodeChecks::unique(std::map<std::string, Location>& names, const std::string& name,
                          const Location& at, const std::string& what, const std::string& scope,
                          const std::string& rule) {
  auto [first, inserted] = names.emplace(name, at);
  if (inserted)
    return true;
  diags_.add_error("duplicate " + what + " \"" + name + "\"" + scope + " (first defined on " +
                       first_defined(first->second, at) + ")",
                   at, what + "s must be unique " + rule);
  return false;
}

}  // namespace lakeinfra::config
