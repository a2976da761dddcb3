#include "state/schema.h"

namespace lakeinfra::state::sqlite {

namespace {

// Version 1 exactly as released. Never edit it: new files are created from it and then
// migrated, so a change here would make new files differ from migrated ones.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE meta (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  schema_version INTEGER NOT NULL,
  lineage        TEXT    NOT NULL,
  serial         INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE resources (
  address     TEXT PRIMARY KEY,
  type        TEXT NOT NULL,
  provider    TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  attributes  TEXT NOT NULL,
  depends_on  TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE journal (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  address     TEXT NOT NULL,
  action      TEXT NOT NULL,
  payload     TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  outcome     TEXT,
  message     TEXT
);
CREATE INDEX journal_pending ON journal (id) WHERE finished_at IS NULL;
CREATE TABLE runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  command     TEXT    NOT NULL,
  started_at  TEXT    NOT NULL,
  finished_at TEXT,
  status      TEXT    NOT NULL DEFAULT 'running',
  added       INTEGER NOT NULL DEFAULT 0,
  changed     INTEGER NOT NULL DEFAULT 0,
  destroyed   INTEGER NOT NULL DEFAULT 0,
  failed      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE lock (
  singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
  lock_id    TEXT    NOT NULL,
  pid        INTEGER NOT NULL,
  host       TEXT    NOT NULL,
  user       TEXT    NOT NULL,
  command    TEXT    NOT NULL,
  started_at TEXT    NOT NULL
);
)sql";

// Version 2: the "local" job registry.
constexpr const char* kJobsV2 = R"sql(
CREATE TABLE jobs (
  name          TEXT PRIMARY KEY,
  definition    TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  updated_at    TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Version 3: lock heartbeats (a lock from before has none).
constexpr const char* kLockHeartbeatV3 = R"sql(
ALTER TABLE lock ADD COLUMN heartbeat_at TEXT;
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
  // Never edit a step once released: files in the field were migrated by it. Add a new one.
  static const std::vector<Migration> kMigrations = {
      {2, [](Connection& c) { c.exec(kJobsV2); }},
      {3, [](Connection& c) { c.exec(kLockHeartbeatV3); }},
  };
  return kMigrations;
}

Inspection inspect(Connection& connection) {
  Inspection result;
  {
    // Reading the schema is the first thing that touches the file: random bytes fail here
    // with SQLITE_NOTADB, before anything could be written.
    Query q(connection.prepare("SELECT count(*) FROM sqlite_master"));
    q.step();
    if (q.int64(0) == 0)
      return result;  // kEmpty
  }
  {
    Query q(connection.prepare(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'"));
    q.step();
    if (q.int64(0) == 0) {
      result.kind = Inspection::Kind::kForeign;
      result.reason = "it has tables but no lakeinfra meta table";
      return result;
    }
  }
  std::string error;
  auto stmt = connection.prepare_uncached("SELECT schema_version FROM meta WHERE id = 1", &error);
  if (!stmt) {
    result.kind = Inspection::Kind::kForeign;
    result.reason = "its meta table is not lakeinfra's: " + error;
    return result;
  }
  Query q(*stmt);
  if (!q.step() || q.is_null(0)) {
    result.kind = Inspection::Kind::kForeign;
    result.reason = "its meta table has no schema version";
    return result;
  }
  result.kind = Inspection::Kind::kLakeinfra;
  result.version = q.int64(0);
  return result;
}

Inspection initialise_or_migrate(Connection& connection, const std::string& lineage) {
  Inspection found = inspect(connection);
  if (found.kind == Inspection::Kind::kForeign)
    return found;
  if (found.kind == Inspection::Kind::kEmpty) {
    connection.exec(kSchemaV1);
    Query q(connection.prepare(
        "INSERT INTO meta (id, schema_version, lineage, serial) VALUES (1, 1, ?1, 0)"));
    q.bind(1, lineage).run();
    found = Inspection{Inspection::Kind::kLakeinfra, 1, {}};
  }
  if (found.version > kSchemaVersion || found.version < 1)
    return found;
  for (const Migration& m : migrations()) {
    if (m.to_version <= found.version)
      continue;
    m.apply(connection);
    Query q(connection.prepare("UPDATE meta SET schema_version = ?1 WHERE id = 1"));
    q.bind(1, m.to_version).run();
    found.version = m.to_version;
  }
  return found;
}

}  // namespace lakeinfra::state::sqlite
