// Checks the dependency rules of docs/architecture.md over every #include line, so that a
// violation fails the build's tests rather than waiting for review.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Include {
  std::string file;  // relative to the repository root
  int line;
  std::string target;  // as written between quotes or angle brackets
  bool system;
};

fs::path source_dir() {
  const char* dir = std::getenv("LAKEINFRA_SOURCE_DIR");
  return dir ? fs::path(dir) : fs::path(".");
}

std::vector<Include> all_includes() {
  static const std::regex re(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::vector<Include> out;
  for (const char* folder :
       {"cli", "config", "templates", "state", "providers", "planner", "pipelines"}) {
    fs::path root = source_dir() / folder;
    if (!fs::exists(root))
      continue;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      auto ext = entry.path().extension();
      if (ext != ".h" && ext != ".cc")
        continue;
      std::ifstream in(entry.path());
      std::string text;
      int line = 0;
      while (std::getline(in, text)) {
        ++line;
        std::smatch m;
        if (std::regex_search(text, m, re)) {
          out.push_back(
              {fs::relative(entry.path(), source_dir()).string(), line, m[2], m[1] == "<"});
        }
      }
    }
  }
  return out;
}

std::string folder_of(const std::string& path) {
  return path.substr(0, path.find('/'));
}
bool is_test(const std::string& file) {
  return file.find("_test.cc") != std::string::npos ||
         file.find("test_support") != std::string::npos;
}

TEST(Architecture, FoldersIncludeOnlyWhatTheRulesAllow) {
  // Which project folders each folder may include (itself always allowed).
  const std::map<std::string, std::set<std::string>> allowed = {
      {"templates", {}},
      {"config", {"templates"}},
      {"state", {"config"}},
      {"providers", {"config"}},
      {"planner", {"config", "state", "providers"}},
      {"pipelines", {"config", "state", "providers"}},
      {"cli", {"config", "templates", "state", "providers", "planner", "pipelines"}},
  };
  auto includes = all_includes();
  ASSERT_GT(includes.size(), 50u) << "source tree not found from " << source_dir();
  for (const auto& inc : includes) {
    if (inc.system)
      continue;
    std::string from = folder_of(inc.file);
    std::string to = folder_of(inc.target);
    if (from == to || !allowed.count(to))
      continue;
    EXPECT_TRUE(allowed.at(from).count(to))
        << inc.file << ":" << inc.line << " includes " << inc.target << ", but " << from
        << "/ may not depend on " << to << "/";
  }
}

TEST(Architecture, PlannerKnowsStateAndProvidersOnlyThroughInterfaces) {
  const std::set<std::string> interfaces = {"state/state_store.h", "providers/provider.h"};
  const std::set<std::string> test_fakes = {"state/memory_store.h", "providers/fake_provider.h"};
  for (const auto& inc : all_includes()) {
    if (folder_of(inc.file) != "planner" || inc.system)
      continue;
    std::string to = folder_of(inc.target);
    if (to != "state" && to != "providers")
      continue;
    bool ok = interfaces.count(inc.target) || (is_test(inc.file) && test_fakes.count(inc.target));
    EXPECT_TRUE(ok) << inc.file << ":" << inc.line << " includes " << inc.target
                    << "; the planner may use only StateStore and Provider";
  }
}

TEST(Architecture, MechanismHeadersStayInTheirAdapters) {
  // Third-party mechanism → the directories (path prefixes) that may include it. Tests of an
  // adapter sit beside it, so they are covered by the same prefix.
  const std::vector<std::pair<std::string, std::vector<std::string>>> rules = {
      {"sqlite3.h", {"state/"}},      {"yaml-cpp/", {"config/"}},
      {"curl/", {"providers/http/"}}, {"httplib.h", {"providers/http/", "pipelines/git_test"}},
      {"pugixml", {"providers/s3/"}}, {"openssl/", {"providers/s3/", "config/digest"}},
      {"git2", {"pipelines/"}},       {"CLI/", {"cli/"}},
  };
  for (const auto& inc : all_includes()) {
    if (!inc.system)
      continue;
    for (const auto& [prefix, allowed] : rules) {
      if (inc.target.rfind(prefix, 0) != 0)
        continue;
      bool ok = false;
      for (const auto& dir : allowed)
        ok = ok || inc.file.rfind(dir, 0) == 0;
      EXPECT_TRUE(ok) << inc.file << ":" << inc.line << " includes <" << inc.target << ">";
    }
  }
}

TEST(Architecture, NothingIncludesCli) {
  for (const auto& inc : all_includes()) {
    if (inc.system || folder_of(inc.file) == "cli")
      continue;
    EXPECT_NE(folder_of(inc.target), "cli") << inc.file << ":" << inc.line;
  }
}

}  // namespace
