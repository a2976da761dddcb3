#include "providers/provider.h"

namespace lakeinfra::providers {

const char* failure_kind_name(FailureKind kind) {
  switch (kind) {
    case FailureKind::kInvalid:
      return "invalid";
    case FailureKind::kNotFound:
      return "not found";
    case FailureKind::kConflict:
      return "conflict";
    case FailureKind::kAuth:
      return "authentication";
    case FailureKind::kTransient:
      return "transient";
    case FailureKind::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace lakeinfra::providers
