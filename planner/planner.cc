#include "planner/planner.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "config/log.h"
#include "planner/graph.h"

namespace lakeinfra::planner {
namespace {

using config::Address;
using config::Attributes;

bool matches_target(const std::string& address, const std::vector<Address>& targets) {
  for (const auto& t : targets) {
    if (address == t.str())
      return true;
    if (address.size() > t.str().size() && address.compare(0, t.str().size(), t.str()) == 0 &&
        address[t.str().size()] == '.') {
      return true;
    }
  }
  return false;
}

std::string quote(const Attributes& v) {
  return v.is_null() ? "(none)" : v.dump();
}

class Planner {
 public:
  // Owns the desired resources and the snapshot: diff_all() moves each into its change.
  Planner(std::vector<config::DesiredResource> desired, state::Snapshot snapshot,
          providers::Provider& provider, const PlanOptions& options)
      : desired_(std::move(desired)),
        snapshot_(std::move(snapshot)),
        provider_(provider),
        options_(options) {}

  Result<Plan> run() {
    desired_index_.reserve(desired_.size());
    for (size_t i = 0; i < desired_.size(); ++i)
      desired_index_[desired_[i].address.str()] = i;
    // What protect_data() needs of the zones, read before diff_all() moves them away.
    for (const auto& d : desired_) {
      if (d.type == config::kZoneType && d.attributes.value("force_destroy", false))
        force_destroy_in_config_.insert(d.address.str());
    }
    for (const auto& [address, record] : snapshot_.resources) {
      if (record.type == config::kZoneType && record.attributes.value("force_destroy", false))
        force_destroy_in_state_.insert(address.str());
    }
    auto graph = resource_graph(desired_);
    if (!graph)
      return tl::unexpected(graph.error());

    compute_scope();
    if (diagnostics_.has_errors())
      return tl::unexpected(diagnostics_);
    diff_before_refresh();
    refresh();
    diff_after_refresh();
    refuse_takeovers();
    protect_data();
    if (diagnostics_.has_errors())
      return tl::unexpected(diagnostics_);
    order();

    plan_.lineage = snapshot_.lineage;
    plan_.serial = snapshot_.serial;
    plan_.destroy = options_.destroy;
    plan_.refreshed = options_.refresh;
    plan_.targeted = !options_.targets.empty();
    plan_.provider = provider_.kind();
    return std::move(plan_);
  }

 private:
  bool in_scope(const std::string& address) const {
    return options_.targets.empty() || scope_.count(address) > 0;
  }

  const std::vector<Address>* deps_of(const std::string& address) const {
    if (!options_.destroy) {
      if (auto it = desired_index_.find(address); it != desired_index_.end()) {
        return &desired_[it->second].depends_on;
      }
    }
    if (auto it = snapshot_.resources.find(*Address::parse(address));
        it != snapshot_.resources.end()) {
      return &it->second.depends_on;
    }
    return nullptr;
  }

  void compute_scope() {
    if (options_.targets.empty())
      return;
    std::vector<std::string> all;
    if (!options_.destroy) {
      for (const auto& d : desired_)
        all.push_back(d.address.str());
    }
    for (const auto& [address, record] : snapshot_.resources) {
      if (options_.destroy || !desired_index_.count(address.str()))
        all.push_back(address.str());
    }
    std::vector<std::string> work;
    for (const auto& t : options_.targets) {
      bool found = false;
      for (const auto& a : all) {
        if (matches_target(a, {t})) {
          found = true;
          if (scope_.insert(a).second)
            work.push_back(a);
        }
      }
      if (!found) {
        std::string suggestion = config::closest_match(t.str(), all);
        diagnostics_.add_error(
            "target \"" + t.str() + "\" matches no resource", {},
            suggestion.empty() ? "run `lakeinfra state list` or `lakeinfra plan` to see addresses"
                               : "did you mean \"" + suggestion + "\"?");
      }
    }
    if (!options_.destroy) {
      // Targets bring their dependencies along.
      while (!work.empty()) {
        std::string a = work.back();
        work.pop_back();
        if (const auto* deps = deps_of(a)) {
          for (const auto& d : *deps) {
            if (scope_.insert(d.str()).second)
              work.push_back(d.str());
          }
        }
      }
    } else {
      // Destroying a target destroys what depends on it first.
      std::unordered_map<std::string, std::vector<std::string>> dependents;
      for (const auto& [address, record] : snapshot_.resources) {
        for (const auto& d : record.depends_on)
          dependents[d.str()].push_back(address.str());
      }
      while (!work.empty()) {
        std::string a = work.back();
        work.pop_back();
        for (const auto& d : dependents[a]) {
          if (scope_.insert(d).second)
            work.push_back(d);
        }
      }
    }
  }

