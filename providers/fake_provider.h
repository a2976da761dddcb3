#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "providers/provider.h"

namespace lakeinfra::providers {

/// An in-memory provider for planner and executor tests. It manages "zone" and "container",
/// keeps objects in a map keyed by provider_id, records every call, and can be told to fail
/// or to be slow. Thread-safe.
class FakeProvider : public Provider {
 public:
  struct Object {
    std::string type;
    config::Attributes attributes = config::Attributes::object();
    uint64_t data_entries = 0;
  };

  std::string kind() const override { return "fake"; }
  bool manages(const std::string& type) const override;
  std::string describe(const std::string& type, const std::string& provider_id) const override;
  ProviderResult<std::optional<Observed>> read(const std::string& type,
                                               const std::string& provider_id) override;
  /// The object's data_entries (0 when missing); recorded as "count ID".
  ProviderResult<uint64_t> count_data(const std::string& type, const std::string& provider_id,
                                      const std::set<std::string>& excluding) override;
  /// "path" forces replacement; everything else is updatable in place.
  bool requires_replace(const std::string& type, const std::string& attribute) const override;
  ProviderResult<config::Attributes> create(const config::DesiredResource& desired) override;
  ProviderResult<config::Attributes> update(const config::ResourceRecord& prior,
                                            const config::DesiredResource& desired) override;
  ProviderResult<void> remove(const config::ResourceRecord& prior, bool force) override;

  // --- test controls ---
  /// Every mutation on this provider_id fails with `kind`.
  void fail_on(const std::string& provider_id, FailureKind kind = FailureKind::kInternal);
  /// Every mutation sleeps this long (to observe parallelism).
  void set_delay(std::chrono::milliseconds delay) { delay_ = delay; }
  /// Direct access to the simulated world (to simulate drift or data).
  std::map<std::string, Object>& objects() { return objects_; }
  /// Calls in order, as "create ID", "update ID", "remove ID", "read ID", "count ID".
  std::vector<std::string> calls() const;
  /// Highest number of mutations that were running at the same time.
  int max_concurrency() const { return max_concurrency_; }

 private:
  void enter();
  void leave();

  mutable std::mutex mutex_;
  std::map<std::string, Object> objects_;
  std::map<std::string, FailureKind> failures_;
  std::vector<std::string> calls_;
  std::chrono::milliseconds delay_{0};
  std::atomic<int> running_{0};
  std::atomic<int> max_concurrency_{0};
};

}  // namespace lakeinfra::providers
