#pragma once

#include <tl/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace lakeinfra::config {

/// Result of a FileSystem call: a value or the OS error that prevented it.
template <typename T>
using FsResult = tl::expected<T, std::error_code>;

/// One version of a file as stat() identifies it: device, inode, size and the times of its last
/// change. The same stamp seen twice means the same bytes, unless the file was rewritten with
/// the same size within one tick of the filesystem's clock; a caller that remembers contents by
/// stamp trusts only a stamp whose ctime is safely in the past (git's "racily clean" rule).
struct FileStamp {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;  ///< The inode's last change; no user call can set it back.
  bool operator==(const FileStamp&) const = default;
};

/// What stat() learns about a path. `exists` is false (and the rest zero) for a missing path.
struct FileInfo {
  bool exists = false;
  bool is_directory = false;
  bool is_symlink = false;
  bool is_regular = false;  ///< a regular file (not a directory, symlink, FIFO, socket or device)
  uint64_t size = 0;
  FileStamp stamp;  ///< Of the path itself (a symlink's own, not its target's).
};

/// How far write_file_atomic() goes to make the new contents durable.
enum class Durability {
  kFsync,    ///< fsync the file before the rename: the contents survive a power loss
  kNoFsync,  ///< only the rename: atomic for every reader and across a crash of the process
};

/// Every disk access of lakeinfra goes through this interface (ninja's DiskInterface), so tests
/// can run against MemoryFileSystem and record what was touched. Paths are used as given;
/// callers are responsible for keeping them inside their root.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  /// Whole file contents. Fails with no_such_file_or_directory when missing.
  virtual FsResult<std::string> read_file(const std::filesystem::path& path) = 0;
  /// Writes `content` to a temporary file beside `path` and renames it into place, so readers
  /// see the old or the new contents, never a torn file. `mode` is applied before the rename.
  /// kFsync also waits until the bytes are on disk first (survives a power loss); kNoFsync does
  /// not, for files lakeinfra rebuilds when they are lost (a zone's marker: refresh repairs it),
  /// where an fsync per resource would dominate an apply.
  virtual FsResult<void> write_file_atomic(const std::filesystem::path& path,
                                           const std::string& content, unsigned mode = 0644,
                                           Durability durability = Durability::kFsync) = 0;
  /// Information about `path` without following a final symlink. Never fails for a missing path.
  virtual FsResult<FileInfo> stat(const std::filesystem::path& path) = 0;
  /// The contents of the regular file at `path` when no component of `path` is a symlink;
  /// nullopt when it is missing, is not a regular file, a symlink stands anywhere on the way, or
  /// anything fails. A fast path for reading many small files (refresh reads a marker per
  /// resource): a caller that gets nullopt looks closer with stat() and read_file(). This
  /// default does exactly that walk (a stat() per component, then read_file()), so fakes need
  /// not override it; RealFileSystem does it in one lookup where the kernel can.
  virtual std::optional<std::string> read_regular_file_no_symlinks(const std::string& path);
  /// For each of `names`, the stamp of the regular file `dir`/NAME/`file` when NAME is a
  /// directory and no component of that path is a symlink (as read_regular_file_no_symlinks()
  /// requires); nullopt when it is missing, not a regular file, reached through a symlink, or
  /// anything fails: the caller then looks closer with stat(). A NAME holding "/" or being "."
  /// or ".." gets nullopt. For stamping many files cheaply (refresh stamps a marker per
  /// resource and reads only the ones that changed). This default walks each path with stat(),
  /// so fakes need not override it; RealFileSystem opens `dir` once, learns which entries are
  /// directories in one pass over it, and stats each file relative to it.
  virtual std::vector<std::optional<FileStamp>> stamp_files_in_subdirectories(
      const std::string& dir, const std::vector<std::string>& names, const std::string& file);
  /// Creates one directory (mode 0755 before the umask), as mkdir(2) does: true when it made
  /// it, false when something already stands at `path`, whatever it is (a directory, a file, a
  /// symlink: nothing is followed; stat() it when that matters). Fails with
  /// no_such_file_or_directory when the parent is missing.
  virtual FsResult<bool> make_directory(const std::filesystem::path& path) = 0;
  /// Creates a directory and any missing parents.
  virtual FsResult<void> make_directories(const std::filesystem::path& path) = 0;
  /// Names (not paths) of the entries of a directory, sorted.
  virtual FsResult<std::vector<std::string>> list_directory(const std::filesystem::path& path) = 0;
  /// Removes a file or an empty directory. Fails with directory_not_empty for a non-empty one;
  /// succeeds if the path does not exist.
  virtual FsResult<void> remove(const std::filesystem::path& path) = 0;
  /// Removes a path and everything below it. Returns the number of entries removed.
  virtual FsResult<uint64_t> remove_all(const std::filesystem::path& path) = 0;
  /// Creates a symlink at `link` pointing to `target` (written as given). Fails with
  /// file_exists when something is at `link`.
  virtual FsResult<void> create_symlink(const std::filesystem::path& target,
                                        const std::filesystem::path& link) = 0;
  /// The target of the symlink `link`, as written. Fails with invalid_argument when `link` is
  /// not a symlink, no_such_file_or_directory when it does not exist.
  virtual FsResult<std::filesystem::path> read_symlink(const std::filesystem::path& link) = 0;
};

/// The real disk, through std::filesystem and POSIX calls.
class RealFileSystem : public FileSystem {
 public:
  FsResult<std::string> read_file(const std::filesystem::path& path) override;
  FsResult<void> write_file_atomic(const std::filesystem::path& path, const std::string& content,
                                   unsigned mode = 0644,
                                   Durability durability = Durability::kFsync) override;
  FsResult<FileInfo> stat(const std::filesystem::path& path) override;
  /// Linux: openat2() with RESOLVE_NO_SYMLINKS, fstat(), read(), close(), instead of a stat()
  /// per component; the default walk where openat2() is missing (before Linux 5.6, or refused
  /// by a seccomp filter).
  std::optional<std::string> read_regular_file_no_symlinks(const std::string& path) override;
  /// Linux: openat2() of `dir` with RESOLVE_NO_SYMLINKS, readdir() for the entry types, and an
  /// fstatat() per file; the default walk where openat2() is missing.
  std::vector<std::optional<FileStamp>> stamp_files_in_subdirectories(
      const std::string& dir, const std::vector<std::string>& names,
      const std::string& file) override;
  FsResult<void> create_symlink(const std::filesystem::path& target,
                                const std::filesystem::path& link) override;
  FsResult<std::filesystem::path> read_symlink(const std::filesystem::path& link) override;
  FsResult<bool> make_directory(const std::filesystem::path& path) override;
  FsResult<void> make_directories(const std::filesystem::path& path) override;
  FsResult<std::vector<std::string>> list_directory(const std::filesystem::path& path) override;
  FsResult<void> remove(const std::filesystem::path& path) override;
  FsResult<uint64_t> remove_all(const std::filesystem::path& path) override;
};

}  // namespace lakeinfra::config
