// Fuzz target: the saved-plan reader (see fuzz_targets.h).
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "config/digest.h"
#include "planner/plan_file.h"
#include "tests/fuzz/fuzz_targets.h"

namespace lakeinfra::fuzz {
namespace {

void read(std::string_view text) {
  auto plan = planner::plan_from_text(text, "fuzz.plan");
  if (!plan) {
    (void)plan.error().str();
    return;
  }
  // A plan that reads must write back and read again.
  auto again = planner::plan_from_text(planner::plan_to_text(*plan), "fuzz.plan");
  if (!again)
    __builtin_trap();
  (void)planner::terraform_json(*plan, "0.0.0").dump();
}

}  // namespace

int plan_file_fuzz(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  read(text);
  // Re-sealed: the "plan" object with the checksum plan_to_text would give it.
  auto file = nlohmann::json::parse(text, nullptr, false);
  if (file.is_discarded() || !file.is_object() || !file.contains("plan"))
    return 0;
  nlohmann::json sealed = {{"format", "lakeinfra-plan"},
                           {"version", 1},
                           {"checksum", "sha256:" + config::sha256_hex(file["plan"].dump())},
                           {"plan", file["plan"]}};
  read(sealed.dump());
  return 0;
}

}  // namespace lakeinfra::fuzz

LAKEINFRA_FUZZ_ENTRY(plan_file_fuzz)
