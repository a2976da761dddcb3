#pragma once

// The bodies of the libFuzzer targets, as plain functions: each takes one input and returns 0.
// Built with LAKEINFRA_LIBFUZZER, each <target>.cc also defines LLVMFuzzerTestOneInput (the
// fuzz executables of `make fuzz`); without it, fuzz_replay_test runs the same bodies over the
// seed corpus and the saved regressions in the normal `make test`. A body must never crash,
// leak, throw or trip a sanitizer, whatever the input: that is what the fuzzer checks.

#include <cstddef>
#include <cstdint>

namespace lakeinfra::fuzz {

/// lake.yaml text (and an optional lake.dev.yaml overlay after a "#--- overlay" line) through
/// config::parse_lake and config::load_lake over an in-memory file system.
int config_fuzz(const uint8_t* data, size_t size);
/// activities.json text through pipelines::parse_activities, validate_activities,
/// referenced_artifacts and rewrite_artifact_paths.
int activities_fuzz(const uint8_t* data, size_t size);
/// An S3/IAM/STS response body through every XML parser of providers/s3 (error bodies, tagging,
/// versioning, listings, delete results, roles, role policies).
int s3_xml_fuzz(const uint8_t* data, size_t size);
/// A saved plan through planner::plan_from_text, both as it is and with its "plan" object
/// re-sealed with a matching checksum (so the fuzzer gets past the checksum check).
int plan_file_fuzz(const uint8_t* data, size_t size);

}  // namespace lakeinfra::fuzz

#ifdef LAKEINFRA_LIBFUZZER
#define LAKEINFRA_FUZZ_ENTRY(body)                                          \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    return lakeinfra::fuzz::body(data, size);                               \
  }
#else
#define LAKEINFRA_FUZZ_ENTRY(body)
#endif
