#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "config/filesystem.h"
#include "config/result.h"
#include "planner/plan.h"

namespace lakeinfra::planner {

/// The saved-plan format: {"format": "lakeinfra-plan", "version": 1, "checksum":
/// "sha256:HEX", "plan": {...}}. The checksum covers the serialised "plan" object, so a
/// corrupted or edited file is refused.
std::string plan_to_text(const Plan& plan);

/// Parses a saved plan. Fails naming `filename` when the text is not a plan, has an unknown
/// version, or its checksum does not match.
Result<Plan> plan_from_text(std::string_view text, const std::string& filename);

/// Writes a plan file atomically with mode 0600.
Result<void> save_plan(const Plan& plan, const std::filesystem::path& path, config::FileSystem& fs);
/// Reads and verifies a plan file.
Result<Plan> load_plan(const std::filesystem::path& path, config::FileSystem& fs);

/// The plan in the shape of Terraform's JSON plan (`terraform show -json PLAN`), which policy
/// tools read: format_version, resource_changes[].{address, type, name, change.{actions,
/// before, after}}, plus lakeinfra's own reasons and drift.
config::Attributes terraform_json(const Plan& plan, const std::string& version);

}  // namespace lakeinfra::planner
