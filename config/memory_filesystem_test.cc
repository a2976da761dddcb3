#include "config/memory_filesystem.h"

#include <gtest/gtest.h>

namespace lakeinfra::config {
namespace {

const std::error_code kNotFound = std::make_error_code(std::errc::no_such_file_or_directory);

TEST(MemoryFileSystem, StartsWithAnEmptyRoot) {
  MemoryFileSystem fs;
  auto root = fs.stat("/");
  ASSERT_TRUE(root.has_value());
  EXPECT_TRUE(root->exists);
  EXPECT_TRUE(root->is_directory);
  EXPECT_EQ(fs.list_directory("/").value(), std::vector<std::string>{});
}

TEST(MemoryFileSystem, ReadsAddedFilesAndCreatesTheirParents) {
  MemoryFileSystem fs;
  fs.add_file("/srv/lake/lake.yaml", "lake: {}\n");
  EXPECT_EQ(fs.read_file("/srv/lake/lake.yaml").value(), "lake: {}\n");
  EXPECT_TRUE(fs.stat("/srv/lake").value().is_directory);
  auto info = fs.stat("/srv/lake/lake.yaml").value();
  EXPECT_TRUE(info.exists);
  EXPECT_FALSE(info.is_directory);
  EXPECT_EQ(info.size, 9u);
}

TEST(MemoryFileSystem, NormalisesPaths) {
  MemoryFileSystem fs;
  fs.add_file("/a/b/c.txt", "x");
  EXPECT_EQ(fs.read_file("/a/./b/../b/c.txt").value(), "x");
  EXPECT_EQ(fs.read_file("a/b/c.txt").value(), "x");  // relative to the root
  EXPECT_TRUE(fs.stat("/a/b/").value().is_directory);
}

TEST(MemoryFileSystem, ReadFailures) {
  MemoryFileSystem fs;
  fs.add_file("/a/f", "x");
  EXPECT_EQ(fs.read_file("/a/missing").error(), kNotFound);
  EXPECT_EQ(fs.read_file("/a").error(), std::make_error_code(std::errc::is_a_directory));
}

TEST(MemoryFileSystem, StatNeverFailsForAMissingPath) {
  MemoryFileSystem fs;
  fs.add_file("/a/f", "x");
  for (const char* p : {"/nope", "/a/nope", "/a/f/below"}) {
    auto info = fs.stat(p);
    ASSERT_TRUE(info.has_value()) << p;
    EXPECT_FALSE(info->exists) << p;
  }
}

TEST(MemoryFileSystem, WritesReplaceContentAndRecordTheMode) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.make_directory("/d").has_value());
  ASSERT_TRUE(fs.write_file_atomic("/d/state.json", "{}", 0600).has_value());
  ASSERT_TRUE(fs.write_file_atomic("/d/state.json", "{\"serial\":2}", 0640).has_value());
  EXPECT_EQ(fs.read_file("/d/state.json").value(), "{\"serial\":2}");
  EXPECT_EQ(fs.mode_of("/d/state.json"), 0640u);
  EXPECT_EQ(fs.mode_of("/d/other"), 0u);
  fs.add_file("/d/added", "x");
  EXPECT_EQ(fs.mode_of("/d/added"), 0u);  // never written through write_file_atomic
}

TEST(MemoryFileSystem, WriteNeedsAnExistingParentDirectory) {
  MemoryFileSystem fs;
  fs.add_file("/f", "x");
  EXPECT_EQ(fs.write_file_atomic("/missing/f", "x", 0644).error(), kNotFound);
  EXPECT_EQ(fs.write_file_atomic("/f/g", "x", 0644).error(),
            std::make_error_code(std::errc::not_a_directory));
  ASSERT_TRUE(fs.make_directory("/d").has_value());
  EXPECT_EQ(fs.write_file_atomic("/d", "x", 0644).error(),
            std::make_error_code(std::errc::is_a_directory));
}

TEST(MemoryFileSystem, MakeDirectoryLikeMkdir) {
  MemoryFileSystem fs;
  EXPECT_EQ(fs.make_directory("/a/b").error(), kNotFound);  // parent missing
  EXPECT_EQ(fs.make_directory("/a").value(), true);
  EXPECT_EQ(fs.make_directory("/a").value(), false);  // already there
  EXPECT_EQ(fs.make_directory("/a/b").value(), true);
  fs.add_file("/a/f", "x");
  EXPECT_EQ(fs.make_directory("/a/f").value(), false);  // something is there: the caller looks
  EXPECT_TRUE(fs.stat("/a/f").value().is_regular);
  fs.add_file("/g", "x");
  EXPECT_EQ(fs.make_directory("/g/h").error(), std::make_error_code(std::errc::not_a_directory));
}

