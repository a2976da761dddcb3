#include "pipelines/mount_provider.h"

#include <mutex>
#include <sstream>
#include <vector>

namespace lakeinfra::pipelines {
namespace fs = std::filesystem;

namespace {

using providers::Failure;
using providers::FailureKind;
using providers::Observed;
using providers::ProviderResult;

tl::unexpected<Failure> failure(FailureKind kind, std::string message) {
  return tl::unexpected(Failure{kind, std::move(message), {}});
}

tl::unexpected<Failure> failure(const std::string& op, const fs::path& path,
                                const std::error_code& ec) {
  FailureKind kind =
      ec == std::errc::permission_denied ? FailureKind::kAuth : FailureKind::kInternal;
  return failure(kind, op + " " + path.string() + ": " + ec.message());
}

/// Checks a mount id: relative, no empty, "." or ".." components.
bool safe_id(const std::string& id) {
  if (id.empty() || id.front() == '/')
    return false;
  std::stringstream parts(id);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty() || part == "." || part == "..")
      return false;
  }
  return id.back() != '/';
}

std::string begin_line(const std::string& id) {
  return "# BEGIN lakeinfra mount " + id;
}
std::string end_line(const std::string& id) {
  return "# END lakeinfra mount " + id;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line))
    lines.push_back(line);
  return lines;
}

class MountProvider : public providers::Provider {
 public:
  MountProvider(fs::path root, config::FileSystem& fs, bool s3)
      : root_(std::move(root)), fs_(fs), s3_(s3) {}

  std::string kind() const override { return s3_ ? "s3" : "local"; }
  bool manages(const std::string& type) const override { return type == config::kMountType; }
  std::string describe(const std::string&, const std::string& provider_id) const override {
    if (s3_)
      return (root_ / kSparkDefaultsFile).string() + " [" + provider_id + "]";
    return (root_ / provider_id).string();
  }
  bool requires_replace(const std::string&, const std::string&) const override { return false; }
  ProviderResult<uint64_t> count_data(const std::string&, const std::string&,
                                      const std::set<std::string>&) override {
    return uint64_t{0};
  }

  ProviderResult<std::optional<Observed>> read(const std::string&,
                                               const std::string& provider_id) override {
    if (!safe_id(provider_id))
      return failure(FailureKind::kInvalid, "unsafe mount path \"" + provider_id + "\"");
    return s3_ ? read_block(provider_id) : read_link(provider_id);
  }

  ProviderResult<config::Attributes> create(const config::DesiredResource& desired) override {
    if (!safe_id(desired.provider_id))
      return failure(FailureKind::kInvalid, "unsafe mount path \"" + desired.provider_id + "\"");
    auto made = s3_ ? write_block(desired) : write_link(desired);
    if (!made)
      return tl::unexpected(made.error());
    return desired.attributes;
  }
  ProviderResult<config::Attributes> update(const config::ResourceRecord&,
                                            const config::DesiredResource& desired) override {
    return create(desired);
  }
  ProviderResult<void> remove(const config::ResourceRecord& prior, bool) override {
    if (!safe_id(prior.provider_id))
      return failure(FailureKind::kInvalid, "unsafe mount path \"" + prior.provider_id + "\"");
    return s3_ ? remove_block(prior.provider_id) : remove_link(prior.provider_id);
  }

 private:
  // --- local: symlinks ---

  ProviderResult<std::optional<Observed>> read_link(const std::string& id) {
    fs::path link = root_ / id;
    auto info = fs_.stat(link);
    if (!info)
      return failure("stat", link, info.error());
    if (!info->exists)
      return std::optional<Observed>();
    Observed observed;
    if (!info->is_symlink) {
      observed.unmanaged = true;  // a real file or directory: not lakeinfra's
      return std::optional<Observed>(std::move(observed));
    }
    auto target = fs_.read_symlink(link);
    if (!target)
      return failure("readlink", link, target.error());
    observed.attributes["target"] = target->string();
    return std::optional<Observed>(std::move(observed));
  }

  ProviderResult<void> write_link(const config::DesiredResource& desired) {
    fs::path link = root_ / desired.provider_id;
    std::string target = desired.attributes.value("target", std::string());
    if (auto made = fs_.make_directories(link.parent_path()); !made)
      return failure("mkdir", link.parent_path(), made.error());
    auto info = fs_.stat(link);
    if (!info)
      return failure("stat", link, info.error());
    if (info->exists) {
      if (!info->is_symlink) {
        return failure(FailureKind::kConflict, link.string() +
                                                   " exists and is not a symlink; move it away "
                                                   "to mount here");
      }
      auto current = fs_.read_symlink(link);
      if (current && current->string() == target)
        return {};
      if (auto removed = fs_.remove(link); !removed)
        return failure("remove", link, removed.error());
    }
    if (auto linked = fs_.create_symlink(target, link); !linked)
      return failure("symlink", link, linked.error());
    return {};
  }

