// The StateStore contract, run against every implementation (in memory and SQLite).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <regex>
#include <thread>

#include "state/memory_store.h"
#include "state/sqlite_store.h"
#include "state/test_support.h"

namespace lakeinfra::state {
namespace {

using config::Address;
using config::ResourceRecord;
using test::FakeHostInfo;
using test::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

/// A ManualClock that runs `on_sleep` each time someone sleeps on it (a lock waiter), so a test
/// can release a lock "while" lock() waits.
class HookedClock : public config::ManualClock {
 public:
  void sleep_for(std::chrono::milliseconds d) override {
    ManualClock::sleep_for(d);
    ++sleeps;
    if (on_sleep)
      on_sleep();
  }
  std::function<void()> on_sleep;
  int sleeps = 0;
};

struct MemoryStore {
  static std::unique_ptr<StateStore> make(config::Clock& clock, config::HostInfo& host,
                                          const TempDir&) {
    return make_memory_store(clock, host);
  }
};

struct SqliteStore {
  static std::unique_ptr<StateStore> make(config::Clock& clock, config::HostInfo& host,
                                          const TempDir& dir) {
    auto store = open_sqlite_store(dir.path() / ".lakeinfra" / "state.db", clock, host);
    EXPECT_TRUE(store) << (store ? "" : store.error().str());
    return store ? std::move(*store) : nullptr;
  }
};

template <typename Factory>
class StateStoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Factory::make(clock_, host_, dir_);
    ASSERT_NE(store_, nullptr);
  }

  static ResourceRecord record(const std::string& address, config::Attributes attrs = {},
                               std::vector<Address> deps = {}) {
    ResourceRecord r;
    r.address = *Address::parse(address);
    r.type = r.address.type();
    r.provider = "local";
    r.provider_id = "lake/" + address;
    r.attributes = attrs.is_null() ? config::Attributes::object() : std::move(attrs);
    r.depends_on = std::move(deps);
    return r;
  }

  Snapshot load() {
    auto s = store_->load();
    EXPECT_TRUE(s) << (s ? "" : s.error().str());
    return s ? *s : Snapshot{};
  }

  TempDir dir_;
  HookedClock clock_;
  FakeHostInfo host_;
  std::unique_ptr<StateStore> store_;
};

using Implementations = ::testing::Types<MemoryStore, SqliteStore>;

class ImplementationNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryStore> ? "Memory" : "Sqlite";
  }
};

TYPED_TEST_SUITE(StateStoreContract, Implementations, ImplementationNames);

