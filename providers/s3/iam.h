#pragma once

// The IAM calls the S3 provider makes for roles and their inline policies, as form-encoded POSTs
// through S3Client::call (service "iam", path "/", Version 2010-05-08). Works against AWS IAM
// and Ceph RGW (which does not implement UpdateRole, so this client never calls it). Every
// method returns its value or an S3Failure; none throws.

#include <optional>
#include <string>
#include <vector>

#include "providers/s3/s3_client.h"
#include "providers/s3/s3_errors.h"
#include "providers/s3/s3_types.h"

namespace lakeinfra::providers::s3 {

/// The IAM API version every request names.
inline constexpr const char* kIamVersion = "2010-05-08";

/// The body of an IAM request: "Action=ACTION&NAME=VALUE&...&Version=2010-05-08", names and
/// values percent-encoded (every byte outside A-Z a-z 0-9 - . _ ~), parameters in the given order.
std::string iam_form_body(const std::string& action, const std::vector<NameValue>& parameters);

/// IAM roles and inline policies over an S3Client (which must outlive this object). Thread-safe
/// as the client is. Every request is marked idempotent (retried on transient failures): a
/// CreateRole whose first attempt did succeed then answers EntityAlreadyExists (kConflict),
/// which the provider adopts by the role's tags.
class IamClient {
 public:
  explicit IamClient(S3Client& client) : client_(client) {}

  /// The role, or nullopt when it does not exist (NoSuchEntity, 404).
  S3Result<std::optional<RoleInfo>> get_role(const std::string& name);
  /// Creates the role with path "/", the trust policy (JSON text) and tags. kConflict with code
  /// EntityAlreadyExists when a role of that name exists.
  S3Result<RoleInfo> create_role(const std::string& name, const std::string& trust_policy_json,
                                 const Tags& tags);
  /// Replaces the role's trust policy.
  S3Result<void> update_assume_role_policy(const std::string& name,
                                           const std::string& trust_policy_json);
  /// Adds or overwrites these tags; other tags stay. No tags sends nothing.
  S3Result<void> tag_role(const std::string& name, const Tags& tags);
  /// Removes the tags with these keys (absent keys are fine). No keys sends nothing.
  S3Result<void> untag_role(const std::string& name, const std::vector<std::string>& keys);
  /// Deletes the role; succeeds when it does not exist. kConflict (DeleteConflict) while it
  /// still has inline policies.
  S3Result<void> delete_role(const std::string& name);

  /// The names of the role's inline policies, all pages. kNotFound when the role is missing.
  S3Result<std::vector<std::string>> list_role_policies(const std::string& role);
  /// The inline policy's document (decoded JSON text), or nullopt when the role or the policy
  /// does not exist.
  S3Result<std::optional<std::string>> get_role_policy(const std::string& role,
                                                       const std::string& policy);
  /// Creates or replaces the inline policy.
  S3Result<void> put_role_policy(const std::string& role, const std::string& policy,
                                 const std::string& policy_json);
  /// Deletes the inline policy; succeeds when it (or the role) does not exist.
  S3Result<void> delete_role_policy(const std::string& role, const std::string& policy);

 private:
  S3Result<http::Response> send(const std::string& action, const std::vector<NameValue>& params);

  S3Client& client_;
};

}  // namespace lakeinfra::providers::s3
