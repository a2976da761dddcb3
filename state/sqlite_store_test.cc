// What only the SQLite store does: files and modes, persistence, refusing files that are not
// ours, locks across connections and processes, crash survival, and the cost of a commit.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <thread>

#include "config/log.h"
#include "state/schema.h"
#include "state/sqlite_store.h"
#include "state/test_support.h"

namespace lakeinfra::state {
namespace {

using config::Address;
using config::ResourceRecord;
using test::FakeHostInfo;
using test::TempDir;
using ::testing::HasSubstr;

ResourceRecord record(const std::string& address, config::Attributes attrs = {}) {
  ResourceRecord r;
  r.address = *Address::parse(address);
  r.type = r.address.type();
  r.provider = "local";
  r.provider_id = address;
  r.attributes = attrs.is_null() ? config::Attributes::object() : std::move(attrs);
  return r;
}

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

/// Runs SQL on a database with a plain connection, as another program would.
void raw_exec(const std::filesystem::path& p, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(p.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

/// The first column of the first row of `sql` as text ("" when there is no row or it is NULL),
/// read with a plain read-only connection.
std::string query_scalar(const std::filesystem::path& p, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(p.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

constexpr const char* kTableNames =
    "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' "
    "AND name NOT LIKE 'sqlite_%' ORDER BY name)";

// Schema version 1 exactly as lakeinfra 1 created it (kSchemaV1 in schema.cc), with the WAL
// journal it switched on, and some content: two resources, one pending and one finished
// intent, a run, lineage and serial.
constexpr const char* kVersion1File = R"sql(
PRAGMA journal_mode = WAL;
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
INSERT INTO meta (id, schema_version, lineage, serial)
  VALUES (1, 1, '0f8fad5b-d9cb-469f-a165-70867728950e', 7);
INSERT INTO resources VALUES
  ('zone.bronze', 'zone', 'local', 'lake-bronze', '{"versioning":true}', '[]'),
  ('container.bronze.raw', 'container', 'local', 'lake-bronze/raw', '{}', '["zone.bronze"]');
INSERT INTO journal (address, action, payload, started_at, finished_at, outcome, message)
  VALUES ('zone.bronze', 'create', '{}', '2023-11-01T10:00:00Z', '2023-11-01T10:00:01Z', 'ok', ''),
         ('zone.gold', 'create', '{"name":"gold"}', '2023-11-01T10:00:02Z', NULL, NULL, NULL);
INSERT INTO runs (command, started_at, finished_at, status, added)
  VALUES ('apply', '2023-11-01T10:00:00Z', '2023-11-01T10:00:03Z', 'ok', 2);
)sql";

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path db_path() const { return dir_.path() / ".lakeinfra" / "state.db"; }

  std::unique_ptr<StateStore> open(config::HostInfo& host) {
    auto store = open_sqlite_store(db_path(), clock_, host);
    EXPECT_TRUE(store) << (store ? "" : store.error().str());
    return store ? std::move(*store) : nullptr;
  }
  std::unique_ptr<StateStore> open() { return open(host_); }

  TempDir dir_;
  config::ManualClock clock_;
  FakeHostInfo host_;
};

TEST_F(SqliteStoreTest, CreatesPrivateFileAndParentDirectories) {
  std::filesystem::path nested = dir_.path() / "a" / "b" / "state.db";
  auto store = open_sqlite_store(nested, clock_, host_);
  ASSERT_TRUE(store) << store.error().str();
  ASSERT_TRUE((*store)->put(record("zone.bronze")));
  EXPECT_EQ(mode_of(dir_.path() / "a"), 0700u);
  EXPECT_EQ(mode_of(dir_.path() / "a" / "b"), 0700u);
  EXPECT_EQ(mode_of(nested), 0600u);
  std::filesystem::path wal = nested.string() + "-wal";
  ASSERT_TRUE(std::filesystem::exists(wal));  // WAL journal mode
  EXPECT_EQ(mode_of(wal), 0600u);
}

TEST_F(SqliteStoreTest, PersistsAcrossReopenWithTheSameLineage) {
  std::string lineage;
  {
    auto store = open();
    ASSERT_TRUE(store->put(record("zone.bronze", {{"versioning", true}})));
    ASSERT_TRUE(store->put(record("zone.silver")));
    ASSERT_TRUE(store->begin_intent(*Address::parse("zone.gold"), "create", {{"n", 1}}));
    ASSERT_TRUE(store->begin_run("apply"));
    lineage = store->load().value().lineage;
  }
  auto store = open();
  Snapshot s = store->load().value();
  EXPECT_EQ(s.lineage, lineage);
  EXPECT_EQ(s.serial, 2);
  ASSERT_EQ(s.resources.size(), 2u);
  EXPECT_EQ(s.resources.at(*Address::parse("zone.bronze")).attributes,
            (config::Attributes{{"versioning", true}}));
  ASSERT_EQ(s.pending.size(), 1u);
  EXPECT_EQ(s.pending[0].address.str(), "zone.gold");
  EXPECT_EQ(store->history().value().size(), 1u);
}

TEST_F(SqliteStoreTest, SecondInstanceOnTheSameFileCannotLock) {
  auto first = open();
  FakeHostInfo other(200, "host-a", "bob");
  auto second = open(other);
  Lease lease = first->lock({"apply", {}}).value();

  auto denied = second->lock({"plan", {}});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().items()[0].summary,
            "state is locked by pid 100 (alice@host-a) running \"apply\" since "
            "2023-11-14T22:13:20Z");
  EXPECT_THAT(denied.error().items()[0].hint, HasSubstr("lakeinfra force-unlock " + lease.info.id));
  EXPECT_EQ(second->current_lock().value()->id, lease.info.id);

  // Writes through one connection are seen by the other.
  ASSERT_TRUE(first->put(record("zone.bronze")));
  EXPECT_EQ(second->load().value().serial, 1);

  ASSERT_TRUE(first->unlock(lease.info.id));
  EXPECT_TRUE(second->lock({"plan", {}}));
}

TEST_F(SqliteStoreTest, GarbageFileIsRefusedAndLeftByteIdentical) {
  std::filesystem::create_directories(db_path().parent_path());
  std::mt19937 gen(42);
  std::string garbage(8192, '\0');
  for (char& c : garbage)
    c = static_cast<char>(gen());
  write_bytes(db_path(), garbage);

  auto store = open_sqlite_store(db_path(), clock_, host_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().items()[0].summary,
            db_path().string() +
                " is not a lakeinfra state database (not an SQLite file); it was left untouched");
  EXPECT_EQ(read_bytes(db_path()), garbage);
  EXPECT_FALSE(open_sqlite_store_readonly(db_path(), clock_, host_));
  EXPECT_EQ(read_bytes(db_path()), garbage);
}

TEST_F(SqliteStoreTest, ForeignSqliteDatabaseIsRefusedAndLeftByteIdentical) {
  std::filesystem::create_directories(db_path().parent_path());
  raw_exec(db_path(), "CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('alice');");
  std::string before = read_bytes(db_path());

  auto store = open_sqlite_store(db_path(), clock_, host_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().items()[0].summary,
            db_path().string() +
                " is not a lakeinfra state database (it has tables but no lakeinfra meta "
                "table); it was left untouched");
  EXPECT_EQ(read_bytes(db_path()), before);
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefusedNamingFileAndVersions) {
  { ASSERT_TRUE(open()->put(record("zone.bronze"))); }
  raw_exec(db_path(), "UPDATE meta SET schema_version = 99");
  std::string before = read_bytes(db_path());

  auto store = open_sqlite_store(db_path(), clock_, host_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().items()[0].summary,
            db_path().string() +
                " was written by a newer lakeinfra (state schema version 99; this lakeinfra "
                "knows up to version 3); it was left untouched");
  EXPECT_EQ(read_bytes(db_path()), before);

  auto readonly = open_sqlite_store_readonly(db_path(), clock_, host_);
  ASSERT_FALSE(readonly);
  EXPECT_THAT(readonly.error().str(), HasSubstr("newer lakeinfra"));
}

TEST_F(SqliteStoreTest, ReadonlyOpenOfMissingFileFailsWithoutCreatingIt) {
  auto store = open_sqlite_store_readonly(db_path(), clock_, host_);
  ASSERT_FALSE(store);
  EXPECT_EQ(
      store.error().items()[0].summary,
      "no state at " + db_path().string() + "; run `lakeinfra init` or `lakeinfra apply` first");
  EXPECT_FALSE(std::filesystem::exists(db_path()));
  EXPECT_FALSE(std::filesystem::exists(db_path().parent_path()));
}

TEST_F(SqliteStoreTest, ReadonlyStoreReadsButRefusesWrites) {
  {
    auto store = open();
    ASSERT_TRUE(store->put(record("zone.bronze")));
    ASSERT_TRUE(store->begin_run("apply"));
  }
  auto store = open_sqlite_store_readonly(db_path(), clock_, host_);
  ASSERT_TRUE(store) << store.error().str();
  auto& ro = **store;
  EXPECT_EQ(ro.load().value().resources.size(), 1u);
  EXPECT_EQ(ro.history().value().size(), 1u);
  EXPECT_EQ(ro.current_lock().value(), std::nullopt);

  auto put = ro.put(record("zone.silver"));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().items()[0].summary, "cannot write state " + db_path().string() +
                                                " (put zone.silver): it was opened "
                                                "read-only");
  EXPECT_FALSE(ro.remove(*Address::parse("zone.bronze")));
  EXPECT_FALSE(ro.lock({"apply", {}}));
  EXPECT_FALSE(ro.begin_intent(*Address::parse("zone.x"), "create", {}));
  EXPECT_FALSE(ro.begin_run("apply"));
  EXPECT_EQ(ro.load().value().serial, 1);
}

TEST_F(SqliteStoreTest, UnsavableValueFailsNamingFileAndOperation) {
  auto store = open();
  auto put = store->put(record("zone.bronze", {{"name", std::string("\xff\xfe")}}));
  ASSERT_FALSE(put);
  EXPECT_THAT(put.error().items()[0].summary,
              HasSubstr("cannot write state " + db_path().string() +
                        " (put zone.bronze): value cannot be saved as JSON"));
  EXPECT_EQ(store->load().value().serial, 0);
}

TEST_F(SqliteStoreTest, CorruptRowIsReportedNotThrown) {
  { ASSERT_TRUE(open()->put(record("zone.bronze"))); }
  raw_exec(db_path(), "UPDATE resources SET attributes = '{not json'");
  auto s = open()->load();
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().items()[0].summary,
              HasSubstr("cannot read state " + db_path().string() +
                        " (load): the state is corrupt: the attributes of zone.bronze is not "
                        "valid JSON"));
}

// Large states are decoded on two threads; the records and the error must not depend on that.
TEST_F(SqliteStoreTest, LargeStateLoadsEveryRowAndReportsTheFirstCorruptOne) {
  { ASSERT_TRUE(open()->put(record("zone.bronze"))); }
  raw_exec(db_path(),
           "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4999) "
           "INSERT INTO resources (address, type, provider, provider_id, attributes, depends_on) "
           "SELECT printf('container.z.c%05d', i), 'container', 'local', 'z/c' || i, "
           "'{\"n\":' || i || '}', '[\"zone.bronze\"]' FROM n");
  {
    auto s = open()->load();
    ASSERT_TRUE(s) << s.error().str();
    ASSERT_EQ(s->resources.size(), 5001u);
    size_t i = 0;
    for (const auto& [address, r] : s->resources) {
      if (r.type != "container")
        continue;
      char name[32];
      std::snprintf(name, sizeof name, "container.z.c%05zu", i);
      ASSERT_EQ(address.str(), name);
      EXPECT_EQ(r.provider_id, "z/c" + std::to_string(i));
      EXPECT_EQ(r.attributes, (nlohmann::json{{"n", i}}));
      ASSERT_EQ(r.depends_on.size(), 1u);
      EXPECT_EQ(r.depends_on[0].str(), "zone.bronze");
      ++i;
    }
    EXPECT_EQ(i, 5000u);
  }
  raw_exec(db_path(),
           "UPDATE resources SET attributes = '{not json' WHERE address IN "
           "('container.z.c01000', 'container.z.c04000')");
  auto s = open()->load();
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().items()[0].summary,
              HasSubstr("the attributes of container.z.c01000 is not valid JSON"));
  raw_exec(db_path(),
           "UPDATE resources SET attributes = '{}' WHERE address = 'container.z.c01000'");
  s = open()->load();
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().items()[0].summary,
              HasSubstr("the attributes of container.z.c04000 is not valid JSON"));
}

