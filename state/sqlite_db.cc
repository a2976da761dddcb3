#include "state/sqlite_db.h"

namespace lakeinfra::state::sqlite {

namespace {

[[noreturn]] void throw_error(sqlite3* db, int code) {
  std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw SqliteError(code, message);
}

}  // namespace

Query::~Query() {
  sqlite3_reset(s_.get());
  sqlite3_clear_bindings(s_.get());
}

Query& Query::bind(int index, std::string_view text) {
  int rc = sqlite3_bind_text(s_.get(), index, text.data(), static_cast<int>(text.size()),
                             SQLITE_TRANSIENT);
  if (rc != SQLITE_OK)
    throw_error(s_.db(), rc);
  return *this;
}

Query& Query::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(s_.get(), index, value);
  if (rc != SQLITE_OK)
    throw_error(s_.db(), rc);
  return *this;
}

Query& Query::bind_null(int index) {
  int rc = sqlite3_bind_null(s_.get(), index);
  if (rc != SQLITE_OK)
    throw_error(s_.db(), rc);
  return *this;
}

bool Query::step() {
  int rc = sqlite3_step(s_.get());
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  throw_error(s_.db(), rc);
}

void Query::run() {
  while (step()) {
  }
}

bool Query::is_null(int column) {
  return sqlite3_column_type(s_.get(), column) == SQLITE_NULL;
}

int64_t Query::int64(int column) {
  return sqlite3_column_int64(s_.get(), column);
}

std::string Query::text(int column) {
  const unsigned char* p = sqlite3_column_text(s_.get(), column);
  if (!p)
    return {};
  int n = sqlite3_column_bytes(s_.get(), column);
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

Connection::Connection(const std::filesystem::path& path, int flags) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError(rc, message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
  cache_.clear();  // finalize every statement before closing
  sqlite3_close_v2(db_);
}

void Connection::exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    throw_error(db_, rc);
}

Statement& Connection::prepare(const char* sql) {
  auto it = cache_.find(std::string_view(sql));
  if (it != cache_.end())
    return *it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    throw_error(db_, rc);
  }
  auto [pos, inserted] = cache_.emplace(sql, std::make_unique<Statement>(db_, stmt));
  return *pos->second;
}

std::unique_ptr<Statement> Connection::prepare_uncached(const char* sql, std::string* error) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    if (error)
      *error = sqlite3_errmsg(db_);
    return nullptr;
  }
  return std::make_unique<Statement>(db_, stmt);
}

int64_t Connection::changes() {
  return sqlite3_changes64(db_);
}

Transaction::Transaction(Connection& connection, Kind kind) : c_(connection) {
  c_.exec(kind == Kind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  open_ = true;
}

Transaction::~Transaction() {
  if (open_)
    sqlite3_exec(c_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  c_.exec("COMMIT");
  open_ = false;
}

}  // namespace lakeinfra::state::sqlite
