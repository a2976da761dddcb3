#include "planner/planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>

#include "planner/test_support.h"
#include "providers/fake_provider.h"

namespace lakeinfra::planner {
namespace {

using namespace testing;  // NOLINT: test builders
using providers::FakeProvider;

class PlannerTest : public ::testing::Test {
 protected:
  /// Declares bronze (raw, landing) and gold (curated).
  std::vector<config::DesiredResource> lake() {
    return {zone("bronze"), container("bronze", "raw"), container("bronze", "landing"),
            zone("gold", "internal"), container("gold", "curated", "internal")};
  }
  /// Makes the fake world hold exactly `resources`.
  void materialise(const std::vector<config::DesiredResource>& resources) {
    for (const auto& r : resources)
      provider_.objects()[r.provider_id] = {r.type, r.attributes, 0};
  }
  Result<Plan> plan(const std::vector<config::DesiredResource>& desired,
                    const state::Snapshot& snapshot, PlanOptions options = {}) {
    return make_plan(desired, snapshot, provider_, options);
  }
  const ResourceChange& change(const Plan& p, const std::string& address) {
    for (const auto& c : p.changes) {
      if (c.address.str() == address)
        return c;
    }
    ADD_FAILURE() << "no change for " << address;
    static ResourceChange none;
    return none;
  }