  void refresh() {
    std::vector<const config::ResourceRecord*> records;
    size_t ready = 0;  // records whose observation start_refresh() read
    Refreshed early_reads;
    Refreshed* early = nullptr;
    if (options_.refreshing != nullptr && options_.refreshing->valid()) {
      auto waiting = std::chrono::steady_clock::now();
      early_reads = options_.refreshing->get();
      early = &early_reads;
      if (config::Log::enabled(config::LogLevel::kDebug)) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - waiting)
                      .count();
        config::Log::write(config::LogLevel::kDebug, "refresh: waited " + std::to_string(us) +
                                                         "us for the reads started early");
      }
    }
    // Both in address order: one walk pairs each record with what was read early of it.
    size_t next_early = 0;
    for (const auto& [address, record] : snapshot_.resources) {
      if (!options_.refresh || !in_scope(address.str()))
        continue;
      if (early) {
        const auto& objects = early->objects;
        while (next_early < objects.size() && objects[next_early].address < address.str())
          ++next_early;
        if (next_early < objects.size() && objects[next_early].address == address.str() &&
            objects[next_early].type == record.type &&
            objects[next_early].provider_id == record.provider_id) {
          ++ready;
          use(record, std::move(early->results[next_early]));
          continue;
        }
      }
      records.push_back(&record);
    }
    auto started = std::chrono::steady_clock::now();
    std::vector<providers::ReadRequest> requests;
    requests.reserve(records.size());
    for (const auto* record : records)
      requests.push_back({&record->type, &record->provider_id});
    auto outcomes = provider_.read_many(requests, options_.parallelism);
    if (config::Log::enabled(config::LogLevel::kDebug)) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
      config::Log::write(config::LogLevel::kDebug,
                         "refresh: read " + std::to_string(records.size()) + " objects in " +
                             std::to_string(ms) + "ms with " +
                             std::to_string(options_.parallelism) + " workers, " +
                             std::to_string(ready) + " read before");
    }
    for (size_t i = 0; i < records.size(); ++i)
      use(*records[i], std::move(outcomes[i]));
  }

  /// Takes what refresh read of `record`: its observation, or a diagnostic.
  void use(const config::ResourceRecord& record,
           providers::ProviderResult<std::optional<providers::Observed>>&& read) {
    if (!read) {
      config::Diagnostic d;
      d.summary = "cannot read " + record.address.str() + ": " + read.error().message;
      d.address = record.address.str();
      d.hint = "check that the storage is reachable and readable, or plan with --refresh=false";
      diagnostics_.add(std::move(d));
      return;
    }
    observed_[record.address.str()] = std::move(*read);
  }

  const std::optional<providers::Observed>* observed(const std::string& address) const {
    auto it = observed_.find(address);
    return it == observed_.end() ? nullptr : &it->second;
  }

  // The diff in two steps around refresh, so that its bulk runs while refresh still reads:
  // diff_before_refresh() makes every change as far as refresh cannot alter it, and
  // diff_after_refresh() folds in what refresh saw. Together they give, change for change and in
  // the same order, what one diff after refresh would.

  /// A change whose last step waits for refresh.
  struct Unsettled {
    enum class Kind {
      kNoOp,      ///< the record is what should exist: a no-op unless refresh saw otherwise
      kExisting,  ///< the record differs from what should exist: diff_existing() once refreshed
      kDelete,    ///< the record is no longer declared (or everything is destroyed)
    };
    Kind kind;
    size_t change;  ///< Index in plan_.changes.
    std::map<Address, config::ResourceRecord>::iterator record;
    size_t desired = 0;  ///< Index in desired_ (kExisting).
  };

  // Creates whole; no-ops, updates and deletes as far as refresh cannot change them. Moves
  // nothing out of snapshot_, which refresh reads.
  void diff_before_refresh() {
    size_t only_in_state = 0;
    for (const auto& [address, record] : snapshot_.resources)
      only_in_state += desired_index_.count(address.str()) == 0;
    plan_.changes.reserve(desired_.size() + only_in_state);
    unsettled_.reserve(plan_.changes.capacity());
    // A state record whose address is declared was handled above (unless destroying).
    auto handled = [&](const Address& address) {
      return !options_.destroy && desired_index_.count(address.str()) > 0;
    };
    if (!options_.destroy) {
      for (size_t i = 0; i < desired_.size(); ++i) {
        auto& d = desired_[i];
        if (!in_scope(d.address.str()))
          continue;
        auto it = snapshot_.resources.find(d.address);
        if (it == snapshot_.resources.end()) {
          ResourceChange c = base_change(d.address, d.type);
          c.action = Action::kCreate;
          c.location_after = provider_.describe(d.type, d.provider_id);
          c.desired = std::move(d);
          c.reasons.push_back("not in state: declared in the configuration");
          plan_.changes.push_back(std::move(c));
        } else if (it->second.provider_id == d.provider_id &&
                   it->second.attributes == d.attributes) {
          // Nearly every resource of a large lake: the record is left where it is (nothing of
          // it is kept) and only what should exist goes into the change.
          ResourceChange c = base_change(d.address, d.type);
          c.location_after = provider_.describe(d.type, d.provider_id);
          c.desired = std::move(d);
          unsettled_.push_back({Unsettled::Kind::kNoOp, plan_.changes.size(), it, i});
          plan_.changes.push_back(std::move(c));
        } else {
          unsettled_.push_back({Unsettled::Kind::kExisting, plan_.changes.size(), it, i});
          plan_.changes.emplace_back();
        }
      }
    }
    for (auto it = snapshot_.resources.begin(); it != snapshot_.resources.end(); ++it) {
      const auto& [address, record] = *it;
      if (handled(address) || !in_scope(address.str()))
        continue;
      ResourceChange c = base_change(address, record.type);
      c.action = Action::kDelete;
      c.location_before = provider_.describe(record.type, record.provider_id);
      c.reasons.push_back(options_.destroy ? (options_.targets.empty()
                                                  ? "destroy: everything in state is deleted"
                                                  : "destroy: selected by --target")
                                           : "not in the configuration");
      unsettled_.push_back({Unsettled::Kind::kDelete, plan_.changes.size(), it});
      plan_.changes.push_back(std::move(c));
    }
  }

  // Folds in what refresh saw, moving every desired resource and state record into its change:
  // desired_ and snapshot_ are not read after this (protect_data() uses what run() noted of the
  // zones).
  void diff_after_refresh() {
    for (const auto& u : unsettled_) {
      ResourceChange& c = plan_.changes[u.change];
      config::ResourceRecord& record = u.record->second;
      switch (u.kind) {
        case Unsettled::Kind::kNoOp:
          if (!observed_as_recorded(record)) {
            config::DesiredResource desired = std::move(*c.desired);
            c = diff_existing(std::move(record), std::move(desired));
          }
          break;
        case Unsettled::Kind::kExisting:
          c = diff_existing(std::move(record), std::move(desired_[u.desired]));
          break;
        case Unsettled::Kind::kDelete:
          if (const auto* o = observed(c.address.str()); o && !o->has_value()) {
            c.reasons.push_back(
                "already deleted outside lakeinfra; only the state entry is removed");
          }
          c.prior = std::move(record);
          break;
      }
    }
    std::vector<Unsettled>().swap(unsettled_);  // 4 MB at 100k resources, free for what follows
  }

  /// Whether refresh saw `record` as it is recorded: it did not read it, or found it with
  /// lakeinfra's marker and every attribute it observes as recorded.
  bool observed_as_recorded(const config::ResourceRecord& record) const {
    const auto* o = observed(record.address.str());
    if (!o)
      return true;
    if (!o->has_value() || (*o)->unmanaged)
      return false;
    for (const auto& [key, value] : (*o)->attributes.items()) {
      auto recorded = record.attributes.find(key);
      if (recorded == record.attributes.end() || *recorded != value)
        return false;
    }
    return true;
  }

  // A no-op keeps only what it should be (ResourceChange::prior): in a large lake nearly every
  // change is a no-op, and two copies of each resource are most of a plan's memory.
  static ResourceChange forget_prior_of_noop(ResourceChange c) {
    if (c.action == Action::kNoOp) {
      c.prior.reset();
      c.location_before = std::string();
    }
    return c;
  }

  ResourceChange base_change(const Address& address, const std::string& type) {
    ResourceChange c;
    c.address = address;
    c.type = type;
    return c;
  }

  ResourceChange diff_existing(config::ResourceRecord&& moved_record,
                               config::DesiredResource&& moved_desired) {
    ResourceChange c = base_change(moved_record.address, moved_record.type);
    c.location_before = provider_.describe(moved_record.type, moved_record.provider_id);
    c.location_after = provider_.describe(moved_desired.type, moved_desired.provider_id);
    c.prior = std::move(moved_record);
    c.desired = std::move(moved_desired);
    const config::DesiredResource& desired = *c.desired;

    if (const auto* o = observed(c.address.str())) {
      if (!o->has_value()) {
        c.action = Action::kCreate;
        c.reasons.push_back("deleted outside lakeinfra: refresh found nothing at " +
                            c.location_before);
        c.prior.reset();
        c.location_before.clear();
        c.drift.push_back({"exists", true, false, false});
        return c;
      }
      const auto& obs = **o;
      for (const auto& [key, value] : obs.attributes.items()) {
        Attributes& recorded = c.prior->attributes;
        Attributes before = recorded.contains(key) ? recorded[key] : nullptr;
        if (before != value) {
          c.drift.push_back({key, before, value, false});
          recorded[key] = value;
        }
      }
      if (obs.unmanaged) {
        c.drift.push_back({"marker", "present", "missing", false});
        c.reasons.push_back(
            "lakeinfra's marker is missing or unreadable (changed outside lakeinfra)");
      }
    }

    const config::ResourceRecord& record = *c.prior;
    const Attributes& real = record.attributes;
    if (real == desired.attributes && record.provider_id == desired.provider_id &&
        c.drift.empty()) {
      return forget_prior_of_noop(std::move(c));  // the common case: nothing to compare by key
    }
    std::set<std::string> keys;
    for (const auto& [k, v] : real.items())
      keys.insert(k);
    for (const auto& [k, v] : desired.attributes.items())
      keys.insert(k);
    for (const auto& k : keys) {
      Attributes before = real.contains(k) ? real[k] : nullptr;
      Attributes after = desired.attributes.contains(k) ? desired.attributes[k] : nullptr;
      if (before == after)
        continue;
      bool forces = provider_.requires_replace(desired.type, k);
      c.attribute_changes.push_back({k, before, after, forces});
      std::string from = quote(before), to = quote(after);
      // Long values (hashes, a job's activities) are named only; the diff rows show them.
      std::string what =
          from.size() + to.size() > 80 ? k + " changes" : k + " changes from " + from + " to " + to;
      c.reasons.push_back(what + (forces ? ", which forces replacement" : ""));
    }
    bool replace = std::any_of(c.attribute_changes.begin(), c.attribute_changes.end(),
                               [](const AttributeChange& a) { return a.forces_replacement; });
    if (record.provider_id != desired.provider_id) {
      replace = true;
      c.reasons.push_back("physical name changes from \"" + record.provider_id + "\" to \"" +
                          desired.provider_id + "\", which forces replacement");
    }
    if (replace) {
      c.action = Action::kReplace;
    } else if (!c.attribute_changes.empty() || !c.drift.empty()) {
      c.action = Action::kUpdate;
    }
    return forget_prior_of_noop(std::move(c));
  }

  bool force_destroy_allowed(const Address& address) const {
    if (address.names().empty())
      return false;
    Address zone(config::kZoneType, {address.names().front()});
    return force_destroy_in_config_.count(zone.str()) > 0 &&
           force_destroy_in_state_.count(zone.str()) > 0;
  }

  /// A new address whose object is one that another address is deleting (a renamed zone keeps
  /// its physical name): applying it would delete what was just adopted. Refused, with the
  /// `state mv` that expresses the rename.
  void refuse_takeovers() {
    std::unordered_map<std::string, const ResourceChange*> deleted;  // "type id" → change
    for (const auto& c : plan_.changes) {
      if ((c.action == Action::kDelete || c.action == Action::kReplace) && c.prior)
        deleted[c.prior->type + " " + c.prior->provider_id] = &c;
    }
    for (const auto& c : plan_.changes) {
      if ((c.action != Action::kCreate && c.action != Action::kReplace) || !c.desired)
        continue;
      auto it = deleted.find(c.desired->type + " " + c.desired->provider_id);
      if (it == deleted.end() || it->second->address == c.address)
        continue;
      config::Diagnostic d;
      d.address = c.address.str();
      d.summary = c.address.str() + " would take over " + c.location_after + ", which " +
                  it->second->address.str() + " is deleting";
      d.detail = "two addresses name the same " + c.type +
                 "; applying this would delete the object the new address has just adopted";
      d.hint = "if you renamed it, move its state first: `lakeinfra state mv " +
               it->second->address.str() + " " + c.address.str() +
               "`; otherwise give them different physical names";
      diagnostics_.add(std::move(d));
    }
  }

  /// What the user can do about a refused delete or replace, for the case at hand.
  std::string protection_hint(const ResourceChange& c) const {
    const std::string zone = c.address.names().front();
    const std::string zone_address = "zone." + zone;
    const std::string lead = "lakeinfra never deletes data unless asked (data in a zone is ";
    const bool zone_declared = desired_index_.count(zone_address) > 0;
    std::string how = "keep zone \"" + zone +
                      "\" in the configuration with `force_destroy: true`, apply, then run "
                      "`lakeinfra destroy --target " +
                      c.address.str() + "`";
    if (c.action == Action::kReplace) {
      return lead +
             "protected). Move the data away first, or set `force_destroy: true` on zone "
             "\"" +
             zone + "\" and apply that change on its own before this one";
    }
    if (options_.destroy) {
      return lead +
             "protected). Move the data away first, or set `force_destroy: true` on zone "
             "\"" +
             zone + "\", apply, then destroy";
    }
    return lead + "protected even when its block is removed). Put the " + c.type +
           " back in the configuration and move its data away first; or, to delete the data too, " +
           how + (zone_declared ? "" : " before removing the zone");
  }

  void protect_data() {
    // Artifacts this plan deletes go before the container that holds them (dependents are
    // deleted first), so they are not data that blocks the container's deletion.
    std::set<std::string> deleted_artifacts;
    for (const auto& c : plan_.changes) {
      if ((c.action == Action::kDelete || c.action == Action::kReplace) &&
          c.prior->type == config::kArtifactType)
        deleted_artifacts.insert(c.prior->provider_id);
    }
    for (auto& c : plan_.changes) {
      if (c.action != Action::kDelete && c.action != Action::kReplace)
        continue;
      // Counting may walk all of the object's data, so it happens only here, never in refresh.
      auto count = provider_.count_data(c.prior->type, c.prior->provider_id, deleted_artifacts);
      if (!count) {
        config::Diagnostic d;
        d.summary = "cannot check " + c.address.str() +
                    " for data before deleting it: " + count.error().message;
        d.address = c.address.str();
        diagnostics_.add(std::move(d));
        continue;
      }
      c.data_entries = *count;
      c.force_destroy = force_destroy_allowed(c.address);
      if (c.data_entries == 0 || c.force_destroy)
        continue;
      config::Diagnostic d;
      d.address = c.address.str();
      std::string verb = c.action == Action::kDelete ? "delete" : "replace";
      d.summary = "refusing to " + verb + " " + c.address.str() + ": " + c.location_before +
                  " holds " + std::to_string(c.data_entries) +
                  (c.data_entries == 1 ? " entry" : " entries");
      d.detail = "planned because " + c.reasons.front();
      d.hint = protection_hint(c);
      diagnostics_.add(std::move(d));
    }
  }

  /// Orders changes: dependencies first (graph order over desired and state dependencies).
  void order() {
    Graph g;
    // Keys view the changes' own addresses: plan_.changes does not move while this runs.
    std::unordered_map<std::string_view, size_t> node;
    node.reserve(plan_.changes.size());
    for (size_t i = 0; i < plan_.changes.size(); ++i) {
      node[plan_.changes[i].address.str()] = g.add_node(plan_.changes[i].address.str());
    }
    for (size_t i = 0; i < plan_.changes.size(); ++i) {
      const auto& c = plan_.changes[i];
      const auto& deps = c.desired ? c.desired->depends_on : c.prior->depends_on;
      for (const auto& d : deps) {
        auto it = node.find(d.str());
        if (it == node.end())
          continue;
        // Deletes are listed in the order they run: dependents before what they depend on.
        bool both_deleted =
            c.action == Action::kDelete && plan_.changes[it->second].action == Action::kDelete;
        if (both_deleted)
          g.add_edge(i, it->second);
        else
          g.add_edge(it->second, i);
      }
    }
    auto ordered = g.topological_order();
    if (!ordered)
      return;  // state dependencies form a cycle: keep declaration order
    // Permute in place (position k takes the change at ordered[k]) rather than into a second
    // vector: a plan of 100k changes is large.
    std::vector<size_t>& from = *ordered;
    std::vector<bool> placed(from.size(), false);
    for (size_t start = 0; start < from.size(); ++start) {
      if (placed[start])
        continue;
      ResourceChange held = std::move(plan_.changes[start]);
      size_t k = start;
      while (from[k] != start) {
        plan_.changes[k] = std::move(plan_.changes[from[k]]);
        placed[k] = true;
        k = from[k];
      }
      plan_.changes[k] = std::move(held);
      placed[k] = true;
    }
  }

  std::vector<config::DesiredResource> desired_;
  state::Snapshot snapshot_;
  /// Zones with force_destroy: true in the configuration, and in state.
  std::unordered_set<std::string> force_destroy_in_config_;
  std::unordered_set<std::string> force_destroy_in_state_;
  providers::Provider& provider_;
  const PlanOptions& options_;

  std::unordered_map<std::string, size_t> desired_index_;
  std::set<std::string> scope_;
  std::unordered_map<std::string, std::optional<providers::Observed>> observed_;
  std::vector<Unsettled> unsettled_;
  config::Diagnostics diagnostics_;
  Plan plan_;
};

}  // namespace

