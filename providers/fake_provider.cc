#include "providers/fake_provider.h"

#include <optional>
#include <thread>

namespace lakeinfra::providers {

namespace {

/// Failure for a mutation the test asked to fail.
Failure injected(const std::string& op, const std::string& provider_id, FailureKind kind) {
  return Failure{
      kind, op + " fake://" + provider_id + ": injected " + failure_kind_name(kind) + " failure",
      std::nullopt};
}

/// Counts a mutation in flight for the lifetime of the guard.
class InFlight {
 public:
  InFlight(std::function<void()> enter, std::function<void()> leave) : leave_(std::move(leave)) {
    enter();
  }
  ~InFlight() { leave_(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::function<void()> leave_;
};

}  // namespace

bool FakeProvider::manages(const std::string& type) const {
  return type == config::kZoneType || type == config::kContainerType;
}

std::string FakeProvider::describe(const std::string& /*type*/,
                                   const std::string& provider_id) const {
  return "fake://" + provider_id;
}

bool FakeProvider::requires_replace(const std::string& /*type*/,
                                    const std::string& attribute) const {
  return attribute == "path";
}

ProviderResult<std::optional<Observed>> FakeProvider::read(const std::string& /*type*/,
                                                           const std::string& provider_id) {
  std::lock_guard lock(mutex_);
  calls_.push_back("read " + provider_id);
  auto it = objects_.find(provider_id);
  if (it == objects_.end())
    return std::optional<Observed>();
  Observed observed;
  observed.attributes = it->second.attributes;
  return std::optional<Observed>(std::move(observed));
}

ProviderResult<uint64_t> FakeProvider::count_data(const std::string& /*type*/,
                                                  const std::string& provider_id,
                                                  const std::set<std::string>& /*excluding*/) {
  std::lock_guard lock(mutex_);
  calls_.push_back("count " + provider_id);
  auto it = objects_.find(provider_id);
  return it == objects_.end() ? uint64_t{0} : it->second.data_entries;
}

ProviderResult<config::Attributes> FakeProvider::create(const config::DesiredResource& desired) {
  InFlight in_flight([this] { enter(); }, [this] { leave(); });
  {
    std::lock_guard lock(mutex_);
    calls_.push_back("create " + desired.provider_id);
  }
  std::this_thread::sleep_for(delay_);
  std::lock_guard lock(mutex_);
  auto failure = failures_.find(desired.provider_id);
  if (failure != failures_.end()) {
    return tl::unexpected(injected("create", desired.provider_id, failure->second));
  }
  Object& object = objects_[desired.provider_id];  // An existing object is adopted, data kept.
  object.type = desired.type;
  object.attributes = desired.attributes;
  return desired.attributes;
}

ProviderResult<config::Attributes> FakeProvider::update(const config::ResourceRecord& prior,
                                                        const config::DesiredResource& desired) {
  InFlight in_flight([this] { enter(); }, [this] { leave(); });
  {
    std::lock_guard lock(mutex_);
    calls_.push_back("update " + prior.provider_id);
  }
  std::this_thread::sleep_for(delay_);
  std::lock_guard lock(mutex_);
  auto failure = failures_.find(prior.provider_id);
  if (failure != failures_.end()) {
    return tl::unexpected(injected("update", prior.provider_id, failure->second));
  }
  auto it = objects_.find(prior.provider_id);
  if (it == objects_.end()) {
    return tl::unexpected(Failure{FailureKind::kNotFound,
                                  "update fake://" + prior.provider_id + ": no such object",
                                  std::nullopt});
  }
  it->second.attributes = desired.attributes;
  return desired.attributes;
}

ProviderResult<void> FakeProvider::remove(const config::ResourceRecord& prior, bool force) {
  InFlight in_flight([this] { enter(); }, [this] { leave(); });
  {
    std::lock_guard lock(mutex_);
    calls_.push_back("remove " + prior.provider_id);
  }
  std::this_thread::sleep_for(delay_);
  std::lock_guard lock(mutex_);
  auto failure = failures_.find(prior.provider_id);
  if (failure != failures_.end()) {
    return tl::unexpected(injected("remove", prior.provider_id, failure->second));
  }
  auto it = objects_.find(prior.provider_id);
  if (it == objects_.end())
    return {};
  if (it->second.data_entries > 0 && !force) {
    return tl::unexpected(Failure{FailureKind::kConflict,
                                  "remove fake://" + prior.provider_id + ": holds " +
                                      std::to_string(it->second.data_entries) +
                                      " entries; refusing to delete data",
                                  it->second.attributes});
  }
  objects_.erase(it);
  return {};
}

void FakeProvider::fail_on(const std::string& provider_id, FailureKind kind) {
  std::lock_guard lock(mutex_);
  failures_[provider_id] = kind;
}

std::vector<std::string> FakeProvider::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

void FakeProvider::enter() {
  int now = ++running_;
  int peak = max_concurrency_.load();
  while (now > peak && !max_concurrency_.compare_exchange_weak(peak, now)) {
  }
}

void FakeProvider::leave() {
  --running_;
}

}  // namespace lakeinfra::providers
