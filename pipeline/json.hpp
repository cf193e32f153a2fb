// A minimal JSON writer for the pipeline's small reports (config, timings, confidence, batch index).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trifold::pipeline {

std::string json_string(std::string_view s);  // quoted and escaped
std::string json_number(double v);            // shortest round-trip form; NaN/inf become null

// Keys keep insertion order. Values are stored already encoded.
class JsonObject {
 public:
  JsonObject& set(const std::string& key, std::string_view value) { return raw(key, json_string(value)); }
  JsonObject& set(const std::string& key, const char* value) { return raw(key, json_string(value)); }
  JsonObject& set(const std::string& key, const std::string& value) { return raw(key, json_string(value)); }
  JsonObject& set(const std::string& key, double value) { return raw(key, json_number(value)); }
  JsonObject& set(const std::string& key, long value) { return raw(key, std::to_string(value)); }
  JsonObject& set(const std::string& key, int value) { return raw(key, std::to_string(value)); }
  JsonObject& set(const std::string& key, size_t value) { return raw(key, std::to_string(value)); }
  JsonObject& set(const std::string& key, bool value) { return raw(key, value ? "true" : "false"); }
  JsonObject& raw(const std::string& key, std::string encoded);
  // Multi-line with two-space indentation at `indent` levels deep.
  std::string str(int indent = 0) const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

std::string json_array(const std::vector<std::string>& encoded_items);  // one line
std::string json_number_array(const std::vector<double>& values, int decimals);

}  // namespace trifold::pipeline
