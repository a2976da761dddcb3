#include "config/filesystem.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <string_view>
#include <unordered_map>

namespace lakeinfra::config {
namespace fs = std::filesystem;

namespace {
std::error_code errno_code() {
  return std::error_code(errno, std::generic_category());
}

FileStamp stamp_of(const struct ::stat& st) {
  FileStamp stamp;
  stamp.device = static_cast<uint64_t>(st.st_dev);
  stamp.inode = static_cast<uint64_t>(st.st_ino);
  stamp.size = static_cast<uint64_t>(st.st_size);
  stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  stamp.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  return stamp;
}

/// A name stamp_files_in_subdirectories() looks up: one plain path component.
bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}
}  // namespace

FsResult<std::string> RealFileSystem::read_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return tl::unexpected(errno_code());
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      auto ec = errno_code();
      ::close(fd);
      return tl::unexpected(ec);
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

FsResult<void> RealFileSystem::write_file_atomic(const fs::path& path, const std::string& content,
                                                 unsigned mode, Durability durability) {
  // Unique per process and per call: two threads writing the same path never share a temp file.
  static std::atomic<uint64_t> counter{0};
  fs::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return tl::unexpected(errno_code());
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      auto ec = errno_code();
      ::close(fd);
      ::unlink(tmp.c_str());
      return tl::unexpected(ec);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || (durability == Durability::kFsync && ::fsync(fd) != 0)) {
    auto ec = errno_code();
    ::close(fd);
    ::unlink(tmp.c_str());
    return tl::unexpected(ec);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto ec = errno_code();
    ::unlink(tmp.c_str());
    return tl::unexpected(ec);
  }
  return {};
}

FsResult<FileInfo> RealFileSystem::stat(const fs::path& path) {
  struct ::stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return FileInfo{};
    return tl::unexpected(errno_code());
  }
  FileInfo info;
  info.exists = true;
  info.is_directory = S_ISDIR(st.st_mode);
  info.is_symlink = S_ISLNK(st.st_mode);
  info.is_regular = S_ISREG(st.st_mode);
  info.size = static_cast<uint64_t>(st.st_size);
  info.stamp = stamp_of(st);
  return info;
}

std::optional<std::string> FileSystem::read_regular_file_no_symlinks(const std::string& path) {
  fs::path prefix;
  FileInfo info;
  for (const auto& part : fs::path(path)) {
    prefix /= part;
    if (part == prefix.root_path() || part.empty())
      continue;  // "/" (and the empty name after a trailing slash) cannot be a symlink
    auto found = stat(prefix);
    if (!found || !found->exists || found->is_symlink)
      return std::nullopt;
    info = *found;
  }
  if (!info.is_regular)
    return std::nullopt;  // reading a FIFO would hang
  auto text = read_file(path);
  if (!text)
    return std::nullopt;
  return std::move(*text);
}

std::vector<std::optional<FileStamp>> FileSystem::stamp_files_in_subdirectories(
    const std::string& dir, const std::vector<std::string>& names, const std::string& file) {
  std::vector<std::optional<FileStamp>> out(names.size());
  // The components of `dir` once, then NAME and `file` for each name.
  fs::path prefix;
  for (const auto& part : fs::path(dir)) {
    prefix /= part;
    if (part == prefix.root_path() || part.empty())
      continue;
    auto found = stat(prefix);
    if (!found || !found->is_directory)
      return out;  // missing, a symlink, or not a directory: nothing below it qualifies
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (!plain_name(names[i]))
      continue;
    auto sub = stat(prefix / names[i]);
    if (!sub || !sub->is_directory)
      continue;
    auto found = stat(prefix / names[i] / file);
    if (found && found->is_regular)
      out[i] = found->stamp;
  }
  return out;
}

