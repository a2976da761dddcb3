#include "templates/naming.h"

#include <gtest/gtest.h>

namespace lakeinfra::templates {
namespace {

const std::map<std::string, std::string> kVars = {
    {"lake", "healthetl"}, {"instance", "dev01"}, {"zone", "bronze"}};

TEST(Naming, RendersPlaceholders) {
  auto r = render("{lake}-{instance}-{zone}", kVars);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "healthetl-dev01-bronze");
}

TEST(Naming, UnknownPlaceholderNamesItAndItsOffset) {
  auto r = render("{lake}-{zonee}", kVars);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().placeholder, "zonee");
  EXPECT_EQ(r.error().offset, 7u);
  EXPECT_EQ(r.error().message, "unknown placeholder {zonee}");
}

TEST(Naming, SyntaxErrors) {
  EXPECT_EQ(render("{lake", kVars).error().message, "unclosed '{'");
  EXPECT_EQ(render("lake}", kVars).error().message, "unmatched '}'");
  EXPECT_EQ(render("a{}b", kVars).error().message, "empty placeholder '{}'");
}

TEST(Naming, ListsPlaceholders) {
  EXPECT_EQ(placeholders("{org}-datalake-{instance}"),
            (std::vector<std::string>{"org", "instance"}));
}

}  // namespace
}  // namespace lakeinfra::templates
