#include "config/yaml_tree.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <optional>
#include <set>

namespace lakeinfra::config {
namespace {

// Offset of the first byte that is not part of a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are rejected), or nullopt.
std::optional<size_t> first_invalid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0)
        lo = 0xA0;
      if (b == 0xED)
        hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0)
        lo = 0x90;
      if (b == 0xF4)
        hi = 0x8F;
    } else {
      return i;
    }
    for (size_t k = 1; k < len; ++k) {
      if (i + k >= s.size())
        return i + k;
      auto c = static_cast<unsigned char>(s[i + k]);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF))
        return i + k;
    }
    i += len;
  }
  return std::nullopt;
}

Location location_of_offset(std::string_view text, size_t offset, const std::string& file) {
  Location loc{file, 1, 1};
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      loc.column = 1;
    } else {
      ++loc.column;
    }
  }
  return loc;
}

Location location_of_mark(const YAML::Mark& mark, const std::string& file) {
  if (mark.is_null())
    return Location{file, 0, 0};
  return Location{file, mark.line + 1, mark.column + 1};
}

// Converts yaml-cpp's tree. yaml-cpp 0.7 resolves "&a [*a]" into a node that contains itself,
// and aliases can expand a small file into a huge tree ("billion laughs"); both are reported
// instead of recursing without end. Without aliases every value takes at least one byte of the
// text, so a document may expand to 100,000 values plus one per byte: an honest lake of any size
// passes, an alias bomb stops early (its tree stays proportional to the file).
class Converter {
 public:
  Converter(const std::string& file, size_t text_bytes, Diagnostics& diags)
      : file_(file), max_nodes_(kBaseNodes + text_bytes), diags_(diags) {}

  YamlNode convert(const YAML::Node& node) {
    YamlNode out;
    out.location = location_of_mark(node.Mark(), file_);
    if (stopped_)
      return out;
    if (++count_ > max_nodes_) {
      stop("the document expands to more than " + std::to_string(max_nodes_) + " values",
           "check for aliases (*name) that repeat large parts of the file", out.location);
      return out;
    }
    for (const auto& ancestor : path_) {
      if (ancestor.is(node)) {
        stop("an alias refers to a value that contains it", "remove the recursive alias",
             out.location);
        return out;
      }
    }
    path_.push_back(node);
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        out.kind = YamlNode::Kind::kScalar;
        out.scalar = node.Scalar();
        out.quoted = node.Tag() != "?";
        break;
      case YAML::NodeType::Sequence:
        out.kind = YamlNode::Kind::kList;
        for (const auto& item : node) {
          YamlNode converted = convert(item);
          if (converted.is_null() && converted.location.line == 0) {
            converted.location = out.location;
          }
          out.items.push_back(std::move(converted));
        }
        break;
      case YAML::NodeType::Map:
        out.kind = YamlNode::Kind::kMap;
        for (auto it = node.begin(); it != node.end(); ++it) {
          Location key_location = location_of_mark(it->first.Mark(), file_);
          if (!it->first.IsScalar()) {
            diags_.add_error("mapping keys must be plain strings, got " +
                                 std::string(it->first.IsNull()  ? "an empty value"
                                             : it->first.IsMap() ? "a mapping"
                                                                 : "a list"),
                             key_location, "write keys as plain words, e.g. \"name:\"");
            continue;
          }
          MapEntry entry{it->first.Scalar(), key_location, convert(it->second)};
          // yaml-cpp marks an empty value at the start of the next line; use the key's place.
          if (entry.value.is_null() &&
              (entry.value.location.line == 0 || entry.value.location.line > key_location.line)) {
            entry.value.location = key_location;
          }
          out.entries.push_back(std::move(entry));
        }
        break;
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        out.kind = YamlNode::Kind::kNull;
        break;
    }
    path_.pop_back();
    return out;
  }

 private:
  static constexpr size_t kBaseNodes = 100'000;

  void stop(std::string summary, std::string hint, Location location) {
    stopped_ = true;
    diags_.add_error(std::move(summary), std::move(location), std::move(hint));
  }

  const std::string& file_;
  const size_t max_nodes_;
  Diagnostics& diags_;
  std::vector<YAML::Node> path_;  // ancestors of the node being converted
  size_t count_ = 0;
  bool stopped_ = false;
};

std::string hex_byte(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

}  // namespace

const MapEntry* YamlNode::find(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key)
      return &e;
  }
  return nullptr;
}