TYPED_TEST(StateStoreContract, FreshStoreHasLineageAndSerialZero) {
  Snapshot s = this->load();
  EXPECT_TRUE(std::regex_match(
      s.lineage, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << s.lineage;
  EXPECT_EQ(s.serial, 0);
  EXPECT_TRUE(s.resources.empty());
  EXPECT_TRUE(s.pending.empty());
}

TYPED_TEST(StateStoreContract, PutAndRemoveBumpSerialByOne) {
  EXPECT_EQ(this->store_->put(this->record("zone.bronze")).value(), 1);
  EXPECT_EQ(this->store_->put(this->record("zone.silver")).value(), 2);
  EXPECT_EQ(this->store_->remove(*Address::parse("zone.bronze")).value(), 3);
  Snapshot s = this->load();
  EXPECT_EQ(s.serial, 3);
  ASSERT_EQ(s.resources.size(), 1u);
  EXPECT_EQ(s.resources.begin()->first.str(), "zone.silver");
}

TYPED_TEST(StateStoreContract, LoadAnnouncesEveryIdFirstUnlessIntentsAreUnfinished) {
  ASSERT_TRUE(this->store_->put(this->record("zone.silver", {{"tier", "restricted"}})));
  ASSERT_TRUE(this->store_->put(this->record("zone.bronze", {{"tier", "sensitive"}})));
  ASSERT_TRUE(this->store_->put(
      this->record("container.bronze.raw", {{"name", "raw"}}, {*Address::parse("zone.bronze")})));
  std::vector<std::vector<ResourceId>> announced;
  auto on_ids = [&](std::vector<ResourceId> ids) { announced.push_back(std::move(ids)); };
  auto s = this->store_->load_announcing_ids(on_ids);
  ASSERT_TRUE(s) << s.error().str();
  ASSERT_EQ(announced.size(), 1u);
  EXPECT_EQ(announced[0], (std::vector<ResourceId>{
                              {"container.bronze.raw", "container", "lake/container.bronze.raw"},
                              {"zone.bronze", "zone", "lake/zone.bronze"},
                              {"zone.silver", "zone", "lake/zone.silver"}}));  // address order
  Snapshot plain = this->load();
  EXPECT_EQ(s->serial, plain.serial);
  ASSERT_EQ(s->resources.size(), plain.resources.size());
  for (const auto& [address, record] : plain.resources) {
    EXPECT_EQ(s->resources.at(address).attributes, record.attributes);
    EXPECT_EQ(s->resources.at(address).depends_on, record.depends_on);
  }

  // Settling an unfinished intent may change the records: no ids then.
  ASSERT_TRUE(this->store_->begin_intent(*Address::parse("zone.gold"), "create",
                                         config::Attributes::object()));
  announced.clear();
  auto pending = this->store_->load_announcing_ids(on_ids);
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->pending.size(), 1u);
  EXPECT_TRUE(announced.empty());
}

TYPED_TEST(StateStoreContract, LoadReturnsRecordsIntact) {
  config::Attributes attrs = {{"name", "healthetl-dev01-bronze"},
                              {"versioning", true},
                              {"retention_days", 30},
                              {"tags", {{"owner", "data"}, {"env", "dev"}}}};
  ResourceRecord in = this->record("container.bronze.raw", attrs,
                                   {*Address::parse("zone.bronze"), *Address::parse("role.etl")});
  ASSERT_TRUE(this->store_->put(in));
  Snapshot s = this->load();
  ASSERT_EQ(s.resources.count(in.address), 1u);
  const ResourceRecord& out = s.resources.at(in.address);
  EXPECT_EQ(out.address, in.address);
  EXPECT_EQ(out.type, "container");
  EXPECT_EQ(out.provider, "local");
  EXPECT_EQ(out.provider_id, "lake/container.bronze.raw");
  EXPECT_EQ(out.attributes, attrs);
  ASSERT_EQ(out.depends_on.size(), 2u);
  EXPECT_EQ(out.depends_on[0].str(), "zone.bronze");
  EXPECT_EQ(out.depends_on[1].str(), "role.etl");
}

TYPED_TEST(StateStoreContract, PutReplaces) {
  ASSERT_TRUE(this->store_->put(this->record("zone.bronze", {{"v", 1}})));
  ResourceRecord second = this->record("zone.bronze", {{"v", 2}});
  second.provider = "s3";
  ASSERT_TRUE(this->store_->put(second));
  Snapshot s = this->load();
  ASSERT_EQ(s.resources.size(), 1u);
  EXPECT_EQ(s.resources.begin()->second.attributes, (config::Attributes{{"v", 2}}));
  EXPECT_EQ(s.resources.begin()->second.provider, "s3");
  EXPECT_EQ(s.serial, 2);
}

TYPED_TEST(StateStoreContract, RemoveOfAbsentIsNoOpUnlessJournalled) {
  Address absent = *Address::parse("zone.absent");
  EXPECT_EQ(this->store_->remove(absent).value(), 0);
  EXPECT_EQ(this->load().serial, 0);

  int64_t intent = this->store_->begin_intent(absent, "delete", {{"name", "x"}}).value();
  EXPECT_EQ(this->store_->remove(absent, intent).value(), 1);
  Snapshot s = this->load();
  EXPECT_EQ(s.serial, 1);
  EXPECT_TRUE(s.pending.empty());
}

TYPED_TEST(StateStoreContract, JournalPendingUntilPutRemoveOrFinish) {
  auto& store = *this->store_;
  Address a = *Address::parse("zone.a"), b = *Address::parse("zone.b"),
          c = *Address::parse("zone.c");
  int64_t ia = store.begin_intent(a, "create", {{"name", "a"}}).value();
  this->clock_.advance(std::chrono::seconds(1));
  int64_t ib = store.begin_intent(b, "create", {{"name", "b"}}).value();
  int64_t ic = store.begin_intent(c, "update", {{"name", "c"}}).value();

  Snapshot s = this->load();
  ASSERT_EQ(s.pending.size(), 3u);
  EXPECT_EQ(s.pending[0].id, ia);
  EXPECT_EQ(s.pending[0].address, a);
  EXPECT_EQ(s.pending[0].action, "create");
  EXPECT_EQ(s.pending[0].payload, (config::Attributes{{"name", "a"}}));
  EXPECT_EQ(s.pending[0].started_at, "2023-11-14T22:13:20Z");
  EXPECT_FALSE(s.pending[0].finished);
  EXPECT_EQ(s.pending[1].id, ib);
  EXPECT_EQ(s.pending[1].started_at, "2023-11-14T22:13:21Z");
  EXPECT_EQ(s.pending[2].id, ic);

  ASSERT_TRUE(store.put(this->record("zone.a"), ia));
  s = this->load();
  ASSERT_EQ(s.pending.size(), 2u);
  EXPECT_EQ(s.pending[0].id, ib);

  ASSERT_TRUE(store.finish_intent(ib, "failed", "access denied"));
  ASSERT_TRUE(store.remove(a, ic));
  s = this->load();
  EXPECT_TRUE(s.pending.empty());
  EXPECT_EQ(s.serial, 2);  // finish_intent does not change resources, so not the serial

  auto again = store.finish_intent(ib, "reconciled", "");
  ASSERT_FALSE(again);
  EXPECT_THAT(again.error().str(),
              HasSubstr("journal entry " + std::to_string(ib) + " is not pending"));
}

TYPED_TEST(StateStoreContract, PutWithUnknownJournalIdChangesNothing) {
  auto put = this->store_->put(this->record("zone.bronze"), 999);
  ASSERT_FALSE(put);
  EXPECT_THAT(put.error().str(), HasSubstr("(put zone.bronze): journal entry 999 is not pending"));
  Snapshot s = this->load();
  EXPECT_EQ(s.serial, 0);
  EXPECT_TRUE(s.resources.empty());
}

TYPED_TEST(StateStoreContract, RunsHistory) {
  auto& store = *this->store_;
  int64_t first = store.begin_run("apply").value();
  this->clock_.advance(std::chrono::seconds(5));
  RunRecord summary;
  summary.status = "ok";
  summary.added = 3;
  summary.changed = 1;
  ASSERT_TRUE(store.end_run(first, summary));
  int64_t second = store.begin_run("destroy").value();
  EXPECT_NE(first, second);

  auto runs = store.history().value();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, first);
  EXPECT_EQ(runs[0].command, "apply");
  EXPECT_EQ(runs[0].started_at, "2023-11-14T22:13:20Z");
  EXPECT_EQ(runs[0].finished_at, "2023-11-14T22:13:25Z");
  EXPECT_EQ(runs[0].status, "ok");
  EXPECT_EQ(runs[0].added, 3);
  EXPECT_EQ(runs[0].changed, 1);
  EXPECT_EQ(runs[0].destroyed, 0);
  EXPECT_EQ(runs[1].command, "destroy");
  EXPECT_EQ(runs[1].status, "running");
  EXPECT_EQ(runs[1].finished_at, "");

  EXPECT_FALSE(store.end_run(12345, summary));
}

