#include "providers/local/marker_cache.h"

#include <charconv>
#include <cstdint>
#include <optional>

namespace lakeinfra::providers::local {
namespace {

constexpr std::string_view kFormat = "lakeinfra-marker-cache/1";

/// Reads the cache file left to right; any surprise ends the parse.
class Reader {
 public:
  explicit Reader(std::string_view text) : rest_(text) {}

  bool at_end() const { return rest_.empty(); }

  /// The text up to (not including) `stop`, which is consumed too.
  std::optional<std::string_view> until(char stop) {
    size_t at = rest_.find(stop);
    if (at == std::string_view::npos)
      return std::nullopt;
    std::string_view out = rest_.substr(0, at);
    rest_.remove_prefix(at + 1);
    return out;
  }

  template <typename Int>
  std::optional<Int> number(char stop) {
    auto field = until(stop);
    Int value{};
    if (!field || field->empty())
      return std::nullopt;
    auto [end, ec] = std::from_chars(field->data(), field->data() + field->size(), value);
    if (ec != std::errc() || end != field->data() + field->size())
      return std::nullopt;
    return value;
  }

  std::optional<std::string_view> bytes(uint64_t n) {
    if (n >= rest_.size() || rest_[n] != '\n')
      return std::nullopt;
    std::string_view out = rest_.substr(0, n);
    rest_.remove_prefix(n + 1);
    return out;
  }

 private:
  std::string_view rest_;
};

}  // namespace

MarkerCache MarkerCache::parse(std::string contents, std::string_view root) {
  MarkerCache cache;
  cache.contents_ = std::make_unique<const std::string>(std::move(contents));
  Reader in(*cache.contents_);
  auto format = in.until(' ');
  auto of_root = in.until('\n');
  if (!format || *format != kFormat || !of_root || *of_root != root)
    return {};
  while (!in.at_end()) {
    auto id = in.until(' ');
    auto device = in.number<uint64_t>(' ');
    auto inode = in.number<uint64_t>(' ');
    auto size = in.number<uint64_t>(' ');
    auto mtime = in.number<int64_t>(' ');
    auto ctime = in.number<int64_t>(' ');
    auto length = in.number<uint64_t>('\n');
    if (!id || id->empty() || !device || !inode || !size || !mtime || !ctime || !length)
      return {};
    auto text = in.bytes(*length);
    if (!text)
      return {};
    cache.entries_.insert_or_assign(
        *id, Entry{config::FileStamp{*device, *inode, *size, *mtime, *ctime}, *text});
  }
  return cache;
}

std::string MarkerCache::serialize(std::string_view root,
                                   const std::vector<std::pair<std::string_view, Entry>>& entries) {
  std::string out;
  out.reserve(64 + entries.size() * 192);
  out.append(kFormat).append(" ").append(root).append("\n");
  for (const auto& [id, entry] : entries) {
    const auto& s = entry.stamp;
    out.append(id)
        .append(" ")
        .append(std::to_string(s.device))
        .append(" ")
        .append(std::to_string(s.inode))
        .append(" ")
        .append(std::to_string(s.size))
        .append(" ")
        .append(std::to_string(s.mtime_ns))
        .append(" ")
        .append(std::to_string(s.ctime_ns))
        .append(" ")
        .append(std::to_string(entry.text.size()))
        .append("\n")
        .append(entry.text)
        .append("\n");
  }
  return out;
}

}  // namespace lakeinfra::providers::local
