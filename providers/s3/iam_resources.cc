#include "providers/s3/iam_resources.h"

#include "providers/s3/s3_provider.h"

namespace lakeinfra::providers::s3 {
namespace {

using config::Attributes;

bool is_ours(const std::string& key) {
  return key.starts_with("lakeinfra:");
}

tl::unexpected<Failure> failed(const S3Failure& f) {
  return tl::unexpected(Failure{failure_kind_of(f.kind), f.str(), {}});
}

tl::unexpected<Failure> failed(FailureKind kind, std::string message) {
  return tl::unexpected(Failure{kind, std::move(message), {}});
}

/// A document as JSON, or as its text when it is not JSON (so it shows as drift).
Attributes parse_document(const std::string& text) {
  Attributes parsed = Attributes::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded())
    return text;
  return parsed;
}

Tags lakeinfra_tags(const Tags& tags) {
  Tags out;
  for (const auto& [k, v] : tags) {
    if (is_ours(k))
      out[k] = v;
  }
  return out;
}

/// The desired lakeinfra:* tags (string values only).
Tags desired_tags(const config::DesiredResource& desired) {
  Tags out;
  auto it = desired.attributes.find("tags");
  if (it == desired.attributes.end() || !it->is_object())
    return out;
  for (const auto& [k, v] : it->items()) {
    if (v.is_string() && is_ours(k))
      out[k] = v.get<std::string>();
  }
  return out;
}

std::string trust_policy_json(const config::DesiredResource& desired) {
  auto it = desired.attributes.find("trust_policy");
  return it == desired.attributes.end() ? std::string("{}") : it->dump();
}

std::string value_of(const Tags& tags, const std::string& key) {
  auto it = tags.find(key);
  return it == tags.end() ? std::string() : it->second;
}

/// Brings an existing role to `desired`: trust policy when it differs, then lakeinfra:* tags.
ProviderResult<Attributes> converge(IamClient& iam, const RoleInfo& role,
                                    const config::DesiredResource& desired) {
  const std::string& name = desired.provider_id;
  Attributes want_trust = desired.attributes.value("trust_policy", Attributes::object());
  if (parse_document(role.trust_policy) != want_trust) {
    auto updated = iam.update_assume_role_policy(name, trust_policy_json(desired));
    if (!updated)
      return failed(updated.error());
  }
  Tags want = desired_tags(desired);
  Tags have = lakeinfra_tags(role.tags);
  Tags to_set;
  for (const auto& [k, v] : want) {
    auto it = have.find(k);
    if (it == have.end() || it->second != v)
      to_set[k] = v;
  }
  std::vector<std::string> to_remove;
  for (const auto& [k, v] : have) {
    if (!want.count(k))
      to_remove.push_back(k);
  }
  auto untagged = iam.untag_role(name, to_remove);
  if (!untagged)
    return failed(untagged.error());
  auto tagged = iam.tag_role(name, to_set);
  if (!tagged)
    return failed(tagged.error());
  return desired.attributes;
}

}  // namespace

std::unique_lock<std::mutex> RoleLocks::lock(const std::string& role) {
  std::mutex* m;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    auto& slot = locks_[role];
    if (!slot)
      slot = std::make_unique<std::mutex>();
    m = slot.get();
  }
  return std::unique_lock<std::mutex>(*m);
}

ProviderResult<GrantId> parse_grant_id(const std::string& provider_id) {
  size_t slash = provider_id.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == provider_id.size() ||
      provider_id.find('/', slash + 1) != std::string::npos) {
    return failed(FailureKind::kInvalid,
                  "invalid grant id \"" + provider_id + "\" (expected ROLE/POLICY)");
  }
  return GrantId{provider_id.substr(0, slash), provider_id.substr(slash + 1)};
}

ProviderResult<std::optional<Observed>> read_role(IamClient& iam, const std::string& name) {
  auto role = iam.get_role(name);
  if (!role)
    return failed(role.error());
  if (!*role)
    return std::optional<Observed>();
  Observed observed;
  observed.attributes["trust_policy"] = parse_document((*role)->trust_policy);
  Attributes tags = Attributes::object();
  for (const auto& [k, v] : lakeinfra_tags((*role)->tags))
    tags[k] = v;
  observed.attributes["tags"] = tags;
  observed.unmanaged = value_of((*role)->tags, kTagManagedBy) != kManagedByValue;
  return std::optional<Observed>(std::move(observed));
}

