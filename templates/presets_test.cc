#include "templates/presets.h"

#include <gtest/gtest.h>

namespace lakeinfra::templates {
namespace {

TEST(Presets, BothLayoutsAreEmbedded) {
  EXPECT_EQ(preset_names(), (std::vector<std::string>{"enterprise", "medallion"}));
  auto medallion = preset_text("medallion");
  ASSERT_TRUE(medallion.has_value());
  EXPECT_NE(medallion->find("name: bronze"), std::string::npos);
  auto enterprise = preset_text("enterprise");
  ASSERT_TRUE(enterprise.has_value());
  EXPECT_NE(enterprise->find("{org}-datalake-{instance}-{tier}-{region}"), std::string::npos);
  EXPECT_FALSE(preset_text("nope").has_value());
}

}  // namespace
}  // namespace lakeinfra::templates
