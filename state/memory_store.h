#pragma once

#include <memory>

#include "config/system.h"
#include "state/state_store.h"

namespace lakeinfra::state {

/// A StateStore kept in memory, with the same contract as the SQLite store (the contract test
/// suite runs against both). `clock` and `host` must outlive the store.
std::unique_ptr<StateStore> make_memory_store(config::Clock& clock, config::HostInfo& host);

}  // namespace lakeinfra::state
