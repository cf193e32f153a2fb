// JSON writer implementation.
#include "io/json.hpp"

#include <cmath>
#include <cstdio>

#include "io/error.hpp"

namespace trifold {

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

void JsonWriter::newline() {
  if (indent_ <= 0) return;
  os_ << '\n' << std::string(stack_.size() * indent_, ' ');
}

void JsonWriter::before_value() {
  if (stack_.empty()) {
    TRIFOLD_CHECK(!wrote_top_, "JsonWriter: a second top-level value");
    wrote_top_ = true;
    return;
  }
  Level& l = stack_.back();
  if (l.object) {
    TRIFOLD_CHECK(l.key_pending, "JsonWriter: value in an object without a key");
    l.key_pending = false;
    return;
  }
  if (l.count++ > 0) os_ << ',';
  newline();
}

JsonWriter& JsonWriter::key(std::string_view k) {
  TRIFOLD_CHECK(!stack_.empty() && stack_.back().object && !stack_.back().key_pending,
                "JsonWriter: key outside an object");
  Level& l = stack_.back();
  if (l.count++ > 0) os_ << ',';
  newline();
  os_ << json_quote(k) << (indent_ > 0 ? ": " : ":");
  l.key_pending = true;
  return *this;
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  os_ << '{';
  stack_.push_back({true});
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  TRIFOLD_CHECK(!stack_.empty() && stack_.back().object && !stack_.back().key_pending,
                "JsonWriter: unbalanced end_object");
  const bool empty = stack_.back().count == 0;
  stack_.pop_back();
  if (!empty) newline();
  os_ << '}';
  if (stack_.empty() && indent_ > 0) os_ << '\n';
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  os_ << '[';
  stack_.push_back({false});
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  TRIFOLD_CHECK(!stack_.empty() && !stack_.back().object, "JsonWriter: unbalanced end_array");
  const bool empty = stack_.back().count == 0;
  stack_.pop_back();
  if (!empty) newline();
  os_ << ']';
  if (stack_.empty() && indent_ > 0) os_ << '\n';
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view s) {
  before_value();
  os_ << json_quote(s);
  return *this;
}

JsonWriter& JsonWriter::integer(int64_t v) {
  before_value();
  os_ << v;
  return *this;
}

JsonWriter& JsonWriter::number(double v, int precision) {
  before_value();
  if (!std::isfinite(v)) {
    os_ << "null";
    return *this;
  }
  // Sized by a first snprintf: a fixed buffer silently cut large values (1e100 has 101 digits) to wrong digits.
  const int n = std::snprintf(nullptr, 0, "%.*f", precision, v);
  std::string s(static_cast<size_t>(n), '\0');
  std::snprintf(s.data(), s.size() + 1, "%.*f", precision, v);
  // "-0.0000" carries no information and trips naive comparisons.
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  os_ << s;
  return *this;
}

JsonWriter& JsonWriter::boolean(bool v) {
  before_value();
  os_ << (v ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  os_ << "null";
  return *this;
}

}  // namespace trifold
