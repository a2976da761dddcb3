#include "planner/executor.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "config/log.h"
#include "planner/graph.h"
#include "planner/records_json.h"

namespace lakeinfra::planner {
namespace {

struct Step {
  const ResourceChange* change;
  StepKind kind;
};

/// Builds the step graph: edges run from what must happen first to what follows.
Graph build_steps(const Plan& plan, std::vector<Step>& steps) {
  Graph g;
  std::unordered_map<std::string, size_t> create_step, delete_step;
  for (const auto& c : plan.changes) {
    auto add = [&](StepKind kind) {
      steps.push_back({&c, kind});
      return g.add_node(std::string(step_kind_name(kind)) + " " + c.address.str());
    };
    switch (c.action) {
      case Action::kNoOp:
        break;
      case Action::kCreate:
        create_step[c.address.str()] = add(StepKind::kCreate);
        break;
      case Action::kUpdate:
        create_step[c.address.str()] = add(StepKind::kUpdate);
        break;
      case Action::kDelete:
        delete_step[c.address.str()] = add(StepKind::kDelete);
        break;
      case Action::kReplace: {
        size_t d = add(StepKind::kDelete);
        size_t n = add(StepKind::kCreate);
        g.add_edge(d, n);
        delete_step[c.address.str()] = d;
        create_step[c.address.str()] = n;
        break;
      }
    }
  }
  for (const auto& c : plan.changes) {
    if (auto mine = create_step.find(c.address.str()); mine != create_step.end() && c.desired) {
      for (const auto& dep : c.desired->depends_on) {
        if (auto it = create_step.find(dep.str()); it != create_step.end()) {
          g.add_edge(it->second, mine->second);
        }
      }
    }
    if (auto mine = delete_step.find(c.address.str()); mine != delete_step.end() && c.prior) {
      for (const auto& dep : c.prior->depends_on) {
        if (auto it = delete_step.find(dep.str()); it != delete_step.end()) {
          g.add_edge(mine->second, it->second);
        }
      }
    }
  }
  return g;
}

class Executor {
 public:
  Executor(const Plan& plan, providers::Provider& provider, state::StateStore& store,
           ApplyObserver& observer, config::Clock& clock, const ApplyOptions& options)
      : plan_(plan),
        provider_(provider),
        store_(store),
        observer_(observer),
        clock_(clock),
        options_(options) {}

  ApplyReport run() {
    graph_ = build_steps(plan_, steps_);
    pending_in_ = graph_.in_degrees();
    blocked_by_.assign(steps_.size(), std::string());
    for (size_t i = 0; i < steps_.size(); ++i) {
      if (pending_in_[i] == 0)
        ready_.push_back(i);
    }
    remaining_ = steps_.size();
    size_t workers = std::min<size_t>(std::max(1, options_.parallelism), steps_.size());
    std::vector<std::thread> pool;
    for (size_t t = 0; t < workers; ++t)
      pool.emplace_back([this] { work(); });
    for (auto& t : pool)
      t.join();
    return std::move(report_);
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait(lock, [this] { return !ready_.empty() || remaining_ == 0; });
      if (remaining_ == 0)
        return;
      size_t i = ready_.front();
      ready_.pop_front();
      StepResult result;
      result.address = steps_[i].change->address;
      result.kind = steps_[i].kind;
      if (!blocked_by_[i].empty()) {
        result.status = StepStatus::kSkipped;
        result.message = "skipped because " + blocked_by_[i] + " failed";
      } else if (options_.cancel && options_.cancel->load()) {
        result.status = StepStatus::kSkipped;
        result.message = "not started: the apply was interrupted";
        report_.interrupted = true;
      } else {
        observer_.step_started(result.address, result.kind);
        lock.unlock();
        auto start = clock_.steady_now();
        std::string error = execute(steps_[i]);
        result.elapsed =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steady_now() - start);
        lock.lock();
        if (!error.empty()) {
          result.status = StepStatus::kFailed;
          result.message = std::move(error);
        }
      }
      finish(i, result);
    }
  }

