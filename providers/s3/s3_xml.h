#pragma once

// The XML of S3 request and response bodies (pugixml). Pure functions over strings, so tests
// parse literal documents. Parsers fail with a short reason ("expected <Tagging>, got <Error>"),
// never throw, and ignore elements they do not know.

#include <tl/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "providers/s3/s3_types.h"

namespace lakeinfra::providers::s3 {

/// The S3 XML namespace, written on every request body's root.
inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

/// `<Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>`, tags in key order.
std::string tagging_xml(const Tags& tags);
/// `<VersioningConfiguration><Status>Enabled|Suspended</Status></VersioningConfiguration>`;
/// kNever has no XML form (the caller refuses it).
std::string versioning_xml(Versioning versioning);
/// `<CreateBucketConfiguration><LocationConstraint>region</...></...>`.
std::string create_bucket_xml(std::string_view region);
/// `<Delete><Quiet>false</Quiet><Object><Key/><VersionId/></Object>...</Delete>`; keys escaped.
std::string delete_objects_xml(const std::vector<ObjectId>& objects);

tl::expected<Tags, std::string> parse_tagging(std::string_view xml);
tl::expected<Versioning, std::string> parse_versioning(std::string_view xml);
tl::expected<ListObjectsPage, std::string> parse_list_objects_v2(std::string_view xml);
tl::expected<ListVersionsPage, std::string> parse_list_versions(std::string_view xml);
tl::expected<DeleteObjectsResult, std::string> parse_delete_result(std::string_view xml);

// IAM responses (`<XResponse><XResult>...`). The root element's name is not checked, so the
// same parser reads GetRole and CreateRole answers.

/// The <Role> of a GetRole or CreateRole response. Tags in either shape: AWS's
/// `<Tags><member><Key/><Value/></member></Tags>` or Ceph RGW's alternating
/// `<Tags><Key><Key/></Key><Value><Value/></Value>...</Tags>`. The trust policy is decoded
/// (see decode_policy_document).
tl::expected<RoleInfo, std::string> parse_role(std::string_view xml);
/// The PolicyDocument of a GetRolePolicy response, decoded.
tl::expected<std::string, std::string> parse_role_policy(std::string_view xml);
/// The PolicyNames, IsTruncated and Marker of a ListRolePolicies response.
tl::expected<RolePolicyNamesPage, std::string> parse_role_policy_names(std::string_view xml);

/// A policy document as IAM returns it: AWS percent-encodes it ("%7B%22Version%22..."), Ceph
/// RGW sends the JSON text as it is. Text whose first non-blank character is '%' is
/// percent-decoded (a '+' is kept); any other text is returned unchanged.
std::string decode_policy_document(std::string_view text);

}  // namespace lakeinfra::providers::s3
