#include "providers/s3/s3_xml.h"

#include <pugixml.hpp>

#include <exception>
#include <sstream>

namespace lakeinfra::providers::s3 {
namespace {

/// Serialises without declaration or indentation; pugixml escapes text and attributes.
std::string to_string(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return out.str();
}

pugi::xml_node new_root(pugi::xml_document& doc, const char* name) {
  pugi::xml_node root = doc.append_child(name);
  root.append_attribute("xmlns").set_value(std::string(kS3Namespace).c_str());
  return root;
}

void add_text(pugi::xml_node parent, const char* name, const std::string& value) {
  parent.append_child(name).text().set(value.c_str());
}

/// The document's root element, which must be named `root_name` (any name when it is empty).
tl::expected<pugi::xml_node, std::string> load(pugi::xml_document& doc, std::string_view xml,
                                               std::string_view root_name) {
  pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    return tl::unexpected("malformed XML at byte " + std::to_string(parsed.offset) + ": " +
                          parsed.description());
  }
  pugi::xml_node root = doc.document_element();
  if (!root_name.empty() && root_name != root.name()) {
    return tl::unexpected("expected <" + std::string(root_name) + ">, got <" +
                          std::string(root.name()) + ">");
  }
  return root;
}

std::string text(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().as_string();
}

bool flag(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().as_bool();
}

std::vector<std::string> common_prefixes(const pugi::xml_node& root) {
  std::vector<std::string> out;
  for (pugi::xml_node p : root.children("CommonPrefixes"))
    out.push_back(text(p, "Prefix"));
  return out;
}

/// Runs a parser, turning an exception (out of memory) into a failure.
template <typename F>
auto guarded(F&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const std::exception& e) {
    return tl::unexpected(std::string("XML parsing failed: ") + e.what());
  }
}

}  // namespace

const char* versioning_name(Versioning versioning) {
  switch (versioning) {
    case Versioning::kNever:
      return "never";
    case Versioning::kEnabled:
      return "enabled";
    case Versioning::kSuspended:
      break;
  }
  return "suspended";
}

std::string tagging_xml(const Tags& tags) {
  pugi::xml_document doc;
  pugi::xml_node set = new_root(doc, "Tagging").append_child("TagSet");
  for (const auto& [key, value] : tags) {
    pugi::xml_node tag = set.append_child("Tag");
    add_text(tag, "Key", key);
    add_text(tag, "Value", value);
  }
  return to_string(doc);
}

std::string versioning_xml(Versioning versioning) {
  pugi::xml_document doc;
  add_text(new_root(doc, "VersioningConfiguration"), "Status",
           versioning == Versioning::kEnabled ? "Enabled" : "Suspended");
  return to_string(doc);
}

std::string create_bucket_xml(std::string_view region) {
  pugi::xml_document doc;
  add_text(new_root(doc, "CreateBucketConfiguration"), "LocationConstraint", std::string(region));
  return to_string(doc);
}

std::string delete_objects_xml(const std::vector<ObjectId>& objects) {
  pugi::xml_document doc;
  pugi::xml_node root = new_root(doc, "Delete");
  add_text(root, "Quiet", "false");
  for (const ObjectId& id : objects) {
    pugi::xml_node object = root.append_child("Object");
    add_text(object, "Key", id.key);
    if (!id.version_id.empty())
      add_text(object, "VersionId", id.version_id);
  }
  return to_string(doc);
}

tl::expected<Tags, std::string> parse_tagging(std::string_view xml) {
  return guarded([&]() -> tl::expected<Tags, std::string> {
    pugi::xml_document doc;
    auto root = load(doc, xml, "Tagging");
    if (!root)
      return tl::unexpected(root.error());
    Tags tags;
    for (pugi::xml_node tag : root->child("TagSet").children("Tag"))
      tags[text(tag, "Key")] = text(tag, "Value");
    return tags;
  });
}

tl::expected<Versioning, std::string> parse_versioning(std::string_view xml) {
  return guarded([&]() -> tl::expected<Versioning, std::string> {
    pugi::xml_document doc;
    auto root = load(doc, xml, "VersioningConfiguration");
    if (!root)
      return tl::unexpected(root.error());
    std::string status = text(*root, "Status");
    if (status.empty())
      return Versioning::kNever;
    if (status == "Enabled")
      return Versioning::kEnabled;
    if (status == "Suspended")
      return Versioning::kSuspended;
    return tl::unexpected("unknown versioning status \"" + status + "\"");
  });
}

tl::expected<ListObjectsPage, std::string> parse_list_objects_v2(std::string_view xml) {
  return guarded([&]() -> tl::expected<ListObjectsPage, std::string> {
    pugi::xml_document doc;
    auto root = load(doc, xml, "ListBucketResult");
    if (!root)
      return tl::unexpected(root.error());
    ListObjectsPage page;
    for (pugi::xml_node c : root->children("Contents")) {
      page.objects.push_back(ObjectSummary{.key = text(c, "Key"),
                                           .size = c.child("Size").text().as_ullong(),
                                           .etag = text(c, "ETag"),
                                           .last_modified = text(c, "LastModified")});
    }
    page.common_prefixes = common_prefixes(*root);
    page.truncated = flag(*root, "IsTruncated");
    page.next_continuation_token = text(*root, "NextContinuationToken");
    if (page.truncated && page.next_continuation_token.empty())
      return tl::unexpected(std::string("a truncated listing without NextContinuationToken"));
    return page;
  });
}