std::future<Refreshed> start_refresh(std::vector<state::ResourceId> objects,
                                     providers::Provider& provider, int parallelism) {
  return std::async(
      std::launch::async, [objects = std::move(objects), &provider, parallelism]() mutable {
        Refreshed out;
        out.objects = std::move(objects);
        std::vector<providers::ReadRequest> requests;
        requests.reserve(out.objects.size());
        for (const auto& o : out.objects)
          requests.push_back({&o.type, &o.provider_id});
        auto started = std::chrono::steady_clock::now();
        out.results = provider.read_many(requests, parallelism);
        if (config::Log::enabled(config::LogLevel::kDebug)) {
          auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
          config::Log::write(config::LogLevel::kDebug,
                             "refresh: read " + std::to_string(requests.size()) +
                                 " objects ahead of the plan in " + std::to_string(us / 1000) +
                                 "." + std::to_string(us % 1000 / 100) + "ms");
        }
        return out;
      });
}

std::future<Refreshed> start_refresh(const state::Snapshot& snapshot, providers::Provider& provider,
                                     int parallelism) {
  std::vector<state::ResourceId> objects;
  objects.reserve(snapshot.resources.size());
  for (const auto& [address, record] : snapshot.resources)
    objects.push_back({address.str(), record.type, record.provider_id});
  return start_refresh(std::move(objects), provider, parallelism);
}

