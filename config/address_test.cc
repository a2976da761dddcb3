#include "config/address.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lakeinfra::config {
namespace {

using Names = std::vector<std::string>;

TEST(AddressTest, BuiltFromTypeAndNames) {
  Address a("container", {"bronze", "raw"});
  EXPECT_EQ(a.str(), "container.bronze.raw");
  EXPECT_EQ(a.type(), "container");
  EXPECT_EQ(a.names(), (Names{"bronze", "raw"}));
  EXPECT_FALSE(a.empty());
  EXPECT_TRUE(Address().empty());
  EXPECT_EQ(Address().type(), "");
  EXPECT_TRUE(Address().names().empty());
}

TEST(AddressTest, ParseSplitsAtDots) {
  auto a = Address::parse("grant.analyst.gold.curated");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->type(), "grant");
  EXPECT_EQ(a->names(), (Names{"analyst", "gold", "curated"}));
  EXPECT_EQ(*a, Address("grant", {"analyst", "gold", "curated"}));
}

TEST(AddressTest, ArtifactFilePartKeepsItsDots) {
  auto a = Address::parse("artifact.hello-world.lib/util.tar.gz");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->type(), "artifact");
  EXPECT_EQ(a->names(), (Names{"hello-world", "lib/util.tar.gz"}));
  Address built("artifact", {"hello-world", "lib/util.tar.gz"});
  EXPECT_EQ(built, *a);
  EXPECT_EQ(built.names(), a->names());
}

TEST(AddressTest, ParseRefusesEmptyParts) {
  for (const char* bad :
       {"", "zone", "zone.", ".zone", "container..raw", "container.bronze.", "artifact.p.",
        "artifact.p..x", "artifact.p.a..b", "artifact.p.x.", "artifact..x"}) {
    EXPECT_FALSE(Address::parse(bad)) << bad;
  }
}

TEST(AddressTest, OrderAndEqualityFollowTheText) {
  EXPECT_LT(Address("container", {"a", "b"}), Address("zone", {"a"}));
  EXPECT_EQ(Address("zone", {"a"}), *Address::parse("zone.a"));
  EXPECT_NE(Address("zone", {"a"}), Address("zone", {"b"}));
}

}  // namespace
}  // namespace lakeinfra::config
