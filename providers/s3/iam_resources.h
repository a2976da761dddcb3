#pragma once

// The S3 provider's governance resources (config/resource.h): a role is an IAM role, a grant one
// of its inline policies. The provider (s3_provider.cc) dispatches these types here.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "providers/provider.h"
#include "providers/s3/iam.h"

namespace lakeinfra::providers::s3 {

/// Serialises the changes to one IAM role (its trust policy, tags and inline policies). Ceph RGW
/// keeps a role with its inline policies in one object and updates it read-modify-write: two
/// PutRolePolicy calls on one role at once lose one of the policies (seen in the governance
/// tests: a role with two grants applied in parallel kept one). Different roles still change in
/// parallel. Thread-safe.
class RoleLocks {
 public:
  std::unique_lock<std::mutex> lock(const std::string& role);

 private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<std::mutex>> locks_;
};

/// A grant's provider_id "ROLE/POLICY" split; kInvalid unless both parts are non-empty and
/// there is exactly one '/'.
struct GrantId {
  std::string role;
  std::string policy;
};
ProviderResult<GrantId> parse_grant_id(const std::string& provider_id);

/// The role's trust_policy (parsed JSON) and lakeinfra:* tags; nullopt when it does not exist.
ProviderResult<std::optional<Observed>> read_role(IamClient& iam, const std::string& name);
/// Creates the role, or adopts an existing one that is lakeinfra's for the same lake (see
/// make_s3_provider); returns the desired attributes.
ProviderResult<config::Attributes> create_role(IamClient& iam,
                                               const config::DesiredResource& desired);
/// Brings the trust policy and lakeinfra:* tags to `desired`, leaving other tags alone; kNotFound
/// when the role is gone.
ProviderResult<config::Attributes> update_role(IamClient& iam,
                                               const config::DesiredResource& desired);
/// Deletes every inline policy, then the role. Succeeds when it is already gone.
ProviderResult<void> remove_role(IamClient& iam, const std::string& name);

/// The grant's policy (parsed JSON, or the text when it is not JSON); nullopt when the role or
/// the policy does not exist.
ProviderResult<std::optional<Observed>> read_grant(IamClient& iam, const std::string& provider_id);
/// Writes the inline policy (create and update alike).
ProviderResult<config::Attributes> put_grant(IamClient& iam,
                                             const config::DesiredResource& desired);
/// Deletes the inline policy; succeeds when it or its role is gone.
ProviderResult<void> remove_grant(IamClient& iam, const std::string& provider_id);

}  // namespace lakeinfra::providers::s3
