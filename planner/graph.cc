#include "planner/graph.h"

#include <algorithm>
#include <deque>

namespace lakeinfra::planner {

size_t Graph::add_node(std::string label) {
  labels_.push_back(std::move(label));
  out_.emplace_back();
  return labels_.size() - 1;
}

void Graph::add_edge(size_t from, size_t to) {
  out_[from].push_back(to);
}

std::vector<size_t> Graph::in_degrees() const {
  std::vector<size_t> in(size(), 0);
  for (const auto& succ : out_) {
    for (size_t s : succ)
      ++in[s];
  }
  return in;
}

Result<std::vector<size_t>> Graph::topological_order() const {
  std::vector<size_t> in = in_degrees();
  std::deque<size_t> ready;
  for (size_t i = 0; i < size(); ++i) {
    if (in[i] == 0)
      ready.push_back(i);
  }
  std::vector<size_t> order;
  order.reserve(size());
  while (!ready.empty()) {
    size_t n = ready.front();
    ready.pop_front();
    order.push_back(n);
    for (size_t s : out_[n]) {
      if (--in[s] == 0)
        ready.push_back(s);
    }
  }
  if (order.size() == size())
    return order;

  // Some nodes remain: walk predecessors-with-remaining-in-degree to find one cycle.
  std::vector<std::vector<size_t>> preds(size());
  for (size_t n = 0; n < size(); ++n) {
    for (size_t s : out_[n]) {
      if (in[s] > 0 && in[n] > 0)
        preds[s].push_back(n);
    }
  }
  size_t start = 0;
  while (in[start] == 0)
    ++start;
  std::vector<int> seen_at(size(), -1);
  std::vector<size_t> walk;
  size_t cur = start;
  while (seen_at[cur] < 0) {
    seen_at[cur] = static_cast<int>(walk.size());
    walk.push_back(cur);
    cur = preds[cur].front();
  }
  std::vector<size_t> cycle(walk.begin() + seen_at[cur], walk.end());
  std::reverse(cycle.begin(), cycle.end());
  // Start the text at the node declared first, so the message is the same on every run.
  std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
  std::string text;
  for (size_t n : cycle)
    text += labels_[n] + " → ";
  text += labels_[cycle.front()];
  return fail("dependency cycle: " + text,
              "remove one of these dependencies so that the resources can be ordered");
}

std::string Graph::to_dot(const std::string& name) const {
  std::string out = "digraph \"" + name + "\" {\n  rankdir = \"RL\";\n";
  for (const auto& l : labels_)
    out += "  \"" + l + "\" [shape = box];\n";
  for (size_t n = 0; n < size(); ++n) {
    for (size_t s : out_[n])
      out += "  \"" + labels_[s] + "\" -> \"" + labels_[n] + "\";\n";
  }
  out += "}\n";
  return out;
}

}  // namespace lakeinfra::planner
