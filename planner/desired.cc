#include "planner/desired.h"

#include "config/access.h"

namespace lakeinfra::planner {

namespace {

using config::Access;
using config::Attributes;

Attributes statement(const std::string& sid, std::vector<std::string> actions,
                     const std::string& resource) {
  return {{"Sid", sid},
          {"Effect", "Allow"},
          {"Action", std::move(actions)},
          {"Resource", Attributes::array({resource})}};
}

// The roles and their grants, after the zones and containers they depend on.
void add_roles(const config::Lake& lake, std::vector<config::DesiredResource>& out) {
  for (const auto& role : lake.roles) {
    config::Address role_address(config::kRoleType, {role.name});
    config::DesiredResource r;
    r.address = role_address;
    r.type = config::kRoleType;
    r.provider_id = role.physical_name;
    r.attributes = {{"name", role.name},
                    {"clearance", role.clearance},
                    {"phi", role.phi},
                    {"trust_policy", trust_policy(role.principals)},
                    {"tags",
                     {{"lakeinfra:lake", lake.lake.name},
                      {"lakeinfra:role", role.name},
                      {"lakeinfra:clearance", role.clearance},
                      {"lakeinfra:phi", role.phi ? "true" : "false"},
                      {"lakeinfra:managed-by", "lakeinfra"}}}};
    out.push_back(std::move(r));

    for (const auto& grant : role.grants) {
      // The one evaluation function has the last word on what is rendered.
      if (!config::evaluate_access(lake, role, grant.zone, grant.container, grant.access).allowed)
        continue;
      const config::Zone* zone = lake.find_zone(grant.zone);
      std::string prefix;
      config::Address target(config::kZoneType, {grant.zone});
      std::vector<std::string> names = {role.name, grant.zone};
      std::string policy = config::kGrantPolicyPrefix + grant.zone;
      if (!grant.container.empty()) {
        for (const auto& c : zone->containers) {
          if (c.name == grant.container)
            prefix = c.physical_name;
        }
        target = config::Address(config::kContainerType, {grant.zone, grant.container});
        names.push_back(grant.container);
        policy += "." + grant.container;
      }
      config::DesiredResource g;
      g.address = config::Address(config::kGrantType, names);
      g.type = config::kGrantType;
      g.provider_id = role.physical_name + "/" + policy;
      g.attributes = {{"role", role.name},
                      {"zone", grant.zone},
                      {"container", grant.container},
                      {"access", config::access_name(grant.access)},
                      {"policy", grant_policy(zone->physical_name, prefix, grant.access)}};
      g.depends_on = {role_address, target};
      out.push_back(std::move(g));
    }
  }
}

}  // namespace

Attributes grant_policy(const std::string& bucket, const std::string& prefix, Access access) {
  const std::string bucket_arn = "arn:aws:s3:::" + bucket;
  const std::string objects = bucket_arn + "/" + (prefix.empty() ? "" : prefix + "/") + "*";
  Attributes condition = nullptr;
  if (!prefix.empty())
    condition = {{"StringLike", {{"s3:prefix", {prefix + "/", prefix + "/*"}}}}};

  Attributes statements = Attributes::array();
  Attributes list = statement("List", {"s3:ListBucket"}, bucket_arn);
  if (!condition.is_null())
    list["Condition"] = condition;
  statements.push_back(list);
  statements.push_back(statement("Read", {"s3:GetObject"}, objects));
  if (access >= Access::kWrite)
    statements.push_back(statement("Write", {"s3:PutObject", "s3:DeleteObject"}, objects));
  if (access >= Access::kAdmin) {
    Attributes versions = statement("ListVersions", {"s3:ListBucketVersions"}, bucket_arn);
    if (!condition.is_null())
      versions["Condition"] = condition;
    statements.push_back(versions);
    statements.push_back(
        statement("Versions", {"s3:GetObjectVersion", "s3:DeleteObjectVersion"}, objects));
    if (prefix.empty()) {
      statements.push_back(
          statement("Bucket",
                    {"s3:GetBucketVersioning", "s3:GetBucketTagging",
                     "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"},
                    bucket_arn));
    }
  }
  return {{"Version", "2012-10-17"}, {"Statement", statements}};
}

Attributes trust_policy(const std::vector<std::string>& principals) {
  Attributes s = {{"Action", Attributes::array({"sts:AssumeRole"})}};
  if (principals.empty()) {
    s["Effect"] = "Deny";
    s["Principal"] = {{"AWS", Attributes::array({"*"})}};
  } else {
    s["Effect"] = "Allow";
    s["Principal"] = {{"AWS", principals}};
  }
  return {{"Version", "2012-10-17"}, {"Statement", Attributes::array({s})}};
}

std::vector<config::DesiredResource> desired_resources(const config::Lake& lake) {
  std::vector<config::DesiredResource> out;
  size_t count = lake.roles.size();
  for (const auto& zone : lake.zones)
    count += 1 + zone.containers.size();
  out.reserve(count);
  for (const auto& zone : lake.zones) {
    config::Address zone_address(config::kZoneType, {zone.name});
    config::DesiredResource z;
    z.address = zone_address;
    z.type = config::kZoneType;
    z.provider_id = zone.physical_name;
    z.attributes = {{"name", zone.name},
                    {"tier", zone.tier},
                    {"force_destroy", zone.force_destroy},
                    {"lake", lake.lake.name},
                    {"instance", lake.lake.instance}};
    if (lake.storage.provider == "s3") {
      // What an S3 bucket carries and refresh reads back (see providers/s3/s3_provider.h).
      z.attributes["versioning"] = zone.versioning;
      z.attributes["tags"] = {{"lakeinfra:lake", lake.lake.name},
                              {"lakeinfra:zone", zone.name},
                              {"lakeinfra:tier", zone.tier},
                              {"lakeinfra:managed-by", "lakeinfra"}};
    }
    out.push_back(std::move(z));
    for (const auto& container : zone.containers) {
      config::DesiredResource c;
      c.address = config::Address(config::kContainerType, {zone.name, container.name});
      c.type = config::kContainerType;
      c.provider_id = zone.physical_name + "/" + container.physical_name;
      // Member by member: nlohmann's initializer lists copy every value twice (half of this
      // function's time at 10k containers).
      c.attributes = Attributes::object();
      auto& members = c.attributes.get_ref<Attributes::object_t&>();
      members.emplace("name", container.name);
      members.emplace("tier", container.tier);
      members.emplace("zone", zone.name);
      c.depends_on = {zone_address};
      out.push_back(std::move(c));
    }
  }
  add_roles(lake, out);
  return out;
}

}  // namespace lakeinfra::planner
