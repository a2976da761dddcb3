#include "state/sqlite_jobs.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace lakeinfra::state::sqlite {

namespace {

std::string dump_definition(const JobRecord& record) {
  try {
    return record.definition.dump();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("the definition of job " + record.name +
                             " cannot be saved as JSON: " + e.what());
  }
}

/// Reads a row of (name, definition, registered_at, updated_at).
JobRecord read_row(Query& q) {
  JobRecord r;
  r.name = q.text(0);
  try {
    r.definition = nlohmann::json::parse(q.text(1));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("the state is corrupt: the definition of job " + r.name +
                             " is not valid JSON (" + e.what() + ")");
  }
  r.registered_at = q.text(2);
  r.updated_at = q.text(3);
  return r;
}

/// Whether the `jobs` table exists. Asked inside the caller's read transaction, so the answer
/// holds for the reads that follow even if another process migrates the file meanwhile.
bool has_jobs_table(Connection& connection) {
  Query q(connection.prepare(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'jobs'"));
  q.step();
  return q.int64(0) > 0;
}

}  // namespace

void put_job(Connection& connection, const JobRecord& record, const std::string& now) {
  if (record.name.empty())
    throw std::runtime_error("the job has no name");
  std::string definition = dump_definition(record);
  Transaction tx(connection, Transaction::Kind::kWrite);
  Query q(connection.prepare(
      "INSERT INTO jobs (name, definition, registered_at, updated_at) VALUES (?1, ?2, ?3, ?3) "
      "ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, "
      "updated_at = excluded.updated_at"));
  q.bind(1, record.name).bind(2, definition).bind(3, now).run();
  tx.commit();
}

void remove_job(Connection& connection, const std::string& name) {
  Transaction tx(connection, Transaction::Kind::kWrite);
  Query(connection.prepare("DELETE FROM jobs WHERE name = ?1")).bind(1, name).run();
  tx.commit();
}

std::optional<JobRecord> get_job(Connection& connection, const std::string& name,
                                 bool table_may_be_missing) {
  Transaction tx(connection, Transaction::Kind::kRead);
  if (table_may_be_missing && !has_jobs_table(connection))
    return std::nullopt;
  std::optional<JobRecord> out;
  {
    Query q(connection.prepare(
        "SELECT name, definition, registered_at, updated_at FROM jobs WHERE name = ?1"));
    q.bind(1, name);
    if (q.step())
      out = read_row(q);
  }
  tx.commit();
  return out;
}

std::vector<JobRecord> list_jobs(Connection& connection, bool table_may_be_missing) {
  Transaction tx(connection, Transaction::Kind::kRead);
  if (table_may_be_missing && !has_jobs_table(connection))
    return {};
  std::vector<JobRecord> out;
  {
    Query q(connection.prepare(
        "SELECT name, definition, registered_at, updated_at FROM jobs ORDER BY name"));
    while (q.step())
      out.push_back(read_row(q));
  }
  tx.commit();
  return out;
}

}  // namespace lakeinfra::state::sqlite
