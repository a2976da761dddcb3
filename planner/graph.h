#pragma once

#include <string>
#include <vector>

#include "config/result.h"

namespace lakeinfra::planner {

/// A directed graph whose edge a → b means "a must finish before b starts". Nodes are dense
/// indices with a label (usually a resource address). Building and ordering are O(V + E).
class Graph {
 public:
  /// Adds a node and returns its index.
  size_t add_node(std::string label);
  /// Adds an edge; duplicate edges are kept only once per insertion order (callers avoid them).
  void add_edge(size_t from, size_t to);

  size_t size() const { return labels_.size(); }
  const std::string& label(size_t node) const { return labels_[node]; }
  const std::vector<size_t>& successors(size_t node) const { return out_[node]; }
  /// Number of edges into each node.
  std::vector<size_t> in_degrees() const;

  /// A topological order (Kahn's algorithm, ties broken by insertion order). On a cycle, fails
  /// with a diagnostic that lists the nodes of one cycle in order ("a → b → a").
  Result<std::vector<size_t>> topological_order() const;

  /// Graphviz DOT text: one node per label, one edge per dependency, drawn from the dependent
  /// to what it depends on (as `terraform graph` does).
  std::string to_dot(const std::string& name = "lakeinfra") const;

 private:
  std::vector<std::string> labels_;
  std::vector<std::vector<size_t>> out_;
};

}  // namespace lakeinfra::planner
