#include "pipelines/fake_process.h"

#include <exception>
#include <string>

namespace lakeinfra::pipelines {

Result<ProcessOutcome> FakeProcessRunner::run(const ProcessSpec& spec, const LineSink& on_line) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    runs_.push_back(spec);
  }
  // The handler runs unlocked, so concurrent runs really overlap (and a handler may call runs()).
  if (!handler_)
    return ProcessOutcome{};
  try {
    return handler_(spec, on_line);
  } catch (const std::exception& e) {
    return fail("fake process " + (spec.argv.empty() ? std::string() : spec.argv.front()) +
                " threw: " + e.what());
  }
}

std::vector<ProcessSpec> FakeProcessRunner::runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_;
}

}  // namespace lakeinfra::pipelines
