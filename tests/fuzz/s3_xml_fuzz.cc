// Fuzz target: the XML parsers of S3, IAM and STS responses (see fuzz_targets.h).
#include <string>
#include <string_view>

#include "providers/s3/s3_errors.h"
#include "providers/s3/s3_xml.h"
#include "tests/fuzz/fuzz_targets.h"

namespace lakeinfra::fuzz {

int s3_xml_fuzz(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  namespace s3 = providers::s3;
  (void)s3::parse_error_body(xml);
  providers::http::Response response;
  response.status = 403;
  response.body = std::string(xml);
  (void)s3::failure_from_response("GetRole", "bucket", "key", response).str();
  (void)s3::parse_tagging(xml);
  (void)s3::parse_versioning(xml);
  (void)s3::parse_list_objects_v2(xml);
  (void)s3::parse_list_versions(xml);
  (void)s3::parse_delete_result(xml);
  (void)s3::parse_role(xml);
  (void)s3::parse_role_policy(xml);
  (void)s3::parse_role_policy_names(xml);
  (void)s3::decode_policy_document(xml);
  return 0;
}

}  // namespace lakeinfra::fuzz

LAKEINFRA_FUZZ_ENTRY(s3_xml_fuzz)