Result<Graph> resource_graph(const std::vector<config::DesiredResource>& desired) {
  Graph g;
  std::unordered_map<std::string_view, size_t> node;  // views of `desired`'s addresses
  node.reserve(desired.size());
  for (const auto& d : desired)
    node[d.address.str()] = g.add_node(d.address.str());
  config::Diagnostics diags;
  for (const auto& d : desired) {
    for (const auto& dep : d.depends_on) {
      auto it = node.find(dep.str());
      if (it == node.end()) {
        diags.add_error(d.address.str() + " depends on " + dep.str() + ", which is not declared");
        continue;
      }
      g.add_edge(it->second, node[d.address.str()]);
    }
  }
  if (diags.has_errors())
    return tl::unexpected(diags);
  auto order = g.topological_order();
  if (!order)
    return tl::unexpected(order.error());
  return g;
}

Result<Plan> make_plan(const std::vector<config::DesiredResource>& desired,
                       const state::Snapshot& snapshot, providers::Provider& provider,
                       const PlanOptions& options) {
  return Planner(desired, snapshot, provider, options).run();
}

Result<Plan> make_plan(std::vector<config::DesiredResource>&& desired, state::Snapshot&& snapshot,
                       providers::Provider& provider, const PlanOptions& options) {
  auto planner =
      std::make_unique<Planner>(std::move(desired), std::move(snapshot), provider, options);
  auto plan = planner->run();
  if (plan)
    plan->leftovers = std::shared_ptr<const void>(std::move(planner));
  return plan;
}

}  // namespace lakeinfra::planner
