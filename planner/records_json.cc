#include "planner/records_json.h"

namespace lakeinfra::planner {
namespace {

config::Attributes deps_json(const std::vector<config::Address>& deps) {
  config::Attributes a = config::Attributes::array();
  for (const auto& d : deps)
    a.push_back(d.str());
  return a;
}

Result<config::Address> address_of(const config::Attributes& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) {
    return fail(std::string("malformed resource: \"") + key + "\" is missing or not a string");
  }
  auto a = config::Address::parse(j[key].get<std::string>());
  if (!a)
    return fail("malformed resource address \"" + j[key].get<std::string>() + "\"");
  return *a;
}

Result<std::vector<config::Address>> deps_of(const config::Attributes& j) {
  std::vector<config::Address> out;
  if (!j.contains("depends_on"))
    return out;
  if (!j["depends_on"].is_array())
    return fail("malformed resource: depends_on is not a list");
  for (const auto& d : j["depends_on"]) {
    auto a = d.is_string() ? config::Address::parse(d.get<std::string>()) : std::nullopt;
    if (!a)
      return fail("malformed resource: bad dependency " + d.dump());
    out.push_back(*a);
  }
  return out;
}

std::string string_of(const config::Attributes& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

}  // namespace

config::Attributes to_json(const config::DesiredResource& r) {
  config::Attributes j = {{"address", r.address.str()},
                          {"type", r.type},
                          {"provider_id", r.provider_id},
                          {"attributes", r.attributes},
                          {"depends_on", deps_json(r.depends_on)}};
  if (!r.source.empty())
    j["source"] = r.source;
  return j;
}

config::Attributes to_json(const config::ResourceRecord& r) {
  return {{"address", r.address.str()}, {"type", r.type},
          {"provider", r.provider},     {"provider_id", r.provider_id},
          {"attributes", r.attributes}, {"depends_on", deps_json(r.depends_on)}};
}

Result<config::DesiredResource> desired_from_json(const config::Attributes& j) {
  if (!j.is_object())
    return fail("malformed resource: not an object");
  auto address = address_of(j, "address");
  if (!address)
    return tl::unexpected(address.error());
  auto deps = deps_of(j);
  if (!deps)
    return tl::unexpected(deps.error());
  config::DesiredResource r;
  r.address = *address;
  r.type = string_of(j, "type");
  r.provider_id = string_of(j, "provider_id");
  r.attributes = j.contains("attributes") && j["attributes"].is_object()
                     ? j["attributes"]
                     : config::Attributes::object();
  r.depends_on = *deps;
  r.source = string_of(j, "source");
  if (r.type.empty() || r.provider_id.empty()) {
    return fail("malformed resource " + r.address.str() + ": type or provider_id missing");
  }
  return r;
}

Result<config::ResourceRecord> record_from_json(const config::Attributes& j) {
  auto d = desired_from_json(j);
  if (!d)
    return tl::unexpected(d.error());
  config::ResourceRecord r;
  r.address = d->address;
  r.type = d->type;
  r.provider = string_of(j, "provider");
  r.provider_id = d->provider_id;
  r.attributes = d->attributes;
  r.depends_on = d->depends_on;
  return r;
}

}  // namespace lakeinfra::planner