  /// Called with the lock held.
  void finish(size_t i, const StepResult& result) {
    if (config::Log::enabled(config::LogLevel::kDebug)) {
      static const char* kStatus[] = {"ok", "failed", "skipped"};
      config::Log::write(config::LogLevel::kDebug,
                         std::string("apply: ") + step_kind_name(result.kind) + " " +
                             result.address.str() + " " + kStatus[static_cast<int>(result.status)] +
                             " " + std::to_string(result.elapsed.count()) + "ms" +
                             (result.message.empty() ? "" : ": " + result.message));
    }
    switch (result.status) {
      case StepStatus::kSucceeded:
        if (result.kind == StepKind::kCreate)
          ++report_.added;
        if (result.kind == StepKind::kUpdate)
          ++report_.changed;
        if (result.kind == StepKind::kDelete)
          ++report_.destroyed;
        break;
      case StepStatus::kFailed:
        ++report_.failed;
        break;
      case StepStatus::kSkipped:
        ++report_.skipped;
        break;
    }
    report_.steps.push_back(result);
    observer_.step_finished(result);
    size_t now_ready = 0;
    for (size_t s : graph_.successors(i)) {
      if (result.status != StepStatus::kSucceeded && blocked_by_[s].empty()) {
        blocked_by_[s] =
            result.status == StepStatus::kFailed ? result.address.str() : blocked_by_[i];
      }
      if (--pending_in_[s] == 0) {
        ready_.push_back(s);
        ++now_ready;
      }
    }
    // Wake one idle worker per step made ready (this one takes the next by itself), and all of
    // them at the end. Waking all at every step made them queue on the lock for nothing.
    if (--remaining_ == 0) {
      cv_.notify_all();
    } else {
      for (size_t k = 1; k < now_ready; ++k)
        cv_.notify_one();
    }
  }

  /// Runs one step outside the lock. Returns "" on success, else the failure message.
  std::string execute(const Step& step) {
    const ResourceChange& c = *step.change;
    config::Attributes payload = {{"desired", c.desired ? to_json(*c.desired) : nullptr},
                                  {"prior", c.prior ? to_json(*c.prior) : nullptr}};
    auto intent = store_.begin_intent(c.address, step_kind_name(step.kind), payload);
    if (!intent)
      return "cannot record intent in state: " + intent.error().str();

    if (step.kind == StepKind::kDelete) {
      auto r = provider_.remove(*c.prior, c.force_destroy);
      if (!r)
        return fail_intent(*intent, r.error().message);
      auto removed = store_.remove(c.address, *intent);
      if (!removed)
        return "deleted, but cannot record it in state: " + removed.error().str();
      return {};
    }
    auto r = step.kind == StepKind::kCreate ? provider_.create(*c.desired)
                                            : provider_.update(*c.prior, *c.desired);
    if (!r)
      return fail_intent(*intent, r.error().message);
    config::ResourceRecord record;
    record.address = c.address;
    record.type = c.desired->type;
    record.provider = provider_.kind();
    record.provider_id = c.desired->provider_id;
    record.attributes = *r;
    record.depends_on = c.desired->depends_on;
    auto put = store_.put(record, *intent);
    if (!put)
      return "applied, but cannot record it in state: " + put.error().str();
    return {};
  }

  std::string fail_intent(int64_t intent, const std::string& message) {
    auto r = store_.finish_intent(intent, "failed", message);
    if (!r)
      return message + " (and cannot record the failure in state: " + r.error().str() + ")";
    return message;
  }

  const Plan& plan_;
  providers::Provider& provider_;
  state::StateStore& store_;
  ApplyObserver& observer_;
  config::Clock& clock_;
  const ApplyOptions& options_;

  std::vector<Step> steps_;
  Graph graph_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<size_t> ready_;
  std::vector<size_t> pending_in_;
  std::vector<std::string> blocked_by_;
  size_t remaining_ = 0;
  ApplyReport report_;
};

}  // namespace

const char* step_kind_name(StepKind kind) {
  switch (kind) {
    case StepKind::kCreate:
      return "create";
    case StepKind::kUpdate:
      return "update";
    case StepKind::kDelete:
      return "delete";
  }
  return "create";
}

ApplyReport apply_plan(const Plan& plan, providers::Provider& provider, state::StateStore& store,
                       ApplyObserver& observer, config::Clock& clock, const ApplyOptions& options) {
  return Executor(plan, provider, store, observer, clock, options).run();
}

}  // namespace lakeinfra::planner
