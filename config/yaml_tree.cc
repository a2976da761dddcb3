#include "config/yaml_tree.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <sstream>

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
        return i;  // cut short by the end of the text: the sequence's first byte is the bad one
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

// Builds the tree straight from yaml-cpp's parser events, in one pass (no yaml-cpp node graph:
// half the cost of reading a large lake). Aliases are expanded by copying the anchored value;
// an alias inside the value it names ("&a [*a]") is reported, and so is a document that expands
// past 100,000 values plus one per byte of text: without aliases every value takes at least one
// byte, so an honest lake of any size passes and an alias bomb ("billion laughs") stops early.
// yaml-cpp 0.7 never stops when a ',' stands where a document would start (", a", "[a], b"):
// it reports one empty document after another without consuming the comma. Every real document
// takes at least one byte, so more documents than bytes means it is stuck.
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(const std::string& file, size_t text_bytes, Diagnostics& diags)
      : file_(file),
        max_nodes_(kBaseNodes + text_bytes),
        max_documents_(text_bytes + 1),
        diags_(diags) {}

  /// Whether the parser should be asked for another document.
  bool want_more() const { return !stopped_ && !stuck_; }
  bool stuck() const { return stuck_; }
  const YAML::Mark& last_document_mark() const { return document_mark_; }
  /// Where the second document's value starts (meaningful when documents() > 1).
  const YAML::Mark& second_document_mark() const { return second_mark_; }
  size_t documents() const { return documents_; }
  /// The first document's root (null when there was none or it was empty).
  YamlNode take_root() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark& mark) override {
    document_mark_ = mark;
    if (++documents_ > max_documents_)
      stuck_ = true;
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    note(mark);
    YamlNode node;
    node.location = location_of_mark(mark, file_);
    add(std::move(node), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    note(mark);
    if (stopped_ || documents_ > 1)
      return;
    Location location = location_of_mark(mark, file_);
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {  // named before its value ended: the value contains it
      stop("an alias refers to a value that contains it", "remove the recursive alias", location);
      return;
    }
    count_ += it->second.size - 1;  // add() counts one
    if (count_ + 1 > max_nodes_) {
      stop_too_many(location);
      return;
    }
    YamlNode copy = it->second.node;
    add(std::move(copy), 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    note(mark);
    YamlNode node;
    node.kind = YamlNode::Kind::kScalar;
    node.location = location_of_mark(mark, file_);
    node.scalar = value;
    node.quoted = tag != "?";
    add(std::move(node), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(YamlNode::Kind::kList, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(YamlNode::Kind::kMap, mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  static constexpr size_t kBaseNodes = 100'000;

  struct Frame {
    YamlNode node;
    YAML::anchor_t anchor = 0;
    size_t first_count = 0;  // count_ when the frame opened: its size for an anchor
    // In a mapping: the key waiting for its value, or a non-scalar key whose value is skipped.
    std::optional<MapEntry> key;
    bool skip_value = false;
  };
  struct Anchored {
    YamlNode node;
    size_t size = 0;  // values in it, for the expansion limit
  };

  // Keeps where the second document's first value starts.
  void note(const YAML::Mark& mark) {
    if (documents_ == 2 && !second_noted_) {
      second_mark_ = mark;
      second_noted_ = true;
    }
  }

  void open(YamlNode::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    note(mark);
    Frame frame;
    frame.node.kind = kind;
    frame.node.location = location_of_mark(mark, file_);
    frame.anchor = anchor;
    frame.first_count = count_;
    stack_.push_back(std::move(frame));
  }

  void close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    size_t size = count_ - frame.first_count + 1;
    add(std::move(frame.node), 0);
    if (frame.anchor != 0 && !stopped_ && documents_ <= 1)
      anchors_[frame.anchor] = Anchored{last_added_copy(), size};
  }

  // A copy of the value add() just placed (for an anchor on a list or mapping).
  YamlNode last_added_copy() const {
    if (stack_.empty())
      return root_;
    const Frame& parent = stack_.back();
    if (parent.node.is_list())
      return parent.node.items.back();
    if (parent.key)  // the value was a key
      return parent.key->value;
    return parent.node.entries.empty() ? YamlNode{} : parent.node.entries.back().value;
  }

  void add(YamlNode node, YAML::anchor_t anchor) {
    if (stopped_ || documents_ > 1)
      return;
    if (++count_ > max_nodes_) {
      stop_too_many(node.location);
      return;
    }
    if (anchor != 0)
      anchors_[anchor] = Anchored{node, 1};
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.node.is_list()) {
      parent.node.items.push_back(std::move(node));
      return;
    }
    // A mapping: keys and values alternate.
    if (parent.skip_value) {
      parent.skip_value = false;
      return;
    }
    if (!parent.key) {
      if (!node.is_scalar()) {
        diags_.add_error("mapping keys must be plain strings, got " +
                             std::string(node.is_null()  ? "an empty value"
                                         : node.is_map() ? "a mapping"
                                                         : "a list"),
                         node.location, "write keys as plain words, e.g. \"name:\"");
        parent.skip_value = true;
        return;
      }
      parent.key = MapEntry{std::move(node.scalar), node.location, {}};
      return;
    }
    MapEntry entry = std::move(*parent.key);
    parent.key.reset();
    entry.value = std::move(node);
    // yaml-cpp marks an empty value at the start of the next line; use the key's place.
    if (entry.value.is_null() &&
        (entry.value.location.line == 0 || entry.value.location.line > entry.key_location.line)) {
      entry.value.location = entry.key_location;
    }
    parent.node.entries.push_back(std::move(entry));
  }

  void stop_too_many(Location location) {
    stop("the document expands to more than " + std::to_string(max_nodes_) + " values",
         "check for aliases (*name) that repeat large parts of the file", std::move(location));
  }

  void stop(std::string summary, std::string hint, Location location) {
    stopped_ = true;
    diags_.add_error(std::move(summary), std::move(location), std::move(hint));
  }

  const std::string& file_;
  const size_t max_nodes_;
  const size_t max_documents_;
  Diagnostics& diags_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  YamlNode root_;
  YAML::Mark document_mark_;
  YAML::Mark second_mark_;
  bool second_noted_ = false;
  size_t documents_ = 0;
  size_t count_ = 0;
  bool stopped_ = false;
  bool stuck_ = false;
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
  // YAML allows no C0 control character but tab, LF and CR, nor DEL; yaml-cpp would turn a NUL
  // into a line break and the message would show it raw.
  for (size_t i = 0; i < text.size(); ++i) {
    auto b = static_cast<unsigned char>(text[i]);
    if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7f) {
      return fail(
          "file contains the control character " + hex_byte(b) + ", which YAML does not allow",
          "remove it; a file saved as UTF-16 or a binary file is not a lake.yaml",
          location_of_offset(text, i, file));
    }
  }
  Diagnostics diags;
  TreeBuilder builder(file, text.size(), diags);
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    while (builder.want_more() && parser.HandleNextDocument(builder)) {
    }
  } catch (const YAML::DeepRecursion& e) {  // its message is yaml-cpp's unhelpful "bad file"
    return fail("invalid YAML: lists and mappings are nested more than " +
                    std::to_string(e.depth() - 1) + " levels deep",
                "a lake needs only a few levels; look for unclosed or repeated '[' or '{'",
                location_of_mark(e.mark, file));
  } catch (const YAML::Exception& e) {
    return fail("invalid YAML: " + e.msg, "check the indentation, colons and quotes around here",
                location_of_mark(e.mark, file));
  } catch (const std::exception& e) {
    return fail(std::string("invalid YAML: ") + e.what(), {}, Location{file});
  }
  if (builder.stuck()) {
    return fail("invalid YAML: unexpected ',' outside [ ] or { }",
                "quote a value that starts with ',', or remove the comma",
                location_of_mark(builder.last_document_mark(), file));
  }
  if (builder.documents() > 1) {
    return fail(
        "the file holds " + std::to_string(builder.documents()) + " YAML documents, expected one",
        "remove the \"---\" separator and keep one document",
        location_of_mark(builder.second_document_mark(), file));
  }
  YamlNode root = builder.take_root();
  if (root.is_null() && !diags.has_errors())
    return YamlNode{};  // an empty document: no location
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
