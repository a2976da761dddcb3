// FileSystem::read_regular_file_no_symlinks(): RealFileSystem's one-lookup version (openat2) and
// the default walk (a stat() per component) must give the same answers.
#include "config/filesystem.h"
#include "config/memory_filesystem.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>

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
  FsResult<void> make_directory(const fs::path& p) override { return real_.make_directory(p); }
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

TEST(ReadNoSymlinksMemory, TheDefaultWalkServesFakes) {
  MemoryFileSystem mem;
  mem.add_file("/lake/zone/con/marker", "m");
  ASSERT_TRUE(mem.create_symlink("/lake/zone", "/lake/link").has_value());
  EXPECT_EQ(mem.read_regular_file_no_symlinks("/lake/zone/con/marker"), "m");
  EXPECT_EQ(mem.read_regular_file_no_symlinks("/lake/link/con/marker"), std::nullopt);
  EXPECT_EQ(mem.read_regular_file_no_symlinks("/lake/zone/con"), std::nullopt);
  EXPECT_EQ(mem.read_regular_file_no_symlinks("/lake/zone/con/none"), std::nullopt);
}

}  // namespace
}  // namespace lakeinfra::config