// A new schema version must come with exactly one migration step to it, in order.
TEST(SqliteSchema, EveryVersionAfterTheFirstHasOneMigration) {
  const auto& steps = sqlite::migrations();
  ASSERT_EQ(static_cast<int64_t>(steps.size()) + 1, sqlite::kSchemaVersion);
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].to_version, static_cast<int64_t>(i) + 2);
  }
}

TEST_F(SqliteStoreTest, NewFileHasTheCurrentSchemaAndWalMode) {
  { ASSERT_TRUE(open()); }
  EXPECT_EQ(query_scalar(db_path(), "SELECT schema_version FROM meta"), "3");
  EXPECT_EQ(query_scalar(db_path(), "SELECT serial FROM meta"), "0");
  EXPECT_EQ(query_scalar(db_path(), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_scalar(db_path(), kTableNames), "jobs,journal,lock,meta,resources,runs");
}

TEST_F(SqliteStoreTest, OnlyARunThatWroteRecordsCheckpointsOnClose) {
  const std::filesystem::path wal = db_path().string() + "-wal";
  const std::filesystem::path copy = dir_.path() / "copy.db";
  {
    auto store = open();
    ASSERT_TRUE(store);
    auto lease = store->lock({"apply", {}});
    ASSERT_TRUE(lease) << lease.error().str();
    ResourceRecord r;
    r.address = *Address::parse("zone.bronze");
    r.type = "zone";
    r.provider = "local";
    r.provider_id = "lake-bronze";
    ASSERT_TRUE(store->put(r));
    ASSERT_TRUE(store->unlock(lease->info.id));
  }
  // Checkpointed: the database file alone holds the record, and the WAL is gone.
  EXPECT_FALSE(std::filesystem::exists(wal));
  std::filesystem::copy_file(db_path(), copy);
  EXPECT_EQ(query_scalar(copy, "SELECT count(*) FROM resources"), "1");

  {
    // A plan: the lock row only. The WAL stays (no fsync of either file at close).
    auto store = open();
    ASSERT_TRUE(store);
    auto lease = store->lock({"plan", {}});
    ASSERT_TRUE(lease);
    ASSERT_TRUE(store->load());
    ASSERT_TRUE(store->unlock(lease->info.id));
  }
  EXPECT_TRUE(std::filesystem::exists(wal));
  {
    auto store = open();
    ASSERT_TRUE(store);
    auto s = store->load();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->resources.size(), 1u);
    auto lock = store->current_lock();
    ASSERT_TRUE(lock);
    EXPECT_FALSE(lock->has_value());  // the release was kept
  }
}

