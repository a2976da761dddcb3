// activities.json: parsing with locations, the pipeline contract's rules, artifact paths.
#include "pipelines/activities.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lakeinfra::pipelines {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kFile = "hello-world@1a2b3c4:activities.json";
constexpr const char* kPipeline = "hello-world";
constexpr const char* kLinked = "ADBLinkedServiceViaMSI";

// The example from the pipeline contract, verbatim (with its // comments).
constexpr const char* kContractExample = R"(  [
    {
      "name": "DatabricksPythonActivity",
      "type": "DatabricksSparkPython",
      "typeProperties": {
          "pythonFile": "dbfs:/pipelines/hello-world/artifacts/entrypoint.py",  // Will be uploaded to DBFS by Terraform configuration in FlowEHR repo
          "libraries": [
              {
                  "whl": "dbfs:/pipelines/hello-world/artifacts/src-0.0.1-py3-none-any.whl"  // Will be uploaded to DBFS by a script in FlowEHR repo
                  // More libraries can be added here, e.g. from PyPi
              }
          ]
      },
      "linkedServiceName": {
          "referenceName": "ADBLinkedServiceViaMSI",  // Needs to be in sync with what is set in FlowEHR
          "type": "LinkedServiceReference"
      }
    }
  ]
)";

// The example adapted to a build that produces only main.py.
constexpr const char* kMainPy = R"([
  {
    "name": "Run hello",
    "type": "DatabricksSparkPython",
    "typeProperties": {
      "pythonFile": "dbfs:/pipelines/hello-world/artifacts/main.py"  // uploaded by lakeinfra
    },
    /* the platform's linked service */
    "linkedServiceName": {
      "referenceName": "ADBLinkedServiceViaMSI",
      "type": "LinkedServiceReference"
    }
  }
]
)";

Activities parse_ok(std::string_view text) {
  auto parsed = parse_activities(text, kFile);
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().str());
  return parsed ? *parsed : Activities{};
}

config::Diagnostics parse_errors(std::string_view text) {
  auto parsed = parse_activities(text, kFile);
  EXPECT_FALSE(parsed) << "parsed unexpectedly";
  return parsed ? config::Diagnostics{} : parsed.error();
}

config::Diagnostics validate(std::string_view text,
                             const std::set<std::string>& artifacts = {"main.py"}) {
  auto parsed = parse_activities(text, kFile);
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().str());
  if (!parsed)
    return {};
  return validate_activities(*parsed, kPipeline, kLinked, artifacts);
}

/// A one-activity list (pretty-printed, one key per line) with `body` lines inside the object.
std::string activity(const std::string& body) {
  return "[\n  {\n" + body + "\n  }\n]\n";
}

/// The usual valid keys of an activity, one per line, without `except`.
std::string keys(const std::string& except = "", const std::string& name = "Run hello") {
  std::vector<std::string> lines;
  if (except != "name")
    lines.push_back("    \"name\": \"" + name + "\"");
  if (except != "type")
    lines.push_back("    \"type\": \"DatabricksSparkPython\"");
  if (except != "typeProperties")
    lines.push_back(
        "    \"typeProperties\": {\"pythonFile\": "
        "\"dbfs:/pipelines/hello-world/artifacts/main.py\"}");
  if (except != "linkedServiceName")
    lines.push_back("    \"linkedServiceName\": {\"referenceName\": \"ADBLinkedServiceViaMSI\"}");
  std::string out;
  for (const auto& l : lines)
    out += (out.empty() ? "" : ",\n") + l;
  return out;
}

std::string loc(const config::Location& l) {
  return l.str();
}

std::string at(int line, int column) {
  return std::string(kFile) + ":" + std::to_string(line) + ":" + std::to_string(column);
}

// ---------------------------------------------------------------------------------------------
// The contract's example

TEST(Activities, ContractExampleParsesAndValidates) {
  Activities a = parse_ok(kContractExample);
  ASSERT_EQ(a.list.size(), 1u);
  EXPECT_EQ(a.list[0]["name"], "DatabricksPythonActivity");
  EXPECT_EQ(a.file, kFile);
  auto problems =
      validate_activities(a, kPipeline, kLinked, {"entrypoint.py", "src-0.0.1-py3-none-any.whl"});
  EXPECT_TRUE(problems.empty()) << problems.str();
  EXPECT_THAT(referenced_artifacts(a, kPipeline),
              ElementsAre("entrypoint.py", "src-0.0.1-py3-none-any.whl"));
}

