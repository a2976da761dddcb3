#pragma once

#include <string>
#include <vector>

#include "config/result.h"
#include "providers/provider.h"
#include "state/state_store.h"

namespace lakeinfra::planner {

/// Settles intents that a previous run recorded but never finished (the process died between
/// asking the provider and recording the result). For each, reads the real object:
/// - create/update: if it exists it is adopted into state; otherwise the intent is closed and
///   the next plan plans it again;
/// - delete: if it is gone its state entry is removed; otherwise the entry stays.
/// Every intent is closed with outcome "reconciled". Returns one human note per intent. The
/// caller must hold the state lock; `snapshot` is reloaded by the caller afterwards.
Result<std::vector<std::string>> reconcile(const state::Snapshot& snapshot,
                                           state::StateStore& store, providers::Provider& provider);

}  // namespace lakeinfra::planner
