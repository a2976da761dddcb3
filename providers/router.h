#pragma once

#include <map>
#include <string>
#include <vector>

#include "providers/provider.h"

namespace lakeinfra::providers {

/// One Provider over several: each resource type goes to the provider registered for it, every
/// other type to the storage provider (zones, containers, artifacts). The planner and executor
/// see a single provider. kind() is the storage provider's, so records name the lake's storage.
/// The providers must outlive the router. Thread-safe when they are.
class RoutingProvider : public Provider {
 public:
  explicit RoutingProvider(Provider& storage) : storage_(storage) {}
  /// Sends resources of `type` to `provider` from now on.
  void route(const std::string& type, Provider& provider) { routes_[type] = &provider; }

  std::string kind() const override { return storage_.kind(); }
  bool manages(const std::string& type) const override { return at(type).manages(type); }
  std::string describe(const std::string& type, const std::string& provider_id) const override {
    return at(type).describe(type, provider_id);
  }
  ProviderResult<std::optional<Observed>> read(const std::string& type,
                                               const std::string& provider_id) override {
    return at(type).read(type, provider_id);
  }
  /// Each provider's requests go to its own read_many(), one provider after another, so the
  /// storage provider still sees all of its objects in one batch.
  std::vector<ProviderResult<std::optional<Observed>>> read_many(
      const std::vector<ReadRequest>& requests, int parallelism) override {
    std::vector<ProviderResult<std::optional<Observed>>> out(requests.size());
    std::map<Provider*, std::vector<size_t>> batches;
    for (size_t i = 0; i < requests.size(); ++i)
      batches[&at(*requests[i].type)].push_back(i);
    for (auto& [provider, indexes] : batches) {
      std::vector<ReadRequest> batch;
      batch.reserve(indexes.size());
      for (size_t i : indexes)
        batch.push_back(requests[i]);
      auto answers = provider->read_many(batch, parallelism);
      for (size_t k = 0; k < indexes.size(); ++k)
        out[indexes[k]] = std::move(answers[k]);
    }
    return out;
  }
  ProviderResult<uint64_t> count_data(const std::string& type, const std::string& provider_id,
                                      const std::set<std::string>& excluding) override {
    return at(type).count_data(type, provider_id, excluding);
  }
  bool requires_replace(const std::string& type, const std::string& attribute) const override {
    return at(type).requires_replace(type, attribute);
  }
  ProviderResult<config::Attributes> create(const config::DesiredResource& desired) override {
    return at(desired.type).create(desired);
  }
  ProviderResult<config::Attributes> update(const config::ResourceRecord& prior,
                                            const config::DesiredResource& desired) override {
    return at(desired.type).update(prior, desired);
  }
  ProviderResult<void> remove(const config::ResourceRecord& prior, bool force) override {
    return at(prior.type).remove(prior, force);
  }
  ProviderResult<std::string> download(const std::string& type,
                                       const std::string& provider_id) override {
    return at(type).download(type, provider_id);
  }

 private:
  Provider& at(const std::string& type) const {
    auto it = routes_.find(type);
    return it == routes_.end() ? storage_ : *it->second;
  }

  Provider& storage_;
  std::map<std::string, Provider*> routes_;
};

}  // namespace lakeinfra::providers