TEST(MemoryFileSystem, MakeDirectoriesCreatesParents) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.make_directories("/a/b/c").has_value());
  ASSERT_TRUE(fs.make_directories("/a/b/c").has_value());
  EXPECT_TRUE(fs.stat("/a/b").value().is_directory);
  EXPECT_TRUE(fs.stat("/a/b/c").value().is_directory);
  fs.add_file("/a/f", "x");
  EXPECT_EQ(fs.make_directories("/a/f/g").error(),
            std::make_error_code(std::errc::not_a_directory));
  EXPECT_FALSE(fs.stat("/a/f/g").value().exists);
}

TEST(MemoryFileSystem, ListsDirectChildrenSorted) {
  MemoryFileSystem fs;
  fs.add_file("/d/zeta", "");
  fs.add_file("/d/alpha", "");
  fs.add_file("/d/sub/deep", "");
  fs.add_file("/d-sibling/x", "");
  EXPECT_EQ(fs.list_directory("/d").value(), (std::vector<std::string>{"alpha", "sub", "zeta"}));
  EXPECT_EQ(fs.list_directory("/").value(), (std::vector<std::string>{"d", "d-sibling"}));
  EXPECT_EQ(fs.list_directory("/nope").error(), kNotFound);
  EXPECT_EQ(fs.list_directory("/d/zeta").error(), std::make_error_code(std::errc::not_a_directory));
}

TEST(MemoryFileSystem, RemoveLikeTheRealFileSystem) {
  MemoryFileSystem fs;
  fs.add_file("/d/f", "x");
  EXPECT_EQ(fs.remove("/d").error(), std::make_error_code(std::errc::directory_not_empty));
  ASSERT_TRUE(fs.remove("/d/f").has_value());
  ASSERT_TRUE(fs.remove("/d").has_value());
  EXPECT_FALSE(fs.stat("/d").value().exists);
  EXPECT_TRUE(fs.remove("/never/existed").has_value());
}

TEST(MemoryFileSystem, RemoveAllCountsEverythingRemoved) {
  MemoryFileSystem fs;
  fs.add_file("/d/a", "");
  fs.add_file("/d/sub/b", "");
  fs.add_file("/keep/c", "");
  EXPECT_EQ(fs.remove_all("/d").value(), 4u);  // d, d/a, d/sub, d/sub/b
  EXPECT_FALSE(fs.stat("/d/sub/b").value().exists);
  EXPECT_TRUE(fs.stat("/keep/c").value().exists);
  EXPECT_EQ(fs.remove_all("/d").value(), 0u);
}

TEST(MemoryFileSystem, FailOnInjectsAnErrorForThatPathOnly) {
  MemoryFileSystem fs;
  fs.add_file("/d/f", "x");
  fs.add_file("/d/g", "y");
  auto denied = std::make_error_code(std::errc::permission_denied);
  fs.fail_on("/d/f", denied);
  EXPECT_EQ(fs.read_file("/d/f").error(), denied);
  EXPECT_EQ(fs.stat("/d/f").error(), denied);
  EXPECT_EQ(fs.write_file_atomic("/d/f", "z", 0644).error(), denied);
  EXPECT_EQ(fs.remove("/d/f").error(), denied);
  EXPECT_EQ(fs.read_file("/d/g").value(), "y");
}

TEST(MemoryFileSystem, RecordsEveryCallInOrder) {
  MemoryFileSystem fs;
  fs.add_file("/d/f", "x");  // test controls are not recorded
  (void)fs.read_file("/d/f");
  (void)fs.write_file_atomic("/d/g", "y", 0644);
  (void)fs.stat("/d/./g");
  (void)fs.make_directory("/e");
  (void)fs.make_directories("/e/f/g");
  (void)fs.list_directory("/d");
  (void)fs.remove("/d/g");
  (void)fs.remove_all("/e");
  EXPECT_EQ(fs.calls(),
            (std::vector<std::string>{"read /d/f", "write /d/g", "stat /d/g", "mkdir /e",
                                      "mkdir /e/f/g", "list /d", "remove /d/g", "remove_all /e"}));
}

}  // namespace
}  // namespace lakeinfra::config