TYPED_TEST(StateStoreContract, LockUnlockAndCurrentLock) {
  auto& store = *this->store_;
  EXPECT_EQ(store.current_lock().value(), std::nullopt);
  Lease lease = store.lock({"apply", {}}).value();
  EXPECT_TRUE(lease.warnings.empty());
  EXPECT_TRUE(std::regex_match(lease.info.id, std::regex("[0-9a-f]{16}"))) << lease.info.id;
  EXPECT_EQ(lease.info.pid, 100);
  EXPECT_EQ(lease.info.host, "host-a");
  EXPECT_EQ(lease.info.user, "alice");
  EXPECT_EQ(lease.info.command, "apply");
  EXPECT_EQ(lease.info.started_at, "2023-11-14T22:13:20Z");

  auto current = store.current_lock().value();
  ASSERT_TRUE(current);
  EXPECT_EQ(current->id, lease.info.id);
  EXPECT_EQ(current->command, "apply");

  auto wrong = store.unlock("0000000000000000");
  ASSERT_FALSE(wrong);
  EXPECT_THAT(wrong.error().str(), HasSubstr("the current lock is " + lease.info.id));
  ASSERT_TRUE(store.unlock(lease.info.id));
  EXPECT_EQ(store.current_lock().value(), std::nullopt);

  auto not_locked = store.unlock(lease.info.id);
  ASSERT_FALSE(not_locked);
  EXPECT_THAT(not_locked.error().str(), HasSubstr("the state is not locked"));

  // The lock can be taken again once released.
  EXPECT_TRUE(store.lock({"destroy", {}}));
}

