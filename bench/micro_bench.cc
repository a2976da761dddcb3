// Micro-benchmarks of lakeinfra's hot paths (issue 6; docs/performance.md), with Google
// Benchmark: loading and validating lake.yaml, rendering the desired resources, building their
// graph, planning without refresh, and recording one resource in the SQLite state. Each runs on
// the synthetic lakes of bench.h (local_shape(n): n resources) for n = 1k, 10k and 100k.
//
// Every input (the YAML text, the parsed lake, the desired resources, the state snapshots, the
// filled state database) is made once per size outside the timed loop and cached, because the
// library calls a benchmark function several times while it settles on an iteration count.
// `make test` runs the 1k cases once (bench_micro_smoke) so they keep compiling and running;
// no timing is ever asserted.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "config/loader.h"
#include "config/memory_filesystem.h"
#include "config/system.h"
#include "planner/desired.h"
#include "planner/planner.h"
#include "planner/records_json.h"
#include "planner/test_support.h"
#include "providers/fake_provider.h"
#include "state/sqlite_store.h"
#include "state/test_support.h"

namespace lakeinfra::bench {
namespace {

/// Where relative paths of the generated lake.yaml resolve (parsing does no I/O under it).
const char* const kBaseDir = "/srv/bench";

/// Each input of size `n`, made on first use.
struct Inputs {
  std::string yaml;
  config::Lake lake;
  std::vector<config::DesiredResource> desired;
  state::Snapshot applied;  ///< every desired resource recorded as apply would have
};

const Inputs* inputs(int n, benchmark::State& state) {
  static std::map<int, std::unique_ptr<Inputs>> cache;
  auto& slot = cache[n];
  if (slot)
    return slot.get();
  auto made = std::make_unique<Inputs>();
  made->yaml = lake_yaml(local_shape(n));
  config::MapEnvironment env;
  auto lake = config::parse_lake(made->yaml, "lake.yaml", kBaseDir, env);
  if (!lake) {
    state.SkipWithError(("the generated lake does not parse: " + lake.error().str()).c_str());
    return nullptr;
  }
  made->lake = std::move(*lake);
  made->desired = planner::desired_resources(made->lake);
  if (static_cast<int>(made->desired.size()) != n) {
    state.SkipWithError("the generated lake does not declare the resources asked for");
    return nullptr;
  }
  made->applied = planner::testing::snapshot_of(made->desired);
  slot = std::move(made);
  return slot.get();
}

void count_resources(benchmark::State& state, int n) {
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["resources"] = n;
}

void BM_ConfigLoadValidate(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const Inputs* in = inputs(n, state);
  if (!in)
    return;
  config::MapEnvironment env;
  for (auto _ : state) {
    auto lake = config::parse_lake(in->yaml, "lake.yaml", kBaseDir, env);
    if (!lake) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(lake);
  }
  count_resources(state, n);
}

// The same lake loaded again while its inputs are unchanged: the lake kept by the first load
// (config/loader.h LoadCache) is decoded instead of lake.yaml being parsed.
void BM_ConfigLoadRemembered(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const Inputs* in = inputs(n, state);
  if (!in)
    return;
  config::MemoryFileSystem fs;
  fs.add_file(std::string(kBaseDir) + "/lake.yaml", in->yaml);
  if (!fs.make_directories(std::string(kBaseDir) + "/.lakeinfra")) {
    state.SkipWithError("cannot make the cache directory");
    return;
  }
  config::MapEnvironment env;
  bool used = false;
  const config::LoadOptions options{std::string(kBaseDir) + "/lake.yaml", std::nullopt};
  const config::LoadCache cache{std::string(kBaseDir) + "/.lakeinfra/lake-cache", "bench", &used};
  if (!config::load_lake(options, fs, env, cache)) {  // keeps the lake
    state.SkipWithError("load failed");
    return;
  }
  for (auto _ : state) {
    auto lake = config::load_lake(options, fs, env, cache);
    if (!lake || !used) {
      state.SkipWithError("the kept lake was not used");
      break;
    }
    benchmark::DoNotOptimize(lake);
  }
  count_resources(state, n);
}

void BM_DesiredResources(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const Inputs* in = inputs(n, state);
  if (!in)
    return;
  for (auto _ : state) {
    auto desired = planner::desired_resources(in->lake);
    benchmark::DoNotOptimize(desired);
  }
  count_resources(state, n);
}

void BM_GraphBuild(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const Inputs* in = inputs(n, state);
  if (!in)
    return;
  for (auto _ : state) {
    auto graph = planner::resource_graph(in->desired);
    if (!graph) {
      state.SkipWithError(("graph failed: " + graph.error().str()).c_str());
      break;
    }
    benchmark::DoNotOptimize(graph);
  }
  count_resources(state, n);
}

/// make_plan without refresh against `snapshot`; `expect_changes` checks the plan is the one
/// meant (a no-op, or everything to create) before the timing counts.
void plan_without_refresh(benchmark::State& state, bool from_empty) {
  const int n = static_cast<int>(state.range(0));
  const Inputs* in = inputs(n, state);
  if (!in)
    return;
  const state::Snapshot empty{"bench-lineage", 0, {}, {}};
  const state::Snapshot& snapshot = from_empty ? empty : in->applied;
  providers::FakeProvider provider;
  planner::PlanOptions options;
  options.refresh = false;
  {
    auto check = planner::make_plan(in->desired, snapshot, provider, options);
    if (!check) {
      state.SkipWithError(("plan failed: " + check.error().str()).c_str());
      return;
    }
    if (check->has_changes() != from_empty || check->changes.size() != in->desired.size()) {
      state.SkipWithError(from_empty ? "the plan from empty state does not create everything"
                                     : "the plan of an applied lake is not a no-op");
      return;
    }
  }
  for (auto _ : state) {
    auto plan = planner::make_plan(in->desired, snapshot, provider, options);
    benchmark::DoNotOptimize(plan);
  }
  count_resources(state, n);
}

void BM_PlanNoRefreshNoop(benchmark::State& state) {
  plan_without_refresh(state, false);
}
void BM_PlanNoRefreshFromEmpty(benchmark::State& state) {
  plan_without_refresh(state, true);
}

/// A SQLite state database in a fresh temporary directory holding the `n` resources of
/// local_shape(n), recorded one put at a time as apply records them. Removed at exit.
struct FilledState {
  state::test::TempDir dir;  // declared first: removed after the store is closed
  config::SystemClock clock;
  config::RealHostInfo host;
  std::unique_ptr<state::StateStore> store;
  int64_t next = 0;  ///< numbers the resources the benchmark adds
};

FilledState* filled_state(int n, benchmark::State& state) {
  static std::map<int, std::unique_ptr<FilledState>> cache;
  auto& slot = cache[n];
  if (slot)
    return slot.get();
  const Inputs* in = inputs(n, state);
  if (!in)
    return nullptr;
  auto made = std::make_unique<FilledState>();
  if (made->dir.path().empty()) {
    state.SkipWithError("cannot make a temporary directory");
    return nullptr;
  }
  auto store = state::open_sqlite_store(made->dir.path() / "state.db", made->clock, made->host);
  if (!store) {
    state.SkipWithError(("cannot open the state: " + store.error().str()).c_str());
    return nullptr;
  }
  made->store = std::move(*store);
  for (const auto& [address, record] : in->applied.resources) {
    if (auto put = made->store->put(record); !put) {
      state.SkipWithError(("cannot fill the state: " + put.error().str()).c_str());
      return nullptr;
    }
  }
  slot = std::move(made);
  return slot.get();
}

/// What the executor does for each finished create: the intent, then the record with the intent
/// marked finished (two transactions). The database already holds `n` records; the figure must
/// not grow with n. Each iteration records a new resource, so the database grows by the number
/// of iterations (a few thousand at most) while it is measured.
void BM_StateCommit(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  FilledState* filled = filled_state(n, state);
  if (!filled)
    return;
  state::StateStore& store = *filled->store;
  const Inputs* in = inputs(n, state);
  // A container like those of the lake, in a zone of its own so its address is new.
  config::ResourceRecord record = planner::testing::record_of(in->desired.back());
  const config::Attributes payload = {{"desired", planner::to_json(in->desired.back())},
                                      {"prior", nullptr}};
  for (auto _ : state) {
    record.address =
        config::Address("container", {"zcommit", "c" + std::to_string(filled->next++)});
    auto intent = store.begin_intent(record.address, "create", payload);
    if (!intent) {
      state.SkipWithError(("begin_intent failed: " + intent.error().str()).c_str());
      break;
    }
    auto serial = store.put(record, *intent);
    if (!serial) {
      state.SkipWithError(("put failed: " + serial.error().str()).c_str());
      break;
    }
    benchmark::DoNotOptimize(serial);
  }
  state.SetItemsProcessed(state.iterations());  // resources recorded per second
  state.counters["resources"] = n;
}

void sizes(benchmark::internal::Benchmark* b) {
  b->Arg(1000)->Arg(10000)->Arg(100000);
}

BENCHMARK(BM_ConfigLoadValidate)->Apply(sizes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConfigLoadRemembered)->Apply(sizes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DesiredResources)->Apply(sizes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GraphBuild)->Apply(sizes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlanNoRefreshNoop)->Apply(sizes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlanNoRefreshFromEmpty)->Apply(sizes)->Unit(benchmark::kMillisecond);
// One commit takes microseconds: shown in µs so the figures stay readable.
BENCHMARK(BM_StateCommit)->Apply(sizes)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace lakeinfra::bench

BENCHMARK_MAIN();
