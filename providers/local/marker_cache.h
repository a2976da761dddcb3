#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/filesystem.h"

namespace lakeinfra::providers::local {

/// What the local provider's refresh last read of each marker: its stamp and its bytes, by
/// provider id. A marker whose stamp is unchanged is not read again (the stamp proves the
/// bytes), so a no-op refresh costs one stat per resource. Kept between runs in one file,
/// ".lakeinfra/marker-cache" beside the state; internal to the local provider.
///
/// The file is a header line, "lakeinfra-marker-cache/1 ROOT", then one record per marker:
///
///     ID DEVICE INODE SIZE MTIME_NS CTIME_NS LENGTH\n
///     LENGTH bytes of the marker\n
///
/// It is only ever a shortcut: a file that is missing, damaged, of another format or of
/// another root reads as an empty cache, and refresh reads every marker again.
class MarkerCache {
 public:
  struct Entry {
    config::FileStamp stamp;
    std::string_view text;  ///< Into the cache's file, or wherever the caller keeps it.
  };

  MarkerCache() = default;
  /// The cache in the file `contents` if it is a cache of `root`; an empty one otherwise.
  static MarkerCache parse(std::string contents, std::string_view root);
  /// The file's contents for `root` holding `entries` (provider id, entry), in that order.
  static std::string serialize(std::string_view root,
                               const std::vector<std::pair<std::string_view, Entry>>& entries);

  /// The entry of `id`, or nullptr. Valid as long as the cache.
  const Entry* find(std::string_view id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second;
  }
  size_t size() const { return entries_.size(); }

 private:
  std::unique_ptr<const std::string> contents_;  ///< Entries' ids and texts point into it.
  std::unordered_map<std::string_view, Entry> entries_;
};

}  // namespace lakeinfra::providers::local
