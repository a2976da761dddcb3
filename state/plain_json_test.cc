// The fast path for the JSON of the resources table (state/plain_json.h): whatever it accepts,
// it must read exactly as nlohmann's parser does.
#include "state/plain_json.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace lakeinfra::state {
namespace {

using config::Attributes;

/// nlohmann's reading of `text`, or nullopt when it is not JSON.
std::optional<Attributes> reference(const std::string& text) {
  Attributes j = Attributes::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return std::nullopt;
  return j;
}

/// The fast paths agree with the reference on `text`: what they accept, it reads the same.
void expect_agrees(const std::string& text) {
  if (auto object = parse_plain_string_object(text)) {
    auto want = reference(text);
    ASSERT_TRUE(want.has_value()) << "accepted what is not JSON: " << text;
    EXPECT_EQ(*object, *want) << text;
  }
  if (auto array = parse_plain_string_array(text)) {
    auto want = reference(text);
    ASSERT_TRUE(want.has_value()) << "accepted what is not JSON: " << text;
    ASSERT_TRUE(want->is_array()) << text;
    ASSERT_EQ(array->size(), want->size()) << text;
    for (size_t i = 0; i < array->size(); ++i) {
      ASSERT_TRUE((*want)[i].is_string()) << text;
      EXPECT_EQ((*array)[i], (*want)[i].get<std::string>()) << text;
    }
  }
}

TEST(PlainJsonTest, ReadsWhatLakeinfraWrites) {
  Attributes attributes = {{"name", "raw"}, {"tier", "sensitive"}, {"zone", "bronze"}};
  auto object = parse_plain_string_object(attributes.dump());
  ASSERT_TRUE(object.has_value());
  EXPECT_EQ(*object, attributes);
  auto empty = parse_plain_string_object("{}");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, Attributes::object());

  const std::string text = Attributes::array({"zone.bronze", "role.reader"}).dump();
  auto deps = parse_plain_string_array(text);  // views into `text`
  ASSERT_TRUE(deps.has_value());
  EXPECT_EQ(*deps, (std::vector<std::string_view>{"zone.bronze", "role.reader"}));
  auto none = parse_plain_string_array("[]");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST(PlainJsonTest, LeavesEverythingElseToTheFullParser) {
  for (const char* text : {"",
                           "{",
                           "}",
                           "[",
                           "]",
                           "{]",
                           "[}",
                           "{} ",
                           " {}",
                           "[] ",
                           "{\"a\":\"b\"} ",
                           "{\"a\": \"b\"}",
                           "{\"a\":\"b\",}",
                           "{\"a\":1}",
                           "{\"a\":true}",
                           "{\"a\":null}",
                           "{\"a\":{}}",
                           "{\"a\":[]}",
                           "{\"a\":\"b\",\"a\":\"c\"}",
                           "{\"a\\\"\":\"b\"}",
                           "{\"a\":\"\\u0041\"}",
                           "{\"a\":\"caf\xc3\xa9\"}",
                           "{\"a\":\"tab\there\"}",
                           "{\"a\":\"b\"}{}",
                           "{\"a\"}",
                           "{\"a\":}",
                           "{a:\"b\"}",
                           "[\"a\",]",
                           "[\"a\" ]",
                           "[1]",
                           "[\"a\",1]",
                           "[[\"a\"]]",
                           "[\"a\"]]",
                           "[\"a\\\\\"]",
                           "null",
                           "\"a\""}) {
    EXPECT_FALSE(parse_plain_string_object(text).has_value()) << text;
    EXPECT_FALSE(parse_plain_string_array(text).has_value()) << text;
    expect_agrees(text);
  }
  // A repeated key: nlohmann keeps the last value, the fast path declines.
  EXPECT_EQ(*reference("{\"a\":\"b\",\"a\":\"c\"}"), (Attributes{{"a", "c"}}));
}

TEST(PlainJsonTest, AgreesWithTheFullParserOnRandomText) {
  // Texts made of the pieces these shapes are built from, and a few that break them.
  const std::vector<std::string> pieces = {"{", "}",        "[",     "]",     "\"",         ":",
                                           ",", "a",        "b",     "zone",  " ",          "\\",
                                           "1", "\xc3\xa9", "\"a\"", "\"b\"", "\"a\":\"b\""};
  std::mt19937 random(20261122);
  size_t accepted = 0;
  for (int n = 0; n < 200000; ++n) {
    std::string text;
    int length = 1 + static_cast<int>(random() % 12);
    for (int i = 0; i < length; ++i)
      text += pieces[random() % pieces.size()];
    ASSERT_NO_FATAL_FAILURE(expect_agrees(text));
    accepted +=
        parse_plain_string_object(text).has_value() || parse_plain_string_array(text).has_value();
  }
  EXPECT_GT(accepted, 100U);  // the generator does reach the accepted shapes
}

}  // namespace
}  // namespace lakeinfra::state
