#include "config/model.h"

#include "config/log.h"

namespace lakeinfra::config {

const Zone* Lake::find_zone(const std::string& name) const {
  for (const auto& z : zones) {
    if (z.name == name)
      return &z;
  }
  return nullptr;
}

const Pipeline* Lake::find_pipeline(const std::string& name) const {
  for (const auto& p : pipelines) {
    if (p.name == name)
      return &p;
  }
  return nullptr;
}

const Role* Lake::find_role(const std::string& name) const {
  for (const auto& r : roles) {
    if (r.name == name)
      return &r;
  }
  return nullptr;
}

const Instance* Lake::find_instance(const std::string& name) const {
  for (const auto& i : instances) {
    if (i.name == name)
      return &i;
  }
  return nullptr;
}

int Lake::tier_rank(const std::string& tier) const {
  for (size_t i = 0; i < tiers.size(); ++i) {
    if (tiers[i] == tier)
      return static_cast<int>(i);
  }
  return -1;
}

const Grant* Role::find_grant(const std::string& zone, const std::string& container) const {
  for (const auto& g : grants) {
    if (g.zone == zone && g.container == container)
      return &g;
  }
  return nullptr;
}

std::string Pipeline::redacted_repo() const {
  return redact_url_credentials(repo);
}

}  // namespace lakeinfra::config
