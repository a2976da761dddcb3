#include "providers/fake_provider.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace lakeinfra::providers {
namespace {

using config::Address;
using config::Attributes;
using config::DesiredResource;
using config::ResourceRecord;

DesiredResource desired(const std::string& id, Attributes attributes = {{"tier", "internal"}}) {
  DesiredResource d;
  d.address = Address("zone", {id});
  d.type = "zone";
  d.provider_id = id;
  d.attributes = std::move(attributes);
  return d;
}

ResourceRecord record(const std::string& id) {
  ResourceRecord r;
  r.address = Address("zone", {id});
  r.type = "zone";
  r.provider = "fake";
  r.provider_id = id;
  return r;
}

TEST(FakeProviderTest, IdentifiesItself) {
  FakeProvider p;
  EXPECT_EQ(p.kind(), "fake");
  EXPECT_TRUE(p.manages("zone"));
  EXPECT_TRUE(p.manages("container"));
  EXPECT_FALSE(p.manages("role"));
  EXPECT_EQ(p.describe("zone", "a/b"), "fake://a/b");
  EXPECT_TRUE(p.requires_replace("zone", "path"));
  EXPECT_FALSE(p.requires_replace("zone", "tier"));
}

TEST(FakeProviderTest, CreateReadUpdateRemove) {
  FakeProvider p;
  auto missing = p.read("zone", "a");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());

  auto created = p.create(desired("a"));
  ASSERT_TRUE(created);
  EXPECT_EQ(*created, Attributes({{"tier", "internal"}}));
  auto observed = p.read("zone", "a");
  ASSERT_TRUE(observed && observed->has_value());
  EXPECT_EQ((*observed)->attributes, Attributes({{"tier", "internal"}}));
  EXPECT_EQ(p.count_data("zone", "a", {}), uint64_t{0});
  EXPECT_FALSE((*observed)->unmanaged);
  EXPECT_EQ(p.objects().at("a").type, "zone");

  auto updated = p.update(record("a"), desired("a", {{"tier", "sensitive"}}));
  ASSERT_TRUE(updated);
  EXPECT_EQ(p.objects().at("a").attributes, Attributes({{"tier", "sensitive"}}));

  ASSERT_TRUE(p.remove(record("a"), false));
  EXPECT_EQ(p.objects().count("a"), 0u);
  EXPECT_TRUE(p.remove(record("a"), false));  // Already gone.

  EXPECT_EQ(p.calls(), (std::vector<std::string>{"read a", "create a", "read a", "count a",
                                                 "update a", "remove a", "remove a"}));
}

TEST(FakeProviderTest, UpdateOfMissingObjectIsNotFound) {
  FakeProvider p;
  auto updated = p.update(record("a"), desired("a"));
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().kind, FailureKind::kNotFound);
  EXPECT_EQ(updated.error().message, "update fake://a: no such object");
}

TEST(FakeProviderTest, RemoveRefusesDataWithoutForce) {
  FakeProvider p;
  ASSERT_TRUE(p.create(desired("a")));
  p.objects()["a"].data_entries = 3;
  EXPECT_EQ(p.count_data("zone", "a", {}), uint64_t{3});

  auto removed = p.remove(record("a"), false);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().kind, FailureKind::kConflict);
  EXPECT_EQ(removed.error().message, "remove fake://a: holds 3 entries; refusing to delete data");
  EXPECT_EQ(p.objects().count("a"), 1u);
  EXPECT_TRUE(p.remove(record("a"), true));
  EXPECT_EQ(p.objects().count("a"), 0u);
}

TEST(FakeProviderTest, FailOnMakesMutationsFail) {
  FakeProvider p;
  ASSERT_TRUE(p.create(desired("a")));
  p.fail_on("a", FailureKind::kAuth);
  p.fail_on("b");

  auto created = p.create(desired("b"));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, FailureKind::kInternal);
  EXPECT_EQ(created.error().message, "create fake://b: injected internal failure");
  EXPECT_EQ(p.objects().count("b"), 0u);

  auto updated = p.update(record("a"), desired("a", {{"tier", "x"}}));
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().kind, FailureKind::kAuth);
  EXPECT_EQ(updated.error().message, "update fake://a: injected authentication failure");
  auto removed = p.remove(record("a"), true);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().kind, FailureKind::kAuth);
  EXPECT_EQ(p.objects().at("a").attributes, Attributes({{"tier", "internal"}}));

  EXPECT_TRUE(p.read("zone", "a"));  // Reads are not affected.
  EXPECT_TRUE(p.create(desired("c")));
}

TEST(FakeProviderTest, MaxConcurrencyCountsParallelMutations) {
  FakeProvider p;
  p.set_delay(std::chrono::milliseconds(100));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&p, i] { (void)p.create(desired("z" + std::to_string(i))); });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_GE(p.max_concurrency(), 2);
  EXPECT_LE(p.max_concurrency(), 4);
  EXPECT_EQ(p.objects().size(), 4u);
  EXPECT_EQ(p.calls().size(), 4u);
}

TEST(FakeProviderTest, SequentialMutationsHaveConcurrencyOne) {
  FakeProvider p;
  p.set_delay(std::chrono::milliseconds(1));
  ASSERT_TRUE(p.create(desired("a")));
  ASSERT_TRUE(p.update(record("a"), desired("a")));
  ASSERT_TRUE(p.remove(record("a"), false));
  EXPECT_EQ(p.max_concurrency(), 1);
}

}  // namespace
}  // namespace lakeinfra::providers
