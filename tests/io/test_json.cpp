// JSON writer: nesting, commas, escaping, fixed precision, non-finite numbers, misuse.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "io/error.hpp"
#include "io/json.hpp"

using namespace trifold;

TEST(Json, CompactNestingAndNumbers) {
  std::ostringstream o;
  JsonWriter j(o, 0);
  j.begin_object();
  j.key("a").integer(3);
  j.key("b").number(0.95864, 4);
  j.key("c").begin_array().string("x").number(-0.00001, 2).null().boolean(true).end_array();
  j.key("d").begin_object().end_object();
  j.key("nan").number(std::nan(""), 3);
  j.end_object();
  EXPECT_TRUE(j.done());
  EXPECT_EQ(o.str(), R"({"a":3,"b":0.9586,"c":["x",0.00,null,true],"d":{},"nan":null})");
}

// Found by tests/fuzz/fuzz_json: number() printed into a 64-byte buffer, so a value of 1e63 or more came out as
// its first 63 digits, a wrong number.
TEST(Json, LargeNumbersKeepAllDigits) {
  std::ostringstream o;
  JsonWriter j(o, 0);
  j.begin_array().number(1e100, 2).number(-1.5e70, 0).end_array();
  char a[256], b[256];
  std::snprintf(a, sizeof a, "%.2f", 1e100);   // 101 digits before the point
  std::snprintf(b, sizeof b, "%.0f", -1.5e70);
  EXPECT_EQ(o.str(), "[" + std::string(a) + "," + b + "]");
  EXPECT_EQ(std::strtod(o.str().c_str() + 1, nullptr), 1e100);
}

TEST(Json, Escaping) {
  EXPECT_EQ(json_quote("a\"b\\c\nd\te\x01"), R"("a\"b\\c\nd\te\u0001")");
  EXPECT_EQ(json_quote("Å"), "\"Å\"");
}

TEST(Json, PrettyPrintIndents) {
  std::ostringstream o;
  JsonWriter j(o, 2);
  j.begin_object().key("k").begin_array().integer(1).integer(2).end_array().end_object();
  EXPECT_EQ(o.str(), "{\n  \"k\": [\n    1,\n    2\n  ]\n}\n");
}

TEST(Json, MisuseThrows) {
  std::ostringstream o;
  JsonWriter j(o);
  j.begin_object();
  EXPECT_THROW(j.integer(1), InternalError);  // value without key
  EXPECT_THROW(j.end_array(), InternalError);
}
