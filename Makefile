# lakeinfra — the two commands a newcomer needs:
#   make demo   install what is missing, build, then plan + apply examples/medallion/lake.yaml
#   make test   install what is missing, build, run the whole suite
BUILD ?= build
JOBS ?= $(shell nproc)
LAKEINFRA := $(abspath $(BUILD))/lakeinfra

# Everything comes from Debian 12 packages; nothing is downloaded at build or test time.
APT_PACKAGES := cmake ninja-build g++ pkg-config clang-format \
  libyaml-cpp-dev libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libgit2-dev \
  libcli11-dev libsqlite3-dev libgtest-dev libgmock-dev libexpected-dev libpugixml-dev
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps configure build demo test format format-check clean

all: build

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get install -y -qq $$missing || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; }; \
	fi

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

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --timeout 600

format:
	find cli config templates state providers planner tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

format-check:
	find cli config templates state providers planner tests bench -name '*.h' -o -name '*.cc' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD)
