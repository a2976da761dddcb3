#include "config/system.h"

#include <gtest/gtest.h>

namespace lakeinfra::config {
namespace {

TEST(UtcTimeTest, ParseReadsWhatFormatWrites) {
  auto t = std::chrono::system_clock::from_time_t(1'700'000'000);
  EXPECT_EQ(format_utc(t), "2023-11-14T22:13:20Z");
  EXPECT_EQ(parse_utc("2023-11-14T22:13:20Z"), t);
  EXPECT_EQ(parse_utc(format_utc(t + std::chrono::hours(24 * 400))),
            t + std::chrono::hours(24 * 400));
}

TEST(UtcTimeTest, ParseRefusesAnythingElse) {
  for (const char* bad : {"", "2023-11-14", "2023-11-14T22:13:20", "2023-11-14T22:13:20+01:00",
                          "2023-13-14T22:13:20Z", "2023-11-31T22:13:20Z", "2023-11-14 22:13:20Z",
                          "x023-11-14T22:13:20Z"}) {
    EXPECT_FALSE(parse_utc(bad)) << bad;
  }
}

}  // namespace
}  // namespace lakeinfra::config
