#include "planner/executor.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "planner/planner.h"
#include "planner/test_support.h"
#include "providers/fake_provider.h"
#include "state/memory_store.h"

namespace lakeinfra::planner {
namespace {

using namespace testing;  // NOLINT: test builders

class RecordingObserver : public ApplyObserver {
 public:
  void step_started(const config::Address& a, StepKind k) override {
    events.push_back(std::string("start ") + step_kind_name(k) + " " + a.str());
  }
  void step_finished(const StepResult& r) override {
    events.push_back(std::string("finish ") + step_kind_name(r.kind) + " " + r.address.str());
  }
  std::vector<std::string> events;
};

class ExecutorTest : public ::testing::Test {
 protected:
  ExecutorTest() : store_(state::make_memory_store(clock_, host_)) {}

  std::vector<config::DesiredResource> lake() {
    return {zone("bronze"), container("bronze", "raw"), container("bronze", "landing"),
            zone("gold", "internal"), container("gold", "curated", "internal")};
  }
  ApplyReport apply(const std::vector<config::DesiredResource>& desired, PlanOptions po = {},
                    int parallelism = 10) {
    auto snapshot = store_->load();
    EXPECT_TRUE(snapshot.has_value());
    auto plan = make_plan(desired, *snapshot, provider_, po);
    EXPECT_TRUE(plan.has_value()) << plan.error().str();
    plan_ = *plan;
    ApplyOptions ao;
    ao.parallelism = parallelism;
    return apply_plan(plan_, provider_, *store_, observer_, clock_, ao);
  }
  size_t position(const std::string& call) {
    auto calls = provider_.calls();
    auto it = std::find(calls.begin(), calls.end(), call);
    EXPECT_NE(it, calls.end()) << call;
    return static_cast<size_t>(it - calls.begin());
  }

  config::SystemClock clock_;
  config::RealHostInfo host_;
  std::unique_ptr<state::StateStore> store_;
  providers::FakeProvider provider_;
  RecordingObserver observer_;
  Plan plan_;
};

TEST_F(ExecutorTest, CreatesInDependencyOrderAndCommitsEachResource) {
  auto report = apply(lake());
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.added, 5);
  EXPECT_LT(position("create lake-dev-bronze"), position("create lake-dev-bronze/raw"));
  EXPECT_LT(position("create lake-dev-bronze"), position("create lake-dev-bronze/landing"));
  EXPECT_LT(position("create lake-dev-gold"), position("create lake-dev-gold/curated"));
  auto snapshot = store_->load();
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(snapshot->resources.size(), 5u);
  EXPECT_EQ(snapshot->serial, 5);  // one commit per resource
  EXPECT_TRUE(snapshot->pending.empty());
  EXPECT_EQ(snapshot->resources.at(*config::Address::parse("container.bronze.raw")).provider,
            "fake");
  EXPECT_EQ(observer_.events.size(), 10u);
}

TEST_F(ExecutorTest, SecondApplyHasNothingToDo) {
  ASSERT_TRUE(apply(lake()).ok());
  auto snapshot = store_->load();
  auto plan = make_plan(lake(), *snapshot, provider_, {});
  ASSERT_TRUE(plan.has_value());
  EXPECT_FALSE(plan->has_changes());
}

TEST_F(ExecutorTest, RunsIndependentStepsInParallelUpToTheLimit) {
  std::vector<config::DesiredResource> zones;
  for (int i = 0; i < 12; ++i)
    zones.push_back(zone("z" + std::to_string(i) + "x"));
  provider_.set_delay(std::chrono::milliseconds(30));
  auto report = apply(zones, {}, /*parallelism=*/4);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(provider_.max_concurrency(), 4);
}

TEST_F(ExecutorTest, ParallelismOneIsSequential) {
  provider_.set_delay(std::chrono::milliseconds(5));
  EXPECT_TRUE(apply(lake(), {}, 1).ok());
  EXPECT_EQ(provider_.max_concurrency(), 1);
}

TEST_F(ExecutorTest, FailureSkipsDependentsButNotIndependentSteps) {
  provider_.fail_on("lake-dev-bronze");
  auto report = apply(lake());
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.failed, 1);
  EXPECT_EQ(report.skipped, 2);
  EXPECT_EQ(report.added, 2);  // gold and its container
  for (const auto& s : report.steps) {
    if (s.status == StepStatus::kSkipped) {
      EXPECT_EQ(s.message, "skipped because zone.bronze failed");
    }
  }
  auto snapshot = store_->load();
  EXPECT_EQ(snapshot->resources.size(), 2u);
  EXPECT_TRUE(snapshot->pending.empty()) << "the failed intent is closed";
}

