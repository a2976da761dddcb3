#include "pipelines/registry_provider.h"

namespace lakeinfra::pipelines {
namespace {

using providers::Failure;
using providers::FailureKind;
using providers::Observed;
using providers::ProviderResult;

tl::unexpected<Failure> failed(const std::string& op, const std::string& name,
                               const config::Diagnostics& diags) {
  std::string message = op + " job " + name + ": ";
  message += diags.empty() ? "failed" : diags.items().front().summary;
  return tl::unexpected(Failure{FailureKind::kInternal, message, {}});
}

class RegistryProvider : public providers::Provider {
 public:
  explicit RegistryProvider(state::JobRegistry& registry) : registry_(registry) {}

  std::string kind() const override { return "local"; }
  bool manages(const std::string& type) const override {
    return type == config::kJobType || type == config::kPipelineType;
  }
  std::string describe(const std::string& type, const std::string& provider_id) const override {
    return type == config::kJobType ? "job " + provider_id + " in the local registry"
                                    : "pipeline " + provider_id;
  }
  bool requires_replace(const std::string&, const std::string&) const override { return false; }

  ProviderResult<std::optional<Observed>> read(const std::string& type,
                                               const std::string& provider_id) override {
    if (type == config::kPipelineType)
      return std::optional<Observed>(Observed{});
    auto job = registry_.get(provider_id);
    if (!job)
      return failed("read", provider_id, job.error());
    if (!*job)
      return std::optional<Observed>();
    Observed observed;
    observed.attributes = (*job)->definition;
    return std::optional<Observed>(std::move(observed));
  }

  ProviderResult<uint64_t> count_data(const std::string&, const std::string&,
                                      const std::set<std::string>&) override {
    return uint64_t{0};
  }

  ProviderResult<config::Attributes> create(const config::DesiredResource& desired) override {
    return put(desired);
  }
  ProviderResult<config::Attributes> update(const config::ResourceRecord& /*prior*/,
                                            const config::DesiredResource& desired) override {
    return put(desired);
  }
  ProviderResult<void> remove(const config::ResourceRecord& prior, bool /*force*/) override {
    if (prior.type == config::kPipelineType)
      return {};
    if (auto removed = registry_.remove(prior.provider_id); !removed)
      return failed("unregister", prior.provider_id, removed.error());
    return {};
  }

 private:
  ProviderResult<config::Attributes> put(const config::DesiredResource& desired) {
    if (desired.type == config::kPipelineType)
      return desired.attributes;
    state::JobRecord record;
    record.name = desired.provider_id;
    record.definition = desired.attributes;
    if (auto stored = registry_.put(record); !stored)
      return failed("register", desired.provider_id, stored.error());
    return desired.attributes;
  }

  state::JobRegistry& registry_;
};

}  // namespace

std::unique_ptr<providers::Provider> make_registry_provider(state::JobRegistry& registry) {
  return std::make_unique<RegistryProvider>(registry);
}

}  // namespace lakeinfra::pipelines
