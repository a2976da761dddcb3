# lakeinfra — the two commands a newcomer needs:
#   make demo   install what is missing, build, then plan + apply examples/medallion/lake.yaml
#   make test   install what is missing (also Ceph and awscli), build, run the whole suite
BUILD ?= build
JOBS ?= $(shell nproc)
LAKEINFRA := $(abspath $(BUILD))/lakeinfra

# Everything comes from Debian 12 packages; nothing is downloaded at build or test time.
APT_PACKAGES := cmake ninja-build g++ pkg-config clang-format \
  libyaml-cpp-dev libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libgit2-dev \
  libcli11-dev libsqlite3-dev libgtest-dev libgmock-dev libexpected-dev libpugixml-dev libcpp-httplib-dev \
  libbenchmark-dev libmimalloc-dev
# Only the test suite needs these: a throw-away Ceph cluster whose radosgw is the S3/IAM/STS
# server of the integration tests, and Debian's awscli as a reference client. `make demo` does
# not install them.
TEST_APT_PACKAGES := ceph-mon ceph-osd radosgw ceph-common awscli
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
RGW_SCRIPTS := tests/support/rgw

.PHONY: all deps test-deps configure build demo test test-sanitize fuzz fuzz-deps bench rgw-up rgw-down \
  format format-check clean

all: build

# $(call apt_install,TARGET,PACKAGES,APT OPTIONS): installs those of PACKAGES that are missing.
define apt_install
	@missing=""; for p in $(2); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make $(1): installing$$missing"; \
	  $(SUDO) apt-get install -y -qq $(3) $$missing || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(3) $$missing; }; \
	fi
endef

deps:
	$(call apt_install,deps,$(APT_PACKAGES),)

test-deps:
	$(call apt_install,test-deps,$(TEST_APT_PACKAGES),--no-install-recommends)

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@echo "== lakeinfra validate"
	cd examples/medallion && $(LAKEINFRA) validate
	@echo "== lakeinfra plan"
	cd examples/medallion && $(LAKEINFRA) plan
	@echo "== lakeinfra apply --auto-approve"
	cd examples/medallion && $(LAKEINFRA) apply --auto-approve
	@echo "== the lake on disk (examples/medallion/lake):"
	@cd examples/medallion && find lake -not -name .lakeinfra.json | sort
	@echo "== governance: who may see what (examples/health-platform)"
	cd examples/health-platform && $(LAKEINFRA) access
	cd examples/health-platform && $(LAKEINFRA) access check data-analyst bronze/raw read; test $$? -eq 2  # 2 = denied
	cd examples/health-platform && $(LAKEINFRA) apply --auto-approve
	@echo "== the roles and their policies: examples/health-platform/lake/access-policy.json"

# The integration tests start one RGW (CTest fixture) in $(BUILD)/rgw and stop it afterwards.
test: build test-deps
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --timeout 600

# The whole suite again, built with AddressSanitizer + UndefinedBehaviorSanitizer (gcc) in its own
# folder (with its own RGW in $(SANITIZE_BUILD)/rgw). Any report fails the test that caused it; the
# lakeinfra processes the e2e and integration tests start inherit the options below.
SANITIZE_BUILD ?= build-sanitize
SANITIZE_ENV := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1 \
  LSAN_OPTIONS=suppressions=$(abspath tests/sanitize/lsan.supp):print_suppressions=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
test-sanitize: deps test-deps
	@cmake -S . -B $(SANITIZE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DLAKEINFRA_SANITIZE=address,undefined > /dev/null
	$(SANITIZE_ENV) cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	$(SANITIZE_ENV) ctest --test-dir $(SANITIZE_BUILD) --output-on-failure -j $(JOBS) --timeout 1200

# libFuzzer targets (tests/fuzz) built with clang in $(FUZZ_BUILD); each runs FUZZ_SECONDS from a
# scratch copy of its seed corpus (tests/fuzz/corpus/TARGET), so new inputs never land in the
# repository. A crash fails the target and leaves its input in $(FUZZ_BUILD)/crashes/TARGET.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CXX ?= clang++-14
FUZZ_TARGETS := config_fuzz activities_fuzz s3_xml_fuzz plan_file_fuzz
fuzz-deps: deps
	$(call apt_install,fuzz,clang-14 libclang-rt-14-dev,--no-install-recommends)

fuzz: fuzz-deps
	@CXX=$(FUZZ_CXX) cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DLAKEINFRA_FUZZ=ON > /dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZ_TARGETS)
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  work=$(FUZZ_BUILD)/fuzz-run/$$t; rm -rf $$work; mkdir -p $$work/corpus $(FUZZ_BUILD)/crashes/$$t; \
	  cp tests/fuzz/corpus/$$t/* $$work/corpus/; \
	  if [ -d tests/fuzz/regressions/$$t ]; then cp tests/fuzz/regressions/$$t/* $$work/corpus/; fi; \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	  $(SANITIZE_ENV) $(FUZZ_BUILD)/tests/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t/ $$work/corpus \
	    > $$work/log 2>&1 || { failed="$$failed $$t"; tail -60 $$work/log; }; \
	  grep -E '^stat::(number_of_executed_units|new_units_added)' $$work/log || true; \
	done; \
	if [ -n "$$failed" ]; then echo "make fuzz: crashed:$$failed (inputs in $(FUZZ_BUILD)/crashes)"; exit 1; fi

# A cluster for manual use (root: sudo when needed); endpoint and keys in $(BUILD)/rgw-dev/s3.env.
# Benchmarks at full size (minutes; starts its own RGW): bench/results/latest.md, docs/performance.md.
bench: build test-deps
	bash bench/run.sh $(BUILD)

rgw-up: test-deps
	$(SUDO) bash $(RGW_SCRIPTS)/rgw-up.sh $(BUILD)/rgw-dev

rgw-down:
	$(SUDO) bash $(RGW_SCRIPTS)/rgw-down.sh $(BUILD)/rgw-dev

format:
	find cli config templates state providers planner tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

format-check:
	find cli config templates state providers planner tests bench -name '*.h' -o -name '*.cc' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD)
