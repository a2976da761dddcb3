#include "planner/plan_file.h"

#include "config/digest.h"
#include "planner/records_json.h"

namespace lakeinfra::planner {
namespace {

using config::sha256_hex;

constexpr int kPlanVersion = 1;

config::Attributes changes_json(const std::vector<AttributeChange>& changes) {
  config::Attributes a = config::Attributes::array();
  for (const auto& c : changes) {
    a.push_back({{"name", c.name},
                 {"before", c.before},
                 {"after", c.after},
                 {"forces_replacement", c.forces_replacement}});
  }
  return a;
}

std::vector<AttributeChange> changes_from(const config::Attributes& a) {
  std::vector<AttributeChange> out;
  if (!a.is_array())
    return out;
  for (const auto& c : a) {
    if (!c.is_object())
      continue;
    out.push_back({c.value("name", std::string()), c.value("before", config::Attributes()),
                   c.value("after", config::Attributes()), c.value("forces_replacement", false)});
  }
  return out;
}

Action action_from(const std::string& name, bool& ok) {
  for (Action a :
       {Action::kNoOp, Action::kCreate, Action::kUpdate, Action::kReplace, Action::kDelete}) {
    if (name == action_name(a))
      return a;
  }
  ok = false;
  return Action::kNoOp;
}

config::Attributes plan_json(const Plan& plan) {
  config::Attributes changes = config::Attributes::array();
  for (const auto& c : plan.changes) {
    config::Attributes reasons = c.reasons;
    changes.push_back({{"address", c.address.str()},
                       {"type", c.type},
                       {"action", action_name(c.action)},
                       {"prior", c.prior ? to_json(*c.prior) : nullptr},
                       {"desired", c.desired ? to_json(*c.desired) : nullptr},
                       {"location_before", c.location_before},
                       {"location_after", c.location_after},
                       {"attribute_changes", changes_json(c.attribute_changes)},
                       {"drift", changes_json(c.drift)},
                       {"reasons", reasons},
                       {"force_destroy", c.force_destroy},
                       {"data_entries", c.data_entries}});
  }
  return {{"refreshed", plan.refreshed}, {"targeted", plan.targeted}, {"lineage", plan.lineage},
          {"serial", plan.serial},       {"destroy", plan.destroy},   {"provider", plan.provider},
          {"storage", plan.storage},     {"changes", changes},        {"notes", plan.notes}};
}

Result<Plan> plan_from_json(const config::Attributes& j, const std::string& filename) {
  auto bad = [&](const std::string& what) {
    return fail("plan file " + filename + " is malformed: " + what,
                "create it again with `lakeinfra plan --out " + filename + "`");
  };
  if (!j.is_object() || !j.contains("changes") || !j["changes"].is_array()) {
    return bad("no list of changes");
  }
  Plan plan;
  plan.lineage = j.value("lineage", std::string());
  plan.serial = j.value("serial", int64_t{0});
  plan.destroy = j.value("destroy", false);
  plan.refreshed = j.value("refreshed", true);
  plan.targeted = j.value("targeted", false);
  plan.provider = j.value("provider", std::string());
  plan.storage = j.value("storage", config::Attributes::object());
  plan.notes = j.value("notes", std::vector<std::string>());
  for (const auto& c : j["changes"]) {
    if (!c.is_object())
      return bad("a change is not an object");
    ResourceChange ch;
    auto address = config::Address::parse(c.value("address", std::string()));
    if (!address)
      return bad("a change has no valid address");
    ch.address = *address;
    ch.type = c.value("type", std::string());
    bool ok = true;
    ch.action = action_from(c.value("action", std::string()), ok);
    if (!ok)
      return bad("unknown action for " + ch.address.str());
    if (c.contains("prior") && !c["prior"].is_null()) {
      auto r = record_from_json(c["prior"]);
      if (!r)
        return bad(r.error().str());
      ch.prior = *r;
    }
    if (c.contains("desired") && !c["desired"].is_null()) {
      auto r = desired_from_json(c["desired"]);
      if (!r)
        return bad(r.error().str());
      ch.desired = *r;
    }
    bool needs_prior = ch.action == Action::kUpdate || ch.action == Action::kReplace ||
                       ch.action == Action::kDelete;
    bool needs_desired = ch.action != Action::kDelete;
    if ((needs_prior && !ch.prior) || (needs_desired && !ch.desired)) {
      return bad("change of " + ch.address.str() + " lacks its resource");
    }
    ch.location_before = c.value("location_before", std::string());
    ch.location_after = c.value("location_after", std::string());
    ch.attribute_changes = changes_from(c.value("attribute_changes", config::Attributes()));
    ch.drift = changes_from(c.value("drift", config::Attributes()));
    ch.reasons = c.value("reasons", std::vector<std::string>());
    ch.force_destroy = c.value("force_destroy", false);
    ch.data_entries = c.value("data_entries", uint64_t{0});
    plan.changes.push_back(std::move(ch));
  }
  return plan;
}

}  // namespace

std::string plan_to_text(const Plan& plan) {
  config::Attributes body = plan_json(plan);
  std::string body_text = body.dump();
  config::Attributes file = {{"format", "lakeinfra-plan"},
                             {"version", kPlanVersion},
                             {"checksum", "sha256:" + sha256_hex(body_text)},
                             {"plan", body}};
  return file.dump(1) + "\n";
}

namespace {

Result<Plan> plan_from_text_unchecked(std::string_view text, const std::string& filename) {
  config::Attributes file = config::Attributes::parse(text, nullptr, false);
  if (file.is_discarded() || !file.is_object() || file.value("format", "") != "lakeinfra-plan") {
    return fail("plan file " + filename + " is not a lakeinfra plan (or is corrupted)",
                "create one with `lakeinfra plan --out " + filename + "`");
  }
  if (file.value("version", 0) != kPlanVersion) {
    return fail("plan file " + filename + " has version " + file["version"].dump() +
                    "; this lakeinfra reads version " + std::to_string(kPlanVersion),
                "make the plan again with this version of lakeinfra");
  }
  if (!file.contains("plan") || !file.contains("checksum")) {
    return fail("plan file " + filename + " is incomplete (no plan or no checksum)");
  }
  std::string expected = "sha256:" + sha256_hex(file["plan"].dump());
  if (file["checksum"] != expected) {
    return fail("plan file " + filename +
                    " is corrupted or was modified after it was made (checksum mismatch)",
                "lakeinfra applies only plans exactly as they were made; run `lakeinfra plan "
                "--out " +
                    filename + "` again");
  }
  return plan_from_json(file["plan"], filename);
}

}  // namespace

Result<Plan> plan_from_text(std::string_view text, const std::string& filename) {
  // A field of the wrong JSON type ("version": "1", "serial": "x") makes nlohmann's value()
  // and get() throw; such a file is malformed, not a reason to end the process.
  try {
    return plan_from_text_unchecked(text, filename);
  } catch (const config::Attributes::exception& e) {
    return fail("plan file " + filename + " is malformed: " + e.what(),
                "create it again with `lakeinfra plan --out " + filename + "`");
  }
}

Result<void> save_plan(const Plan& plan, const std::filesystem::path& path,
                       config::FileSystem& fs) {
  auto r = fs.write_file_atomic(path, plan_to_text(plan), 0600);
  if (!r)
    return fail("cannot write plan file " + path.string() + ": " + r.error().message());
  return {};
}

Result<Plan> load_plan(const std::filesystem::path& path, config::FileSystem& fs) {
  auto text = fs.read_file(path);
  if (!text)
    return fail("cannot read plan file " + path.string() + ": " + text.error().message());
  return plan_from_text(*text, path.string());
}

config::Attributes terraform_json(const Plan& plan, const std::string& version) {
  config::Attributes changes = config::Attributes::array();
  config::Attributes drift = config::Attributes::array();
  for (const auto& c : plan.changes) {
    const auto& names = c.address.names();
    std::string name;
    for (size_t i = 0; i < names.size(); ++i)
      name += (i ? "." : "") + names[i];
    config::Attributes change = {{"actions", terraform_actions(c.action)},
                                 {"before", c.before_json()},
                                 {"after", c.after_json()}};
    config::Attributes replace_paths = config::Attributes::array();
    for (const auto& a : c.attribute_changes) {
      if (a.forces_replacement)
        replace_paths.push_back(config::Attributes::array({a.name}));
    }
    if (c.action == Action::kReplace && c.prior && c.desired &&
        c.prior->provider_id != c.desired->provider_id) {
      replace_paths.push_back(config::Attributes::array({"id"}));
    }
    if (!replace_paths.empty())
      change["replace_paths"] = replace_paths;
    config::Attributes rc = {{"address", c.address.str()},
                             {"mode", "managed"},
                             {"type", c.type},
                             {"name", name},
                             {"provider_name", "lakeinfra/" + plan.provider},
                             {"change", change},
                             {"reasons", c.reasons}};
    changes.push_back(rc);
    if (!c.drift.empty()) {
      drift.push_back(
          {{"address", c.address.str()}, {"type", c.type}, {"changes", changes_json(c.drift)}});
    }
  }
  return {{"format_version", "1.2"},       {"lakeinfra_version", version},
          {"state_lineage", plan.lineage}, {"state_serial", plan.serial},
          {"destroy", plan.destroy},       {"resource_drift", drift},
          {"resource_changes", changes},   {"errored", false}};
}

}  // namespace lakeinfra::planner
