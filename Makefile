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

.PHONY: all deps test-deps configure build demo test bench rgw-up rgw-down format format-check clean

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
