// A small streaming JSON writer: objects, arrays, strings (escaped), integers, fixed-precision numbers.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace trifold {

// JSON string literal of s, with quotes; escapes ", \, control characters (\n, \t, \u00XX). Bytes >= 0x80
// are passed through (UTF-8 stays UTF-8).
std::string json_quote(std::string_view s);

// Writes well-formed JSON incrementally. Usage:
//   JsonWriter j(out);  j.begin_object(); j.key("tm").number(0.9586, 4); j.key("n").integer(156);
//   j.key("list").begin_array(); j.string("a"); j.end_array(); j.end_object();
// Commas and (with indent > 0) newlines/indentation are inserted automatically. Misuse (a value where a key
// is expected, unbalanced end_*) throws InternalError. Non-finite numbers are written as null.
class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& os, int indent = 2) : os_(os), indent_(indent) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& string(std::string_view s);
  JsonWriter& integer(int64_t v);
  // Fixed notation with `precision` digits after the point (e.g. 0.9586 with 4).
  JsonWriter& number(double v, int precision = 4);
  JsonWriter& boolean(bool v);
  JsonWriter& null();
  // True once the top-level value is complete.
  bool done() const { return stack_.empty() && wrote_top_; }

 private:
  struct Level {
    bool object;
    int count = 0;
    bool key_pending = false;
  };
  void before_value();
  void newline();
  std::ostream& os_;
  int indent_;
  std::vector<Level> stack_;
  bool wrote_top_ = false;
};

}  // namespace trifold