TYPED_TEST(StateStoreContract, ForceUnlockNeedsTheCurrentId) {
  auto& store = *this->store_;
  auto none = store.force_unlock("0123456789abcdef");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().items()[0].summary,
            "cannot force-unlock 0123456789abcdef: the state is not locked");

  Lease lease = store.lock({"apply", {}}).value();
  auto wrong = store.force_unlock("0123456789abcdef");
  ASSERT_FALSE(wrong);
  EXPECT_THAT(wrong.error().items()[0].summary,
              HasSubstr("cannot force-unlock 0123456789abcdef: the current lock is " +
                        lease.info.id + ", held by pid 100"));

  this->host_.set_pid(200);  // another process of the same user breaks the lock
  ASSERT_TRUE(store.force_unlock(lease.info.id));
  EXPECT_EQ(store.current_lock().value(), std::nullopt);
}

TYPED_TEST(StateStoreContract, SecondLockWhileHeldFailsNamingHolderAndId) {
  auto& store = *this->store_;
  Lease first = store.lock({"apply", {}}).value();
  this->host_.set_pid(200);
  this->host_.set_user("bob");
  auto second = store.lock({"destroy", {}});
  ASSERT_FALSE(second);
  ASSERT_EQ(second.error().size(), 1u);
  const config::Diagnostic& d = second.error().items()[0];
  EXPECT_EQ(d.severity, config::Severity::kError);
  EXPECT_EQ(d.summary,
            "state is locked by pid 100 (alice@host-a) running \"apply\" since "
            "2023-11-14T22:13:20Z");
  EXPECT_THAT(d.hint, HasSubstr("lock id " + first.info.id));
  EXPECT_THAT(d.hint, HasSubstr("`lakeinfra force-unlock " + first.info.id + "`"));
  EXPECT_THAT(d.hint, HasSubstr("--lock-timeout"));
  EXPECT_EQ(this->clock_.sleeps, 0);  // timeout 0: no waiting
  EXPECT_EQ(store.current_lock().value()->id, first.info.id);
}

TYPED_TEST(StateStoreContract, LockWithTimeoutWaitsThenFails) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.lock({"apply", {}}));
  this->host_.set_pid(200);
  auto start = this->clock_.steady_now();
  auto second = store.lock({"destroy", std::chrono::seconds(2)});
  ASSERT_FALSE(second);
  EXPECT_EQ(this->clock_.steady_now() - start, std::chrono::seconds(2));
  EXPECT_EQ(this->clock_.sleeps, 20);  // every 100 ms
  EXPECT_THAT(second.error().items()[0].summary, HasSubstr("state is locked by pid 100"));
  EXPECT_EQ(second.error().items()[0].detail,
            "its last heartbeat was 2s ago (a running apply sends one every 30s); "
            "waited 2s for it to be released");
}

