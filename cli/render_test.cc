// What reaches the output stream, and in how many writes: a plan arrives in a few large writes,
// apply progress one line at a time.
#include <gtest/gtest.h>
#include <stdio.h>

#include <string>

#include "cli/render.h"
#include "config/memory_filesystem.h"
#include "planner/test_support.h"

namespace lakeinfra::cli {
namespace {

/// A line-buffered FILE that counts the writes it makes (as write(2) calls would be).
class CountingStream {
 public:
  CountingStream() {
    cookie_io_functions_t io{};
    io.write = [](void* cookie, const char* buf, size_t size) -> ssize_t {
      auto* self = static_cast<CountingStream*>(cookie);
      self->text.append(buf, size);
      ++self->writes;
      return static_cast<ssize_t>(size);
    };
    file = fopencookie(this, "w", io);
    setvbuf(file, nullptr, _IOLBF, 0);  // as main() sets stdout
  }
  ~CountingStream() { fclose(file); }
  CountingStream(const CountingStream&) = delete;
  CountingStream& operator=(const CountingStream&) = delete;

  FILE* file = nullptr;
  std::string text;
  int writes = 0;
};

planner::Plan plan_creating(int zones) {
  planner::Plan plan;
  for (int z = 0; z < zones; ++z) {
    planner::ResourceChange c;
    c.desired = planner::testing::zone("z" + std::to_string(z));
    c.address = c.desired->address;
    c.type = c.desired->type;
    c.action = planner::Action::kCreate;
    c.location_after = "/lake/" + c.desired->provider_id;
    plan.changes.push_back(std::move(c));
  }
  return plan;
}

TEST(RendererTest, APlanIsWrittenInLargeBlocksNotLineByLine) {
  config::MemoryFileSystem fs;
  CountingStream out, err;
  Renderer r(out.file, err.file, /*color=*/false, fs);
  const planner::Plan plan = plan_creating(2000);
  r.plan(plan);
  fflush(out.file);

  // The same text as line by line: the summary last, a block per zone.
  ASSERT_GT(out.text.size(), size_t{200'000});
  EXPECT_NE(out.text.find("zone.z1999 will be created"), std::string::npos);
  EXPECT_EQ(out.text.substr(out.text.rfind("Plan:")),
            "Plan: 2000 to add, 0 to change, 0 to destroy.\n");
  const int lines = static_cast<int>(std::count(out.text.begin(), out.text.end(), '\n'));
  EXPECT_GT(lines, 10'000);
  // Written 64 KiB at a time (which the stream splits by its own buffer size): far fewer writes
  // than lines. Line by line it was one write per line. (The binary's 10k plan into a pipe:
  // 181 write(2) calls for 90k lines.)
  EXPECT_LT(out.writes, lines / 50) << lines << " lines";
  EXPECT_EQ(err.writes, 0);
}

TEST(RendererTest, LinesOutsideAPlanAreWrittenOneByOne) {
  config::MemoryFileSystem fs;
  CountingStream out, err;
  Renderer r(out.file, err.file, /*color=*/false, fs);
  r.line("zone.a: Creating...");
  EXPECT_EQ(out.writes, 1);  // already out, before anything else happens
  r.line("zone.a: Creation complete after 1ms");
  EXPECT_EQ(out.writes, 2);
  EXPECT_EQ(out.text, "zone.a: Creating...\nzone.a: Creation complete after 1ms\n");
}

}  // namespace
}  // namespace lakeinfra::cli
