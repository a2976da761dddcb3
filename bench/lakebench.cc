// lakebench: the end-to-end benchmarks of lakeinfra (docs/performance.md). Prints a markdown
// table and, with --out, writes it to a file. bench/run.sh (`make bench`) runs it at full size
// next to the micro-benchmarks; the test suite runs it at a smoke size.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "bench/bench.h"

namespace fs = std::filesystem;
using namespace lakeinfra::bench;

int main(int argc, char** argv) {
  CLI::App app{"lakebench: lakeinfra's end-to-end benchmarks (median of several runs, peak RSS)"};
  fs::path self = fs::weakly_canonical(fs::path(argv[0]));
  LocalOptions local;
  local.lakeinfra = self.parent_path().parent_path() / "lakeinfra";
  RgwOptions rgw;
  std::string out;
  std::string source = LAKEINFRA_SOURCE_DIR;
  bool local_only = false;
  bool rgw_only = false;
  fs::path work = fs::temp_directory_path() / ("lakebench-" + std::to_string(::getpid()));
  app.add_option("--lakeinfra", local.lakeinfra,
                 "The binary to measure (default: build/lakeinfra)");
  app.add_option("--sizes", local.sizes,
                 "Local lake sizes in resources (default 1000 10000 100000)")
      ->delimiter(',');
  app.add_option("--runs", local.runs, "Samples per figure; the median is reported (default 5)")
      ->check(CLI::Range(1, 100));
  app.add_option("--rgw-env", rgw.rgw_env,
                 "s3.env of a running Ceph RGW (tests/support/rgw/rgw-up.sh): also run the S3 "
                 "scenarios");
  app.add_option("--rgw-buckets", rgw.buckets, "S3 scenario: buckets (default 100)");
  app.add_option("--rgw-prefixes", rgw.prefixes, "S3 scenario: prefixes in all (default 1000)");
  app.add_option("--rgw-runs", rgw.runs, "S3 scenario: samples per figure (default 3)");
  app.add_option("--awscli-sample", rgw.awscli_sample,
                 "S3 scenario: run the awscli loop on 1/N of the buckets and scale (default 10)")
      ->check(CLI::Range(1, 1000));
  app.add_flag("--local-only", local_only, "Only the local-filesystem scenarios");
  app.add_flag("--rgw-only", rgw_only, "Only the S3 scenarios");
  app.add_option("--work-dir", work, "Where lakes are generated (removed afterwards)");
  app.add_option("--out", out, "Also write the table to this file");
  CLI11_PARSE(app, argc, argv);

  std::vector<Figure> figures;
  try {
    fs::create_directories(work);
    if (!rgw_only) {
      local.work_dir = work;
      auto f = local_figures(local);
      figures.insert(figures.end(), f.begin(), f.end());
    }
    if (!local_only && !rgw.rgw_env.empty()) {
      rgw.lakeinfra = local.lakeinfra;
      rgw.work_dir = work;
      auto f = rgw_figures(rgw);
      figures.insert(figures.end(), f.begin(), f.end());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lakebench: %s\n", e.what());
    fs::remove_all(work);
    return 1;
  }
  fs::remove_all(work);

  std::string table = markdown_table(figures, "Measured on " + machine_summary(source) + ".");
  std::fputs(table.c_str(), stdout);
  if (!out.empty()) {
    std::ofstream file(out);
    file << table;
    if (!file) {
      std::fprintf(stderr, "lakebench: cannot write %s\n", out.c_str());
      return 1;
    }
  }
  return 0;
}
