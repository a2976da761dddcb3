#include "providers/s3/s3_errors.h"

#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <exception>
#include <utility>

#include "config/log.h"

namespace lakeinfra::providers::s3 {
namespace {

/// Codes that mean the same on any status.
constexpr std::array<std::string_view, 10> kTransientCodes = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestThrottled",
    "RequestLimitExceeded",
    "RequestTimeout",
    "ServiceUnavailable",
    "InternalError",
    "PriorRequestNotComplete",
    "TooManyRequestsException",
};
constexpr std::array<std::string_view, 9> kAuthCodes = {
    "AccessDenied",          "SignatureDoesNotMatch",
    "InvalidAccessKeyId",    "InvalidClientTokenId",
    "ExpiredToken",          "InvalidToken",
    "AccessDeniedException", "MissingAuthenticationToken",
    "TokenRefreshRequired",
};

bool contains(auto& list, std::string_view code) {
  return std::find(list.begin(), list.end(), code) != list.end();
}

std::string child_text(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().as_string();
}

/// The first words of a body that is not an error document: markup dropped, blanks collapsed.
std::string excerpt(std::string_view body) {
  constexpr size_t kMax = 160;
  std::string out;
  bool in_tag = false, space = false;
  for (char c : body) {
    if (c == '<') {
      in_tag = true;
      space = true;
      continue;
    }
    if (in_tag) {
      in_tag = c != '>';
      continue;
    }
    auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7F) {
      space = true;
      continue;
    }
    if (space && !out.empty())
      out.push_back(' ');
    space = false;
    out.push_back(c);
    if (out.size() >= kMax) {
      out += "...";
      break;
    }
  }
  return out;
}

std::string transport_words(http::ErrorKind kind) {
  switch (kind) {
    case http::ErrorKind::kConnect:
      return "could not connect";
    case http::ErrorKind::kTimeout:
      return "timed out";
    case http::ErrorKind::kReset:
      return "connection reset";
    case http::ErrorKind::kTls:
      return "TLS failure";
    case http::ErrorKind::kOther:
      break;
  }
  return "request failed";
}

}  // namespace

const char* s3_failure_kind_name(S3FailureKind kind) {
  switch (kind) {
    case S3FailureKind::kNotFound:
      return "not_found";
    case S3FailureKind::kAuth:
      return "auth";
    case S3FailureKind::kConflict:
      return "conflict";
    case S3FailureKind::kTransient:
      return "transient";
    case S3FailureKind::kInvalid:
      return "invalid";
    case S3FailureKind::kInternal:
      break;
  }
  return "internal";
}

std::string S3Failure::str() const {
  std::string out = operation;
  std::string target = bucket;
  if (!key.empty())
    target += (target.empty() ? "" : "/") + key;
  if (!target.empty())
    out += (out.empty() ? "" : " ") + target;
  std::string detail;
  if (status != 0)
    detail = "HTTP " + std::to_string(status);
  if (!code.empty())
    detail += (detail.empty() ? "" : " ") + code;
  if (!message.empty())
    detail += (detail.empty() ? "" : ": ") + message;
  if (!detail.empty())
    out += (out.empty() ? "" : ": ") + detail;
  std::string notes;
  if (!request_id.empty())
    notes = "request id " + request_id;
  if (attempts > 1)
    notes += (notes.empty() ? "" : "; ") + std::to_string(attempts) + " attempts";
  if (!notes.empty())
    out += " (" + notes + ")";
  return out;
}

ErrorBody parse_error_body(std::string_view body) {
  ErrorBody out;
  try {
    pugi::xml_document doc;
    pugi::xml_parse_result parsed =
        doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
    pugi::xml_node root = doc.document_element();
    pugi::xml_node error;
    if (parsed) {
      std::string_view name = root.name();
      if (name == "Error")
        error = root;  // S3
      else if (name == "ErrorResponse")
        error = root.child("Error");  // IAM, STS
      else if (name == "Response")
        error = root.child("Errors").child("Error");  // EC2-style query APIs
    }
    if (!error) {
      std::string text = excerpt(body);
      if (!text.empty())
        out.message = "unexpected response: " + text;
      return out;
    }
    out.code = child_text(error, "Code");
    out.message = child_text(error, "Message");
    out.request_id = child_text(error, "RequestId");
    if (out.request_id.empty())
      out.request_id = child_text(root, "RequestId");
    return out;
  } catch (const std::exception&) {
    return out;  // Out of memory while parsing: report the status alone.
  }
}

S3FailureKind classify(long status, std::string_view code) {
  if (contains(kTransientCodes, code))
    return S3FailureKind::kTransient;
  if (contains(kAuthCodes, code))
    return S3FailureKind::kAuth;
  if (status >= 500 || status == 429)
    return S3FailureKind::kTransient;
  if (status == 403 || status == 401)
    return S3FailureKind::kAuth;
  if (status == 404)
    return S3FailureKind::kNotFound;
  if (status == 409)
    return S3FailureKind::kConflict;
  if (status >= 300 && status < 500)
    return S3FailureKind::kInvalid;
  return S3FailureKind::kInternal;
}

S3FailureKind classify(http::ErrorKind kind) {
  switch (kind) {
    case http::ErrorKind::kConnect:
    case http::ErrorKind::kTimeout:
    case http::ErrorKind::kReset:
      return S3FailureKind::kTransient;
    case http::ErrorKind::kTls:
    case http::ErrorKind::kOther:
      break;
  }
  return S3FailureKind::kInternal;
}

S3Failure failure_from_response(std::string operation, std::string bucket, std::string key,
                                const http::Response& response) {
  S3Failure f;
  f.operation = std::move(operation);
  f.bucket = std::move(bucket);
  f.key = std::move(key);
  f.status = response.status;
  ErrorBody body = parse_error_body(response.body);
  f.code = std::move(body.code);
  f.message = config::redact(body.message);
  f.request_id = body.request_id;
  if (f.request_id.empty())
    f.request_id = response.header("x-amz-request-id");
  if (f.request_id.empty())
    f.request_id = response.header("x-amzn-requestid");
  if (response.status >= 300 && response.status < 400) {
    if (std::string region = response.header("x-amz-bucket-region"); !region.empty()) {
      f.message += (f.message.empty() ? "" : " ") + std::string("(the bucket is in region ") +
                   region + "; set the region or endpoint to match)";
    }
  }
  f.kind = classify(f.status, f.code);
  return f;
}

S3Failure failure_from_transport(std::string operation, std::string bucket, std::string key,
                                 const http::Error& error) {
  S3Failure f;
  f.operation = std::move(operation);
  f.bucket = std::move(bucket);
  f.key = std::move(key);
  f.transport = error.kind;
  f.message = transport_words(error.kind) + ": " + config::redact(error.message);
  f.kind = classify(error.kind);
  return f;
}

}  // namespace lakeinfra::providers::s3
