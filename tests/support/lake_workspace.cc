#include "tests/support/lake_workspace.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#ifndef LAKEINFRA_BIN
#error "LAKEINFRA_BIN must name the lakeinfra binary under test"
#endif
#ifndef LAKEINFRA_SOURCE_DIR
#define LAKEINFRA_SOURCE_DIR "."
#endif

namespace lakeinfra::test_support {
namespace fs = std::filesystem;

namespace {

/// A connection that is closed when it goes out of scope.
class Db {
 public:
  explicit Db(const fs::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("cannot open " + path.string() + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 5'000);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace

RunOptions with_stdin(std::string text) {
  RunOptions o;
  o.stdin_text = std::move(text);
  return o;
}

RunOptions with_env(const std::string& name, std::string value) {
  RunOptions o;
  o.env[name] = std::move(value);
  return o;
}

RunOptions without_env(const std::string& name) {
  RunOptions o;
  o.unset_env.push_back(name);
  return o;
}

RunOptions in_dir(std::filesystem::path cwd) {
  RunOptions o;
  o.cwd = std::move(cwd);
  return o;
}

Workspace::Workspace() {
  std::string pattern = (fs::temp_directory_path() / "lakeinfra-e2e-XXXXXX").string();
  if (!::mkdtemp(pattern.data()))
    throw std::runtime_error("mkdtemp " + pattern + " failed");
  dir_ = fs::path(pattern);
}

Workspace::~Workspace() {
  // A few tries: a program that was just killed may still be closing (and recreating) its
  // SQLite side files while the first removal runs.
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (!ec && !fs::exists(dir_, ec))
      return;
    ::usleep(20'000);
  }
}

void Workspace::write(const std::string& rel, const std::string& text) const {
  fs::path p = path(rel);
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out)
    throw std::runtime_error("cannot write " + p.string());
}

std::string Workspace::read(const std::string& rel) const {
  return read_file(path(rel));
}

bool Workspace::exists(const std::string& rel) const {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path(rel), ec));
}

bool Workspace::is_directory(const std::string& rel) const {
  std::error_code ec;
  return fs::is_directory(path(rel), ec);
}

bool Workspace::is_regular_file(const std::string& rel) const {
  std::error_code ec;
  return fs::is_regular_file(path(rel), ec);
}

void Workspace::remove(const std::string& rel) const {
  fs::remove_all(path(rel));
}

std::vector<std::string> Workspace::entries(const std::string& rel) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(path(rel), ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void Workspace::write_example(const std::string& rel) const {
  write(rel, read_file(source_dir() / "examples" / "medallion" / "lake.yaml"));
}

ProcessOptions Workspace::options_for(const std::vector<std::string>& args,
                                      const RunOptions& options) const {
  ProcessOptions p;
  p.argv.push_back(LAKEINFRA_BIN);
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.cwd = options.cwd.empty() ? dir_ : options.cwd;
  p.stdin_text = options.stdin_text;
  p.env = options.env;
  p.unset_env = options.unset_env;
  for (const char* name : {"NO_COLOR", "LAKEINFRA_LOG"}) {
    if (!p.env.count(name))
      p.unset_env.push_back(name);
  }
  p.timeout = options.timeout;
  return p;
}

ProcessResult Workspace::run(const std::vector<std::string>& args,
                             const RunOptions& options) const {
  return run_process(options_for(args, options));
}

ProcessResult Workspace::run_pty(const std::vector<std::string>& args,
                                 const std::vector<PtyStep>& steps,
                                 const RunOptions& options) const {
  return run_in_pty(options_for(args, options), steps);
}

std::vector<std::vector<std::string>> Workspace::sql(const std::string& query) const {
  Db db(state_db());
  std::vector<std::vector<std::string>> rows;
  const char* tail = query.c_str();
  while (tail && *tail) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db.get(), tail, -1, &stmt, &tail) != SQLITE_OK) {
      throw std::runtime_error("sql error in \"" + query + "\": " + sqlite3_errmsg(db.get()));
    }
    if (!stmt)
      break;  // trailing whitespace or comment
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const unsigned char* text = sqlite3_column_text(stmt, i);
        row.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
      }
      rows.push_back(std::move(row));
    }
    std::string error = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db.get());
    sqlite3_finalize(stmt);
    if (!error.empty())
      throw std::runtime_error("sql error in \"" + query + "\": " + error);
  }
  return rows;
}

std::string Workspace::sql_value(const std::string& query) const {
  auto rows = sql(query);
  if (rows.empty() || rows[0].empty())
    throw std::runtime_error("no row from \"" + query + "\"");
  return rows[0][0];
}

int64_t Workspace::serial() const {
  return std::stoll(sql_value("SELECT serial FROM meta WHERE id = 1"));
}

std::string Workspace::lineage() const {
  return sql_value("SELECT lineage FROM meta WHERE id = 1");
}

std::vector<std::string> Workspace::state_addresses() const {
  std::vector<std::string> out;
  for (const auto& row : sql("SELECT address FROM resources ORDER BY address"))
    out.push_back(row[0]);
  return out;
}

fs::path source_dir() {
  if (const char* dir = std::getenv("LAKEINFRA_SOURCE_DIR"); dir && *dir)
    return dir;
  return LAKEINFRA_SOURCE_DIR;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int file_mode(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return -1;
  return static_cast<int>(st.st_mode & 07777);
}

size_t count_of(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); !needle.empty() && at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

bool has_ansi(const std::string& text) {
  return text.find("\033[") != std::string::npos;
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0)
    return "unknown";
  return buf;
}

pid_t dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0)
    ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

std::string replace_once(const std::string& text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  if (at == std::string::npos)
    throw std::runtime_error("\"" + from + "\" not found in:\n" + text);
  return text.substr(0, at) + to + text.substr(at + from.size());
}

std::string lines_with(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos)
      out += (out.empty() ? "" : "\n") + line;
  }
  return out;
}

}  // namespace lakeinfra::test_support
