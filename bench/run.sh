#!/bin/bash
# bench/run.sh: lakeinfra's benchmarks at full size (docs/performance.md); `make bench` runs it.
#   bench/run.sh [BUILD_DIR]          (default: build; configured and built if needed)
# Starts a throw-away Ceph RGW for the S3 scenarios (stopped on exit), runs the Google Benchmark
# micro-benchmarks and the end-to-end figures, prints a markdown report and writes it to
# bench/results/latest.md. Environment: LAKEBENCH_SIZES (default 1000,10000,100000),
# LAKEBENCH_RUNS (default 5), LAKEBENCH_RGW=0 to skip the S3 scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SIZES=${LAKEBENCH_SIZES:-1000,10000,100000}
RUNS=${LAKEBENCH_RUNS:-5}
OUT=bench/results/latest.md
RGW_DIR=$(realpath -m "$BUILD/rgw-bench")

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target lakeinfra lakebench micro_bench >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; bash tests/support/rgw/rgw-down.sh "$RGW_DIR" >/dev/null 2>&1 || true' EXIT
rgw_args=()
if [ "${LAKEBENCH_RGW:-1}" != 0 ]; then
  bash tests/support/rgw/rgw-down.sh "$RGW_DIR" >/dev/null 2>&1 || true
  bash tests/support/rgw/rgw-up.sh "$RGW_DIR" >&2
  rgw_args=(--rgw-env "$RGW_DIR/s3.env")
fi

echo "bench/run.sh: micro-benchmarks (Google Benchmark)" >&2
"$BUILD/bench/micro_bench" --benchmark_format=console --benchmark_color=false >"$tmp/micro.txt"
echo "bench/run.sh: end-to-end figures (sizes $SIZES, $RUNS runs each)" >&2
"$BUILD/bench/lakebench" --sizes "$SIZES" --runs "$RUNS" "${rgw_args[@]}" --out "$tmp/e2e.md"

{
  echo "# lakeinfra benchmark results"
  echo
  echo "Written by \`make bench\` (bench/run.sh); the method is in docs/performance.md."
  echo
  echo "## End to end"
  echo
  cat "$tmp/e2e.md"
  echo
  echo "## Micro-benchmarks (Google Benchmark)"
  echo
  echo '```'
  cat "$tmp/micro.txt"
  echo '```'
} >"$OUT"
cat "$OUT"
echo "bench/run.sh: written to $OUT" >&2
