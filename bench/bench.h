#pragma once

// Benchmarks of lakeinfra (docs/performance.md): synthetic lakes of any size, measurements of
// the real binary (wall time and peak RSS, median of several runs), and the markdown table that
// `make bench` prints and writes to bench/results/latest.md. Every figure sits next to a
// baseline measured in the same run where one exists, and is printed as a ratio to it.

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lakeinfra::bench {

/// The shape of a synthetic lake: `zones` zones of `containers_per_zone` containers each, and
/// `roles` roles with `grants_per_role` container grants each (read, on containers spread over
/// the zones). Tiers cycle internal/restricted/sensitive over zones; roles are cleared for
/// everything (clearance sensitive, phi: true), so every grant is valid.
struct LakeShape {
  int zones = 10;
  int containers_per_zone = 99;
  int roles = 0;
  int grants_per_role = 0;
  std::string lake = "bench";
  std::string instance = "b1";
  /// The `storage:` block as YAML text, e.g. "storage: {provider: local, root: ./lake}".
  std::string storage = "storage: {provider: local, root: ./lake}";
};

/// A local-storage shape with exactly `resources` resources when that is a multiple of 100:
/// resources/100 zones of 99 containers (zone + containers = 100 resources each).
LakeShape local_shape(int resources);

/// How many resources the shape declares: zones, containers, roles and grants.
int resource_count(const LakeShape& shape);

/// The names lake_yaml() gives the z-th zone ("zone0", ...) and the c-th container of a zone
/// ("con0", ...). Zones are named physically "{lake}-{instance}-{zone}".
std::string zone_name(int z);
std::string container_name(int c);

/// The lake.yaml text of `shape`.
std::string lake_yaml(const LakeShape& shape);

/// One run of something measured.
struct Sample {
  double seconds = 0;
  long max_rss_kb = 0;  ///< peak RSS of the measured process; 0 when not measured
};

/// Runs `argv` in `cwd` with `env` added to the environment, and measures it. A run that does
/// not exit 0 throws std::runtime_error naming the command and showing its stderr's tail (the
/// benchmark driver stops with that message; nothing outside bench/ sees the exception).
Sample measure(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
               const std::map<std::string, std::string>& env = {},
               std::chrono::seconds timeout = std::chrono::seconds(1800));

/// One row of the results table.
struct Figure {
  std::string scenario;  ///< "no-op plan with refresh (local)"
  std::string size;      ///< "10k resources"
  std::vector<Sample> samples;
  /// The baseline measured in the same run ("stat walk of the same directories"), if any.
  std::string baseline_name;
  std::vector<Sample> baseline;
  /// The target as people read it ("≤ 5× stat walk and < 0.5 s") and whether it was met;
  /// nullopt when the row has no target.
  std::string target;
  std::optional<bool> met;

  double median_seconds() const;
  double baseline_median_seconds() const;  ///< 0 when there is no baseline
  long peak_rss_kb() const;                ///< the highest of the samples
};

/// Median of the seconds of `samples` (0 for none).
double median_seconds(const std::vector<Sample>& samples);

/// The results as a markdown table: scenario, size, median seconds, runs, peak RSS, baseline,
/// baseline seconds, ratio (figure / baseline; "1/N×" when the figure is N times faster and N >
/// 10), target, met. `header` is printed above it
/// (machine, date, commit).
std::string markdown_table(const std::vector<Figure>& figures, const std::string& header);

/// "2 cores, Debian GNU/Linux 12, lakeinfra <commit>, 2026-11-21 20:41 UTC": what the figures were
/// measured on.
std::string machine_summary(const std::filesystem::path& source_dir);

/// The end-to-end scenarios on the local filesystem (bench/local_bench.cc).
struct LocalOptions {
  std::filesystem::path lakeinfra;  ///< the binary measured
  std::vector<int> sizes = {1000, 10000, 100000};
  int runs = 5;                    ///< samples per figure (the median is reported)
  std::filesystem::path work_dir;  ///< where lakes are generated (removed afterwards)
};
std::vector<Figure> local_figures(const LocalOptions& options);

/// The scenarios against an S3 server (bench/rgw_bench.cc): lakeinfra apply of `buckets`
/// buckets holding `prefixes` prefixes in all, next to the same requests as a shell loop of
/// Debian's awscli and as one keep-alive curl process.
struct RgwOptions {
  std::filesystem::path lakeinfra;
  std::filesystem::path rgw_env;  ///< the s3.env of tests/support/rgw/rgw-up.sh
  int buckets = 100;
  int prefixes = 1000;
  int runs = 3;
  /// The awscli loop (about a second per request: a new Python process each) runs once, on
  /// 1/awscli_sample of the buckets with their prefixes, and its time is scaled by the ratio of
  /// requests. 1 runs it on all of them.
  int awscli_sample = 10;
  std::filesystem::path work_dir;
};
std::vector<Figure> rgw_figures(const RgwOptions& options);

}  // namespace lakeinfra::bench
