#pragma once

// A thin RAII layer over the SQLite C API, private to state/. Failures are reported by throwing
// SqliteError, which never leaves state/: every public SqliteStateStore call catches it and
// turns it into a Diagnostic naming the state file and the operation.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lakeinfra::state::sqlite {

/// A failed SQLite call: the result code and SQLite's message ("database is locked").
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

/// A prepared statement, owned by a Connection's cache. Use it through a Query, which resets it.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() { return stmt_; }
  sqlite3* db() { return db_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

/// One use of a cached statement: binds parameters (1-based), steps, reads columns (0-based),
/// and resets the statement and clears its bindings when it goes out of scope, so no statement
/// keeps a read transaction open.
class Query {
 public:
  explicit Query(Statement& statement) : s_(statement) {}
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int index, std::string_view text);
  Query& bind(int index, int64_t value);
  Query& bind_null(int index);

  /// Advances: true when a row is available, false when done. Throws SqliteError on failure.
  bool step();
  /// Steps a statement that returns no rows.
  void run();

  bool is_null(int column);
  int64_t int64(int column);
  /// The column as text; "" for NULL.
  std::string text(int column);

 private:
  Statement& s_;
};

/// An open database connection with a cache of prepared statements keyed by SQL text. Not
/// thread-safe: the owner serialises calls (SqliteStateStore holds a mutex).
class Connection {
 public:
  /// Opens `path` with sqlite3_open_v2 `flags` (never SQLITE_OPEN_CREATE here: the caller
  /// creates the file itself with the right mode). Throws SqliteError.
  Connection(const std::filesystem::path& path, int flags);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one or more statements without results (pragmas, DDL, BEGIN/COMMIT). Throws.
  void exec(const char* sql);
  /// The cached prepared statement for `sql`, preparing it on first use. Throws.
  Statement& prepare(const char* sql);
  /// A one-off statement, not cached (for schema inspection, where the SQL may fail to prepare
  /// against a foreign database). Returns null and sets `error` when it does not prepare.
  std::unique_ptr<Statement> prepare_uncached(const char* sql, std::string* error);
  /// Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t changes();
  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
};

/// A transaction: BEGIN IMMEDIATE for writes (takes the write lock at once, waiting up to the
/// busy timeout), BEGIN DEFERRED for a consistent read snapshot. Rolled back on destruction
/// unless commit() succeeded, so an exception or early return never leaves half a change.
class Transaction {
 public:
  enum class Kind { kRead, kWrite };
  Transaction(Connection& connection, Kind kind);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Connection& c_;
  bool open_ = false;
};

}  // namespace lakeinfra::state::sqlite