TYPED_TEST(StateStoreContract, LockWithTimeoutSucceedsWhenReleased) {
  auto& store = *this->store_;
  Lease first = store.lock({"apply", {}}).value();
  this->host_.set_pid(200);
  this->clock_.on_sleep = [&] {
    if (this->clock_.sleeps == 3) {
      EXPECT_TRUE(store.unlock(first.info.id));
    }
  };
  auto second = store.lock({"destroy", std::chrono::seconds(10)});
  ASSERT_TRUE(second) << second.error().str();
  EXPECT_EQ(second->info.pid, 200);
  EXPECT_TRUE(second->warnings.empty());
  EXPECT_EQ(this->clock_.sleeps, 3);
}

TYPED_TEST(StateStoreContract, DeadHolderOnThisHostIsReclaimedWithWarning) {
  auto& store = *this->store_;
  ASSERT_TRUE(store.lock({"apply", {}}));
  this->host_.kill(100);
  this->host_.set_pid(200);
  auto lease = store.lock({"destroy", {}});
  ASSERT_TRUE(lease) << lease.error().str();
  EXPECT_EQ(lease->info.pid, 200);
  ASSERT_EQ(lease->warnings.size(), 1u);
  const config::Diagnostic& w = lease->warnings.items()[0];
  EXPECT_EQ(w.severity, config::Severity::kWarning);
  EXPECT_EQ(w.summary,
            "reclaimed the state lock of process 100 (apply, started 2023-11-14T22:13:20Z), "
            "which is no longer running");
  EXPECT_EQ(store.current_lock().value()->id, lease->info.id);
}

TYPED_TEST(StateStoreContract, HeartbeatMovesAndNeedsTheCurrentLock) {
  auto& store = *this->store_;
  Lease lease = store.lock({"apply", {}}).value();
  EXPECT_EQ(store.current_lock().value()->heartbeat_at, "2023-11-14T22:13:20Z");
  this->clock_.sleep_for(std::chrono::seconds(30));
  ASSERT_TRUE(store.heartbeat(lease.info.id));
  EXPECT_EQ(store.current_lock().value()->heartbeat_at, "2023-11-14T22:13:50Z");
  EXPECT_EQ(store.current_lock().value()->started_at, "2023-11-14T22:13:20Z");

  auto wrong = store.heartbeat("ffffffffffffffff");
  ASSERT_FALSE(wrong);
  EXPECT_THAT(
      wrong.error().items()[0].summary,
      HasSubstr("cannot keep the lock ffffffffffffffff: the current lock is " + lease.info.id));
  ASSERT_TRUE(store.force_unlock(lease.info.id));
  auto gone = store.heartbeat(lease.info.id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().items()[0].summary,
            "cannot keep the lock " + lease.info.id + ": the state is not locked");
}

// A holder on another host is never taken over, but one whose heartbeat stopped long ago is
// called expired, with force-unlock as the way out.
TYPED_TEST(StateStoreContract, LockWithAnOldHeartbeatIsReportedExpired) {
  auto& store = *this->store_;
  this->host_.set_host("ci-runner-7");
  Lease remote = store.lock({"apply", {}}).value();
  this->host_.set_host("host-a");
  this->clock_.sleep_for(std::chrono::seconds(60));
  ASSERT_TRUE(store.heartbeat(remote.info.id));
  this->clock_.sleep_for(std::chrono::seconds(100));  // 100 s since the beat: not expired yet
  auto young = store.lock({"apply", {}});
  ASSERT_FALSE(young);
  EXPECT_THAT(young.error().items()[0].summary, Not(HasSubstr("expired")));
  EXPECT_EQ(young.error().items()[0].detail,
            "its last heartbeat was 1m40s ago (a running apply sends one every 30s)");

  this->clock_.sleep_for(std::chrono::seconds(332));  // 7m12s since the beat
  auto old = store.lock({"apply", {}});
  ASSERT_FALSE(old);
  const config::Diagnostic& d = old.error().items()[0];
  EXPECT_EQ(d.summary,
            "state is locked by pid 100 (alice@ci-runner-7) running \"apply\" since "
            "2023-11-14T22:13:20Z, whose lock has expired");
  EXPECT_EQ(d.detail,
            "its last heartbeat was 7m12s ago (a running apply sends one every 30s): that run has "
            "most likely died");
  EXPECT_THAT(d.hint, HasSubstr("`lakeinfra force-unlock " + remote.info.id + "`"));
  EXPECT_THAT(d.hint, HasSubstr("the journal resumes its unfinished steps"));
  EXPECT_EQ(store.current_lock().value()->id, remote.info.id);  // still not taken over
}