TEST(Activities, ContractExampleWithOnlyMainPyBuiltReportsBothArtifacts) {
  auto problems = validate(kContractExample, {"main.py"});
  ASSERT_EQ(problems.size(), 2u) << problems.str();
  EXPECT_EQ(problems.items()[0].summary,
            "activity \"DatabricksPythonActivity\" refers to artifact \"entrypoint.py\", which "
            "the build did not produce");
  EXPECT_EQ(problems.items()[0].hint, "the build produced: main.py");
  EXPECT_EQ(loc(problems.items()[0].location), at(6, 25));
  EXPECT_EQ(loc(problems.items()[1].location), at(9, 26));
}

TEST(Activities, AdaptedExampleValidatesWithMainPy) {
  Activities a = parse_ok(kMainPy);
  auto problems = validate_activities(a, kPipeline, kLinked, {"main.py"});
  EXPECT_TRUE(problems.empty()) << problems.str();
  EXPECT_THAT(referenced_artifacts(a, kPipeline), ElementsAre("main.py"));
}

TEST(Activities, EmptyListIsValid) {
  Activities a = parse_ok("[]");
  EXPECT_TRUE(a.list.is_array());
  EXPECT_TRUE(a.list.empty());
  EXPECT_TRUE(validate_activities(a, kPipeline, kLinked, {}).empty());
  EXPECT_THAT(referenced_artifacts(a, kPipeline), IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// Syntax errors

TEST(Activities, MissingCommaHasLineAndColumn) {
  auto errors = parse_errors("[\n  {\n    \"name\": \"a\"\n    \"type\": \"b\"\n  }\n]\n");
  ASSERT_EQ(errors.size(), 1u);
  const auto& d = errors.items()[0];
  EXPECT_EQ(d.summary,
            "activities.json is not valid JSON: unexpected string literal; expected '}'");
  EXPECT_EQ(d.hint, "check for a missing comma or quote near here");
  EXPECT_EQ(loc(d.location), at(4, 5));
}

TEST(Activities, TrailingCommaGetsItsOwnHint) {
  auto errors = parse_errors("[\n  {\"name\": \"a\"},\n]");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.items()[0].summary,
            "activities.json is not valid JSON: unexpected ']'; expected '[', '{', or a literal");
  EXPECT_EQ(errors.items()[0].hint, "remove the trailing comma: JSON allows none before ] or }");
  EXPECT_EQ(loc(errors.items()[0].location), at(3, 1));
}

TEST(Activities, UnclosedArrayPointsAtTheEnd) {
  auto errors = parse_errors("[\n  {\"name\": \"a\"}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.items()[0].summary,
            "activities.json is not valid JSON: unexpected end of input; expected ']'");
  EXPECT_EQ(errors.items()[0].hint, "check that every [ and { is closed and the file is complete");
  EXPECT_EQ(loc(errors.items()[0].location), at(3, 1));
}

TEST(Activities, UnquotedWordIsAnInvalidLiteral) {
  auto errors = parse_errors("[{\"name\": hello}]");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors.items()[0].summary, HasSubstr("invalid literal"));
  EXPECT_EQ(errors.items()[0].hint,
            "check for a string without quotes, or a misspelt true, false or null");
  EXPECT_EQ(errors.items()[0].location.line, 1);
}

TEST(Activities, NumberOverflowHasALocation) {
  auto errors = parse_errors("[\n  {\"timeout\": 1e999}\n]");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.items()[0].summary,
            "activities.json is not valid JSON: number overflow parsing '1e999'");
  EXPECT_EQ(errors.items()[0].location.line, 2);
}

TEST(Activities, EmptyFileIsAClearError) {
  for (std::string text : {"", "  \n\t", "// nothing yet\n/* still nothing */\n"}) {
    auto errors = parse_errors(text);
    ASSERT_EQ(errors.size(), 1u) << text;
    EXPECT_EQ(errors.items()[0].summary, "activities.json is empty");
    EXPECT_THAT(errors.items()[0].hint, HasSubstr("write a JSON array of activities"));
    EXPECT_EQ(loc(errors.items()[0].location), at(1, 1));
  }
}

