#include "config/memory_filesystem.h"

namespace lakeinfra::config {
namespace fs = std::filesystem;

namespace {

// "/a/b" for "a/b", "/a/b/", "/a/./c/../b": absolute, lexically normal, no trailing slash.
std::string normalise(const fs::path& path) {
  std::string s = (fs::path("/") / path).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return s;
}

std::string parent_of(const std::string& key) {
  size_t slash = key.rfind('/');
  return slash == 0 ? "/" : key.substr(0, slash);
}

// The prefix every entry below `dir` starts with.
std::string children_prefix(const std::string& dir) {
  return dir == "/" ? "/" : dir + "/";
}

std::error_code err(std::errc e) {
  return std::make_error_code(e);
}

}  // namespace

MemoryFileSystem::MemoryFileSystem() {
  nodes_["/"] = Node{true, {}, 0};
}

FsResult<std::string> MemoryFileSystem::read_file(const fs::path& path) {
  std::lock_guard lock(mutex_);
  std::string key = normalise(path);
  calls_.push_back("read " + key);
  if (auto f = failures_.find(key); f != failures_.end())
    return tl::unexpected(f->second);
  auto it = nodes_.find(key);
  if (it == nodes_.end())
    return tl::unexpected(err(std::errc::no_such_file_or_directory));
  if (it->second.directory)
    return tl::unexpected(err(std::errc::is_a_directory));
  return it->second.content;
}

FsResult<void> MemoryFileSystem::write_file_atomic(const fs::path& path, const std::string& content,
                                                   unsigned mode, Durability /*durability*/) {
  std::lock_guard lock(mutex_);
  std::string key = normalise(path);
  calls_.push_back("write " + key);
  if (auto f = failures_.find(key); f != failures_.end())
    return tl::unexpected(f->second);
  auto parent = nodes_.find(parent_of(key));
  if (parent == nodes_.end())
    return tl::unexpected(err(std::errc::no_such_file_or_directory));
  if (!parent->second.directory)
    return tl::unexpected(err(std::errc::not_a_directory));
  auto it = nodes_.find(key);
  if (it != nodes_.end() && it->second.directory) {
    return tl::unexpected(err(std::errc::is_a_directory));
  }
  nodes_[key] = Node{false, content, mode, false, ++writes_};
  return {};
}

FsResult<FileInfo> MemoryFileSystem::stat(const fs::path& path) {
  std::lock_guard lock(mutex_);
  std::string key = normalise(path);
  calls_.push_back("stat " + key);
  if (auto f = failures_.find(key); f != failures_.end())
    return tl::unexpected(f->second);
  auto it = nodes_.find(key);
  if (it == nodes_.end())
    return FileInfo{};
  FileInfo info;
  info.exists = true;
  info.is_directory = it->second.directory;
  info.is_symlink = it->second.symlink;
  info.is_regular = !it->second.directory && !it->second.symlink;
  info.size = it->second.directory ? 0 : it->second.content.size();
  auto write = static_cast<int64_t>(it->second.write);
  info.stamp = FileStamp{1, it->second.write, info.size, write, write};
  return info;
}

FsResult<bool> MemoryFileSystem::make_directory(const fs::path& path) {
  std::lock_guard lock(mutex_);
  std::string key = normalise(path);
  calls_.push_back("mkdir " + key);
  if (auto f = failures_.find(key); f != failures_.end())
    return tl::unexpected(f->second);
  if (nodes_.count(key))
    return false;
  auto parent = nodes_.find(parent_of(key));
  if (parent == nodes_.end())
    return tl::unexpected(err(std::errc::no_such_file_or_directory));
  if (!parent->second.directory)
    return tl::unexpected(err(std::errc::not_a_directory));
  nodes_[key] = Node{true, {}, 0};
  return true;
}

FsResult<void> MemoryFileSystem::make_directories(const fs::path& path) {
  std::lock_guard lock(mutex_);
  std::string key = normalise(path);
  calls_.push_back("mkdir " + key);
  if (auto f = failures_.find(key); f != failures_.end())
    return tl::unexpected(f->second);
  // Check every component first, so a failure leaves nothing half made.
  std::vector<std::string> missing;
  for (std::string p = key;; p = parent_of(p)) {
    auto it = nodes_.find(p);
    if (it != nodes_.end()) {
      if (!it->second.directory)
        return tl::unexpected(err(std::errc::not_a_directory));
      break;
    }
    missing.push_back(p);
  }
  for (const auto& p : missing)
    nodes_[p] = Node{true, {}, 0};
  return {};
}

FsResult<std::vector<std::string>> MemoryFileSystem::list_directory(const fs::path& path) {
  std::lock_guard lock(mutex_);
  std::string key = normalise(path);
  calls_.push_back("list " + key);
  if (auto f = failures_.find(key); f != failures_.end())
    return tl::unexpected(f->second);
  auto it = nodes_.find(key);
  if (it == nodes_.end())
    return tl::unexpected(err(std::errc::no_such_file_or_directory));
  if (!it->second.directory)
    return tl::unexpected(err(std::errc::not_a_directory));
  std::string prefix = children_prefix(key);
  std::vector<std::string> names;  // the map is sorted, so names come out sorted
  for (auto c = nodes_.lower_bound(prefix); c != nodes_.end(); ++c) {
    if (c->first.compare(0, prefix.size(), prefix) != 0)
      break;
    if (c->first == prefix)
      continue;  // the root itself
    std::string rest = c->first.substr(prefix.size());
    if (rest.find('/') == std::string::npos)
      names.push_back(rest);
  }
  return names;
}

FsResult<void> MemoryFileSystem::remove(const fs::path& path) {
  std::lock_guard lock(mutex_);
  std::string key = normalise(path);
  calls_.push_back("remove " + key);
  if (auto f = failures_.find(key); f != failures_.end())
    return tl::unexpected(f->second);
  auto it = nodes_.find(key);
  if (it == nodes_.end())
    return {};
  if (it->second.directory) {
    std::string prefix = children_prefix(key);
    auto child = nodes_.upper_bound(prefix);
    bool has_children =
        child != nodes_.end() && child->first.compare(0, prefix.size(), prefix) == 0;
    if (key == "/" && !has_children)
      return tl::unexpected(err(std::errc::device_or_resource_busy));
    if (has_children)
      return tl::unexpected(err(std::errc::directory_not_empty));
  }
  nodes_.erase(it);
  return {};
}

FsResult<uint64_t> MemoryFileSystem::remove_all(const fs::path& path) {
  std::lock_guard lock(mutex_);
  std::string key = normalise(path);
  calls_.push_back("remove_all " + key);
  if (auto f = failures_.find(key); f != failures_.end())
    return tl::unexpected(f->second);
  auto it = nodes_.find(key);
  if (it == nodes_.end())
    return uint64_t{0};
  uint64_t removed = 0;
  if (it->second.directory) {
    std::string prefix = children_prefix(key);
    auto c = nodes_.upper_bound(prefix);
    while (c != nodes_.end() && c->first.compare(0, prefix.size(), prefix) == 0) {
      c = nodes_.erase(c);
      ++removed;
    }
  }
  if (key != "/") {  // the root itself stays
    nodes_.erase(key);
    ++removed;
  }
  return removed;
}

FsResult<void> MemoryFileSystem::create_symlink(const fs::path& target, const fs::path& link) {
  std::lock_guard lock(mutex_);
  std::string key = normalise(link);
  calls_.push_back("symlink " + key);
  if (auto f = failures_.find(key); f != failures_.end())
    return tl::unexpected(f->second);
  auto parent = nodes_.find(parent_of(key));
  if (parent == nodes_.end())
    return tl::unexpected(err(std::errc::no_such_file_or_directory));
  if (!parent->second.directory)
    return tl::unexpected(err(std::errc::not_a_directory));
  if (nodes_.count(key))
    return tl::unexpected(err(std::errc::file_exists));
  Node node;
  node.symlink = true;
  node.content = target.string();
  node.mode = 0777;
  nodes_[key] = node;
  return {};
}

FsResult<fs::path> MemoryFileSystem::read_symlink(const fs::path& link) {
  std::lock_guard lock(mutex_);
  std::string key = normalise(link);
  calls_.push_back("readlink " + key);
  if (auto f = failures_.find(key); f != failures_.end())
    return tl::unexpected(f->second);
  auto it = nodes_.find(key);
  if (it == nodes_.end())
    return tl::unexpected(err(std::errc::no_such_file_or_directory));
  if (!it->second.symlink)
    return tl::unexpected(err(std::errc::invalid_argument));
  return fs::path(it->second.content);
}

void MemoryFileSystem::add_file(const fs::path& path, const std::string& content) {
  std::lock_guard lock(mutex_);
  std::string key = normalise(path);
  for (std::string p = parent_of(key); p != "/"; p = parent_of(p))
    nodes_[p] = Node{true, {}, 0};
  nodes_[key] =
      Node{false, content, 0, false, ++writes_};  // mode 0: never written through write_file_atomic
}

void MemoryFileSystem::fail_on(const fs::path& path, std::error_code ec) {
  std::lock_guard lock(mutex_);
  failures_[normalise(path)] = ec;
}

std::vector<std::string> MemoryFileSystem::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

unsigned MemoryFileSystem::mode_of(const fs::path& path) const {
  std::lock_guard lock(mutex_);
  auto it = nodes_.find(normalise(path));
  if (it == nodes_.end() || it->second.directory)
    return 0;
  return it->second.mode;
}

}  // namespace lakeinfra::config