TYPED_TEST(StateStoreContract, LockHeartbeatBeatsOnItsOwnThreadUntilDestroyed) {
  auto& store = *this->store_;
  Lease lease = store.lock({"apply", {}}).value();
  int beats = 0;
  {
    LockHeartbeat heartbeat(store, lease.info.id, std::chrono::milliseconds(5));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (heartbeat.beats() < 3 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    beats = heartbeat.beats();
    ASSERT_GE(beats, 3);
    // A force-unlock by someone else makes the beats fail; they are logged, not fatal.
    ASSERT_TRUE(store.force_unlock(lease.info.id));
    int before = heartbeat.beats();
    while (heartbeat.beats() < before + 2 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_GE(heartbeat.beats(), before + 2);
  }
  EXPECT_FALSE(store.current_lock().value());
}

TYPED_TEST(StateStoreContract, HolderOnAnotherHostIsNeverReclaimed) {
  auto& store = *this->store_;
  this->host_.set_host("host-b");
  Lease remote = store.lock({"apply", {}}).value();
  this->host_.set_host("host-a");
  this->host_.kill(100);  // a pid of host-b says nothing about host-a's processes
  auto lease = store.lock({"apply", std::chrono::milliseconds(500)});
  ASSERT_FALSE(lease);
  EXPECT_THAT(lease.error().items()[0].summary, HasSubstr("(alice@host-b)"));
  EXPECT_EQ(store.current_lock().value()->id, remote.info.id);
}

TYPED_TEST(StateStoreContract, ConcurrentPutsFromManyThreads) {
  constexpr int kThreads = 8, kPuts = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPuts; ++i) {
        auto r = this->record("zone.t" + std::to_string(t) + "_" + std::to_string(i), {{"i", i}});
        if (!this->store_->put(r))
          ++failures;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  Snapshot s = this->load();
  EXPECT_EQ(s.serial, kThreads * kPuts);
  EXPECT_EQ(s.resources.size(), static_cast<size_t>(kThreads * kPuts));
}

// The executor's workers record their steps at the same time: each call must land, or fail, on
// its own, whatever the others do (the SQLite store commits concurrent writes together).
TYPED_TEST(StateStoreContract, ConcurrentResourceStepsLandOrFailEachOnItsOwn) {
  constexpr int kThreads = 8, kSteps = 60;
  std::vector<std::thread> threads;
  std::atomic<int> unexpected{0};
  std::vector<std::vector<int64_t>> serials(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSteps; ++i) {
        std::string name = "zone.t" + std::to_string(t) + "_" + std::to_string(i);
        Address address = *Address::parse(name);
        auto intent = this->store_->begin_intent(address, "create", {{"i", i}});
        if (!intent) {
          ++unexpected;
          continue;
        }
        switch (i % 4) {
          case 0:
          case 1:  // applied
            if (auto put = this->store_->put(this->record(name, {{"i", i}}), *intent))
              serials[t].push_back(*put);
            else
              ++unexpected;
            break;
          case 2:  // failed
            if (!this->store_->finish_intent(*intent, "failed", "boom " + name))
              ++unexpected;
            break;
          case 3: {  // a put naming a journal entry that is not pending fails, changing nothing
            auto put = this->store_->put(this->record(name), *intent + 1'000'000);
            if (put || put.error().str().find("is not pending") == std::string::npos)
              ++unexpected;
            break;  // its own intent stays pending
          }
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(unexpected.load(), 0);

  std::vector<int64_t> all;
  for (const auto& s : serials)
    all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end())
      << "a serial was handed out twice";
  Snapshot s = this->load();
  EXPECT_EQ(s.serial, kThreads * kSteps / 2);
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kSteps / 2));
  EXPECT_EQ(all.back(), s.serial);
  EXPECT_EQ(s.resources.size(), static_cast<size_t>(kThreads * kSteps / 2));
  for (const auto& [address, record] : s.resources) {
    int i = record.attributes.at("i").template get<int>();
    EXPECT_LT(i % 4, 2) << address.str();
  }
  ASSERT_EQ(s.pending.size(), static_cast<size_t>(kThreads * kSteps / 4));
  for (const auto& p : s.pending)
    EXPECT_EQ(p.payload.at("i").template get<int>() % 4, 3) << p.address.str();
}

// The job registry (StateStore::jobs()).

JobRecord job(const std::string& name, nlohmann::json definition = {{"pipeline", "etl"}}) {
  JobRecord r;
  r.name = name;
  r.definition = std::move(definition);
  return r;
}

std::vector<std::string> names_of(const std::vector<JobRecord>& jobs) {
  std::vector<std::string> out;
  for (const auto& j : jobs)
    out.push_back(j.name);
  return out;
}

TYPED_TEST(StateStoreContract, FreshStoreHasNoJobs) {
  EXPECT_TRUE(this->store_->jobs().list().value().empty());
  EXPECT_EQ(this->store_->jobs().get("nightly").value(), std::nullopt);
}

TYPED_TEST(StateStoreContract, JobsPutGetAndListByNameWithoutMovingTheSerial) {
  JobRegistry& jobs = this->store_->jobs();
  // Bytewise order: upper case before lower case, UTF-8 after ASCII.
  for (const char* name : {"nightly", "Backfill", "élan", "adhoc", "hourly"}) {
    ASSERT_TRUE(jobs.put(job(name, {{"pipeline", name}})));
  }
  EXPECT_THAT(names_of(jobs.list().value()),
              ::testing::ElementsAre("Backfill", "adhoc", "hourly", "nightly", "élan"));

  auto got = jobs.get("hourly").value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "hourly");
  EXPECT_EQ(got->definition, (nlohmann::json{{"pipeline", "hourly"}}));
  EXPECT_EQ(got->registered_at, "2023-11-14T22:13:20Z");
  EXPECT_EQ(got->updated_at, "2023-11-14T22:13:20Z");
  EXPECT_EQ(jobs.get("Hourly").value(), std::nullopt);  // names are case-sensitive

  EXPECT_EQ(this->load().serial, 0);  // jobs are not resources
}

