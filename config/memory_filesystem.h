#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "config/filesystem.h"

namespace lakeinfra::config {

/// An in-memory FileSystem for tests: directories and files in a map, every call recorded,
/// and chosen paths made to fail with a given error. Thread-safe.
class MemoryFileSystem : public FileSystem {
 public:
  MemoryFileSystem();  ///< Starts with the root directory "/" only.

  FsResult<std::string> read_file(const std::filesystem::path& path) override;
  FsResult<void> write_file_atomic(const std::filesystem::path& path, const std::string& content,
                                   unsigned mode = 0644,
                                   Durability durability = Durability::kFsync) override;
  FsResult<FileInfo> stat(const std::filesystem::path& path) override;
  FsResult<bool> make_directory(const std::filesystem::path& path) override;
  FsResult<void> make_directories(const std::filesystem::path& path) override;
  FsResult<std::vector<std::string>> list_directory(const std::filesystem::path& path) override;
  FsResult<void> remove(const std::filesystem::path& path) override;
  FsResult<uint64_t> remove_all(const std::filesystem::path& path) override;
  FsResult<void> create_symlink(const std::filesystem::path& target,
                                const std::filesystem::path& link) override;
  FsResult<std::filesystem::path> read_symlink(const std::filesystem::path& link) override;

  // --- test controls ---
  /// Adds a file (and its parent directories). Like every write, it gets a new stamp.
  void add_file(const std::filesystem::path& path, const std::string& content);
  /// Every call on this exact path fails with `ec`.
  void fail_on(const std::filesystem::path& path, std::error_code ec);
  /// Calls in order, as "read /a/b", "write /a/b", "stat ...", "mkdir ...", "list ...",
  /// "remove ...", "remove_all ...", "symlink LINK", "readlink LINK".
  std::vector<std::string> calls() const;
  /// Mode given to the last write of `path` (0 if never written).
  unsigned mode_of(const std::filesystem::path& path) const;

 private:
  struct Node {
    bool directory = false;
    std::string content;
    unsigned mode = 0644;
    bool symlink = false;  ///< `content` holds the target; never followed.
    /// Which write made this file (1, 2, ...): its inode and its times in stat()'s stamp, so
    /// every write gives a new stamp, as a rename into place does on disk.
    uint64_t write = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Node> nodes_;
  std::map<std::string, std::error_code> failures_;
  std::vector<std::string> calls_;
  uint64_t writes_ = 0;
};

}  // namespace lakeinfra::config
