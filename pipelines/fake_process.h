#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include "pipelines/process.h"

namespace lakeinfra::pipelines {

/// A ProcessRunner whose behaviour tests script: each run calls `handler` (which may write
/// files in spec.cwd and emit lines) and returns its outcome. Records every spec.
class FakeProcessRunner : public ProcessRunner {
 public:
  using Handler = std::function<ProcessOutcome(const ProcessSpec&, const LineSink&)>;
  explicit FakeProcessRunner(Handler handler) : handler_(std::move(handler)) {}

  Result<ProcessOutcome> run(const ProcessSpec& spec, const LineSink& on_line) override;
  std::vector<ProcessSpec> runs() const;

 private:
  Handler handler_;
  mutable std::mutex mu_;
  std::vector<ProcessSpec> runs_;
};

}  // namespace lakeinfra::pipelines
