// FileSystem::read_regular_file_no_symlinks() and stamp_files_in_subdirectories():
// RealFileSystem's versions (openat2, readdir, fstatat) and the default walks (a stat() per
// component) must give the same answers.
#include "config/filesystem.h"
#include "config/memory_filesystem.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <vector>

namespace lakeinfra::config {
namespace {
namespace fs = std::filesystem;

/// The real disk through the base class's default walk (RealFileSystem overrides it).
class WalkingFileSystem : public FileSystem {
 public:
  FsResult<std::string> read_file(const fs::path& p) override { return real_.read_file(p); }
  FsResult<void> write_file_atomic(const fs::path& p, const std::string& c, unsigned mode = 0644,
                                   Durability d = Durability::kFsync) override {
    return real_.write_file_atomic(p, c, mode, d);
  }
  FsResult<FileInfo> stat(const fs::path& p) override { return real_.stat(p); }
  FsResult<bool> make_directory(const fs::path& p) override { return real_.make_directory(p); }
  FsResult<void> make_directories(const fs::path& p) override { return real_.make_directories(p); }
  FsResult<std::vector<std::string>> list_directory(const fs::path& p) override {
    return real_.list_directory(p);
  }
  FsResult<void> remove(const fs::path& p) override { return real_.remove(p); }
  FsResult<uint64_t> remove_all(const fs::path& p) override { return real_.remove_all(p); }
  FsResult<void> create_symlink(const fs::path& t, const fs::path& l) override {
    return real_.create_symlink(t, l);
  }
  FsResult<fs::path> read_symlink(const fs::path& l) override { return real_.read_symlink(l); }

 private:
  RealFileSystem real_;
};

enum class Kind { kReal, kWalk };

class ReadNoSymlinksTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lakeinfra-fs-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    if (GetParam() == Kind::kReal) {
      fs_ = std::make_unique<RealFileSystem>();
    } else {
      fs_ = std::make_unique<WalkingFileSystem>();
    }
    fs::create_directories(root_ / "zone" / "con");
    write(root_ / "zone" / "con" / "marker", "{\"a\": 1}\n");
  }
  void TearDown() override { fs::remove_all(root_); }

  static void write(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
  }
  std::optional<std::string> read(const fs::path& p) {
    return fs_->read_regular_file_no_symlinks(p.string());
  }

  fs::path root_;
  std::unique_ptr<FileSystem> fs_;
};

TEST_P(ReadNoSymlinksTest, ReadsARegularFileReachedWithoutSymlinks) {
  EXPECT_EQ(read(root_ / "zone" / "con" / "marker"), "{\"a\": 1}\n");
  write(root_ / "empty", "");
  EXPECT_EQ(read(root_ / "empty"), "");
  std::string big(200000, 'x');  // more than any first read
  write(root_ / "big", big);
  EXPECT_EQ(read(root_ / "big"), big);
}

TEST_P(ReadNoSymlinksTest, NothingForAMissingFileOrDirectory) {
  EXPECT_EQ(read(root_ / "zone" / "con" / "nope"), std::nullopt);
  EXPECT_EQ(read(root_ / "zone" / "gone" / "marker"), std::nullopt);
  // A file where a directory should be.
  EXPECT_EQ(read(root_ / "zone" / "con" / "marker" / "x"), std::nullopt);
}

TEST_P(ReadNoSymlinksTest, NothingWhenASymlinkStandsAnywhereOnTheWay) {
  fs::create_directory_symlink(root_ / "zone", root_ / "zone-link");
  fs::create_symlink(root_ / "zone" / "con" / "marker", root_ / "zone" / "con" / "marker-link");
  fs::create_directory_symlink(root_, root_.string() + "-rootlink");
  EXPECT_EQ(read(root_ / "zone-link" / "con" / "marker"), std::nullopt);        // in the middle
  EXPECT_EQ(read(root_ / "zone" / "con" / "marker-link"), std::nullopt);        // the file itself
  EXPECT_EQ(read(root_.string() + "-rootlink/zone/con/marker"), std::nullopt);  // a parent
  fs::remove(root_.string() + "-rootlink");
}

TEST_P(ReadNoSymlinksTest, NothingForADirectoryOrAFifoAndAFifoDoesNotHang) {
  EXPECT_EQ(read(root_ / "zone" / "con"), std::nullopt);
  ASSERT_EQ(::mkfifo((root_ / "fifo").c_str(), 0644), 0);
  EXPECT_EQ(read(root_ / "fifo"), std::nullopt);
}

TEST_P(ReadNoSymlinksTest, RelativePathsWork) {
  fs::path cwd = fs::current_path();
  fs::current_path(root_);
  auto text = read("zone/con/marker");
  auto dotted = read("./zone/con/marker");
  fs::current_path(cwd);
  EXPECT_EQ(text, "{\"a\": 1}\n");
  EXPECT_EQ(dotted, "{\"a\": 1}\n");
}

INSTANTIATE_TEST_SUITE_P(RealAndWalk, ReadNoSymlinksTest,
                         ::testing::Values(Kind::kReal, Kind::kWalk), [](const auto& info) {
                           return info.param == Kind::kReal ? std::string("OneLookup")
                                                            : std::string("DefaultWalk");
                         });