ProviderResult<Attributes> create_role(IamClient& iam, const config::DesiredResource& desired) {
  const std::string& name = desired.provider_id;
  if (name.empty())
    return failed(FailureKind::kInvalid, "invalid role id \"\"");
  auto created = iam.create_role(name, trust_policy_json(desired), desired_tags(desired));
  // The ARN is not recorded: it follows from the name, and an attribute the configuration does
  // not declare would show as a change in every plan.
  if (created)
    return desired.attributes;
  if (created.error().code != "EntityAlreadyExists")
    return failed(created.error());
  // It exists: adopt it if it is lakeinfra's, for this lake.
  auto existing = iam.get_role(name);
  if (!existing)
    return failed(existing.error());
  if (!*existing) {
    return failed(FailureKind::kTransient,
                  "iam role " + name + " was reported to exist but then was not found");
  }
  Tags want = desired_tags(desired);
  const Tags& have = (*existing)->tags;
  if (value_of(have, kTagManagedBy) != kManagedByValue ||
      value_of(have, kTagLake) != value_of(want, kTagLake)) {
    std::string lake = value_of(have, kTagLake);
    return failed(FailureKind::kConflict,
                  "iam role " + name + " already exists and is not lakeinfra's" +
                      (value_of(have, kTagManagedBy) == kManagedByValue
                           ? " for this lake (it belongs to lake \"" + lake + "\")"
                           : " (it lacks the tag " + std::string(kTagManagedBy) + "=" +
                                 kManagedByValue + ")") +
                      "; refusing to adopt it");
  }
  return converge(iam, **existing, desired);
}

ProviderResult<Attributes> update_role(IamClient& iam, const config::DesiredResource& desired) {
  auto existing = iam.get_role(desired.provider_id);
  if (!existing)
    return failed(existing.error());
  if (!*existing)
    return failed(FailureKind::kNotFound, "iam role " + desired.provider_id + " does not exist");
  return converge(iam, **existing, desired);
}

ProviderResult<void> remove_role(IamClient& iam, const std::string& name) {
  auto policies = iam.list_role_policies(name);
  if (!policies) {
    if (policies.error().kind == S3FailureKind::kNotFound)
      return {};
    return failed(policies.error());
  }
  for (const auto& policy : *policies) {
    auto deleted = iam.delete_role_policy(name, policy);
    if (!deleted)
      return failed(deleted.error());
  }
  auto deleted = iam.delete_role(name);
  if (!deleted)
    return failed(deleted.error());
  return {};
}

ProviderResult<std::optional<Observed>> read_grant(IamClient& iam, const std::string& provider_id) {
  auto id = parse_grant_id(provider_id);
  if (!id)
    return tl::unexpected(id.error());
  auto document = iam.get_role_policy(id->role, id->policy);
  if (!document)
    return failed(document.error());
  if (!*document)
    return std::optional<Observed>();
  Observed observed;
  observed.attributes["policy"] = parse_document(**document);
  return std::optional<Observed>(std::move(observed));
}

ProviderResult<Attributes> put_grant(IamClient& iam, const config::DesiredResource& desired) {
  auto id = parse_grant_id(desired.provider_id);
  if (!id)
    return tl::unexpected(id.error());
  auto it = desired.attributes.find("policy");
  if (it == desired.attributes.end() || !it->is_object()) {
    return failed(FailureKind::kInvalid,
                  "grant " + desired.provider_id + " has no policy document (a JSON object)");
  }
  auto put = iam.put_role_policy(id->role, id->policy, it->dump());
  if (!put)
    return failed(put.error());
  return desired.attributes;
}

ProviderResult<void> remove_grant(IamClient& iam, const std::string& provider_id) {
  auto id = parse_grant_id(provider_id);
  if (!id)
    return tl::unexpected(id.error());
  auto deleted = iam.delete_role_policy(id->role, id->policy);
  if (!deleted)
    return failed(deleted.error());
  return {};
}

}  // namespace lakeinfra::providers::s3
