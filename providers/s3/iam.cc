#include "providers/s3/iam.h"

#include "providers/s3/s3_xml.h"
#include "providers/s3/sigv4.h"

namespace lakeinfra::providers::s3 {
namespace {

/// A response body that could not be read as the expected answer.
S3Failure unreadable(const std::string& operation, const http::Response& response,
                     const std::string& why) {
  S3Failure f;
  f.kind = S3FailureKind::kInternal;
  f.operation = operation;
  f.status = response.status;
  f.message = "unreadable response: " + why;
  return f;
}

bool is_missing(const S3Failure& f) {
  return f.kind == S3FailureKind::kNotFound || f.code == "NoSuchEntity";
}

/// Tags.member.N.Key / Tags.member.N.Value, N from 1.
void add_tags(std::vector<NameValue>& params, const Tags& tags) {
  int n = 1;
  for (const auto& [key, value] : tags) {
    std::string prefix = "Tags.member." + std::to_string(n++);
    params.emplace_back(prefix + ".Key", key);
    params.emplace_back(prefix + ".Value", value);
  }
}

}  // namespace

std::string iam_form_body(const std::string& action, const std::vector<NameValue>& parameters) {
  std::string body = "Action=" + uri_encode(action, false);
  for (const auto& [name, value] : parameters)
    body += "&" + uri_encode(name, false) + "=" + uri_encode(value, false);
  return body + "&Version=" + kIamVersion;
}

S3Result<http::Response> IamClient::send(const std::string& action,
                                         const std::vector<NameValue>& params) {
  CallRequest request;
  request.operation = action;
  request.service = "iam";
  request.method = "POST";
  request.path = "/";
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  request.body = iam_form_body(action, params);
  request.idempotent = true;
  return client_.call(request);
}

S3Result<std::optional<RoleInfo>> IamClient::get_role(const std::string& name) {
  auto response = send("GetRole", {{"RoleName", name}});
  if (!response) {
    if (is_missing(response.error()))
      return std::optional<RoleInfo>();
    return tl::unexpected(std::move(response.error()));
  }
  auto role = parse_role(response->body);
  if (!role)
    return tl::unexpected(unreadable("GetRole", *response, role.error()));
  return std::optional<RoleInfo>(std::move(*role));
}

S3Result<RoleInfo> IamClient::create_role(const std::string& name,
                                          const std::string& trust_policy_json, const Tags& tags) {
  std::vector<NameValue> params = {
      {"RoleName", name}, {"Path", "/"}, {"AssumeRolePolicyDocument", trust_policy_json}};
  add_tags(params, tags);
  auto response = send("CreateRole", params);
  if (!response)
    return tl::unexpected(std::move(response.error()));
  auto role = parse_role(response->body);
  if (!role)
    return tl::unexpected(unreadable("CreateRole", *response, role.error()));
  return std::move(*role);
}

S3Result<void> IamClient::update_assume_role_policy(const std::string& name,
                                                    const std::string& trust_policy_json) {
  auto response =
      send("UpdateAssumeRolePolicy", {{"RoleName", name}, {"PolicyDocument", trust_policy_json}});
  if (!response)
    return tl::unexpected(std::move(response.error()));
  return {};
}

S3Result<void> IamClient::tag_role(const std::string& name, const Tags& tags) {
  if (tags.empty())
    return {};
  std::vector<NameValue> params = {{"RoleName", name}};
  add_tags(params, tags);
  auto response = send("TagRole", params);
  if (!response)
    return tl::unexpected(std::move(response.error()));
  return {};
}

S3Result<void> IamClient::untag_role(const std::string& name,
                                     const std::vector<std::string>& keys) {
  if (keys.empty())
    return {};
  std::vector<NameValue> params = {{"RoleName", name}};
  for (size_t i = 0; i < keys.size(); ++i)
    params.emplace_back("TagKeys.member." + std::to_string(i + 1), keys[i]);
  auto response = send("UntagRole", params);
  if (!response)
    return tl::unexpected(std::move(response.error()));
  return {};
}

S3Result<void> IamClient::delete_role(const std::string& name) {
  auto response = send("DeleteRole", {{"RoleName", name}});
  if (!response && !is_missing(response.error()))
    return tl::unexpected(std::move(response.error()));
  return {};
}

S3Result<std::vector<std::string>> IamClient::list_role_policies(const std::string& role) {
  std::vector<std::string> names;
  std::string marker;
  while (true) {
    std::vector<NameValue> params = {{"RoleName", role}};
    if (!marker.empty())
      params.emplace_back("Marker", marker);
    auto response = send("ListRolePolicies", params);
    if (!response)
      return tl::unexpected(std::move(response.error()));
    auto page = parse_role_policy_names(response->body);
    if (!page)
      return tl::unexpected(unreadable("ListRolePolicies", *response, page.error()));
    names.insert(names.end(), page->names.begin(), page->names.end());
    if (!page->truncated)
      return names;
    if (page->marker.empty() || page->marker == marker) {
      return tl::unexpected(
          unreadable("ListRolePolicies", *response, "truncated page without a new Marker"));
    }
    marker = page->marker;
  }
}

S3Result<std::optional<std::string>> IamClient::get_role_policy(const std::string& role,
                                                                const std::string& policy) {
  auto response = send("GetRolePolicy", {{"RoleName", role}, {"PolicyName", policy}});
  if (!response) {
    if (is_missing(response.error()))
      return std::optional<std::string>();
    return tl::unexpected(std::move(response.error()));
  }
  auto document = parse_role_policy(response->body);
  if (!document)
    return tl::unexpected(unreadable("GetRolePolicy", *response, document.error()));
  return std::optional<std::string>(std::move(*document));
}

S3Result<void> IamClient::put_role_policy(const std::string& role, const std::string& policy,
                                          const std::string& policy_json) {
  auto response =
      send("PutRolePolicy",
           {{"RoleName", role}, {"PolicyName", policy}, {"PolicyDocument", policy_json}});
  if (!response)
    return tl::unexpected(std::move(response.error()));
  return {};
}

S3Result<void> IamClient::delete_role_policy(const std::string& role, const std::string& policy) {
  // RGW answers a missing policy with 404 and two documents glued together (its empty
  // DeleteRolePoliciesResponse, then the <Error>): the status alone says "missing".
  auto response = send("DeleteRolePolicy", {{"RoleName", role}, {"PolicyName", policy}});
  if (!response && !is_missing(response.error()))
    return tl::unexpected(std::move(response.error()));
  return {};
}

}  // namespace lakeinfra::providers::s3
