#include "providers/local/marker_cache.h"

#include <cstdint>
#include <cstring>

namespace lakeinfra::providers::local {
namespace {

constexpr std::string_view kFormat = "lakeinfra-marker-cache/2";
constexpr size_t kFixed = 7 * sizeof(uint64_t);

void put(std::string& out, uint64_t value) {
  char bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);
  out.append(bytes, sizeof bytes);
}

uint64_t get(const char* at) {
  uint64_t value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

}  // namespace

MarkerCache MarkerCache::parse(std::string contents, std::string_view root) {
  MarkerCache cache;
  cache.contents_ = std::make_unique<const std::string>(std::move(contents));
  std::string_view rest(*cache.contents_);
  size_t newline = rest.find('\n');
  if (newline == std::string_view::npos ||
      rest.substr(0, newline) != std::string(kFormat) + " " + std::string(root)) {
    return {};
  }
  rest.remove_prefix(newline + 1);
  while (!rest.empty()) {
    if (rest.size() < kFixed)
      return {};
    const char* p = rest.data();
    uint64_t id_size = get(p);
    uint64_t text_size = get(p + 8);
    if (id_size == 0 || id_size > rest.size() - kFixed ||
        text_size > rest.size() - kFixed - id_size) {
      return {};
    }
    Entry entry;
    entry.stamp =
        config::FileStamp{get(p + 16), get(p + 24), get(p + 32), static_cast<int64_t>(get(p + 40)),
                          static_cast<int64_t>(get(p + 48))};
    entry.id = rest.substr(kFixed, id_size);
    entry.text = rest.substr(kFixed + id_size, text_size);
    cache.entries_.push_back(entry);
    rest.remove_prefix(kFixed + id_size + text_size);
  }
  return cache;
}

std::string MarkerCache::serialize(std::string_view root, const std::vector<Entry>& entries) {
  size_t bytes = kFormat.size() + root.size() + 2;
  for (const auto& e : entries)
    bytes += kFixed + e.id.size() + e.text.size();
  std::string out;
  out.reserve(bytes);
  out.append(kFormat).append(" ").append(root).append("\n");
  for (const auto& e : entries) {
    put(out, e.id.size());
    put(out, e.text.size());
    put(out, e.stamp.device);
    put(out, e.stamp.inode);
    put(out, e.stamp.size);
    put(out, static_cast<uint64_t>(e.stamp.mtime_ns));
    put(out, static_cast<uint64_t>(e.stamp.ctime_ns));
    out.append(e.id).append(e.text);
  }
  return out;
}

std::optional<size_t> MarkerCache::position(std::string_view id, size_t* cursor) {
  if (*cursor < entries_.size() && entries_[*cursor].id == id)
    return (*cursor)++;
  if (index_.empty() && !entries_.empty()) {
    index_.reserve(entries_.size());
    for (size_t i = 0; i < entries_.size(); ++i)
      index_.emplace(entries_[i].id, i);  // the first of duplicate ids wins
  }
  auto it = index_.find(id);
  if (it == index_.end())
    return std::nullopt;
  *cursor = it->second + 1;
  return it->second;
}

}  // namespace lakeinfra::providers::local
