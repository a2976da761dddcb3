#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/result.h"

namespace lakeinfra::state {

/// One registered pipeline job.
struct JobRecord {
  std::string name;  ///< The pipeline's name.
  /// The job as registered: {"pipeline", "commit", "ref", "repo" (redacted), "schedule",
  /// "linked_service", "activities" (paths rewritten to the artifacts' real locations),
  /// "artifacts" ({FILE: {"location", "sha256"}})}. Opaque to the registry.
  nlohmann::json definition = nlohmann::json::object();
  std::string registered_at;  ///< UTC, ISO 8601; set by the registry on first put.
  std::string updated_at;     ///< UTC, ISO 8601; set by the registry on every put.
};

/// The "local" job registry: jobs kept in the state database (table `jobs`, state schema
/// version 2), next to the resources that describe them. Obtained from StateStore::jobs(), it
/// shares the store's connection and mutex: every call is thread-safe, also alongside the
/// store's own calls. Each put and remove is its own transaction and leaves the state serial
/// alone (the serial counts resource changes; the `job` resource that describes a job moves it).
/// Failures are diagnostics naming the state and the operation ("put job NAME"); nothing throws.
/// A store opened read-only on a schema version 1 file (no `jobs` table yet; a read-only open
/// does not migrate) has no jobs: get returns nullopt and list an empty list.
class JobRegistry {
 public:
  virtual ~JobRegistry() = default;
  /// Registers job `record.name`, or replaces its definition. registered_at is set to now (the
  /// store's clock) on first registration and kept on replacement; updated_at is set to now on
  /// every put; the timestamps in `record` are ignored. Fails, changing nothing, when the name
  /// is empty, when the definition cannot be saved as JSON (a string that is not UTF-8), or on
  /// a store opened read-only.
  virtual Result<void> put(const JobRecord& record) = 0;
  /// Unregisters job `name`; succeeds, changing nothing, when it is not registered. Fails on a
  /// store opened read-only.
  virtual Result<void> remove(const std::string& name) = 0;
  /// Job `name` as last put, or nullopt when it is not registered. Fails, naming the job, when
  /// its stored definition is not valid JSON (a corrupt database).
  virtual Result<std::optional<JobRecord>> get(const std::string& name) = 0;
  /// Every registered job, ordered by name (bytewise). Fails, naming the first such job, when
  /// a stored definition is not valid JSON.
  virtual Result<std::vector<JobRecord>> list() = 0;
};

}  // namespace lakeinfra::state