TEST(Activities, TopLevelMustBeAnArray) {
  auto errors = parse_errors("\"hello\"");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.items()[0].summary,
            "activities.json is a string; expected an array of activities");
  EXPECT_EQ(loc(errors.items()[0].location), at(1, 1));

  errors = parse_errors("{\"name\": \"pipeline\"}");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.items()[0].summary,
            "activities.json is an object without \"activities\"; expected an array of "
            "activities");
  EXPECT_EQ(loc(errors.items()[0].location), at(1, 1));

  errors = parse_errors("{\n  \"activities\": {}\n}");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.items()[0].summary,
            "\"activities\" in activities.json is an object, expected an array of activities");
  EXPECT_EQ(loc(errors.items()[0].location), at(2, 17));
}

TEST(Activities, EveryElementMustBeAnObject) {
  auto errors = parse_errors("[\n  {\"name\": \"a\"},\n  \"b\",\n  3\n]");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors.items()[0].summary, "activity #2 is a string, expected an object");
  EXPECT_EQ(loc(errors.items()[0].location), at(3, 3));
  EXPECT_EQ(errors.items()[1].summary, "activity #3 is a number, expected an object");
  EXPECT_EQ(loc(errors.items()[1].location), at(4, 3));
}

// ---------------------------------------------------------------------------------------------
// Shapes and locations

TEST(Activities, AcceptsTheDataFactoryExportShape) {
  const char* text = R"({
  "name": "hello",
  "activities": [
    {
      "name": "Run hello",
      "type": "DatabricksSparkPython",
      "typeProperties": {"pythonFile": "dbfs:/pipelines/hello-world/artifacts/main.py"},
      "linkedServiceName": {"referenceName": "ADBLinkedServiceViaMSI"}
    }
  ]
})";
  Activities a = parse_ok(text);
  ASSERT_EQ(a.list.size(), 1u);
  EXPECT_EQ(a.list[0]["name"], "Run hello");
  EXPECT_EQ(loc(a.locate("")), at(3, 17));
  EXPECT_EQ(loc(a.locate("/0")), at(4, 5));
  EXPECT_EQ(loc(a.locate("/0/name")), at(5, 15));
  EXPECT_EQ(a.locations.count("/name"), 0u);
  EXPECT_TRUE(validate_activities(a, kPipeline, kLinked, {"main.py"}).empty());
}

TEST(Activities, AcceptsThePipelineResourceShape) {
  Activities a = parse_ok(
      "{\"name\": \"p\",\n \"properties\": {\n  \"activities\": [\n   {\"name\": \"x\"}]}}");
  ASSERT_EQ(a.list.size(), 1u);
  EXPECT_EQ(loc(a.locate("/0/name")), at(4, 13));
}

TEST(Activities, RecordsWhereEveryValueStarts) {
  const char* text =
      "[\n"
      "  {\n"
      "    \"name\": \"say \\\"hi\\\" \\\\\",\n"
      "    \"n\": -12.5e3, \"t\": true, \"f\": false, \"z\": null,\n"
      "    \"a/b~c\": [1, [2, {\"deep\": \"x\"}]], /* c */ \"é\": \"ünï\", \"after\": 7\n"
      "  }\n"
      "]";
  Activities a = parse_ok(text);
  EXPECT_EQ(loc(a.locate("")), at(1, 1));
  EXPECT_EQ(loc(a.locate("/0")), at(2, 3));
  EXPECT_EQ(loc(a.locate("/0/name")), at(3, 13));
  EXPECT_EQ(loc(a.locate("/0/n")), at(4, 10));
  EXPECT_EQ(loc(a.locate("/0/t")), at(4, 24));
  EXPECT_EQ(loc(a.locate("/0/f")), at(4, 35));
  EXPECT_EQ(loc(a.locate("/0/z")), at(4, 47));
  EXPECT_EQ(loc(a.locate("/0/a~1b~0c")), at(5, 14));
  EXPECT_EQ(loc(a.locate("/0/a~1b~0c/0")), at(5, 15));
  EXPECT_EQ(loc(a.locate("/0/a~1b~0c/1")), at(5, 18));
  EXPECT_EQ(loc(a.locate("/0/a~1b~0c/1/0")), at(5, 19));
  EXPECT_EQ(loc(a.locate("/0/a~1b~0c/1/1")), at(5, 22));
  EXPECT_EQ(loc(a.locate("/0/a~1b~0c/1/1/deep")), at(5, 31));
  EXPECT_EQ(loc(a.locate("/0/%C3%A9")), at(2, 3));  // not a key: the activity's location
  EXPECT_EQ(loc(a.locate("/0/é")), at(5, 52));      // columns count characters, not bytes
  EXPECT_EQ(loc(a.locate("/0/after")), at(5, 68));
}

