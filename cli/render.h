#pragma once

#include <cstdio>
#include <string>
#include <unordered_map>

#include "config/diagnostics.h"
#include "config/filesystem.h"
#include "planner/executor.h"
#include "planner/plan.h"
#include "state/state_store.h"

namespace lakeinfra::cli {

/// Human output: colours (when enabled), diagnostics with a source excerpt and caret, plans in
/// Terraform's style, apply progress. Writes to the FILE* it is given.
class Renderer {
 public:
  Renderer(FILE* out, FILE* err, bool color, config::FileSystem& fs)
      : out_(out), err_(err), color_(color), fs_(fs) {}

  /// Every diagnostic to stderr: "Error: summary", the file:line:col, the source line with a
  /// caret under the column, the detail and the hint.
  void diagnostics(const config::Diagnostics& diags);
  /// Reconciliation notes, drift, the changes and the "Plan: ..." summary line.
  void plan(const planner::Plan& plan);
  void state_list(const state::Snapshot& snapshot);
  void state_show(const config::ResourceRecord& record);
  void line(const std::string& text);
  std::string green(const std::string& s) const { return paint("32", s); }
  std::string yellow(const std::string& s) const { return paint("33", s); }
  std::string red(const std::string& s) const { return paint("31", s); }
  std::string bold(const std::string& s) const { return paint("1", s); }

  FILE* out() const { return out_; }
  FILE* err() const { return err_; }

 private:
  /// While one lives, line() collects its lines and writes them 64 KiB at a time, not one
  /// write(2) per line: a 10k-resource plan is 90k lines, and line-buffered into a pipe (CI)
  /// they took half of the plan's time. For output that is ready at once (a plan, a listing);
  /// progress is still written line by line.
  class Batch {
   public:
    explicit Batch(Renderer& r) : r_(r), previous_(r.batch_) { r_.batch_ = &text_; }
    ~Batch() {
      r_.batch_ = previous_;
      r_.write(text_);
    }
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

   private:
    Renderer& r_;
    std::string* previous_;
    std::string text_;
  };

  std::string paint(const char* code, const std::string& s) const;
  void write(std::string& text);
  void resource_block(const planner::ResourceChange& c);
  std::string source_excerpt(const config::Location& loc);

  FILE* out_;
  FILE* err_;
  std::string* batch_ = nullptr;  ///< Where line() collects while a Batch lives.
  bool color_;
  config::FileSystem& fs_;
};

/// Prints "zone.bronze: Creating..." / "Creation complete after 2ms [id=...]" per step.
class ApplyPrinter : public planner::ApplyObserver {
 public:
  ApplyPrinter(Renderer& r, const planner::Plan& plan);
  void step_started(const config::Address& address, planner::StepKind kind) override;
  void step_finished(const planner::StepResult& result) override;

 private:
  Renderer& r_;
  /// Address → the provider id it will have, for "[id=...]" (one lookup per step: a plan of
  /// 100k changes must not be scanned once per step).
  std::unordered_map<std::string, std::string> ids_;
};

/// The closing lines of an apply: "Apply complete! Resources: ..." or the failure summary
/// listing what succeeded, failed and was skipped.
void render_apply_summary(Renderer& r, const planner::ApplyReport& report, bool destroy);

/// A location as people see it: its file relative to the working directory when it is below it.
std::string shown_location(const config::Location& location);

/// Display form of a JSON attribute value: strings quoted, others as JSON.
std::string value_text(const config::Attributes& v);

}  // namespace lakeinfra::cli
