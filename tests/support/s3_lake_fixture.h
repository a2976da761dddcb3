#pragma once

// What the S3 integration tests (tests/integration/*_s3_it.cc) share: lakeinfra run in a lake's
// folder against the test RGW, the head of a lake.yaml on it, and the base of their fixtures (the
// RGW, a lake name of the test's own and a fresh folder for it).
//
// Header only: the test that includes it defines LAKEINFRA_BIN, the path of the lakeinfra binary
// (tests/integration/CMakeLists.txt does), and links lakeinfra_test_rgw and GoogleTest.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/rgw_env.h"

#ifndef LAKEINFRA_BIN
#error "tests/support/s3_lake_fixture.h needs LAKEINFRA_BIN, the path of the lakeinfra binary"
#endif

namespace lakeinfra::test_support {

/// `lakeinfra --no-color ARGS` in `dir` against `rgw`: with the RGW's credentials
/// (rgw.aws_environment()), without foreign_aws_variables(), for at most 120 s. A test adds its
/// own variables to the options before it runs them.
inline ProcessOptions lakeinfra_on_rgw(const RgwEnv& rgw, const std::filesystem::path& dir,
                                       const std::vector<std::string>& args) {
  ProcessOptions o;
  o.argv = {LAKEINFRA_BIN, "--no-color"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.cwd = dir;
  o.env = rgw.aws_environment();
  o.unset_env = foreign_aws_variables();
  o.timeout = std::chrono::seconds(120);
  return o;
}

/// The first lines of a lake.yaml on the test RGW: lake `name` of `instance`, S3 storage at
/// `endpoint` (the RGW's unless another is given: a proxy) in the RGW's region, path-style.
inline std::string rgw_lake_yaml_head(const RgwEnv& rgw, const std::string& name,
                                      const std::string& instance,
                                      const std::string& endpoint = {}) {
  return "lake: {name: " + name + ", instance: " + instance + "}\n" +
         "storage: {provider: s3, endpoint: \"" + (endpoint.empty() ? rgw.endpoint : endpoint) +
         "\", region: " + rgw.region + ", addressing: path}\n";
}

/// A pipeline Makefile whose artifacts are main.py and util.py, copied as they are.
inline constexpr const char* kMainAndUtilMakefile =
    ".PHONY: artifacts\n"
    "artifacts:\n"
    "\tmkdir -p artifacts\n"
    "\tcp main.py artifacts/main.py\n"
    "\tcp util.py artifacts/util.py\n";

/// The base of an S3 integration test's fixture. SetUp reads the test RGW ($LAKEINFRA_RGW_ENV; a
/// fatal failure without one), picks a lake name no other test uses (unique_lake_name of
/// `lake_prefix`) and makes an empty folder for it, lakeinfra-<folder_kind>-<lake> below the
/// temp directory; TearDown removes the folder. A fixture that overrides them calls SetUp first
/// and TearDown last. For a parameterised fixture add ::testing::WithParamInterface<T>.
class RgwLakeTest : public ::testing::Test {
 protected:
  RgwLakeTest(std::string lake_prefix, std::string folder_kind)
      : lake_prefix_(std::move(lake_prefix)), folder_kind_(std::move(folder_kind)) {}

  void SetUp() override {
    auto env = load_rgw_env();
    ASSERT_TRUE(env.has_value()) << env.error();
    rgw_ = *env;
    lake_ = unique_lake_name(lake_prefix_);
    dir_ = std::filesystem::temp_directory_path() / ("lakeinfra-" + folder_kind_ + "-" + lake_);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// lakeinfra_on_rgw() in this lake's folder.
  ProcessOptions lakeinfra_options(const std::vector<std::string>& args) const {
    return lakeinfra_on_rgw(rgw_, dir_, args);
  }
  /// awscli as the owner of the RGW's keys.
  ProcessResult aws(const std::vector<std::string>& args) const { return run_aws(rgw_, args); }

  RgwEnv rgw_;
  std::string lake_;
  std::filesystem::path dir_;

 private:
  std::string lake_prefix_;
  std::string folder_kind_;
};

}  // namespace lakeinfra::test_support