TEST(Activities, LocateFallsBackToTheClosestAncestor) {
  Activities a = parse_ok("[\n  {\"typeProperties\": {}}\n]");
  EXPECT_EQ(loc(a.locate("/0/typeProperties/pythonFile")), at(2, 22));
  EXPECT_EQ(loc(a.locate("/0/name")), at(2, 3));
  EXPECT_EQ(loc(a.locate("/7/name")), at(1, 1));
  Activities none;
  none.file = "x.json";
  EXPECT_EQ(none.locate("/0").file, "x.json");
  EXPECT_EQ(none.locate("/0").line, 0);
}

TEST(Activities, CrLfLineEndings) {
  Activities a = parse_ok("[\r\n  {\r\n    \"name\": \"a\"\r\n  }\r\n]\r\n");
  EXPECT_EQ(loc(a.locate("/0/name")), at(3, 13));
}

TEST(Activities, ByteOrderMarkIsNotAColumn) {
  Activities a = parse_ok("\xEF\xBB\xBF[{\"name\": \"a\"}]");
  EXPECT_EQ(loc(a.locate("")), at(1, 1));
  EXPECT_EQ(loc(a.locate("/0/name")), at(1, 11));
}

// ---------------------------------------------------------------------------------------------
// Validation rules

TEST(Activities, MissingNameTypeAndTypeProperties) {
  auto problems = validate(
      activity("    \"linkedServiceName\": {\"referenceName\": \"" + std::string(kLinked) + "\"}"));
  ASSERT_EQ(problems.size(), 3u) << problems.str();
  EXPECT_EQ(problems.items()[0].summary, "activity #1 has no \"name\"");
  EXPECT_EQ(problems.items()[0].hint, "add \"name\": \"<a unique name>\"");
  EXPECT_EQ(problems.items()[1].summary, "activity #1 has no \"type\"");
  EXPECT_EQ(problems.items()[2].summary, "activity #1 has no \"typeProperties\"");
  EXPECT_EQ(problems.items()[2].hint, "add \"typeProperties\": {...}");
  for (const auto& d : problems)
    EXPECT_EQ(loc(d.location), at(2, 3)) << d.summary;  // the activity object
}

TEST(Activities, MissingTypePropertiesNamesTheActivity) {
  auto problems = validate(activity(keys("typeProperties")));
  ASSERT_EQ(problems.size(), 1u) << problems.str();
  EXPECT_EQ(problems.items()[0].summary, "activity \"Run hello\" has no \"typeProperties\"");
  EXPECT_EQ(problems.items()[0].hint, "add \"typeProperties\": {...}");
}

TEST(Activities, WrongValueTypes) {
  auto problems = validate(activity(
      "    \"name\": 7,\n    \"type\": [\"DatabricksSparkPython\"],\n"
      "    \"typeProperties\": \"none\",\n    \"linkedServiceName\": \"ADBLinkedServiceViaMSI\""));
  ASSERT_EQ(problems.size(), 4u) << problems.str();
  EXPECT_EQ(problems.items()[0].summary, "activity #1: \"name\" is a number, expected a string");
  EXPECT_EQ(loc(problems.items()[0].location), at(3, 13));
  EXPECT_EQ(problems.items()[1].summary, "activity #1: \"type\" is an array, expected a string");
  EXPECT_EQ(loc(problems.items()[1].location), at(4, 13));
  EXPECT_EQ(problems.items()[2].summary,
            "activity #1: \"typeProperties\" is a string, expected an object");
  EXPECT_EQ(loc(problems.items()[2].location), at(5, 23));
  EXPECT_EQ(problems.items()[3].summary,
            "activity #1: \"linkedServiceName\" is a string, expected an object");
  EXPECT_EQ(loc(problems.items()[3].location), at(6, 26));
}

