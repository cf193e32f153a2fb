// JSON encoding helpers.
#include "pipeline/json.hpp"

#include "io/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace trifold::pipeline {

// One escaping rule for every JSON file TriFold writes: io/json.hpp's.
std::string json_string(std::string_view s) { return json_quote(s); }

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, p);
}

JsonObject& JsonObject::raw(const std::string& key, std::string encoded) {
  for (auto& kv : items_)
    if (kv.first == key) {
      kv.second = std::move(encoded);
      return *this;
    }
  items_.emplace_back(key, std::move(encoded));
  return *this;
}

std::string JsonObject::str(int indent) const {
  if (items_.empty()) return "{}";
  std::string pad(2 * (indent + 1), ' ');
  std::string out = "{\n";
  for (size_t i = 0; i < items_.size(); ++i) {
    out += pad + json_string(items_[i].first) + ": " + items_[i].second;
    out += i + 1 < items_.size() ? ",\n" : "\n";
  }
  return out + std::string(2 * indent, ' ') + "}";
}

std::string json_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

std::string json_number_array(const std::vector<double>& values, int decimals) {
  std::string out = "[";
  char buf[40];
  for (size_t i = 0; i < values.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.*f", i ? ", " : "", decimals, values[i]);
    out += buf;
  }
  return out + "]";
}

}  // namespace trifold::pipeline
