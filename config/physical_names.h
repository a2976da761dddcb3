#pragma once

#include "config/decode.h"
#include "config/diagnostics.h"

// Private to config/: naming templates and the physical names rendered from them.

namespace lakeinfra::config {

/// Checks every naming template in use (syntax, unknown placeholders, placeholders whose lake
/// value is not set), then renders the physical name of every zone and container whose values
/// are valid into `decoded.lake`, reporting rendered names that break the name rules (and, with
/// storage provider s3, zone names that break the S3 bucket-name rules) and two zones (or two
/// containers of one zone, or two roles) rendering to the same name. Role names are rendered
/// from naming.role, whose template is checked only when a role is declared.
void render_physical_names(DecodedLake& decoded, Diagnostics& diags);

}  // namespace lakeinfra::config
