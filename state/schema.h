#pragma once

// The layout of the SQLite state database and its migrations, private to state/.
//
// Version 1:
//   meta      one row (id = 1): schema_version, lineage, serial. `meta.schema_version` is how
//             every lakeinfra recognises a state file and its version: never rename it.
//   resources one row per resource: address (primary key), type, provider, provider_id,
//             attributes (JSON object text), depends_on (JSON array of addresses).
//   journal   intents: id, address, action, payload (JSON), started_at, finished_at, outcome,
//             message. A row with finished_at NULL is pending.
//   runs      history: id, command, started_at, finished_at, status, added, changed,
//             destroyed, failed.
//   lock      at most one row (singleton = 1): lock_id, pid, host, user, command, started_at.
//
// Version 2 adds:
//   jobs      the "local" job registry (JobRegistry), one row per job: name (primary key),
//             definition (JSON text), registered_at and updated_at (RFC 3339 UTC).
//
// A new version N+1 appends one Migration to the list in schema.cc; open applies every
// missing step, and the new schema_version, in one transaction. A new file is created as
// version 1 and brought up to date by the same steps, so every file has the same schema
// whichever version it started from.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "state/sqlite_db.h"

namespace lakeinfra::state::sqlite {

/// The newest schema this binary reads and writes.
inline constexpr int64_t kSchemaVersion = 3;

/// The oldest schema a read-only open accepts as it is (a read-only open cannot migrate). Every
/// version from this one to kSchemaVersion has the same tables and columns, except tables added
/// later, which read as empty when missing: a version 1 file has no `jobs` table, so it has no
/// jobs. Raise this when a migration changes something older readers rely on.
inline constexpr int64_t kOldestReadOnlyVersion = 1;

/// One step from schema `to_version - 1` to `to_version`. Runs inside the open transaction;
/// throws SqliteError on failure (the whole upgrade is then rolled back).
struct Migration {
  int64_t to_version;
  std::function<void(Connection&)> apply;
};

/// The steps after version 1, in order: one per version, `to_version` 2, 3, ...
const std::vector<Migration>& migrations();

/// What a database file turned out to be.
struct Inspection {
  enum class Kind {
    kEmpty,      ///< No tables at all: a file we just created (or an empty one); initialise it.
    kLakeinfra,  ///< Has a readable meta row; `version` is its schema_version.
    kForeign,    ///< Has tables but is not a lakeinfra state database; `reason` says why.
  };
  Kind kind = Kind::kEmpty;
  int64_t version = 0;
  std::string reason;
};

/// Looks at a database without writing to it. Throws SqliteError when the file cannot be read
/// as SQLite at all (e.g. SQLITE_NOTADB for random bytes).
Inspection inspect(Connection& connection);

/// Brings the database to kSchemaVersion: creates version 1 (with `lineage`, serial 0) when it
/// has no tables, then applies the missing migrations. Must run inside a write transaction;
/// re-inspects inside it, so two processes creating the same file at once are safe. Returns
/// the inspection made inside the transaction (kForeign or a too-new version means nothing
/// was changed and the caller must refuse the file).
Inspection initialise_or_migrate(Connection& connection, const std::string& lineage);

}  // namespace lakeinfra::state::sqlite