TEST(Activities, EmptyName) {
  auto problems = validate(activity(keys("", "")));
  ASSERT_EQ(problems.size(), 1u) << problems.str();
  EXPECT_EQ(problems.items()[0].summary, "activity #1 has an empty \"name\"");
  EXPECT_EQ(loc(problems.items()[0].location), at(3, 13));
}

TEST(Activities, DuplicateNames) {
  std::string text = "[\n  {" + keys() + "},\n  {" + keys() + "},\n  {" + keys() + "}\n]";
  auto problems = validate(text);
  ASSERT_EQ(problems.size(), 2u) << problems.str();
  EXPECT_EQ(problems.items()[0].summary, "activity \"Run hello\" is defined more than once");
  EXPECT_EQ(problems.items()[0].hint, "give each activity a unique name");
  EXPECT_EQ(problems.items()[0].detail, "activity #1 has the same name (" + at(2, 16) + ")");
  EXPECT_EQ(problems.items()[0].location.line, 6);
  EXPECT_EQ(problems.items()[1].location.line, 10);
}

TEST(Activities, WrongLinkedService) {
  auto problems =
      validate(activity(keys("linkedServiceName") +
                        ",\n    \"linkedServiceName\": {\n      \"referenceName\": \"Foo\",\n"
                        "      \"type\": \"LinkedServiceReference\"\n    }"));
  ASSERT_EQ(problems.size(), 1u) << problems.str();
  const auto& d = problems.items()[0];
  EXPECT_EQ(d.summary,
            "activity \"Run hello\" uses linked service \"Foo\", but this platform's is "
            "\"ADBLinkedServiceViaMSI\"");
  EXPECT_EQ(d.hint, "set linkedServiceName.referenceName to \"ADBLinkedServiceViaMSI\"");
  EXPECT_EQ(loc(d.location), at(7, 24));
}

TEST(Activities, LinkedServiceWithoutReferenceName) {
  auto problems = validate(
      activity(keys("linkedServiceName") + ",\n    \"linkedServiceName\": {\"type\": \"x\"}"));
  ASSERT_EQ(problems.size(), 1u) << problems.str();
  EXPECT_EQ(problems.items()[0].summary,
            "activity \"Run hello\": \"linkedServiceName\" has no \"referenceName\"");
  EXPECT_EQ(problems.items()[0].hint, "add \"referenceName\": \"ADBLinkedServiceViaMSI\"");
  EXPECT_EQ(loc(problems.items()[0].location), at(6, 26));
}

TEST(Activities, DatabricksActivityNeedsALinkedService) {
  auto problems = validate(activity(keys("linkedServiceName")));
  ASSERT_EQ(problems.size(), 1u) << problems.str();
  EXPECT_EQ(problems.items()[0].summary,
            "activity \"Run hello\" of type \"DatabricksSparkPython\" has no "
            "\"linkedServiceName\"");
  EXPECT_EQ(problems.items()[0].hint,
            "add \"linkedServiceName\": {\"referenceName\": \"ADBLinkedServiceViaMSI\", "
            "\"type\": \"LinkedServiceReference\"}");
  EXPECT_EQ(loc(problems.items()[0].location), at(2, 3));
}

TEST(Activities, OtherActivityTypesNeedNoLinkedService) {
  auto problems =
      validate(activity("    \"name\": \"Wait\",\n    \"type\": \"Wait\",\n"
                        "    \"typeProperties\": {\"waitTimeInSeconds\": 1}"));
  EXPECT_TRUE(problems.empty()) << problems.str();
}

TEST(Activities, PathOfAnotherPipelineNamesBoth) {
  auto problems = validate(
      activity("    \"name\": \"Run hello\",\n    \"type\": \"DatabricksSparkPython\",\n"
               "    \"typeProperties\": {\n      \"pythonFile\": "
               "\"dbfs:/pipelines/goodbye/artifacts/main.py\"\n    },\n"
               "    \"linkedServiceName\": {\"referenceName\": \"ADBLinkedServiceViaMSI\"}"));
  ASSERT_EQ(problems.size(), 1u) << problems.str();
  const auto& d = problems.items()[0];
  EXPECT_EQ(d.summary,
            "activity \"Run hello\" refers to \"dbfs:/pipelines/goodbye/artifacts/main.py\", a "
            "path of pipeline \"goodbye\", but this is pipeline \"hello-world\"");
  EXPECT_EQ(d.hint, "use \"dbfs:/pipelines/hello-world/artifacts/main.py\"");
  EXPECT_EQ(loc(d.location), at(6, 21));
}

