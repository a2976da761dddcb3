#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lakeinfra::templates {

/// A starter lake.yaml compiled into the binary (from templates/layouts/NAME.yaml).
struct EmbeddedPreset {
  const char* name;
  const char* text;
};

namespace detail {
extern const std::vector<EmbeddedPreset> kEmbeddedPresets;
}

/// Names of the preset layouts `init --template` accepts, sorted ("enterprise", "medallion").
std::vector<std::string> preset_names();

/// The starter lake.yaml of a preset, or nullopt for an unknown name.
std::optional<std::string> preset_text(std::string_view name);

}  // namespace lakeinfra::templates