std::vector<std::optional<FileStamp>> RealFileSystem::stamp_files_in_subdirectories(
    const std::string& dir, const std::vector<std::string>& names, const std::string& file) {
#if defined(SYS_openat2) && defined(RESOLVE_NO_SYMLINKS)
  struct open_how how {};
  how.flags = O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW;
  how.resolve = RESOLVE_NO_SYMLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, dir.c_str(), &how, sizeof how));
  if (fd < 0) {
    if (errno == ENOSYS || errno == EPERM)
      return FileSystem::stamp_files_in_subdirectories(dir, names, file);
    return std::vector<std::optional<FileStamp>>(names.size());
  }
  DIR* listing = ::fdopendir(fd);
  if (listing == nullptr) {
    ::close(fd);
    return std::vector<std::optional<FileStamp>>(names.size());
  }
  std::unordered_map<std::string_view, size_t> wanted;
  wanted.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    if (plain_name(names[i]))
      wanted.emplace(names[i], i);
  }
  // Which names are directories, from the listing's entry types: one pass instead of a stat()
  // per name. DT_UNKNOWN (filesystems without types) is settled by an fstatat() below.
  enum class Kind : uint8_t { kAbsent, kDirectory, kUnknown };
  std::vector<Kind> kinds(names.size(), Kind::kAbsent);
  errno = 0;
  while (const struct dirent* entry = ::readdir(listing)) {
    auto it = wanted.find(std::string_view(entry->d_name));
    if (it == wanted.end())
      continue;
    if (entry->d_type == DT_DIR)
      kinds[it->second] = Kind::kDirectory;
    else if (entry->d_type == DT_UNKNOWN)
      kinds[it->second] = Kind::kUnknown;
  }
  int dfd = ::dirfd(listing);
  std::vector<std::optional<FileStamp>> out(names.size());
  std::string relative;
  for (size_t i = 0; i < names.size(); ++i) {
    struct ::stat st {};
    if (kinds[i] == Kind::kAbsent)
      continue;
    if (kinds[i] == Kind::kUnknown &&
        (::fstatat(dfd, names[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))) {
      continue;
    }
    relative.assign(names[i]).append("/").append(file);
    if (::fstatat(dfd, relative.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
      out[i] = stamp_of(st);
  }
  ::closedir(listing);
  return out;
#else
  return FileSystem::stamp_files_in_subdirectories(dir, names, file);
#endif
}

std::optional<std::string> RealFileSystem::read_regular_file_no_symlinks(const std::string& path) {
#if defined(SYS_openat2) && defined(RESOLVE_NO_SYMLINKS)
  static std::atomic<bool> unsupported{false};
  if (!unsupported.load(std::memory_order_relaxed)) {
    struct open_how how {};
    // O_NONBLOCK: a FIFO in the way must not hang the caller (fstat() rejects it next).
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW;
    how.resolve = RESOLVE_NO_SYMLINKS;
    int fd = static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how));
    if (fd < 0) {
      // No openat2 (ENOSYS), or a seccomp filter that refuses it (EPERM): walk from now on.
      if (errno != ENOSYS && errno != EPERM)
        return std::nullopt;
      unsupported.store(true, std::memory_order_relaxed);
    } else {
      std::optional<std::string> out;
      struct ::stat st {};
      if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        // Ask for one byte more than the size: a shorter read is the end of a regular file, so
        // a small file takes one read().
        std::string text(static_cast<size_t>(st.st_size) + 1, '\0');
        size_t have = 0;
        while (true) {
          ssize_t n = ::read(fd, text.data() + have, text.size() - have);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            break;
          have += static_cast<size_t>(n);
          if (have < text.size()) {
            text.resize(have);
            out = std::move(text);
            break;
          }
          text.resize(text.size() * 2);  // it grew since fstat(): read on
        }
      }
      ::close(fd);
      return out;
    }
  }
#endif
  return FileSystem::read_regular_file_no_symlinks(path);
}

FsResult<void> RealFileSystem::create_symlink(const fs::path& target, const fs::path& link) {
  if (::symlink(target.c_str(), link.c_str()) != 0)
    return tl::unexpected(errno_code());
  return {};
}

FsResult<fs::path> RealFileSystem::read_symlink(const fs::path& link) {
  std::error_code ec;
  fs::path target = fs::read_symlink(link, ec);
  if (ec)
    return tl::unexpected(ec);
  return target;
}

FsResult<bool> RealFileSystem::make_directory(const fs::path& path) {
  if (::mkdir(path.c_str(), 0755) == 0)
    return true;
  if (errno == EEXIST)
    return false;
  return tl::unexpected(errno_code());
}

FsResult<void> RealFileSystem::make_directories(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec)
    return tl::unexpected(ec);
  return {};
}

FsResult<std::vector<std::string>> RealFileSystem::list_directory(const fs::path& path) {
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec)
    return tl::unexpected(ec);
  std::sort(names.begin(), names.end());
  return names;
}

FsResult<void> RealFileSystem::remove(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec)
    return tl::unexpected(ec);
  return {};
}

FsResult<uint64_t> RealFileSystem::remove_all(const fs::path& path) {
  std::error_code ec;
  auto n = fs::remove_all(path, ec);
  if (ec)
    return tl::unexpected(ec);
  return static_cast<uint64_t>(n);
}

}  // namespace lakeinfra::config