TEST_F(SqliteStoreTest, Version1FileIsMigratedInPlaceKeepingEverything) {
  std::filesystem::create_directories(db_path().parent_path());
  raw_exec(db_path(), kVersion1File);
  auto store = open();
  ASSERT_NE(store, nullptr);

  EXPECT_EQ(query_scalar(db_path(), "SELECT schema_version FROM meta"), "3");
  EXPECT_EQ(query_scalar(db_path(), kTableNames), "jobs,journal,lock,meta,resources,runs");
  Snapshot s = store->load().value();
  EXPECT_EQ(s.lineage, "0f8fad5b-d9cb-469f-a165-70867728950e");
  EXPECT_EQ(s.serial, 7);
  ASSERT_EQ(s.resources.size(), 2u);
  EXPECT_EQ(s.resources.at(*Address::parse("zone.bronze")).attributes,
            (config::Attributes{{"versioning", true}}));
  const ResourceRecord& raw = s.resources.at(*Address::parse("container.bronze.raw"));
  EXPECT_EQ(raw.provider_id, "lake-bronze/raw");
  ASSERT_EQ(raw.depends_on.size(), 1u);
  EXPECT_EQ(raw.depends_on[0].str(), "zone.bronze");
  ASSERT_EQ(s.pending.size(), 1u);
  EXPECT_EQ(s.pending[0].address.str(), "zone.gold");
  auto runs = store->history().value();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].added, 2);

  // The new table works, and the store goes on from the migrated serial.
  EXPECT_TRUE(store->jobs().list().value().empty());
  JobRecord job;
  job.name = "nightly";
  job.definition = {{"pipeline", "etl"}};
  ASSERT_TRUE(store->jobs().put(job));
  EXPECT_EQ(store->put(record("zone.silver")).value(), 8);

  // Opening again finds version 3 and changes nothing.
  store.reset();
  store = open();
  EXPECT_EQ(store->jobs().list().value().size(), 1u);
  EXPECT_EQ(store->load().value().serial, 8);
}

