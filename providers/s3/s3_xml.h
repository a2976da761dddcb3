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

}  // namespace lakeinfra::providers::s3
