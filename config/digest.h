#pragma once

#include <string>
#include <string_view>

namespace lakeinfra::config {

/// The SHA-256 of `data` as 64 lowercase hex digits (OpenSSL). For plan-file checksums, artifact
/// hashes and build keys.
std::string sha256_hex(std::string_view data);

}  // namespace lakeinfra::config