TEST(Activities, MalformedArtifactPaths) {
  struct Case {
    std::string path, problem;
  };
  std::vector<Case> cases = {
      {"dbfs:/pipelines/hello-world/main.py",
       "is not below dbfs:/pipelines/hello-world/artifacts/"},
      {"dbfs:/pipelines/hello-world/artifacts/", "names no artifact"},
      {"dbfs:/pipelines/hello-world/artifacts", "names no artifact"},
      {"dbfs:/pipelines/hello-world/artifacts/../secrets", "has an empty, \".\" or \"..\" segment"},
      {"dbfs:/pipelines/hello-world/artifacts/lib//x.whl", "has an empty, \".\" or \"..\" segment"},
      {"dbfs:/pipelines/hello-world/artifacts/./main.py", "has an empty, \".\" or \"..\" segment"},
      {"dbfs:/pipelines/hello-world/artifacts/main.py/", "has an empty, \".\" or \"..\" segment"},
      {"dbfs:/pipelines//artifacts/main.py", "names no pipeline"},
  };
  for (const auto& c : cases) {
    auto problems = validate(activity(keys() + ",\n    \"extra\": [\"" + c.path + "\"]"));
    ASSERT_EQ(problems.size(), 1u) << c.path << "\n" << problems.str();
    const auto& d = problems.items()[0];
    if (c.problem == "names no pipeline") {
      EXPECT_THAT(d.summary, HasSubstr("a path of pipeline \"\""));
      EXPECT_EQ(d.hint,
                "artifact paths look like \"dbfs:/pipelines/hello-world/artifacts/<file>\"");
    } else {
      EXPECT_EQ(d.summary,
                "activity \"Run hello\" refers to \"" + c.path + "\", which " + c.problem);
      EXPECT_EQ(d.hint,
                "artifact paths look like \"dbfs:/pipelines/hello-world/artifacts/<file>\"");
    }
    EXPECT_EQ(loc(d.location), at(7, 15)) << c.path;
  }
}

TEST(Activities, UnknownArtifactSuggestsTheClosest) {
  std::string body = keys("typeProperties") +
                     ",\n    \"typeProperties\": {\"pythonFile\": "
                     "\"dbfs:/pipelines/hello-world/artifacts/mian.py\"}";
  auto problems = validate(activity(body), {"main.py", "lib/src-0.0.1-py3-none-any.whl"});
  ASSERT_EQ(problems.size(), 1u) << problems.str();
  const auto& d = problems.items()[0];
  EXPECT_EQ(d.summary,
            "activity \"Run hello\" refers to artifact \"mian.py\", which the build did not "
            "produce");
  EXPECT_EQ(d.hint,
            "did you mean \"main.py\"? the build produced: lib/src-0.0.1-py3-none-any.whl, "
            "main.py");
  EXPECT_EQ(loc(d.location), at(6, 38));

  problems = validate(activity(body), {});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems.items()[0].hint,
            "the build produced no artifacts: `make artifacts` must copy the file into "
            "artifacts/");
}

TEST(Activities, LongArtifactListsAreShortened) {
  std::set<std::string> many;
  for (int i = 0; i < 15; ++i)
    many.insert("file" + std::to_string(10 + i) + ".txt");
  auto problems = validate(activity(keys()), many);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems.items()[0].hint, HasSubstr("file19.txt and 5 more"));
}

TEST(Activities, ArtifactsInSubdirectories) {
  std::string body = keys() +
                     ",\n    \"libraries\": [{\"whl\": "
                     "\"dbfs:/pipelines/hello-world/artifacts/lib/x-1.0-py3-none-any.whl\"}]";
  auto problems = validate(activity(body), {"main.py", "lib/x-1.0-py3-none-any.whl"});
  EXPECT_TRUE(problems.empty()) << problems.str();
}