// Migration and creation end in the same schema, table by table and index by index.
TEST_F(SqliteStoreTest, MigratedFileHasTheSameSchemaAsANewOne) {
  constexpr const char* kSchemaText =
      "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master "
      "WHERE sql IS NOT NULL ORDER BY name)";
  std::filesystem::create_directories(db_path().parent_path());
  raw_exec(db_path(), kVersion1File);
  { ASSERT_TRUE(open()); }
  std::filesystem::path fresh = dir_.path() / "fresh.db";
  { ASSERT_TRUE(open_sqlite_store(fresh, clock_, host_)); }
  std::string migrated = query_scalar(db_path(), kSchemaText);
  EXPECT_THAT(migrated, HasSubstr("CREATE TABLE jobs"));
  EXPECT_EQ(migrated, query_scalar(fresh, kSchemaText));
}

TEST_F(SqliteStoreTest, ReadonlyOpenOfVersion1ListsNoJobsAndLeavesTheFileAsItIs) {
  std::filesystem::create_directories(db_path().parent_path());
  raw_exec(db_path(), kVersion1File);
  auto store = open_sqlite_store_readonly(db_path(), clock_, host_);
  ASSERT_TRUE(store) << store.error().str();
  auto& ro = **store;
  EXPECT_EQ(ro.load().value().serial, 7);
  auto jobs = ro.jobs().list();
  ASSERT_TRUE(jobs) << jobs.error().str();
  EXPECT_TRUE(jobs->empty());
  auto nightly = ro.jobs().get("nightly");
  ASSERT_TRUE(nightly) << nightly.error().str();
  EXPECT_EQ(*nightly, std::nullopt);
  EXPECT_FALSE(ro.jobs().put(JobRecord{"nightly", {}, {}, {}}));

  EXPECT_EQ(query_scalar(db_path(), "SELECT schema_version FROM meta"), "1");
  EXPECT_EQ(query_scalar(db_path(), kTableNames), "journal,lock,meta,resources,runs");

  // Once a read-write open migrates the file, the same read-only store sees its jobs.
  auto rw = open();
  ASSERT_TRUE(rw->jobs().put(JobRecord{"nightly", {{"pipeline", "etl"}}, {}, {}}));
  EXPECT_EQ(ro.jobs().list().value().size(), 1u);
  EXPECT_EQ(ro.jobs().get("nightly").value()->definition, (nlohmann::json{{"pipeline", "etl"}}));
}

