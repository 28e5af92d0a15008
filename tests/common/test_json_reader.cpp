// The strict JSON reader: types, ranges, unknown keys, depth, messages.
#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/json_reader.h"

namespace tinyae {
namespace {

// The message of the tinyae::Error that `f` throws ("" if none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(JsonReader, ReadsTypedValues) {
  const nlohmann::json j = parse_json(R"({"n": 3, "u": 18446744073709551615, "x": 0.5, "s": "a", "b": true,
                                          "z": null, "o": {"k": 1}, "a": [1, 2]})",
                                      "doc");
  const JsonObject o(j, "doc");
  EXPECT_EQ(o.integer("n", 0, 10), 3);
  EXPECT_EQ(o.unsigned_integer("u"), 18446744073709551615ull);
  EXPECT_EQ(o.real("x", 0, 1), 0.5);
  EXPECT_EQ(o.real("n"), 3.0);  // an integer is a number
  EXPECT_EQ(o.string("s"), "a");
  EXPECT_TRUE(o.boolean("b"));
  EXPECT_FALSE(o.real_or_null("z").has_value());
  EXPECT_EQ(o.object("o").integer("k"), 1);
  EXPECT_EQ(o.object("o").where(), "doc.o");
  EXPECT_EQ(o.array("a").size(), 2u);
  EXPECT_NO_THROW(o.refuse_unknown_keys({"n", "u", "x", "s", "b", "z", "o", "a"}));
}

TEST(JsonReader, RefusesWithMessagesNamingTheKey) {
  const nlohmann::json j = parse_json(R"({"big": 1e25, "neg": -1, "huge": 18446744073709551615,
                                          "s": "x", "n": 7, "o": [1]})",
                                      "doc");
  const JsonObject o(j, "doc");
  EXPECT_EQ(error_of([&] { o.integer("big"); }), "doc: \"big\" must be an integer, found the number 1e+25");
  EXPECT_EQ(error_of([&] { o.integer("huge"); }),
            "doc: \"huge\" must be an integer, found the integer 18446744073709551615");
  EXPECT_EQ(error_of([&] { o.integer("n", 0, 5); }), "doc: \"n\" must be an integer in 0..5, found the integer 7");
  EXPECT_EQ(error_of([&] { o.unsigned_integer("neg"); }), "doc: \"neg\" must be an integer >= 0, found the integer -1");
  EXPECT_EQ(error_of([&] { o.real("s"); }), "doc: \"s\" must be a finite number, found the string \"x\"");
  EXPECT_EQ(error_of([&] { o.real("n", 0, 1); }), "doc: \"n\" must be a number in [0.0, 1.0], found the integer 7");
  EXPECT_EQ(error_of([&] { o.string("n"); }), "doc: \"n\" must be a string, found the integer 7");
  EXPECT_EQ(error_of([&] { o.at("missing"); }), "doc has no \"missing\"");
  EXPECT_EQ(error_of([&] { o.object("o"); }), "doc.o: expected a JSON object, found an array of 1 elements");
  EXPECT_EQ(error_of([&] { o.refuse_unknown_keys({"big", "neg", "huge", "s", "n"}); }), "doc: unknown key \"o\"");
  EXPECT_EQ(error_of([&] { json_integer(nlohmann::json(2.5), "models[0].macs"); }),
            "models[0].macs must be an integer, found the number 2.5");
}

TEST(JsonReader, RefusesDeepNestingAndBadSyntax) {
  const std::string deep = std::string(300000, '[') + std::string(300000, ']');
  EXPECT_EQ(error_of([&] { parse_json(deep, "doc"); }), "doc nests deeper than 64 levels");
  const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_NO_THROW(parse_json(ok, "doc"));
  EXPECT_NE(error_of([&] { parse_json("{\"a\": ", "doc"); }).find("doc is not valid JSON"), std::string::npos);
  EXPECT_EQ(error_of([&] { JsonObject(parse_json("3", "doc"), "doc"); }), "doc: expected a JSON object, found 3");
}

TEST(JsonReader, ExcerptsAreShortAndPrintable) {
  EXPECT_EQ(json_excerpt(nlohmann::json(std::string(200, 'a'))).size(),
            80u + std::string("... (202 characters)").size());
  EXPECT_EQ(printable(std::string("a\x01\"b", 4)), "a\\x01\\x22b");
}

}  // namespace
}  // namespace tinyae