tl::expected<ListVersionsPage, std::string> parse_list_versions(std::string_view xml) {
  return guarded([&]() -> tl::expected<ListVersionsPage, std::string> {
    pugi::xml_document doc;
    auto root = load(doc, xml, "ListVersionsResult");
    if (!root)
      return tl::unexpected(root.error());
    ListVersionsPage page;
    for (pugi::xml_node v : root->children()) {
      std::string_view name = v.name();
      if (name != "Version" && name != "DeleteMarker")
        continue;
      page.versions.push_back(ObjectVersion{.key = text(v, "Key"),
                                            .version_id = text(v, "VersionId"),
                                            .is_latest = flag(v, "IsLatest"),
                                            .delete_marker = name == "DeleteMarker",
                                            .size = v.child("Size").text().as_ullong(),
                                            .etag = text(v, "ETag"),
                                            .last_modified = text(v, "LastModified")});
    }
    page.common_prefixes = common_prefixes(*root);
    page.truncated = flag(*root, "IsTruncated");
    page.next_key_marker = text(*root, "NextKeyMarker");
    page.next_version_id_marker = text(*root, "NextVersionIdMarker");
    if (page.truncated && page.next_key_marker.empty())
      return tl::unexpected(std::string("a truncated listing without NextKeyMarker"));
    return page;
  });
}

tl::expected<DeleteObjectsResult, std::string> parse_delete_result(std::string_view xml) {
  return guarded([&]() -> tl::expected<DeleteObjectsResult, std::string> {
    pugi::xml_document doc;
    auto root = load(doc, xml, "DeleteResult");
    if (!root)
      return tl::unexpected(root.error());
    DeleteObjectsResult result;
    for (pugi::xml_node d : root->children("Deleted"))
      result.deleted.push_back(ObjectId{text(d, "Key"), text(d, "VersionId")});
    for (pugi::xml_node e : root->children("Error")) {
      result.errors.push_back(DeleteError{.key = text(e, "Key"),
                                          .version_id = text(e, "VersionId"),
                                          .code = text(e, "Code"),
                                          .message = text(e, "Message")});
    }
    return result;
  });
}

namespace {

/// The `<XResult>` child of an IAM response's root (any root name).
tl::expected<pugi::xml_node, std::string> iam_result(pugi::xml_document& doc,
                                                     std::string_view xml) {
  auto loaded = load(doc, xml, "");
  if (!loaded)
    return tl::unexpected(loaded.error());
  pugi::xml_node root = *loaded;
  for (pugi::xml_node child : root.children()) {
    std::string_view name = child.name();
    if (name.size() > 6 && name.ends_with("Result"))
      return child;
  }
  return tl::unexpected("expected a result in <" + std::string(root.name()) + ">");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Tags of a <Tags> element in AWS's member shape or RGW's alternating Key/Value shape.
Tags parse_iam_tags(const pugi::xml_node& tags) {
  Tags out;
  for (pugi::xml_node member : tags.children("member"))
    out[text(member, "Key")] = text(member, "Value");
  // RGW: <Key><Key>k</Key></Key><Value><Value>v</Value></Value>, alternating.
  std::string key;
  bool have_key = false;
  for (pugi::xml_node node : tags.children()) {
    std::string_view name = node.name();
    if (name == "Key") {
      key = node.child("Key") ? text(node, "Key") : node.text().as_string();
      have_key = true;
    } else if (name == "Value" && have_key) {
      out[key] = node.child("Value") ? text(node, "Value") : node.text().as_string();
      have_key = false;
    }
  }
  return out;
}

}  // namespace

std::string decode_policy_document(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '%')
    return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    int hi = 0;
    int lo = 0;
    if (text[i] == '%' && i + 2 < text.size() && (hi = hex_value(text[i + 1])) >= 0 &&
        (lo = hex_value(text[i + 2])) >= 0) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

tl::expected<RoleInfo, std::string> parse_role(std::string_view xml) {
  return guarded([&]() -> tl::expected<RoleInfo, std::string> {
    pugi::xml_document doc;
    auto result = iam_result(doc, xml);
    if (!result)
      return tl::unexpected(result.error());
    pugi::xml_node role = result->child("Role");
    if (!role)
      return tl::unexpected(std::string("expected <Role> in <") + result->name() + ">");
    RoleInfo info;
    info.name = text(role, "RoleName");
    info.arn = text(role, "Arn");
    info.path = text(role, "Path");
    info.trust_policy = decode_policy_document(text(role, "AssumeRolePolicyDocument"));
    info.tags = parse_iam_tags(role.child("Tags"));
    return info;
  });
}

tl::expected<std::string, std::string> parse_role_policy(std::string_view xml) {
  return guarded([&]() -> tl::expected<std::string, std::string> {
    pugi::xml_document doc;
    auto result = iam_result(doc, xml);
    if (!result)
      return tl::unexpected(result.error());
    pugi::xml_node document = result->child("PolicyDocument");
    if (!document)
      return tl::unexpected(std::string("expected <PolicyDocument> in <") + result->name() + ">");
    return decode_policy_document(document.text().as_string());
  });
}

tl::expected<RolePolicyNamesPage, std::string> parse_role_policy_names(std::string_view xml) {
  return guarded([&]() -> tl::expected<RolePolicyNamesPage, std::string> {
    pugi::xml_document doc;
    auto result = iam_result(doc, xml);
    if (!result)
      return tl::unexpected(result.error());
    RolePolicyNamesPage page;
    for (pugi::xml_node member : result->child("PolicyNames").children("member"))
      page.names.push_back(member.text().as_string());
    page.truncated = flag(*result, "IsTruncated");
    page.marker = text(*result, "Marker");
    return page;
  });
}

}  // namespace lakeinfra::providers::s3
