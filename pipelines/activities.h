#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "config/diagnostics.h"
#include "config/result.h"

namespace lakeinfra::pipelines {

/// A parsed activities.json: the activity list (an Azure Data Factory activity array) and where
/// each JSON value starts in the file, keyed by JSON pointer ("/0/typeProperties/pythonFile").
struct Activities {
  nlohmann::json list = nlohmann::json::array();
  std::map<std::string, config::Location> locations;
  std::string file;  ///< The name used in locations.

  /// The location of the value at `pointer`, or of its closest ancestor that has one.
  config::Location locate(const std::string& pointer) const;
};

/// Parses activities.json text. `//` line comments and `/* */` comments are allowed (the
/// pipeline contract's example has them). The top level must be an array of objects (an object
/// with an "activities" array, as ADF exports pipelines, is accepted too). `file` names the file
/// in every location, e.g. "hello-world@1a2b3c4:activities.json". Syntax errors carry the line
/// and column.
Result<Activities> parse_activities(std::string_view text, const std::string& file);

/// The rules of the pipeline contract, all checked, every failure reported with its location:
/// each activity has a string `name` (unique), a string `type` and an object `typeProperties`;
/// `linkedServiceName.referenceName`, when the activity has a linkedServiceName, equals
/// `linked_service` (an activity of a Databricks type must have one); every string anywhere that
/// starts with "dbfs:/pipelines/" is "dbfs:/pipelines/<pipeline>/artifacts/<artifact>" for this
/// pipeline and an artifact in `artifacts` (a relative path below artifacts/, e.g. "lib/x.whl").
config::Diagnostics validate_activities(const Activities& activities, const std::string& pipeline,
                                        const std::string& linked_service,
                                        const std::set<std::string>& artifacts);

/// The artifacts the activities reference through dbfs:/pipelines/<pipeline>/artifacts/ paths.
std::set<std::string> referenced_artifacts(const Activities& activities,
                                           const std::string& pipeline);

/// A copy of the activity list with every "dbfs:/pipelines/<pipeline>/artifacts/<artifact>"
/// string replaced by `locate(artifact)` (e.g. "file:///lake/gold/pipelines/..." or
/// "s3://bucket/pipelines/...").
nlohmann::json rewrite_artifact_paths(const nlohmann::json& list, const std::string& pipeline,
                                      const std::function<std::string(const std::string&)>& locate);

}  // namespace lakeinfra::pipelines
