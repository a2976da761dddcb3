// Bad input: the corpus in tests/data/bad/, one directory per broken input (see its README.md).
// Every case starts from an applied valid lake (tests/data/bad/baseline.yaml); then its bad
// lake.yaml (and any other files) is put in place and the command of its `expect` file runs. It
// must exit 1 without a signal, print every expected message and location on stderr, and leave
// the state database, the lake and the workspace exactly as they were, with no temporary file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/lake_workspace.h"

namespace lakeinfra::test_support {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

fs::path corpus_dir() {
  return source_dir() / "tests" / "data" / "bad";
}

/// The case directories ("NN-short-name"), sorted.
std::vector<std::string> case_names() {
  static const std::regex kCaseName("[0-9][0-9]-[a-z0-9-]+");
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(corpus_dir(), ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (it->is_directory() && std::regex_match(name, kCaseName))
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// A parsed `expect` file.
struct Expectation {
  std::vector<std::string> command;
  int exit_code = 1;
  std::vector<std::string> stderr_texts;
  std::vector<std::string> locations;
};

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;)
    words.push_back(w);
  return words;
}

Expectation parse_expect(const std::string& text, const std::string& where) {
  Expectation e;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#')
      continue;
    size_t colon = line.find(": ");
    if (colon == std::string::npos)
      throw std::runtime_error(where + ":" + std::to_string(n) + ": expected \"key: value\"");
    std::string key = line.substr(0, colon), value = line.substr(colon + 2);
    if (key == "command")
      e.command = split_words(value);
    else if (key == "exit")
      e.exit_code = std::stoi(value);
    else if (key == "stderr")
      e.stderr_texts.push_back(value);
    else if (key == "location")
      e.locations.push_back(value);
    else
      throw std::runtime_error(where + ":" + std::to_string(n) + ": unknown key \"" + key + "\"");
  }
  if (e.command.empty())
    throw std::runtime_error(where + ": no command");
  if (e.stderr_texts.empty() || e.locations.empty())
    throw std::runtime_error(where + ": needs at least one stderr and one location");
  return e;
}

std::string replace_all(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [from, to] : values) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  }
  return text;
}

ProcessResult git(const fs::path& dir, const std::vector<std::string>& args) {
  return run_git(dir, args);
}

bool is_cache(const std::string& rel) {
  // Fetched mirrors and builds are caches that plan and apply may fill before they fail, and so
  // is the lake cache when the configuration loaded and a later step failed (a pipeline's fetch
  // or build). A configuration that fails to load is never kept (config/lake_cache_test.cc).
  return rel.starts_with(".lakeinfra/repos") || rel.starts_with(".lakeinfra/builds") ||
         rel == ".lakeinfra/lake-cache";
}

/// Every row of every table of the state database, table by table.
std::string state_rows(const Workspace& ws) {
  std::string out;
  for (const auto& table :
       ws.sql("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
    out += "table " + table[0] + "\n";
    for (const auto& row : ws.sql("SELECT * FROM \"" + table[0] + "\" ORDER BY 1")) {
      for (const auto& value : row)
        out += value + "\t";
      out += "\n";
    }
  }
  return out;
}

/// Every entry of the workspace except the case's inputs and the caches: path → kind and
/// content. Temporary files ("NAME.tmp-...") anywhere, caches included, are listed in `temps`.
std::map<std::string, std::string> snapshot(const Workspace& ws, std::vector<std::string>& temps) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(ws.dir(), ec), end; !ec && it != end; it.increment(ec)) {
    std::string rel = fs::relative(it->path(), ws.dir()).string();
    if (it->path().filename().string().find(".tmp-") != std::string::npos)
      temps.push_back(rel);
    if (rel == "src" || rel.starts_with("src/") || rel.starts_with("lake.") || is_cache(rel))
      continue;
    if (rel == ".lakeinfra/state.db") {  // by its rows: taking and releasing the lock moves bytes
      out[rel] = "database " + state_rows(ws);
      continue;
    }
    if (it->is_symlink())
      out[rel] = "symlink " + fs::read_symlink(it->path()).string();
    else if (it->is_directory())
      out[rel] = "directory";
    else
      out[rel] = "file " + read_file(it->path());
  }
  return out;
}

std::vector<std::string> differences(const std::map<std::string, std::string>& before,
                                     const std::map<std::string, std::string>& after) {
  std::vector<std::string> diff;
  for (const auto& [rel, what] : before) {
    auto it = after.find(rel);
    if (it == after.end())
      diff.push_back("removed: " + rel);
    else if (it->second != what)
      diff.push_back("changed: " + rel);
  }
  for (const auto& [rel, what] : after) {
    if (!before.count(rel))
      diff.push_back("created: " + rel);
  }
  return diff;
}

class e2e_bad_input : public ::testing::TestWithParam<std::string> {};

TEST(e2e_bad_input_corpus, HasAtLeastFortyCases) {
  EXPECT_GE(case_names().size(), 40u) << "in " << corpus_dir();
}

TEST_P(e2e_bad_input, FailsWithTheExpectedMessageAndChangesNothing) {
  const fs::path dir = corpus_dir() / GetParam();
  const Expectation expect = parse_expect(read_file(dir / "expect"), (dir / "expect").string());

  // An applied valid lake.
  Workspace ws;
  ws.write("lake.yaml", read_file(corpus_dir() / "baseline.yaml"));
  auto init = ws.run({"apply", "-auto-approve"});
  ASSERT_EQ(init.exit_code, 0) << init;

  // The case's pipeline repo, if any: a real git repository at src/, tagged v1.0.0.
  std::map<std::string, std::string> values = {{"@WS@", ws.dir().string()},
                                               {"@REPO@", "file://" + ws.path("src").string()}};
  if (fs::is_directory(dir / "repo")) {
    fs::copy(dir / "repo", ws.path("src"), fs::copy_options::recursive);
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", "one"}, {"tag", "v1.0.0"}}) {
      auto g = git(ws.path("src"), args);
      ASSERT_EQ(g.exit_code, 0) << g;
    }
    values["@COMMIT@"] = git(ws.path("src"), {"rev-parse", "--short=7", "HEAD"}).out.substr(0, 7);
  }

  const int64_t serial = ws.serial();
  const auto addresses = ws.state_addresses();
  std::vector<std::string> temps;
  const auto before = snapshot(ws, temps);

  // The bad input, placeholders replaced, over the valid one.
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name == "expect" || name == "repo")
      continue;
    ws.write(name, replace_all(read_file(entry.path()), values));
  }

  auto r = ws.run(expect.command);
  EXPECT_EQ(r.term_signal, 0) << r;
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_EQ(r.exit_code, expect.exit_code) << r;
  for (const auto& text : expect.stderr_texts)
    EXPECT_THAT(r.err, HasSubstr(replace_all(text, values))) << r;
  for (const auto& location : expect.locations)
    EXPECT_THAT(r.err, HasSubstr("  --> " + replace_all(location, values))) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("Apply complete!"))) << r;

  // Nothing changed: the state's rows, the lake, the workspace; no temporary file.
  EXPECT_EQ(ws.serial(), serial);
  EXPECT_EQ(ws.state_addresses(), addresses);
  const auto after = snapshot(ws, temps);
  EXPECT_THAT(differences(before, after), ::testing::IsEmpty());
  EXPECT_THAT(temps, ::testing::IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(corpus, e2e_bad_input, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = "case_" + info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace lakeinfra::test_support