TEST_F(SqliteStoreTest, ReadonlyStoreReadsJobsButRefusesJobWrites) {
  JobRecord nightly{"nightly", {{"pipeline", "etl"}}, {}, {}};
  { ASSERT_TRUE(open()->jobs().put(nightly)); }
  auto store = open_sqlite_store_readonly(db_path(), clock_, host_);
  ASSERT_TRUE(store) << store.error().str();
  JobRegistry& jobs = (*store)->jobs();
  EXPECT_EQ(jobs.list().value().size(), 1u);
  EXPECT_EQ(jobs.get("nightly").value()->definition, nightly.definition);

  auto put = jobs.put(JobRecord{"hourly", {}, {}, {}});
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().items()[0].summary, "cannot write state " + db_path().string() +
                                                " (put job hourly): it was opened "
                                                "read-only");
  auto removed = jobs.remove("nightly");
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().items()[0].summary, "cannot write state " + db_path().string() +
                                                    " (remove job nightly): it was opened "
                                                    "read-only");
  EXPECT_EQ(jobs.list().value().size(), 1u);
}

TEST_F(SqliteStoreTest, CorruptJobDefinitionIsReportedNamingTheJob) {
  {
    auto store = open();
    ASSERT_TRUE(store->jobs().put(JobRecord{"hourly", {{"pipeline", "a"}}, {}, {}}));
    ASSERT_TRUE(store->jobs().put(JobRecord{"nightly", {{"pipeline", "b"}}, {}, {}}));
  }
  raw_exec(db_path(), "UPDATE jobs SET definition = '{not json' WHERE name = 'nightly'");
  auto store = open();
  auto got = store->jobs().get("nightly");
  ASSERT_FALSE(got);
  EXPECT_THAT(got.error().items()[0].summary,
              HasSubstr("cannot read state " + db_path().string() +
                        " (get job nightly): the state is corrupt: the definition of job "
                        "nightly is not valid JSON"));
  auto all = store->jobs().list();
  ASSERT_FALSE(all);
  EXPECT_THAT(all.error().items()[0].summary,
              HasSubstr("(list jobs): the state is corrupt: the definition of job nightly is "
                        "not valid JSON"));
  // The other job still reads, and the corrupt one can be replaced or removed.
  EXPECT_TRUE(store->jobs().get("hourly").value());
  ASSERT_TRUE(store->jobs().put(JobRecord{"nightly", {{"pipeline", "c"}}, {}, {}}));
  EXPECT_EQ(store->jobs().list().value().size(), 2u);
}