TEST(Activities, OtherStringsAreNotArtifactPaths) {
  std::string body = keys() +
                     ",\n    \"notes\": \"see dbfs:/pipelines/other/x\", \"uri\": "
                     "\"dbfs:/pipelinesX/y\", \"abs\": \"DBFS:/pipelines/other/artifacts/a\"";
  EXPECT_TRUE(validate(activity(body)).empty());
}

TEST(Activities, ReportsEveryProblemInEveryActivity) {
  const char* text = R"([
  {"name": "a", "type": "DatabricksSparkPython", "typeProperties": {},
   "linkedServiceName": {"referenceName": "Foo"}},
  {"name": "a", "typeProperties": {"f": "dbfs:/pipelines/x/artifacts/y"}},
  {"type": "DatabricksNotebook", "typeProperties": {"notebookPath": "/x"},
   "linkedServiceName": {"referenceName": "ADBLinkedServiceViaMSI"}}
])";
  auto problems = validate(text);
  std::vector<std::string> summaries;
  std::vector<int> lines;
  for (const auto& d : problems) {
    summaries.push_back(d.summary);
    lines.push_back(d.location.line);
  }
  EXPECT_THAT(
      summaries,
      ElementsAre("activity \"a\" uses linked service \"Foo\", but this platform's is "
                  "\"ADBLinkedServiceViaMSI\"",
                  "activity \"a\" has no \"type\"", "activity \"a\" is defined more than once",
                  "activity \"a\" refers to \"dbfs:/pipelines/x/artifacts/y\", a path of "
                  "pipeline \"x\", but this is pipeline \"hello-world\"",
                  "activity #3 has no \"name\""));
  EXPECT_THAT(lines, ElementsAre(3, 4, 4, 4, 5));
}

TEST(Activities, ValidatesAHandBuiltListWithoutLocations) {
  Activities a;
  a.file = "inline";
  a.list = nlohmann::json::array({nlohmann::json::object({{"name", "x"}}), 5});
  auto problems = validate_activities(a, kPipeline, kLinked, {});
  ASSERT_EQ(problems.size(), 3u) << problems.str();
  EXPECT_EQ(problems.items()[2].summary, "activity #2 is a number, expected an object");
  EXPECT_EQ(problems.items()[2].location.file, "inline");
}

// ---------------------------------------------------------------------------------------------
// Artifact paths

TEST(Activities, ReferencedArtifactsAreThisPipelinesWellFormedPaths) {
  const char* text = R"([{"a": "dbfs:/pipelines/hello-world/artifacts/main.py",
    "b": ["dbfs:/pipelines/hello-world/artifacts/lib/x.whl", {"c": "dbfs:/pipelines/hello-world/artifacts/main.py"}],
    "d": "dbfs:/pipelines/other/artifacts/o.py", "e": "dbfs:/pipelines/hello-world/artifacts/../x",
    "f": "text dbfs:/pipelines/hello-world/artifacts/t.py"}])";
  EXPECT_THAT(referenced_artifacts(parse_ok(text), kPipeline), ElementsAre("lib/x.whl", "main.py"));
}

TEST(Activities, RewriteReplacesWholeArtifactPathsOnly) {
  const char* text = R"([{
    "name": "dbfs:/pipelines/hello-world/artifacts/name-is-a-path.py",
    "typeProperties": {
      "pythonFile": "dbfs:/pipelines/hello-world/artifacts/main.py",
      "libraries": [{"whl": "dbfs:/pipelines/hello-world/artifacts/lib/x.whl"}, {"pypi": {"package": "y"}}],
      "parameters": ["--file dbfs:/pipelines/hello-world/artifacts/main.py", 3, null, true],
      "other": "dbfs:/pipelines/other/artifacts/main.py",
      "bad": "dbfs:/pipelines/hello-world/artifacts/../main.py"
    },
    "dbfs:/pipelines/hello-world/artifacts/key.py": "keys stay"
  }])";
  Activities a = parse_ok(text);
  std::vector<std::string> asked;
  auto out = rewrite_artifact_paths(a.list, kPipeline, [&asked](const std::string& artifact) {
    asked.push_back(artifact);
    return "s3://bucket/pipelines/hello-world/" + artifact;
  });
  const auto& tp = out[0]["typeProperties"];
  EXPECT_EQ(out[0]["name"], "s3://bucket/pipelines/hello-world/name-is-a-path.py");
  EXPECT_EQ(tp["pythonFile"], "s3://bucket/pipelines/hello-world/main.py");
  EXPECT_EQ(tp["libraries"][0]["whl"], "s3://bucket/pipelines/hello-world/lib/x.whl");
  EXPECT_EQ(tp["libraries"][1], a.list[0]["typeProperties"]["libraries"][1]);
  EXPECT_EQ(tp["parameters"], a.list[0]["typeProperties"]["parameters"]);
  EXPECT_EQ(tp["other"], "dbfs:/pipelines/other/artifacts/main.py");
  EXPECT_EQ(tp["bad"], "dbfs:/pipelines/hello-world/artifacts/../main.py");
  EXPECT_EQ(out[0]["dbfs:/pipelines/hello-world/artifacts/key.py"], "keys stay");
  EXPECT_EQ(asked.size(), 3u);
  // The input is unchanged.
  EXPECT_EQ(a.list[0]["typeProperties"]["pythonFile"],
            "dbfs:/pipelines/hello-world/artifacts/main.py");
}