  ProviderResult<void> remove_link(const std::string& id) {
    fs::path link = root_ / id;
    auto info = fs_.stat(link);
    if (!info)
      return failure("stat", link, info.error());
    if (!info->exists)
      return {};
    if (!info->is_symlink) {
      return failure(FailureKind::kConflict,
                     link.string() + " is not a symlink; refusing to delete it");
    }
    if (auto removed = fs_.remove(link); !removed)
      return failure("remove", link, removed.error());
    // Prune the folders of the id only ("mnt" of "mnt/bronze"), never the root or above it,
    // whatever way the root is spelled ("/ws/" vs "/ws").
    fs::path rel = fs::path(id).parent_path();
    for (; !rel.empty(); rel = rel.parent_path()) {
      if (!fs_.remove(root_ / rel))
        break;  // not empty: leave it
    }
    return {};
  }

  // --- S3: blocks of spark-defaults.conf ---

  ProviderResult<std::vector<std::string>> read_conf() {
    fs::path path = root_ / kSparkDefaultsFile;
    auto text = fs_.read_file(path);
    if (!text) {
      if (text.error() == std::errc::no_such_file_or_directory)
        return std::vector<std::string>();
      return failure("read", path, text.error());
    }
    return split_lines(*text);
  }

  ProviderResult<void> write_conf(const std::vector<std::string>& lines) {
    if (auto made = fs_.make_directories(root_); !made)
      return failure("mkdir", root_, made.error());
    std::string text;
    for (const auto& line : lines)
      text += line + "\n";
    fs::path path = root_ / kSparkDefaultsFile;
    if (auto written = fs_.write_file_atomic(path, text, 0644); !written)
      return failure("write", path, written.error());
    return {};
  }

  /// [begin, end] line indexes of the block of `id`, or {npos, npos}.
  static std::pair<size_t, size_t> find_block(const std::vector<std::string>& lines,
                                              const std::string& id) {
    size_t begin = std::string::npos;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i] == begin_line(id))
        begin = i;
      else if (begin != std::string::npos && lines[i] == end_line(id))
        return {begin, i};
    }
    return {std::string::npos, std::string::npos};
  }

  ProviderResult<std::optional<Observed>> read_block(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto lines = read_conf();
    if (!lines)
      return tl::unexpected(lines.error());
    auto [begin, end] = find_block(*lines, id);
    if (begin == std::string::npos)
      return std::optional<Observed>();
    Observed observed;
    for (size_t i = begin + 1; i < end; ++i) {
      const std::string& line = (*lines)[i];
      size_t space = line.find(' ');
      if (space == std::string::npos)
        continue;
      std::string key = line.substr(0, space), value = line.substr(space + 1);
      auto ends_with = [&](const std::string& suffix) {
        return key.size() >= suffix.size() &&
               key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
      };
      if (key.rfind("spark.lakeinfra.mount.", 0) == 0 && ends_with(".target"))
        observed.attributes["target"] = value;
      else if (key.rfind("spark.hadoop.fs.s3a.bucket.", 0) == 0 && ends_with(".endpoint"))
        observed.attributes["endpoint"] = value;
      else if (key.rfind("spark.hadoop.fs.s3a.bucket.", 0) == 0 && ends_with(".path.style.access"))
        observed.attributes["path_style"] = value == "true";
    }
    return std::optional<Observed>(std::move(observed));
  }

  ProviderResult<void> write_block(const config::DesiredResource& desired) {
    std::lock_guard lock(mutex_);
    auto lines = read_conf();
    if (!lines)
      return tl::unexpected(lines.error());
    const auto& a = desired.attributes;
    std::string name = a.value("name", std::string());
    std::string bucket = a.value("bucket", std::string());
    std::vector<std::string> block = {
        begin_line(desired.provider_id),
        "spark.lakeinfra.mount." + name + ".path " + a.value("path", std::string()),
        "spark.lakeinfra.mount." + name + ".target " + a.value("target", std::string()),
        "spark.hadoop.fs.s3a.bucket." + bucket + ".endpoint " + a.value("endpoint", std::string()),
        "spark.hadoop.fs.s3a.bucket." + bucket + ".path.style.access " +
            (a.value("path_style", false) ? "true" : "false"),
        end_line(desired.provider_id)};
    auto [begin, end] = find_block(*lines, desired.provider_id);
    if (begin == std::string::npos) {
      if (lines->empty())
        lines->push_back("# Spark settings for the lake's mounts, kept by lakeinfra.");
      lines->insert(lines->end(), block.begin(), block.end());
    } else {
      lines->erase(lines->begin() + static_cast<long>(begin),
                   lines->begin() + static_cast<long>(end) + 1);
      lines->insert(lines->begin() + static_cast<long>(begin), block.begin(), block.end());
    }
    return write_conf(*lines);
  }

  ProviderResult<void> remove_block(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto lines = read_conf();
    if (!lines)
      return tl::unexpected(lines.error());
    auto [begin, end] = find_block(*lines, id);
    if (begin == std::string::npos)
      return {};
    lines->erase(lines->begin() + static_cast<long>(begin),
                 lines->begin() + static_cast<long>(end) + 1);
    return write_conf(*lines);
  }

  const fs::path root_;
  config::FileSystem& fs_;
  const bool s3_;
  std::mutex mutex_;  ///< Serialises read-modify-write of spark-defaults.conf.
};

}  // namespace

std::unique_ptr<providers::Provider> make_mount_provider(const std::filesystem::path& root,
                                                         config::FileSystem& fs, bool s3) {
  return std::make_unique<MountProvider>(root, fs, s3);
}

}  // namespace lakeinfra::pipelines
