// The end-to-end scenarios on the local filesystem: the real binary on generated lakes of each
// size, from an empty directory to a fully applied lake, next to floors measured in the same
// run (making the same directories and markers; a bare stat walk of them).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "bench/bench.h"
#include "providers/local/local_provider.h"

namespace lakeinfra::bench {
namespace {

namespace fs = std::filesystem;

std::string size_label(int n) {
  if (n >= 1000 && n % 1000 == 0)
    return std::to_string(n / 1000) + "k resources";
  return std::to_string(n) + " resources";
}

const std::map<std::string, std::string> kEnv = {{"NO_COLOR", "1"}, {"LAKEINFRA_LOG", "warn"}};

// The directories refresh has to look at: every zone and container directory of the lake, in
// the order lake_yaml() declares them.
std::vector<fs::path> lake_directories(const fs::path& root, const LakeShape& shape) {
  std::vector<fs::path> dirs;
  for (int z = 0; z < shape.zones; ++z) {
    fs::path zone = root / (shape.lake + "-" + shape.instance + "-" + zone_name(z));
    dirs.push_back(zone);
    for (int c = 0; c < shape.containers_per_zone; ++c)
      dirs.push_back(zone / container_name(c));
  }
  return dirs;
}

// The floor of a refresh: one stat() of each directory, nothing else, in this process.
Sample stat_walk(const std::vector<fs::path>& dirs) {
  auto start = std::chrono::steady_clock::now();
  size_t found = 0;
  for (const auto& d : dirs) {
    struct stat st {};
    if (::stat(d.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      ++found;
  }
  auto took = std::chrono::steady_clock::now() - start;
  if (found != dirs.size()) {
    throw std::runtime_error("stat walk found " + std::to_string(found) + " of " +
                             std::to_string(dirs.size()) + " directories: the lake is not applied");
  }
  return Sample{std::chrono::duration<double>(took).count(), 0};
}

// The floor of an apply from empty: what the local provider must do to the disk for each zone
// and container (make the directory, write its marker to a temporary file and rename it into
// place), and nothing else, in this process on one thread. Run in a directory of its own just
// before each apply, it shows what the disk costs at that moment: on a disk that deleted many
// files in the last minutes, both take longer.
Sample mkdir_walk(const fs::path& root, const std::vector<fs::path>& dirs) {
  const std::string marker(114, 'x');  // the size of a container's marker
  auto start = std::chrono::steady_clock::now();
  if (::mkdir(root.c_str(), 0755) != 0)
    throw std::runtime_error("mkdir walk: cannot make " + root.string());
  for (const auto& d : dirs) {
    const std::string tmp = (d / ".lakeinfra.json.tmp").string();
    const std::string final = (d / ".lakeinfra.json").string();
    int fd = -1;
    bool ok = ::mkdir(d.c_str(), 0755) == 0 &&
              (fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) >= 0 &&
              ::write(fd, marker.data(), marker.size()) == static_cast<ssize_t>(marker.size());
    if (fd >= 0)
      ok = ::close(fd) == 0 && ok;
    if (!ok || ::rename(tmp.c_str(), final.c_str()) != 0)
      throw std::runtime_error("mkdir walk: cannot make " + d.string());
  }
  return Sample{std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0};
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path);
  out << text;
  if (!out)
    throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

std::vector<Figure> local_figures(const LocalOptions& options) {
  std::vector<Figure> figures;
  const std::string bin = options.lakeinfra.string();
  // Every size's lakes stay until all sizes are measured: deleting the 1k lakes just before the
  // 10k applies made those applies the slower for it (see below).
  std::vector<fs::path> roots;
  for (int n : options.sizes) {
    LakeShape shape = local_shape(n);
    const fs::path root = options.work_dir / ("local-" + std::to_string(n));
    fs::remove_all(root);
    roots.push_back(root);
    const std::string yaml = lake_yaml(shape);
    const std::string size = size_label(resource_count(shape));
    // The biggest lakes take a while to apply: fewer samples there.
    const int runs = n >= 100000 ? std::min(options.runs, 3) : options.runs;
    std::fprintf(stderr, "lakebench: local %s, %d runs each\n", size.c_str(), runs);

    // Each apply from empty gets a directory of its own, and nothing is deleted until every size
    // is done: on ext4 without a journal, creating files within minutes of deleting thousands
    // makes the inode allocator skip the recently freed ones, one by one (seen as minutes of
    // kernel time), which would measure the previous run's clean-up rather than lakeinfra.
    Figure apply{"apply from empty (local)", size, {}, "mkdir + marker walk (floor)", {}, {}, {}};
    fs::path dir;
    for (int i = 0; i < runs; ++i) {
      const fs::path floor = root / ("floor-" + std::to_string(i));
      fs::create_directories(floor);
      apply.baseline.push_back(mkdir_walk(floor / "lake", lake_directories(floor / "lake", shape)));
      dir = root / ("run-" + std::to_string(i));
      write_text(dir / "lake.yaml", yaml);
      apply.samples.push_back(measure({bin, "apply", "--auto-approve"}, dir, kEnv));
    }
    if (n == 10000) {
      apply.target = "< 3 s";
      apply.met = apply.median_seconds() < 3.0;
    }

    Figure noop_apply{"no-op apply (local)", size, {}, {}, {}, {}, {}};
    for (int i = 0; i < runs; ++i)
      noop_apply.samples.push_back(measure({bin, "apply", "--auto-approve"}, dir, kEnv));

    // A plan long after the apply, as in daily use: refresh trusts the stamps of the markers
    // that an earlier plan read, once they are older than kLocalMarkerTrustDelay (younger ones
    // are read again every time). Right after an apply they are all younger, so wait that long
    // first. The cold figure is the first plan after an apply, or on another machine: no marker
    // remembered, every one read; it also fills the marker cache for the warm figure.
    std::this_thread::sleep_for(providers::kLocalMarkerTrustDelay + std::chrono::milliseconds(200));
    const auto dirs = lake_directories(dir / "lake", shape);
    Figure cold{"no-op plan with refresh, cold (local)", size, {}, "stat walk (floor)", {}, {}, {}};
    for (int i = 0; i < runs; ++i) {
      fs::remove(dir / ".lakeinfra" / "marker-cache");
      cold.baseline.push_back(stat_walk(dirs));
      cold.samples.push_back(measure({bin, "plan", "--detailed-exitcode"}, dir, kEnv));
    }
    Figure refresh{"no-op plan with refresh (local)", size, {}, "stat walk (floor)", {}, {}, {}};
    for (int i = 0; i < runs; ++i) {
      refresh.baseline.push_back(stat_walk(dirs));
      refresh.samples.push_back(measure({bin, "plan", "--detailed-exitcode"}, dir, kEnv));
    }
    if (n == 10000) {
      refresh.target = "≤ 5× stat walk and < 0.5 s";
      refresh.met = refresh.median_seconds() <= 5 * refresh.baseline_median_seconds() &&
                    refresh.median_seconds() < 0.5;
    }

    Figure no_refresh{"plan without refresh (local)", size, {}, {}, {}, {}, {}};
    for (int i = 0; i < runs; ++i) {
      no_refresh.samples.push_back(
          measure({bin, "plan", "--refresh=false", "--detailed-exitcode"}, dir, kEnv));
    }
    if (n == 100000) {
      no_refresh.target = "< 2 s and < 300 MB";
      no_refresh.met = no_refresh.median_seconds() < 2.0 && no_refresh.peak_rss_kb() < 300L * 1024;
    }

    figures.push_back(std::move(apply));
    figures.push_back(std::move(noop_apply));
    figures.push_back(std::move(refresh));
    figures.push_back(std::move(cold));
    figures.push_back(std::move(no_refresh));
  }
  for (const auto& root : roots)
    fs::remove_all(root);
  return figures;
}

}  // namespace lakeinfra::bench