  FakeProvider provider_;
};

TEST_F(PlannerTest, EmptyStateCreatesEverythingZonesFirst) {
  auto p = plan(lake(), state::Snapshot{"lin", 0, {}, {}});
  ASSERT_TRUE(p.has_value()) << p.error().str();
  ASSERT_EQ(p->changes.size(), 5u);
  for (const auto& c : p->changes)
    EXPECT_EQ(c.action, Action::kCreate) << c.address.str();
  EXPECT_EQ(p->changes[0].address.str(), "zone.bronze");
  EXPECT_EQ(p->changes[1].address.str(), "zone.gold");
  EXPECT_EQ(p->counts().add, 5);
  EXPECT_EQ(p->lineage, "lin");
  EXPECT_EQ(change(*p, "container.bronze.raw").location_after, "fake://lake-dev-bronze/raw");
}

TEST_F(PlannerTest, AppliedLakeIsANoOp) {
  materialise(lake());
  auto p = plan(lake(), snapshot_of(lake()));
  ASSERT_TRUE(p.has_value()) << p.error().str();
  EXPECT_FALSE(p->has_changes());
  EXPECT_EQ(p->changes.size(), 5u);
  EXPECT_EQ(p->serial, 5);
  // Refresh reads each object once and never walks its data.
  EXPECT_EQ(provider_.calls().size(), 5u);
  for (const auto& call : provider_.calls())
    EXPECT_EQ(call.rfind("read ", 0), 0u) << call;
}

TEST_F(PlannerTest, ObjectDeletedByHandIsPlannedAgainAsDrift) {
  materialise(lake());
  provider_.objects().erase("lake-dev-bronze/raw");
  auto p = plan(lake(), snapshot_of(lake()));
  ASSERT_TRUE(p.has_value()) << p.error().str();
  const auto& c = change(*p, "container.bronze.raw");
  EXPECT_EQ(c.action, Action::kCreate);
  ASSERT_FALSE(c.drift.empty());
  EXPECT_EQ(c.reasons.front(),
            "deleted outside lakeinfra: refresh found nothing at fake://lake-dev-bronze/raw");
  EXPECT_EQ(p->counts().add, 1);
}

TEST_F(PlannerTest, AttributeChangedByHandIsDriftRepairedInPlace) {
  materialise(lake());
  provider_.objects()["lake-dev-gold"].attributes["tier"] = "sensitive";
  auto p = plan(lake(), snapshot_of(lake()));
  ASSERT_TRUE(p.has_value()) << p.error().str();
  const auto& c = change(*p, "zone.gold");
  EXPECT_EQ(c.action, Action::kUpdate);
  ASSERT_EQ(c.drift.size(), 1u);
  EXPECT_EQ(c.drift[0].name, "tier");
  EXPECT_EQ(c.drift[0].before, "internal");
  EXPECT_EQ(c.drift[0].after, "sensitive");
  ASSERT_EQ(c.attribute_changes.size(), 1u);
  EXPECT_EQ(c.attribute_changes[0].before, "sensitive");
  EXPECT_EQ(c.attribute_changes[0].after, "internal");
}

TEST_F(PlannerTest, RefreshStartedEarlyIsUsedAndNotRepeated) {
  materialise(lake());
  auto snapshot = snapshot_of(lake());
  provider_.objects()["lake-dev-gold"].attributes["tier"] = "sensitive";  // drift, read early
  auto early = start_refresh(snapshot, provider_, /*parallelism=*/2);
  early.wait();
  // Anything read after the early refresh would now see the zone deleted: the plan must show
  // what the early refresh saw, without reading again.
  provider_.objects().erase("lake-dev-gold");
  PlanOptions options;
  options.refreshing = &early;
  auto p = plan(lake(), snapshot, options);
  ASSERT_TRUE(p.has_value()) << p.error().str();
  const auto& c = change(*p, "zone.gold");
  EXPECT_EQ(c.action, Action::kUpdate);
  ASSERT_EQ(c.drift.size(), 1u);
  EXPECT_EQ(c.drift[0].after, "sensitive");
  EXPECT_EQ(provider_.calls().size(), 5u);  // the five reads of start_refresh, no more
  EXPECT_FALSE(early.valid());              // taken over by make_plan
}

TEST_F(PlannerTest, RefreshStartedEarlyNeedsNotTheSnapshotToStay) {
  materialise(lake());
  auto snapshot = std::make_unique<state::Snapshot>(snapshot_of(lake()));
  auto early = start_refresh(*snapshot, provider_, /*parallelism=*/2);
  auto kept = std::move(*snapshot);
  snapshot.reset();  // gone while the reads may still run
  PlanOptions options;
  options.refreshing = &early;
  auto p = plan(lake(), kept, options);
  ASSERT_TRUE(p.has_value()) << p.error().str();
  EXPECT_FALSE(p->has_changes());
  EXPECT_EQ(provider_.calls().size(), 5u);
}

TEST_F(PlannerTest, RefreshStartedEarlyOnAnotherSnapshotIsNotTrusted) {
  materialise(lake());
  // The early refresh saw only a silver zone, an address this snapshot lacks.
  auto early = start_refresh(snapshot_of({zone("silver")}), provider_, /*parallelism=*/1);
  PlanOptions options;
  options.refreshing = &early;
  auto p = plan(lake(), snapshot_of(lake()), options);
  ASSERT_TRUE(p.has_value()) << p.error().str();
  EXPECT_FALSE(p->has_changes());
  // One read from the early refresh, then all five of this snapshot.
  EXPECT_EQ(provider_.calls().size(), 6u);
}

TEST_F(PlannerTest, EarlyReadsAreMatchedByAddressTypeAndId) {
  materialise(lake());
  auto snapshot = snapshot_of(lake());
  std::vector<state::ResourceId> ids;
  for (const auto& [address, record] : snapshot.resources)
    ids.push_back({address.str(), record.type, record.provider_id});
  ASSERT_EQ(ids.size(), 5u);
  // Read early: two of the five are left out (as the job registry's objects are), and one was
  // read under an id the record no longer has (its intent was settled since).
  ids.erase(ids.begin() + 3, ids.end());
  ids[0].provider_id = "lake-dev-elsewhere";
  provider_.objects()["lake-dev-gold"].attributes["tier"] = "sensitive";  // drift
  auto early = start_refresh(std::move(ids), provider_, /*parallelism=*/1);
  early.wait();
  EXPECT_EQ(provider_.calls().size(), 3u);
  PlanOptions options;
  options.refreshing = &early;
  auto p = plan(lake(), snapshot, options);
  ASSERT_TRUE(p.has_value()) << p.error().str();
  // The object read under the old id is read again under its own, as are the two left out.
  EXPECT_EQ(provider_.calls().size(), 6u);
  EXPECT_THAT(provider_.calls(), ::testing::Contains("read lake-dev-elsewhere").Times(1));
  EXPECT_THAT(provider_.calls(),
              ::testing::Contains("read " + snapshot.resources.begin()->second.provider_id));
  const auto& gold = change(*p, "zone.gold");
  EXPECT_EQ(gold.action, Action::kUpdate);
  ASSERT_EQ(gold.drift.size(), 1u);
  EXPECT_EQ(p->counts().change, 1);
  EXPECT_EQ(p->counts().add, 0);  // had the read under the old id (nothing there) been used,
                                  // that object would be planned again as deleted by hand
}

TEST_F(PlannerTest, WithoutRefreshTheWorldIsNotRead) {
  materialise(lake());
  provider_.objects().erase("lake-dev-bronze/raw");
  PlanOptions o;
  o.refresh = false;
  auto p = plan(lake(), snapshot_of(lake()), o);
  ASSERT_TRUE(p.has_value()) << p.error().str();
  EXPECT_FALSE(p->has_changes());
  EXPECT_TRUE(provider_.calls().empty());
}

TEST_F(PlannerTest, ConfigChangeIsAnInPlaceUpdateWithReasons) {
  materialise(lake());
  auto desired = lake();
  desired[3].attributes["tier"] = "restricted";  // zone.gold
  auto p = plan(desired, snapshot_of(lake()));
  ASSERT_TRUE(p.has_value()) << p.error().str();
  const auto& c = change(*p, "zone.gold");
  EXPECT_EQ(c.action, Action::kUpdate);
  EXPECT_EQ(c.reasons,
            (std::vector<std::string>{"tier changes from \"internal\" to \"restricted\""}));
  EXPECT_EQ(p->counts().change, 1);
}

TEST_F(PlannerTest, NewPhysicalNameForcesReplacement) {
  materialise(lake());
  auto desired = lake();
  desired[3] = zone("gold", "internal", false, "lake-prod-gold");
  desired[4] = container("gold", "curated", "internal", "lake-prod-gold");
  auto p = plan(desired, snapshot_of(lake()));
  ASSERT_TRUE(p.has_value()) << p.error().str();
  EXPECT_EQ(change(*p, "zone.gold").action, Action::kReplace);
  EXPECT_EQ(change(*p, "container.gold.curated").action, Action::kReplace);
  EXPECT_EQ(change(*p, "zone.gold").reasons.back(),
            "physical name changes from \"lake-dev-gold\" to \"lake-prod-gold\", which forces "
            "replacement");
  auto n = p->counts();
  EXPECT_EQ(n.add, 2);
  EXPECT_EQ(n.destroy, 2);
}

TEST_F(PlannerTest, RenamedZoneKeepingItsPhysicalNameIsRefusedWithStateMvHint) {
  materialise(lake());
  auto desired = lake();
  desired[3] = zone("golden", "internal", false, "lake-dev-gold");
  desired[4] = container("golden", "curated", "internal", "lake-dev-gold");
  auto p = plan(desired, snapshot_of(lake()));
  ASSERT_FALSE(p.has_value());
  ASSERT_EQ(p.error().size(), 2u);
  const auto& d = *p.error().begin();
  EXPECT_EQ(d.summary,
            "zone.golden would take over fake://lake-dev-gold, which zone.gold is deleting");
  EXPECT_EQ(d.hint,
            "if you renamed it, move its state first: `lakeinfra state mv zone.gold "
            "zone.golden`; otherwise give them different physical names");
}

TEST_F(PlannerTest, RemovedEmptyContainerIsDeleted) {
  materialise(lake());
  auto desired = lake();
  desired.erase(desired.begin() + 2);  // container.bronze.landing
  auto p = plan(desired, snapshot_of(lake()));
  ASSERT_TRUE(p.has_value()) << p.error().str();
  const auto& c = change(*p, "container.bronze.landing");
  EXPECT_EQ(c.action, Action::kDelete);
  EXPECT_EQ(c.reasons.front(), "not in the configuration");
  EXPECT_FALSE(c.force_destroy);
}

TEST_F(PlannerTest, RemovedContainerAlreadyDeletedByHandOnlyLeavesTheState) {
  materialise(lake());
  provider_.objects().erase("lake-dev-bronze/landing");
  auto desired = lake();
  desired.erase(desired.begin() + 2);  // container.bronze.landing
  auto p = plan(desired, snapshot_of(lake()));
  ASSERT_TRUE(p.has_value()) << p.error().str();
  const auto& c = change(*p, "container.bronze.landing");
  EXPECT_EQ(c.action, Action::kDelete);
  ASSERT_TRUE(c.prior.has_value());
  EXPECT_EQ(c.prior->provider_id, "lake-dev-bronze/landing");
  EXPECT_EQ(c.reasons, (std::vector<std::string>{
                           "not in the configuration",
                           "already deleted outside lakeinfra; only the state entry is removed"}));
  // The other changes are no-ops, and come in the order of the graph.
  EXPECT_EQ(p->counts().destroy, 1);
  EXPECT_EQ(p->counts().add + p->counts().change, 0);
}

TEST_F(PlannerTest, RemovedContainerHoldingDataIsRefused) {
  materialise(lake());
  provider_.objects()["lake-dev-bronze/landing"].data_entries = 3;
  auto desired = lake();
  desired.erase(desired.begin() + 2);
  auto p = plan(desired, snapshot_of(lake()));
  ASSERT_FALSE(p.has_value());
  ASSERT_EQ(p.error().size(), 1u);
  const auto& d = *p.error().begin();
  EXPECT_EQ(d.address, "container.bronze.landing");
  EXPECT_EQ(d.summary,
            "refusing to delete container.bronze.landing: fake://lake-dev-bronze/landing holds 3 "
            "entries");
  EXPECT_NE(d.hint.find("force_destroy: true"), std::string::npos);
}

TEST_F(PlannerTest, ProtectionStaysWhenTheZoneBlockIsRemovedFromConfig) {
  auto applied = lake();
  applied[3] = zone("gold", "internal", /*force_destroy=*/true);
  materialise(applied);
  provider_.objects()["lake-dev-gold/curated"].data_entries = 1;
  std::vector<config::DesiredResource> desired(applied.begin(), applied.begin() + 3);
  auto p = plan(desired, snapshot_of(applied));
  ASSERT_FALSE(p.has_value());
  // The fake reports data on the container only (the local provider also counts it on the zone).
  ASSERT_EQ(p.error().size(), 1u);
  EXPECT_EQ(
      p.error().begin()->summary,
      "refusing to delete container.gold.curated: fake://lake-dev-gold/curated holds 1 entry");
}

TEST_F(PlannerTest, ForceDestroyMustBeInConfigAndState) {
  auto applied = lake();
  materialise(applied);
  provider_.objects()["lake-dev-gold/curated"].data_entries = 1;
  PlanOptions destroy;
  destroy.destroy = true;

  auto only_config = lake();
  only_config[3] = zone("gold", "internal", true);
  EXPECT_FALSE(plan(only_config, snapshot_of(applied), destroy).has_value());

  auto both = only_config;
  auto p = plan(both, snapshot_of(both), destroy);
  ASSERT_TRUE(p.has_value()) << p.error().str();
  EXPECT_TRUE(change(*p, "container.gold.curated").force_destroy);
  EXPECT_EQ(change(*p, "container.gold.curated").data_entries, 1u);
}

TEST_F(PlannerTest, DestroyDeletesEverythingInState) {
  materialise(lake());
  PlanOptions o;
  o.destroy = true;
  auto p = plan(lake(), snapshot_of(lake()), o);
  ASSERT_TRUE(p.has_value()) << p.error().str();
  EXPECT_EQ(p->counts().destroy, 5);
  EXPECT_TRUE(p->destroy);
  // Listed in the order they run: containers before their zones.
  std::map<std::string, size_t> at;
  for (size_t i = 0; i < p->changes.size(); ++i)
    at[p->changes[i].address.str()] = i;
  EXPECT_LT(at["container.bronze.raw"], at["zone.bronze"]);
  EXPECT_LT(at["container.gold.curated"], at["zone.gold"]);
}

TEST_F(PlannerTest, TargetBringsItsDependencies) {
  PlanOptions o;
  o.targets = {*config::Address::parse("container.bronze.raw")};
  auto p = plan(lake(), state::Snapshot{}, o);
  ASSERT_TRUE(p.has_value()) << p.error().str();
  ASSERT_EQ(p->changes.size(), 2u);
  EXPECT_EQ(p->changes[0].address.str(), "zone.bronze");
  EXPECT_EQ(p->changes[1].address.str(), "container.bronze.raw");
}

TEST_F(PlannerTest, TargetPrefixMatchesEverythingBelowIt) {
  PlanOptions o;
  o.targets = {*config::Address::parse("container.bronze")};
  auto p = plan(lake(), state::Snapshot{}, o);
  ASSERT_TRUE(p.has_value()) << p.error().str();
  EXPECT_EQ(p->changes.size(), 3u);
}

TEST_F(PlannerTest, DestroyTargetBringsItsDependents) {
  materialise(lake());
  PlanOptions o;
  o.destroy = true;
  o.targets = {*config::Address::parse("zone.bronze")};
  auto p = plan(lake(), snapshot_of(lake()), o);
  ASSERT_TRUE(p.has_value()) << p.error().str();
  EXPECT_EQ(p->changes.size(), 3u);
  EXPECT_EQ(p->counts().destroy, 3);
}

TEST_F(PlannerTest, UnknownTargetSuggestsTheClosestAddress) {
  PlanOptions o;
  o.targets = {*config::Address::parse("zone.bronz")};
  auto p = plan(lake(), state::Snapshot{}, o);
  ASSERT_FALSE(p.has_value());
  const auto& d = *p.error().begin();
  EXPECT_EQ(d.summary, "target \"zone.bronz\" matches no resource");
  EXPECT_EQ(d.hint, "did you mean \"zone.bronze\"?");
}

TEST_F(PlannerTest, DependencyOnUndeclaredResourceIsAnError) {
  auto desired = lake();
  desired[1].depends_on = {config::Address("zone", {"nowhere"})};
  auto p = plan(desired, state::Snapshot{});
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().begin()->summary,
            "container.bronze.raw depends on zone.nowhere, which is not declared");
}

TEST_F(PlannerTest, DependencyCycleIsAnError) {
  auto desired = lake();
  desired[0].depends_on = {desired[1].address};
  auto p = plan(desired, state::Snapshot{});
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().begin()->summary,
            "dependency cycle: zone.bronze → container.bronze.raw → zone.bronze");
}

}  // namespace
}  // namespace lakeinfra::planner