TYPED_TEST(StateStoreContract, JobReplaceKeepsRegisteredAtAndMovesUpdatedAt) {
  JobRegistry& jobs = this->store_->jobs();
  ASSERT_TRUE(jobs.put(job("nightly", {{"commit", "aaa"}})));
  this->clock_.advance(std::chrono::seconds(90));
  JobRecord second = job("nightly", {{"commit", "bbb"}});
  second.registered_at = "1999-01-01T00:00:00Z";  // the registry's to set, not the caller's
  second.updated_at = "1999-01-01T00:00:00Z";
  ASSERT_TRUE(jobs.put(second));

  auto all = jobs.list().value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].definition, (nlohmann::json{{"commit", "bbb"}}));
  EXPECT_EQ(all[0].registered_at, "2023-11-14T22:13:20Z");
  EXPECT_EQ(all[0].updated_at, "2023-11-14T22:14:50Z");
}

TYPED_TEST(StateStoreContract, JobRemoveAndRemoveOfAbsent) {
  JobRegistry& jobs = this->store_->jobs();
  ASSERT_TRUE(jobs.put(job("nightly")));
  ASSERT_TRUE(jobs.put(job("hourly")));
  ASSERT_TRUE(jobs.remove("nightly"));
  EXPECT_EQ(jobs.get("nightly").value(), std::nullopt);
  EXPECT_THAT(names_of(jobs.list().value()), ::testing::ElementsAre("hourly"));

  EXPECT_TRUE(jobs.remove("nightly"));  // already gone
  EXPECT_TRUE(jobs.remove("never-registered"));
  EXPECT_THAT(names_of(jobs.list().value()), ::testing::ElementsAre("hourly"));

  // A job registered again after removal is a new registration.
  this->clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(jobs.put(job("nightly")));
  EXPECT_EQ(jobs.get("nightly").value()->registered_at, "2023-11-14T22:13:21Z");
}

