#include "planner/graph.h"

#include <gtest/gtest.h>

namespace lakeinfra::planner {
namespace {

TEST(Graph, OrdersDependenciesFirst) {
  Graph g;
  size_t raw = g.add_node("container.bronze.raw");
  size_t zone = g.add_node("zone.bronze");
  size_t landing = g.add_node("container.bronze.landing");
  g.add_edge(zone, raw);
  g.add_edge(zone, landing);
  auto order = g.topological_order();
  ASSERT_TRUE(order.has_value());
  EXPECT_EQ(*order, (std::vector<size_t>{zone, raw, landing}));
}

TEST(Graph, ReportsACycleWithItsMembers) {
  Graph g;
  size_t a = g.add_node("a");
  size_t b = g.add_node("b");
  size_t c = g.add_node("c");
  size_t free_node = g.add_node("free");
  (void)free_node;
  g.add_edge(a, b);
  g.add_edge(b, c);
  g.add_edge(c, a);
  auto order = g.topological_order();
  ASSERT_FALSE(order.has_value());
  ASSERT_EQ(order.error().size(), 1u);
  const auto& d = *order.error().begin();
  EXPECT_EQ(d.summary, "dependency cycle: a → b → c → a");
  EXPECT_FALSE(d.hint.empty());
}

TEST(Graph, DotDrawsDependentToDependency) {
  Graph g;
  size_t zone = g.add_node("zone.bronze");
  size_t raw = g.add_node("container.bronze.raw");
  g.add_edge(zone, raw);
  std::string dot = g.to_dot("lake");
  EXPECT_NE(dot.find("digraph \"lake\""), std::string::npos);
  EXPECT_NE(dot.find("\"container.bronze.raw\" -> \"zone.bronze\";"), std::string::npos);
}

TEST(Graph, LargeChainIsLinear) {
  Graph g;
  const size_t n = 200000;
  for (size_t i = 0; i < n; ++i)
    g.add_node("n" + std::to_string(i));
  for (size_t i = 1; i < n; ++i)
    g.add_edge(i - 1, i);
  auto order = g.topological_order();
  ASSERT_TRUE(order.has_value());
  EXPECT_EQ(order->front(), 0u);
  EXPECT_EQ(order->back(), n - 1);
}

}  // namespace
}  // namespace lakeinfra::planner
