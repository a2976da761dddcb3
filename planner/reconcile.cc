#include "planner/reconcile.h"

#include "planner/records_json.h"

namespace lakeinfra::planner {

Result<std::vector<std::string>> reconcile(const state::Snapshot& snapshot,
                                           state::StateStore& store,
                                           providers::Provider& provider) {
  std::vector<std::string> notes;
  for (const auto& entry : snapshot.pending) {
    const std::string who = entry.address.str();
    const config::Attributes& target =
        entry.action == "delete" ? entry.payload["prior"] : entry.payload["desired"];
    auto close = [&](const std::string& message) -> Result<void> {
      notes.push_back(who + ": " + message);
      return store.finish_intent(entry.id, "reconciled", message);
    };
    if (!target.is_object()) {
      auto r = close("interrupted " + entry.action + " had no readable payload; ignored");
      if (!r)
        return tl::unexpected(r.error());
      continue;
    }
    auto type = target.value("type", std::string());
    auto id = target.value("provider_id", std::string());
    auto observed = provider.read(type, id);
    if (!observed) {
      return fail("cannot reconcile the interrupted " + entry.action + " of " + who + ": " +
                  observed.error().message);
    }
    if (entry.action == "delete") {
      if (!observed->has_value()) {
        auto removed = store.remove(entry.address);
        if (!removed)
          return tl::unexpected(removed.error());
        auto r = close("an interrupted delete had completed; removed from state");
        if (!r)
          return tl::unexpected(r.error());
      } else {
        auto r = close("an interrupted delete did not complete; the object still exists");
        if (!r)
          return tl::unexpected(r.error());
      }
      continue;
    }
    if (!observed->has_value()) {
      auto r =
          close("an interrupted " + entry.action + " did not complete; it will be planned again");
      if (!r)
        return tl::unexpected(r.error());
      continue;
    }
    auto desired = desired_from_json(target);
    if (!desired)
      return tl::unexpected(desired.error());
    config::ResourceRecord record;
    record.address = desired->address;
    record.type = desired->type;
    record.provider = provider.kind();
    record.provider_id = desired->provider_id;
    record.attributes = desired->attributes;
    for (const auto& [k, v] : (*observed)->attributes.items())
      record.attributes[k] = v;
    record.depends_on = desired->depends_on;
    auto put = store.put(record);
    if (!put)
      return tl::unexpected(put.error());
    auto r = close("an interrupted " + entry.action + " was found at " +
                   provider.describe(record.type, record.provider_id) + "; adopted into state");
    if (!r)
      return tl::unexpected(r.error());
  }
  return notes;
}

}  // namespace lakeinfra::planner