TEST_P(ReadNoSymlinksTest, StampsTheRegularFilesOfSubdirectoriesOnly) {
  fs::path zone = root_ / "zone";
  write(zone / "plain-file", "x");
  fs::create_directory_symlink(zone / "con", zone / "linked");
  fs::create_directories(zone / "marker-link");
  fs::create_symlink(zone / "con" / "marker", zone / "marker-link" / "marker");
  fs::create_directories(zone / "marker-dir" / "marker");
  fs::create_directories(zone / "marker-fifo");
  ASSERT_EQ(::mkfifo((zone / "marker-fifo" / "marker").c_str(), 0644), 0);
  fs::create_directories(zone / "no-marker");
  std::vector<std::string> names = {"con",         "gone",       "plain-file",  "linked",
                                    "marker-link", "marker-dir", "marker-fifo", "no-marker",
                                    "con/..",      "..",         ".",           ""};
  auto stamps = fs_->stamp_files_in_subdirectories(zone.string(), names, "marker");
  ASSERT_EQ(stamps.size(), names.size());
  struct ::stat st {};
  ASSERT_EQ(::stat((zone / "con" / "marker").c_str(), &st), 0);
  ASSERT_TRUE(stamps[0].has_value());
  EXPECT_EQ(stamps[0]->inode, static_cast<uint64_t>(st.st_ino));
  EXPECT_EQ(stamps[0]->device, static_cast<uint64_t>(st.st_dev));
  EXPECT_EQ(stamps[0]->size, 9u);
  EXPECT_EQ(stamps[0]->mtime_ns, st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
  EXPECT_EQ(stamps[0]->ctime_ns, st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec);
  EXPECT_EQ(*stamps[0], fs_->stat(zone / "con" / "marker")->stamp);
  for (size_t i = 1; i < names.size(); ++i)
    EXPECT_EQ(stamps[i], std::nullopt) << "\"" << names[i] << "\"";
}

TEST_P(ReadNoSymlinksTest, NoStampsBelowAMissingOrSymlinkedDirectory) {
  fs::create_directory_symlink(root_ / "zone", root_ / "zone-link");
  std::vector<std::string> names = {"con"};
  EXPECT_EQ(fs_->stamp_files_in_subdirectories((root_ / "zone-link").string(), names, "marker"),
            std::vector<std::optional<FileStamp>>{std::nullopt});
  EXPECT_EQ(fs_->stamp_files_in_subdirectories((root_ / "nope").string(), names, "marker"),
            std::vector<std::optional<FileStamp>>{std::nullopt});
  EXPECT_EQ(fs_->stamp_files_in_subdirectories((root_ / "zone").string(), {}, "marker").size(), 0u);
}

TEST_P(ReadNoSymlinksTest, AStampChangesWithTheFile) {
  fs::path zone = root_ / "zone";
  auto stamp = [&] { return fs_->stamp_files_in_subdirectories(zone.string(), {"con"}, "marker"); };
  auto before = stamp();
  ASSERT_TRUE(before[0].has_value());
  EXPECT_EQ(stamp(), before);
  write(zone / "con" / "marker", "{\"a\": 22}\n");  // in place: the same inode, another size
  auto rewritten = stamp();
  ASSERT_TRUE(rewritten[0].has_value());
  EXPECT_NE(rewritten, before);
  EXPECT_EQ(rewritten[0]->inode, before[0]->inode);
  ASSERT_TRUE(fs_->write_file_atomic(zone / "con" / "marker", "{\"a\": 22}\n").has_value());
  auto renamed = stamp();  // replaced by a rename: another inode
  ASSERT_TRUE(renamed[0].has_value());
  EXPECT_NE(renamed[0]->inode, rewritten[0]->inode);
}

// mkdir(2) and nothing more: whatever stands at the path already is reported, never followed.
TEST(RealFileSystemTest, MakeDirectoryTellsWhetherItMadeIt) {
  char tmpl[] = "/tmp/lakeinfra-fs-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path root = tmpl;
  RealFileSystem real;
  EXPECT_EQ(real.make_directory(root / "d").value(), true);
  EXPECT_TRUE(fs::is_directory(root / "d"));
  EXPECT_EQ(real.make_directory(root / "d").value(), false);
  std::ofstream(root / "f") << "x";
  EXPECT_EQ(real.make_directory(root / "f").value(), false);
  fs::create_directory_symlink(root / "elsewhere", root / "link");
  EXPECT_EQ(real.make_directory(root / "link").value(), false);
  EXPECT_FALSE(fs::exists(root / "elsewhere"));
  EXPECT_EQ(real.make_directory(root / "missing" / "d").error(),
            std::make_error_code(std::errc::no_such_file_or_directory));
  fs::remove_all(root);
}

TEST(ReadNoSymlinksMemory, TheDefaultWalkServesFakes) {
  MemoryFileSystem mem;
  mem.add_file("/lake/zone/con/marker", "m");
  ASSERT_TRUE(mem.create_symlink("/lake/zone", "/lake/link").has_value());
  EXPECT_EQ(mem.read_regular_file_no_symlinks("/lake/zone/con/marker"), "m");
  EXPECT_EQ(mem.read_regular_file_no_symlinks("/lake/link/con/marker"), std::nullopt);
  EXPECT_EQ(mem.read_regular_file_no_symlinks("/lake/zone/con"), std::nullopt);
  EXPECT_EQ(mem.read_regular_file_no_symlinks("/lake/zone/con/none"), std::nullopt);
  auto stamps = mem.stamp_files_in_subdirectories("/lake/zone", {"con", "none"}, "marker");
  ASSERT_TRUE(stamps[0].has_value());
  EXPECT_EQ(stamps[1], std::nullopt);
  EXPECT_EQ(mem.stamp_files_in_subdirectories("/lake/link", {"con"}, "marker")[0], std::nullopt);
  ASSERT_TRUE(mem.write_file_atomic("/lake/zone/con/marker", "m").has_value());  // same bytes
  auto again = mem.stamp_files_in_subdirectories("/lake/zone", {"con"}, "marker");
  ASSERT_TRUE(again[0].has_value());
  EXPECT_NE(*again[0], *stamps[0]);  // every write is a new version
}

}  // namespace
}  // namespace lakeinfra::config
