#include "cli/render.h"

#include <algorithm>
#include <filesystem>
#include <map>

namespace lakeinfra::cli {
namespace {

std::string relative_to_cwd(const std::string& file) {
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  if (ec)
    return file;
  auto rel = std::filesystem::path(file).lexically_relative(cwd);
  if (rel.empty() || rel.string().rfind("..", 0) == 0)
    return file;
  return rel.string();
}

const char* heading(planner::Action a) {
  switch (a) {
    case planner::Action::kCreate:
      return "will be created";
    case planner::Action::kUpdate:
      return "will be updated in-place";
    case planner::Action::kReplace:
      return "must be replaced";
    case planner::Action::kDelete:
      return "will be destroyed";
    case planner::Action::kNoOp:
      break;
  }
  return "is unchanged";
}

std::string name_of(const config::Address& a) {
  std::string n;
  for (size_t i = 0; i < a.names().size(); ++i)
    n += (i ? "." : "") + a.names()[i];
  return n;
}

// A nested value in a diff row: whole when it is short enough to read on one line.
std::string nested_text(const config::Attributes& v) {
  std::string text = v.dump();
  return text.size() <= 160 ? text : value_text(v);
}

// "policy.Statement[2].Action" for the JSON pointer "/Statement/2/Action" below `key`, walking
// `root` to tell array indices from object keys.
std::string pointer_text(const std::string& key, const config::Attributes& root,
                         const std::string& pointer) {
  std::string out = key;
  const config::Attributes* node = &root;
  size_t pos = 1;
  while (pos <= pointer.size() && !pointer.empty()) {
    size_t next = pointer.find('/', pos);
    std::string token =
        pointer.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    // JSON pointer escapes: ~1 is '/', ~0 is '~'.
    for (size_t i = 0; (i = token.find("~1", i)) != std::string::npos;)
      token.replace(i, 2, "/");
    for (size_t i = 0; (i = token.find("~0", i)) != std::string::npos;)
      token.replace(i, 2, "~");
    bool index = node && node->is_array();
    out += index ? "[" + token + "]" : "." + token;
    if (node && node->is_array() && token != "-" &&
        token.find_first_not_of("0123456789") == std::string::npos &&
        std::stoul(token) < node->size()) {
      node = &(*node)[std::stoul(token)];
    } else if (node && node->is_object() && node->contains(token)) {
      node = &(*node)[token];
    } else {
      node = nullptr;
    }
    if (next == std::string::npos)
      break;
    pos = next + 1;
  }
  return out;
}

}  // namespace

std::string shown_location(const config::Location& location) {
  config::Location shown = location;
  shown.file = relative_to_cwd(location.file);
  return shown.str();
}

std::string value_text(const config::Attributes& v) {
  if (v.is_null())
    return "null";
  if (v.is_string())
    return "\"" + v.get<std::string>() + "\"";
  std::string text = v.dump();
  // Long lists and objects (a job's activities) are summarised; `jobs show` and `show --json`
  // print them whole.
  if (text.size() > 100 && (v.is_array() || v.is_object())) {
    size_t n = v.size();
    return std::string(v.is_array() ? "[" : "{") + std::to_string(n) +
           (v.is_array() ? (n == 1 ? " item" : " items") : (n == 1 ? " key" : " keys")) +
           (v.is_array() ? "]" : "}");
  }
  return text;
}

std::string Renderer::paint(const char* code, const std::string& s) const {
  if (!color_)
    return s;
  return std::string("\033[") + code + "m" + s + "\033[0m";
}

void Renderer::line(const std::string& text) {
  if (!batch_) {
    std::fprintf(out_, "%s\n", text.c_str());
    return;
  }
  batch_->append(text).push_back('\n');
  if (batch_->size() >= (size_t{1} << 16))
    write(*batch_);
}

void Renderer::write(std::string& text) {
  std::fwrite(text.data(), 1, text.size(), out_);
  text.clear();
}

std::string Renderer::source_excerpt(const config::Location& loc) {
  if (!loc.known() || loc.line <= 0)
    return {};
  auto text = fs_.read_file(loc.file);
  if (!text)
    return {};
  size_t start = 0;
  for (int l = 1; l < loc.line; ++l) {
    start = text->find('\n', start);
    if (start == std::string::npos)
      return {};
    ++start;
  }
  size_t end = text->find('\n', start);
  std::string src = text->substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (src.size() > 200)
    src = src.substr(0, 200) + "...";
  std::string num = std::to_string(loc.line);
  std::string pad(num.size(), ' ');
  std::string out = "   " + pad + " |\n";
  out += "   " + num + " | " + src + "\n";
  if (loc.column > 0) {
    std::string spaces;
    for (int i = 1; i < loc.column && static_cast<size_t>(i - 1) < src.size(); ++i) {
      spaces += src[i - 1] == '\t' ? '\t' : ' ';
    }
    out += "   " + pad + " | " + spaces + "^\n";
  }
  return out;
}

void Renderer::diagnostics(const config::Diagnostics& diags) {
  for (const auto& d : diags) {
    std::string label;
    switch (d.severity) {
      case config::Severity::kError:
        label = red(bold("Error:"));
        break;
      case config::Severity::kWarning:
        label = yellow(bold("Warning:"));
        break;
      case config::Severity::kNote:
        label = bold("Note:");
        break;
    }
    std::string text = label + " " + d.summary + "\n";
    if (d.location.known()) {
      text += "  --> " + shown_location(d.location) + "\n" + source_excerpt(d.location);
    }
    if (!d.detail.empty())
      text += "  " + d.detail + "\n";
    if (!d.hint.empty())
      text += "  hint: " + d.hint + "\n";
    std::fprintf(err_, "%s\n", text.c_str());
  }
}

void Renderer::resource_block(const planner::ResourceChange& c) {
  using planner::Action;
  std::string symbol;
  switch (c.action) {
    case Action::kCreate:
      symbol = green("  +");
      break;
    case Action::kUpdate:
      symbol = yellow("  ~");
      break;
    case Action::kReplace:
      symbol = red("-") + "/" + green("+");
      break;
    case Action::kDelete:
      symbol = red("  -");
      break;
    case Action::kNoOp:
      return;
  }
  line("  " + bold("# " + c.address.str()) + " " + heading(c.action));
  // A plain create explains itself; other actions say why they are needed.
  if (c.action != Action::kCreate || !c.drift.empty()) {
    for (const auto& r : c.reasons)
      line("  # (" + r + ")");
  }
  if (c.type == config::kPipelineType && c.desired) {
    // "ref v1.2.0 → 1a2b3c4": which commit the pipeline's ref resolved to.
    const auto& a = c.desired->attributes;
    std::string commit = a.value("commit", std::string()).substr(0, 7);
    std::string before = c.prior ? c.prior->attributes.value("commit", std::string()) : "";
    std::string line_text = "  # (ref " + a.value("ref", std::string()) + " → " + commit;
    if (!before.empty() && before.substr(0, 7) != commit)
      line_text += ", was " + before.substr(0, 7);
    line(line_text + ")");
  }
  line(symbol + " " + c.type + " \"" + name_of(c.address) + "\" {");

  config::Attributes before = c.before_json();
  config::Attributes after = c.after_json();
  std::map<std::string, std::pair<config::Attributes, config::Attributes>> rows;
  if (before.is_object()) {
    for (const auto& [k, v] : before.items())
      rows[k].first = v;
  }
  if (after.is_object()) {
    for (const auto& [k, v] : after.items())
      rows[k].second = v;
  }
  // Creates and deletes list every attribute; updates and replaces only those that change.
  bool all_rows = c.action == Action::kCreate || c.action == Action::kDelete;
  size_t width = 0;
  for (const auto& [k, v] : rows) {
    if (all_rows || v.first != v.second)
      width = std::max(width, k.size());
  }
  std::map<std::string, bool> forces;
  for (const auto& a : c.attribute_changes)
    forces[a.name] = a.forces_replacement;
  bool id_forces = c.prior && c.desired && c.prior->provider_id != c.desired->provider_id;
  int shown = 0;
  for (const auto& [k, v] : rows) {
    const auto& [b, a] = v;
    if (!all_rows && b == a)
      continue;  // unchanged attributes are not repeated
    std::string key = k + std::string(width - k.size(), ' ');
    std::string row;
    if (c.action == Action::kCreate) {
      row = green("+") + " " + key + " = " + value_text(a);
    } else if (c.action == Action::kDelete) {
      row = red("-") + " " + key + " = " + value_text(b);
    } else if (b.is_structured() && a.is_structured() && b.type() == a.type() &&
               b.dump().size() > 100 && !forces[k]) {
      // A long document (an IAM policy): one row per changed part, as a reviewer needs to see
      // exactly which permission moves.
      constexpr size_t kMaxRows = 12;
      config::Attributes patch = config::Attributes::diff(b, a);
      size_t n = 0;
      std::map<std::string, size_t> appended;  // per array: elements added at its end so far
      for (const auto& op : patch) {
        if (++n > kMaxRows)
          break;
        std::string pointer = op["path"].get<std::string>();
        std::string what = op["op"].get<std::string>();
        if (what == "add" && pointer.ends_with("/-")) {
          // "/Statement/-" appends: show the index the element gets.
          std::string parent = pointer.substr(0, pointer.size() - 2);
          config::Attributes::json_pointer parent_ptr(parent);
          size_t base =
              b.contains(parent_ptr) && b.at(parent_ptr).is_array() ? b.at(parent_ptr).size() : 0;
          pointer = parent + "/" + std::to_string(base + appended[parent]++);
        }
        config::Attributes::json_pointer ptr(pointer);
        if (what == "add") {
          line("      " + green("+") + " " + pointer_text(k, a, pointer) + " = " +
               nested_text(op["value"]));
        } else if (what == "remove") {
          line("      " + red("-") + " " + pointer_text(k, b, pointer) + " = " +
               nested_text(b.at(ptr)));
        } else {
          line("      " + yellow("~") + " " + pointer_text(k, b, pointer) + " = " +
               nested_text(b.at(ptr)) + " -> " + nested_text(op["value"]));
        }
      }
      if (patch.size() > kMaxRows) {
        line("      # (" + std::to_string(patch.size() - kMaxRows) +
             " more changes: see `lakeinfra show --json` of a saved plan)");
      }
      ++shown;
      continue;
    } else {
      std::string bt = value_text(b), at = value_text(a);
      if (bt == at)
        at += " (changed)";  // two summaries of different values
      row = yellow("~") + " " + key + " = " + bt + " -> " + at;
      if (forces[k] || ((k == "id" || k == "location") && id_forces)) {
        row += " " + red("# forces replacement");
      }
    }
    line("      " + row);
    ++shown;
  }
  if (shown == 0) {
    // e.g. only lakeinfra's marker is missing: the object is repaired, no attribute changes.
    line("      # (no attribute changes: the object is repaired in place)");
  }
  line("    }");
  line("");
}

void Renderer::plan(const planner::Plan& plan) {
  Batch batch(*this);
  for (const auto& n : plan.notes)
    line(bold("Reconciled: ") + n);
  if (!plan.notes.empty())
    line("");

  bool drift = std::any_of(plan.changes.begin(), plan.changes.end(),
                           [](const planner::ResourceChange& c) { return !c.drift.empty(); });
  if (drift) {
    line(bold("Note: Objects have changed outside of lakeinfra"));
    line("");
    line(
        "lakeinfra detected the following changes made outside of lakeinfra since the last "
        "apply:");
    line("");
    for (const auto& c : plan.changes) {
      if (c.drift.empty())
        continue;
      line("  " + bold("# " + c.address.str()) + " has changed");
      for (const auto& d : c.drift) {
        if (d.name == "exists") {
          line("      " + red("-") + " deleted outside lakeinfra");
        } else {
          line("      " + yellow("~") + " " + d.name + " = " + value_text(d.before) + " -> " +
               value_text(d.after));
        }
      }
    }
    line("");
  }

  if (!plan.has_changes()) {
    line(green(bold("No changes.")) + bold(" Your lake matches the configuration."));
    line("");
    line(plan.refreshed
             ? "lakeinfra has compared your real storage against your configuration and found "
               "no differences, so no changes are needed."
             : "lakeinfra has compared your configuration with the recorded state, without "
               "reading the storage (--refresh=false), and found no differences.");
    return;
  }
  line("lakeinfra will perform the following actions:");
  line("");
  for (const auto& c : plan.changes)
    resource_block(c);
  auto n = plan.counts();
  line(bold("Plan:") + " " + std::to_string(n.add) + " to add, " + std::to_string(n.change) +
       " to change, " + std::to_string(n.destroy) + " to destroy.");
}

void Renderer::state_list(const state::Snapshot& snapshot) {
  Batch batch(*this);
  for (const auto& [address, record] : snapshot.resources)
    line(address.str());
}

void Renderer::state_show(const config::ResourceRecord& record) {
  line("# " + record.address.str() + ":");
  line(record.type + " \"" + name_of(record.address) + "\" {");
  config::Attributes j = record.attributes;
  j["id"] = record.provider_id;
  j["provider"] = record.provider;
  size_t width = 0;
  for (const auto& [k, v] : j.items())
    width = std::max(width, k.size());
  for (const auto& [k, v] : j.items()) {
    line("    " + k + std::string(width - k.size(), ' ') + " = " + value_text(v));
  }
  std::string deps;
  for (const auto& d : record.depends_on)
    deps += (deps.empty() ? "" : ", ") + d.str();
  if (!deps.empty())
    line("    # depends on " + deps);
  line("}");
}

ApplyPrinter::ApplyPrinter(Renderer& r, const planner::Plan& plan) : r_(r) {
  ids_.reserve(plan.changes.size());
  for (const auto& c : plan.changes) {
    if (c.desired)
      ids_[c.address.str()] = c.desired->provider_id;
  }
}

void ApplyPrinter::step_started(const config::Address& address, planner::StepKind kind) {
  const char* verb = kind == planner::StepKind::kCreate   ? "Creating..."
                     : kind == planner::StepKind::kUpdate ? "Modifying..."
                                                          : "Destroying...";
  r_.line(r_.bold(address.str() + ":") + " " + verb);
}

void ApplyPrinter::step_finished(const planner::StepResult& result) {
  using planner::StepStatus;
  std::string who = r_.bold(result.address.str() + ":");
  std::string ms = std::to_string(result.elapsed.count()) + "ms";
  if (result.status == StepStatus::kSucceeded) {
    const char* what = result.kind == planner::StepKind::kCreate   ? "Creation complete"
                       : result.kind == planner::StepKind::kUpdate ? "Modifications complete"
                                                                   : "Destruction complete";
    std::string id;
    if (result.kind != planner::StepKind::kDelete) {
      if (auto it = ids_.find(result.address.str()); it != ids_.end())
        id = " [id=" + it->second + "]";
    }
    r_.line(who + " " + what + " after " + ms + id);
  } else if (result.status == StepStatus::kFailed) {
    r_.line(who + " " +
            r_.red(std::string(planner::step_kind_name(result.kind)) + " failed after " + ms +
                   ": " + result.message));
  } else {
    r_.line(who + " " + r_.yellow("Skipped: " + result.message));
  }
}

void render_apply_summary(Renderer& r, const planner::ApplyReport& report, bool destroy) {
  std::string counts = std::to_string(report.added) + " added, " + std::to_string(report.changed) +
                       " changed, " + std::to_string(report.destroyed) + " destroyed";
  r.line("");
  if (report.ok()) {
    r.line(r.green(r.bold(std::string(destroy ? "Destroy" : "Apply") + " complete!")) +
           " Resources: " + (destroy ? std::to_string(report.destroyed) + " destroyed" : counts) +
           ".");
    return;
  }
  const std::string what = destroy ? "Destroy" : "Apply";
  if (report.interrupted && report.failed == 0) {
    r.line(r.yellow(r.bold(what + " interrupted.")) + " Resources: " + counts + "; " +
           std::to_string(report.skipped) + " not started.");
    r.line(
        "Everything that finished is recorded in state; run the same command again to "
        "complete the rest.");
    return;
  }
  r.line(r.red(r.bold(what + " failed.")) + " Resources: " + counts + "; " +
         std::to_string(report.failed) + " failed, " + std::to_string(report.skipped) +
         " skipped.");
  auto list = [&](planner::StepStatus s, const char* label) {
    for (const auto& step : report.steps) {
      if (step.status != s)
        continue;
      std::string text =
          std::string("  ") + label + " " + step_kind_name(step.kind) + " " + step.address.str();
      if (!step.message.empty())
        text += ": " + step.message;
      r.line(text);
    }
  };
  list(planner::StepStatus::kSucceeded, "succeeded:");
  list(planner::StepStatus::kFailed, "failed:   ");
  list(planner::StepStatus::kSkipped, "skipped:  ");
  r.line("Everything that succeeded is recorded in state; fix the failures and run apply again.");
}

}  // namespace lakeinfra::cli
