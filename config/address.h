#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lakeinfra::config {

/// A Terraform-style resource address: a type followed by one or more name parts, joined by
/// dots. Examples: "zone.bronze", "container.bronze.raw". Names never contain dots (the name
/// rules forbid them), so the textual form is unambiguous — except the last part of an artifact
/// address, a file path below artifacts/ ("artifact.hello-world.lib/util.py"), which parse()
/// keeps whole.
class Address {
 public:
  Address() = default;
  Address(std::string_view type, const std::vector<std::string>& names);

  /// Parses "type.name[.name...]". Returns nullopt when there is no type or no name, or a part
  /// is empty.
  static std::optional<Address> parse(std::string_view text);

  /// The part before the first dot.
  std::string_view type() const { return std::string_view(text_).substr(0, text_.find('.')); }
  /// The name parts, split from the text as parse() splits them (computed on each call: only
  /// the text is stored, since a plan holds several addresses per resource).
  std::vector<std::string> names() const;
  const std::string& str() const { return text_; }
  bool empty() const { return text_.empty(); }

  friend bool operator==(const Address& a, const Address& b) { return a.text_ == b.text_; }
  friend std::strong_ordering operator<=>(const Address& a, const Address& b) {
    return a.text_ <=> b.text_;
  }

 private:
  explicit Address(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

}  // namespace lakeinfra::config

template <>
struct std::hash<lakeinfra::config::Address> {
  size_t operator()(const lakeinfra::config::Address& a) const noexcept {
    return std::hash<std::string>()(a.str());
  }
};
