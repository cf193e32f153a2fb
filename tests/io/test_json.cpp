// JSON writer: nesting, commas, escaping, fixed precision, non-finite numbers, misuse.
#include <gtest/gtest.h>

#include <cmath>
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
