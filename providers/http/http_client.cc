#include "providers/http/http_client.h"

#include <algorithm>
#include <cctype>

namespace lakeinfra::providers::http {

std::string Response::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return {};
}

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConnect:
      return "connect";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kReset:
      return "reset";
    case ErrorKind::kTls:
      return "tls";
    case ErrorKind::kOther:
      break;
  }
  return "other";
}

}  // namespace lakeinfra::providers::http
