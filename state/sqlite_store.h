#pragma once

#include <filesystem>
#include <memory>

#include "config/system.h"
#include "state/state_store.h"

namespace lakeinfra::state {

/// Opens (creating if needed, with mode 0600 and a fresh lineage) the SQLite state database at
/// `path`. Its parent directory is created. A database with an older schema is migrated in
/// place, in one transaction, keeping everything in it. A database with a newer schema than this
/// binary knows, or one that is not a lakeinfra state database, is a hard error naming the file;
/// it is never reset. `clock` and `host` must outlive the store.
Result<std::unique_ptr<StateStore>> open_sqlite_store(const std::filesystem::path& path,
                                                      config::Clock& clock, config::HostInfo& host);

/// Opens an existing state database read-only (for `state list`, `show`); fails if absent,
/// empty, not lakeinfra's or too new. It never migrates: an older schema (down to version 1) is
/// read as it is, a table it lacks reading as empty (a version 1 file lists no jobs). Every
/// write, the job registry's included, fails saying the state was opened read-only.
Result<std::unique_ptr<StateStore>> open_sqlite_store_readonly(const std::filesystem::path& path,
                                                               config::Clock& clock,
                                                               config::HostInfo& host);

}  // namespace lakeinfra::state