TEST_F(SqliteStoreTest, JobsPersistAcrossReopen) {
  nlohmann::json definition = {{"pipeline", "etl"}, {"schedule", {{"cron", "0 3 * * *"}}}};
  {
    auto store = open();
    ASSERT_TRUE(store->jobs().put(JobRecord{"nightly", definition, {}, {}}));
    ASSERT_TRUE(store->jobs().put(JobRecord{"gone", {}, {}, {}}));
    ASSERT_TRUE(store->jobs().remove("gone"));
  }
  clock_.advance(std::chrono::seconds(60));
  auto store = open();
  auto all = store->jobs().list().value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "nightly");
  EXPECT_EQ(all[0].definition, definition);
  EXPECT_EQ(all[0].registered_at, "2023-11-14T22:13:20Z");
  EXPECT_EQ(all[0].updated_at, "2023-11-14T22:13:20Z");
  ASSERT_TRUE(store->jobs().put(JobRecord{"nightly", {{"pipeline", "etl2"}}, {}, {}}));
  auto again = store->jobs().get("nightly").value();
  EXPECT_EQ(again->registered_at, "2023-11-14T22:13:20Z");
  EXPECT_EQ(again->updated_at, "2023-11-14T22:14:20Z");
}

// A process killed with SIGKILL keeps every commit it made; its unfinished intent stays
// pending; and its lock is reclaimed by the next run on this host.
TEST_F(SqliteStoreTest, SurvivesSigkillAndReclaimsTheDeadProcessLock) {
  { ASSERT_TRUE(open()); }  // create the file before forking
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    config::RealHostInfo real;
    config::SystemClock clock;
    auto store = open_sqlite_store(db_path(), clock, real);
    if (!store || !(*store)->lock({"apply", {}}))
      ::_exit(2);
    for (int i = 0; i < 50; ++i) {
      if (!(*store)->put(record("zone.z" + std::to_string(i))))
        ::_exit(3);
    }
    if (!(*store)->begin_intent(*Address::parse("zone.last"), "create", {}))
      ::_exit(4);
    ::kill(::getpid(), SIGKILL);
    ::_exit(5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  config::RealHostInfo real;
  auto store = open(real);
  Snapshot s = store->load().value();
  EXPECT_EQ(s.serial, 50);
  EXPECT_EQ(s.resources.size(), 50u);
  ASSERT_EQ(s.pending.size(), 1u);
  EXPECT_EQ(s.pending[0].address.str(), "zone.last");

  auto lease = store->lock({"apply", {}});
  ASSERT_TRUE(lease) << lease.error().str();
  ASSERT_EQ(lease->warnings.size(), 1u);
  EXPECT_THAT(lease->warnings.items()[0].summary,
              HasSubstr("reclaimed the state lock of process " + std::to_string(child)));
}

// Not a pass/fail test: prints the cost of one commit so a slow disk or a regression shows.
/// A clock whose now() holds its first caller after arm() until release(): a write that reads
/// the time inside its transaction keeps the store busy there, as a slow disk would.
class GateClock : public config::ManualClock {
 public:
  std::chrono::system_clock::time_point now() override {
    std::unique_lock<std::mutex> lock(mu_);
    if (armed_) {
      armed_ = false;
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !held_; });
    }
    return ManualClock::now();
  }
  void arm() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = true;
  }
  void wait_until_held() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return held_; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = false;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false, held_ = false;
};