TEST_F(ExecutorTest, DeletesRunBeforeWhatTheyDependOn) {
  ASSERT_TRUE(apply(lake()).ok());
  PlanOptions destroy;
  destroy.destroy = true;
  auto report = apply(lake(), destroy);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.destroyed, 5);
  EXPECT_LT(position("remove lake-dev-bronze/raw"), position("remove lake-dev-bronze"));
  EXPECT_LT(position("remove lake-dev-gold/curated"), position("remove lake-dev-gold"));
  EXPECT_TRUE(store_->load()->resources.empty());
  EXPECT_TRUE(provider_.objects().empty());
}

TEST_F(ExecutorTest, ReplaceDeletesThenCreates) {
  ASSERT_TRUE(apply(lake()).ok());
  auto desired = lake();
  desired[3] = zone("gold", "internal", false, "lake-prod-gold");
  desired[4] = container("gold", "curated", "internal", "lake-prod-gold");
  auto report = apply(desired);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.added, 2);
  EXPECT_EQ(report.destroyed, 2);
  EXPECT_LT(position("remove lake-dev-gold/curated"), position("remove lake-dev-gold"));
  EXPECT_LT(position("remove lake-dev-gold"), position("create lake-prod-gold"));
  EXPECT_LT(position("create lake-prod-gold"), position("create lake-prod-gold/curated"));
  EXPECT_EQ(provider_.objects().count("lake-dev-gold"), 0u);
  auto snapshot = store_->load();
  EXPECT_EQ(snapshot->resources.at(*config::Address::parse("zone.gold")).provider_id,
            "lake-prod-gold");
}

/// Sets a cancel flag as soon as the first step finishes, as a SIGINT handler would.
class CancellingObserver : public ApplyObserver {
 public:
  explicit CancellingObserver(std::atomic<bool>& cancel) : cancel_(cancel) {}
  void step_finished(const StepResult&) override { cancel_ = true; }

 private:
  std::atomic<bool>& cancel_;
};

TEST_F(ExecutorTest, InterruptFinishesStepsInFlightAndStartsNoMore) {
  auto snapshot = store_->load();
  auto plan = make_plan(lake(), *snapshot, provider_, {});
  ASSERT_TRUE(plan.has_value());
  std::atomic<bool> cancel{false};
  CancellingObserver observer(cancel);
  ApplyOptions ao;
  ao.parallelism = 1;
  ao.cancel = &cancel;
  auto report = apply_plan(*plan, provider_, *store_, observer, clock_, ao);
  EXPECT_EQ(report.added, 1);
  EXPECT_EQ(report.skipped, 4);
  EXPECT_TRUE(report.interrupted);
  for (const auto& s : report.steps) {
    if (s.status == StepStatus::kSkipped) {
      EXPECT_TRUE(s.message == "not started: the apply was interrupted" ||
                  s.message.rfind("skipped because", 0) == 0)
          << s.message;
    }
  }
  auto after = store_->load();
  EXPECT_EQ(after->resources.size(), 1u);  // the finished step is recorded
  EXPECT_TRUE(after->pending.empty());
}

TEST_F(ExecutorTest, ProviderRefusalOfDataIsAFailureNotALoss) {
  ASSERT_TRUE(apply(lake()).ok());
  auto snapshot = store_->load();
  PlanOptions destroy;
  destroy.destroy = true;
  auto plan = make_plan(lake(), *snapshot, provider_, destroy);
  ASSERT_TRUE(plan.has_value());
  // Data arrives between plan and apply: the provider refuses, the executor reports it.
  provider_.objects()["lake-dev-bronze/raw"].data_entries = 1;
  auto report = apply_plan(*plan, provider_, *store_, observer_, clock_, {});
  EXPECT_EQ(report.failed, 1);
  EXPECT_EQ(report.skipped, 1);  // zone.bronze waits for its container
  EXPECT_EQ(provider_.objects().count("lake-dev-bronze/raw"), 1u);
  EXPECT_EQ(store_->load()->resources.size(), 2u);
}

}  // namespace
}  // namespace lakeinfra::planner
