#pragma once

// The SQL behind SqliteStateStore::jobs() (table `jobs`, schema version 2), private to state/.
// Each function is one transaction on `connection`. The caller holds the store's mutex (the
// connection is not thread-safe) and turns what these functions throw into diagnostics:
// SqliteError, or std::runtime_error whose message is ready to show ("the state is corrupt:
// ...").

#include <optional>
#include <string>
#include <vector>

#include "state/job_registry.h"
#include "state/sqlite_db.h"

namespace lakeinfra::state::sqlite {

/// Inserts job `record.name`, or replaces its definition. updated_at becomes `now`;
/// registered_at becomes `now` only for a new row. The record's own timestamps are ignored.
/// Throws when the name is empty or the definition cannot be saved as JSON (a string that is
/// not UTF-8); nothing is written then.
void put_job(Connection& connection, const JobRecord& record, const std::string& now);

/// Deletes job `name`; does nothing when it is absent.
void remove_job(Connection& connection, const std::string& name);

/// Job `name`, or nullopt when absent. When `table_may_be_missing` (a read-only connection,
/// which cannot migrate), a file without a `jobs` table (schema version 1) has no jobs instead
/// of failing. Throws naming the job when its definition is not valid JSON.
std::optional<JobRecord> get_job(Connection& connection, const std::string& name,
                                 bool table_may_be_missing);

/// Every job, ordered by name (bytewise). `table_may_be_missing` as for get_job. Throws naming
/// the first job whose definition is not valid JSON.
std::vector<JobRecord> list_jobs(Connection& connection, bool table_may_be_missing);

}  // namespace lakeinfra::state::sqlite