/// One round of GroupCommit: a first write is held inside its transaction while three more are
/// made from other threads, one of them failing when `with_failure`. Checks what each call
/// returned and what landed; returns the store's closing log line (how the writes were grouped).
std::string held_commit_round(std::chrono::milliseconds queue_time, bool with_failure) {
  TempDir dir;
  GateClock clock;
  FakeHostInfo host;
  const auto path = dir.path() / "state.db";
  std::vector<std::string> lines;
  config::Log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
  config::Log::set_level(config::LogLevel::kDebug);
  {
    auto opened = open_sqlite_store(path, clock, host);
    EXPECT_TRUE(opened);
    if (!opened)
      return "";
    StateStore& store = **opened;
    const int64_t first = store.begin_intent(*Address::parse("zone.a"), "create", {}).value();
    const int64_t closed = store.begin_intent(*Address::parse("zone.b"), "create", {}).value();
    EXPECT_TRUE(store.finish_intent(closed, "failed", "x"));
    const int64_t open = store.begin_intent(*Address::parse("zone.e"), "create", {}).value();

    clock.arm();
    Result<void> a, b;
    Result<int64_t> c, d;
    std::thread leader([&] { a = store.finish_intent(first, "failed", "boom"); });
    clock.wait_until_held();  // the first write holds the store inside its transaction
    std::thread tb([&] { b = store.finish_intent(with_failure ? closed : open, "failed", "y"); });
    std::thread tc([&] { c = store.put(record("zone.c")); });
    std::thread td([&] { d = store.begin_intent(*Address::parse("zone.d"), "create", {}); });
    std::this_thread::sleep_for(queue_time);
    clock.release();
    for (std::thread* t : {&leader, &tb, &tc, &td})
      t->join();

    EXPECT_TRUE(a);
    if (with_failure) {  // b's entry is finished already: b fails, for that reason only
      EXPECT_FALSE(b);
      if (!b) {
        EXPECT_THAT(b.error().str(),
                    HasSubstr("(finish_intent " + std::to_string(closed) + "): journal entry " +
                              std::to_string(closed) + " is not pending"));
      }
    } else {
      EXPECT_TRUE(b) << (b ? "" : b.error().str());
    }
    EXPECT_TRUE(c) << (c ? "" : c.error().str());
    EXPECT_TRUE(d) << (d ? "" : d.error().str());
    Snapshot snapshot = store.load().value();
    EXPECT_EQ(snapshot.serial, 1);
    EXPECT_EQ(snapshot.resources.count(*Address::parse("zone.c")), 1u);
    std::vector<std::string> pending;
    for (const auto& p : snapshot.pending)
      pending.push_back(p.address.str());
    const std::vector<std::string> expected_pending =
        with_failure ? std::vector<std::string>{"zone.e", "zone.d"}
                     : std::vector<std::string>{"zone.d"};
    EXPECT_EQ(pending, expected_pending);
  }
  config::Log::set_sink(nullptr);
  config::Log::set_level(config::LogLevel::kWarn);
  for (const auto& line : lines) {
    if (line.find("resource writes in") != std::string::npos)
      return line;
  }
  return "";
}

// Writes made while a commit is under way are committed together in the next transaction; one
// that fails there is made again alone, after the others, so it fails for its own reason only and
// the others land. Grouping depends on the three threads queueing while the first write is held,
// so a round that did not see them all queued is repeated with more time.
TEST(SqliteGroupCommit, WritesQueuedDuringACommitShareTheNextTransaction) {
  for (bool with_failure : {false, true}) {
    // Four writes to set up, one transaction each; then the held write, alone, and the three
    // queued behind it in one group. With a failure (b's journal entry is already finished), that
    // group is rolled back and made one by one, c and d committing on their own.
    const std::string expected = std::string("8 resource writes in 6 groups, ") +
                                 (with_failure ? "7" : "6") + " transactions committed";
    std::string line;
    for (int round = 0; round < 5 && line.find(expected) == std::string::npos; ++round)
      line = held_commit_round(std::chrono::milliseconds(100 << round), with_failure);
    EXPECT_THAT(line, HasSubstr(expected)) << "with_failure=" << with_failure;
  }
}

TEST_F(SqliteStoreTest, TimingOfTenThousandPuts) {
  auto store = open();
  constexpr int kPuts = 10000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kPuts; ++i) {
    ASSERT_TRUE(store->put(record("zone.z" + std::to_string(i), {{"i", i}, {"name", "x"}})));
  }
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
  std::printf("[ timing   ] %d puts (one transaction each) in %.3f s: %.1f us per commit\n", kPuts,
              elapsed.count(), elapsed.count() * 1e6 / kPuts);
  RecordProperty("seconds_for_10000_puts", std::to_string(elapsed.count()));
  EXPECT_EQ(store->load().value().serial, kPuts);
}

}  // namespace
}  // namespace lakeinfra::state
