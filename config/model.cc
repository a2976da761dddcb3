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

std::string Pipeline::redacted_repo() const {
  return redact_url_credentials(repo);
}

}  // namespace lakeinfra::config
