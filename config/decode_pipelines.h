#pragma once

#include "config/decode.h"
#include "config/diagnostics.h"
#include "config/yaml_tree.h"

// Private to config/: the blocks about pipelines and compute (`jobs`, `pipelines`, `artifacts`,
// `workspace`, `mounts`), decoded after the zones they refer to.

namespace lakeinfra::config {

/// Decodes the `jobs`, `pipelines`, `artifacts`, `workspace` and `mounts` blocks of `root` (the
/// whole document) into `out.lake`, adding every problem found to `diags`; `out.lake.zones`
/// must be decoded already. Applies the defaults of model.h and resolves relative repo paths
/// and the workspace root against `options.base_dir`. When at least one pipeline is declared
/// and the artifacts container is not declared in its zone, the container is appended to that
/// zone (with its facts, so render_physical_names() names and checks it like the others).
/// Messages show a repo only as redact_url_credentials() leaves it.
void decode_pipeline_blocks(const YamlNode& root, const DecodeOptions& options, DecodedLake& out,
                            Diagnostics& diags);

}  // namespace lakeinfra::config