MapEntry* YamlNode::find(std::string_view key) {
  for (auto& e : entries) {
    if (e.key == key)
      return &e;
  }
  return nullptr;
}

Result<YamlNode> parse_yaml(std::string_view text, const std::string& file) {
  if (auto bad = first_invalid_utf8(text)) {
    return fail("file is not valid UTF-8: unexpected byte " +
                    hex_byte(static_cast<unsigned char>(text[*bad])),
                "save the file with UTF-8 encoding", location_of_offset(text, *bad, file));
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail("invalid YAML: " + e.msg, "check the indentation, colons and quotes around here",
                location_of_mark(e.mark, file));
  } catch (const std::exception& e) {
    return fail(std::string("invalid YAML: ") + e.what(), {}, Location{file});
  }
  if (docs.empty())
    return YamlNode{};
  if (docs.size() > 1) {
    return fail("the file holds " + std::to_string(docs.size()) + " YAML documents, expected one",
                "remove the \"---\" separator and keep one document",
                location_of_mark(docs[1].Mark(), file));
  }
  if (docs[0].IsNull())
    return YamlNode{};
  Diagnostics diags;
  YamlNode root;
  try {
    root = Converter(file, text.size(), diags).convert(docs[0]);
  } catch (const std::exception& e) {  // yaml-cpp does not throw here; be safe anyway
    return fail(std::string("invalid YAML: ") + e.what(), {}, Location{file});
  }
  if (diags.has_errors())
    return fail(std::move(diags));
  return root;
}

std::string describe(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return "an empty value";
    case YamlNode::Kind::kList:
      return "a list";
    case YamlNode::Kind::kMap:
      return "a mapping";
    case YamlNode::Kind::kScalar:
      break;
  }
  return "\"" + node.scalar + "\"";
}

// --- merging ---

namespace {

void merge_value(YamlNode& base, const YamlNode& overlay, std::string_view key);

// The name an item of a named list is matched by: a mapping's scalar `name`, or (where
// `strings_are_names`) the item itself when it is a scalar.
std::optional<std::string> item_name(const YamlNode& item, bool strings_are_names) {
  if (item.is_map()) {
    const MapEntry* e = item.find("name");
    if (e && e->value.is_scalar())
      return e->value.scalar;
    return std::nullopt;
  }
  if (item.is_scalar() && strings_are_names)
    return item.scalar;
  return std::nullopt;
}

void merge_maps(YamlNode& base, const YamlNode& overlay) {
  std::set<std::string> seen;
  for (const auto& entry : overlay.entries) {
    MapEntry* existing = seen.insert(entry.key).second ? base.find(entry.key) : nullptr;
    if (existing) {
      merge_value(existing->value, entry.value, entry.key);
    } else {
      base.entries.push_back(entry);
    }
  }
}

void merge_lists(YamlNode& base, const YamlNode& overlay, std::string_view key) {
  const bool strings_are_names = key == "containers";
  bool named = !overlay.items.empty();
  for (const auto& item : overlay.items) {
    if (!item_name(item, strings_are_names))
      named = false;
  }
  if (!named) {
    base = overlay;
    return;
  }
  std::set<std::string> seen;
  for (const auto& item : overlay.items) {
    std::string name = *item_name(item, strings_are_names);
    YamlNode* match = nullptr;
    if (seen.insert(name).second) {
      for (auto& candidate : base.items) {
        if (item_name(candidate, strings_are_names) == name) {
          match = &candidate;
          break;
        }
      }
    }
    if (!match) {
      base.items.push_back(item);
    } else if (item.is_map()) {
      if (match->is_scalar()) {  // "raw" is {name: raw}
        YamlNode as_map;
        as_map.kind = YamlNode::Kind::kMap;
        as_map.location = match->location;
        as_map.entries.push_back(MapEntry{"name", match->location, *match});
        *match = std::move(as_map);
      }
      merge_maps(*match, item);
    }
    // A plain name matching an existing item adds nothing.
  }
}

void merge_value(YamlNode& base, const YamlNode& overlay, std::string_view key) {
  if (base.is_map() && overlay.is_map()) {
    merge_maps(base, overlay);
  } else if (base.is_list() && overlay.is_list()) {
    merge_lists(base, overlay, key);
  } else {
    base = overlay;
  }
}

}  // namespace

void merge_yaml(YamlNode& base, const YamlNode& overlay) {
  merge_value(base, overlay, "");
}

}  // namespace lakeinfra::config