// ---------------------------------------------------------------------------------------------
// Hostile input

TEST(Activities, NonUtf8InputIsAnErrorWithPrintableMessage) {
  for (std::string text : {std::string("[{\"name\": \"caf\xe9\"}]"), std::string("[\xff]"),
                           std::string("\xc3\x28"), std::string("[\"\xed\xa0\x80\"]")}) {
    auto errors = parse_errors(text);
    ASSERT_EQ(errors.size(), 1u);
    const auto& summary = errors.items()[0].summary;
    EXPECT_THAT(summary, HasSubstr("activities.json is not valid JSON"));
    for (unsigned char c : summary)
      EXPECT_LT(c, 0x80) << summary;  // the bad bytes are shown as \xNN
  }
  auto errors = parse_errors("[{\"name\": \"caf\xe9\"}]");
  EXPECT_THAT(errors.items()[0].summary, HasSubstr("\\xe9"));
  EXPECT_EQ(errors.items()[0].hint,
            "strings must be valid UTF-8, with control characters escaped (\\n, \\t)");
}

TEST(Activities, HugeInputsParse) {
  std::string text = "[\n";
  for (int i = 0; i < 5'000; ++i) {
    text += (i ? ",\n" : "") + std::string("  {\"name\": \"a") + std::to_string(i) +
            "\", \"type\": \"Wait\", \"typeProperties\": {\"pad\": \"" + std::string(200, 'x') +
            "\"}}";
  }
  text += "\n]";
  ASSERT_GT(text.size(), 1'000'000u);
  Activities a = parse_ok(text);
  ASSERT_EQ(a.list.size(), 5'000u);
  EXPECT_EQ(loc(a.locate("/4999/name")), at(5'001, 12));
  EXPECT_TRUE(validate_activities(a, kPipeline, kLinked, {}).empty());
}

TEST(Activities, HugeStringParses) {
  std::string long_string = "[{\"name\": \"" + std::string(2 << 20, 'y') + "\"}]";
  EXPECT_EQ(parse_ok(long_string).list[0]["name"].get<std::string>().size(), 2u << 20);
}

TEST(Activities, HugeOneLineInputParsesInLinearTime) {
  std::string one_line = "[";
  for (int i = 0; i < 50'000; ++i)
    one_line += (i ? "," : "") + std::to_string(i);
  one_line += "]";
  auto parsed = parse_activities(one_line, kFile);
  ASSERT_FALSE(parsed);  // numbers are not activities: 50000 errors, found in linear time
  EXPECT_EQ(parsed.error().size(), 50'000u);
}

TEST(Activities, DeepNestingIsRefusedNotACrash) {
  std::string deep(1'000'000, '[');
  auto errors = parse_errors(deep);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.items()[0].summary, "activities.json nests deeper than 256 levels");
  EXPECT_EQ(loc(errors.items()[0].location), at(1, 257));

  std::string ok = "[{\"x\": " + std::string(200, '[') + std::string(200, ']') + "}]";
  EXPECT_TRUE(parse_activities(ok, kFile));
}

}  // namespace
}  // namespace lakeinfra::pipelines