TYPED_TEST(StateStoreContract, JobDefinitionRoundTripsNestedJsonAndUnicode) {
  nlohmann::json definition = {
      {"pipeline", "ingest-zürich"},
      {"repo", "https://git.example.com/データ/lake.git"},
      {"schedule", {{"cron", "0 3 * * *"}, {"timezone", "Europe/Zürich"}}},
      {"activities",
       {{{"name", "extract 🚀"}, {"depends_on", nlohmann::json::array()}, {"retries", 3}},
        {{"name", "load"}, {"depends_on", {"extract 🚀"}}, {"timeout_s", 0.25}}}},
      {"artifacts",
       {{"main.py",
         {{"location", "/lake/artifacts/ab/main.py"}, {"sha256", std::string(64, 'a')}}}}},
      {"escapes", "quote \" backslash \\ newline \n tab \t nul " + std::string(1, '\0') + "."},
      {"numbers", {-42, 18446744073709551615ull, 1e-300, 0}},
      {"flags", {{"on", true}, {"off", false}, {"none", nullptr}}},
      {"empty", nlohmann::json::object()},
  };
  JobRegistry& jobs = this->store_->jobs();
  ASSERT_TRUE(jobs.put(job("ingest-zürich", definition)));
  auto got = jobs.get("ingest-zürich").value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->definition, definition);
  EXPECT_EQ(got->definition.dump(), definition.dump());
  auto all = jobs.list().value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "ingest-zürich");
  EXPECT_EQ(all[0].definition, definition);
}

TYPED_TEST(StateStoreContract, JobPutRefusesNoNameAndUnsavableDefinition) {
  JobRegistry& jobs = this->store_->jobs();
  auto unnamed = jobs.put(job(""));
  ASSERT_FALSE(unnamed);
  EXPECT_THAT(unnamed.error().items()[0].summary, HasSubstr("(put job ): the job has no name"));

  auto bad = jobs.put(job("nightly", {{"repo", std::string("\xff\xfe")}}));
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().items()[0].summary,
              HasSubstr("(put job nightly): the definition of job nightly cannot be saved as "
                        "JSON"));
  EXPECT_TRUE(jobs.list().value().empty());
}

// The executor registers jobs from worker threads while other workers commit resources.
TYPED_TEST(StateStoreContract, ConcurrentJobPutsAlongsideResourceCommits) {
  constexpr int kThreads = 8, kRounds = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      JobRegistry& jobs = this->store_->jobs();
      for (int i = 0; i < kRounds; ++i) {
        std::string name = "job.t" + std::to_string(t) + "_" + std::to_string(i);
        if (!jobs.put(job(name, {{"t", t}, {"i", i}})))
          ++failures;
        if (!jobs.put(job("shared", {{"t", t}})))  // every thread replaces the same row
          ++failures;
        if (!this->store_->put(
                this->record("zone.t" + std::to_string(t) + "_" + std::to_string(i))))
          ++failures;
        if (i % 2 == 1 && !jobs.remove(name))
          ++failures;
        if (!jobs.list())
          ++failures;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  std::vector<JobRecord> all = this->store_->jobs().list().value();
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kRounds / 2 + 1));
  for (const JobRecord& j : all) {
    if (j.name == "shared")
      continue;
    int i = j.definition.at("i").get<int>();
    EXPECT_EQ(i % 2, 0) << j.name;
    EXPECT_EQ(j.name,
              "job.t" + std::to_string(j.definition.at("t").get<int>()) + "_" + std::to_string(i));
  }
  Snapshot s = this->load();
  EXPECT_EQ(s.serial, kThreads * kRounds);
  EXPECT_EQ(s.resources.size(), static_cast<size_t>(kThreads * kRounds));
}

}  // namespace
}  // namespace lakeinfra::state
