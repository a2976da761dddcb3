#include "config/model.h"

namespace lakeinfra::config {

const Zone* Lake::find_zone(const std::string& name) const {
  for (const auto& z : zones) {
    if (z.name == name)
      return &z;
  }
  return nullptr;
}

}  // namespace lakeinfra::config
