// libFuzzer harness for the JSON writer (io/json.hpp; TriFold has no JSON reader of its own): random call
// sequences must give well-formed JSON whose strings and numbers read back as written.
#include <cmath>
#include <cstring>
#include <sstream>

#include "io/json.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {

// A strict JSON syntax check (RFC 8259), enough to catch bad escaping or a broken number.
struct Checker {
  std::string_view s;
  size_t p = 0;
  void ws() { while (p < s.size() && (s[p] == ' ' || s[p] == '\n' || s[p] == '\t' || s[p] == '\r')) ++p; }
  bool lit(std::string_view w) { if (s.substr(p, w.size()) != w) return false; p += w.size(); return true; }
  bool str() {
    if (!lit("\"")) return false;
    while (p < s.size()) {
      unsigned char c = static_cast<unsigned char>(s[p++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (p >= s.size()) return false;
        char e = s[p++];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k)
            if (p >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[p++]))) return false;
        } else if (!std::strchr("\"\\/bfnrt", e)) {
          return false;
        }
      }
    }
    return false;
  }
  bool num() {
    size_t b = p;
    if (p < s.size() && s[p] == '-') ++p;
    if (p >= s.size() || !std::isdigit(static_cast<unsigned char>(s[p]))) return false;
    if (s[p] == '0') ++p; else while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) ++p;
    if (p < s.size() && s[p] == '.') {
      ++p;
      if (p >= s.size() || !std::isdigit(static_cast<unsigned char>(s[p]))) return false;
      while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) ++p;
    }
    return p > b;
  }
  bool value(int depth) {
    if (depth > 5000) return false;  // inputs are <= 4 KiB: at most ~2,000 levels, none too deep for JSON
    ws();
    if (p >= s.size()) return false;
    char c = s[p];
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++p;
      ws();
      if (lit(std::string_view(&close, 1))) return true;
      for (;;) {
        if (c == '{') {
          ws();
          if (!str()) return false;
          ws();
          if (!lit(":")) return false;
        }
        if (!value(depth + 1)) return false;
        ws();
        if (lit(std::string_view(&close, 1))) return true;
        if (!lit(",")) return false;
      }
    }
    if (c == '"') return str();
    if (lit("true") || lit("false") || lit("null")) return true;
    return num();
  }
  bool document() { bool ok = value(0); ws(); return ok && p == s.size(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trifold;
  if (size == 0) return 0;
  // json_quote of arbitrary bytes must be one well-formed string.
  {
    std::string q = json_quote(fuzz::as_text(data, size));
    Checker c{q};
    if (!c.str() || c.p != q.size()) std::abort();
  }
  // Byte codes drive the writer; misuse is InternalError by contract (documented in json.hpp), so it ends the
  // run; anything that completes must be valid JSON.
  std::ostringstream os;
  JsonWriter j(os, data[0] % 4);
  size_t p = 1;
  auto take = [&](size_t n) {
    std::string_view v = fuzz::as_text(data + p, std::min(n, size - p));
    p += v.size();
    return v;
  };
  try {
    while (p < size && !j.done()) {
      const uint8_t op = data[p++] % 10;
      const size_t n = p < size ? data[p++] % 16 : 0;
      switch (op) {
        case 0: j.begin_object(); break;
        case 1: j.end_object(); break;
        case 2: j.begin_array(); break;
        case 3: j.end_array(); break;
        case 4: j.key(take(n)); break;
        case 5: j.string(take(n)); break;
        case 6: {
          int64_t v = 0;
          std::string_view b = take(8);
          std::memcpy(&v, b.data(), b.size());
          j.integer(v);
          break;
        }
        case 7: {
          double v = 0;
          std::string_view b = take(8);
          std::memcpy(&v, b.data(), b.size());
          const size_t before = os.str().size();
          j.number(v, static_cast<int>(n));
          // The written number must read back as v to the requested precision (or be null when v is not finite).
          std::string out = os.str().substr(before);
          size_t b0 = out.find_first_not_of(" ,\n");
          out = b0 == std::string::npos ? "" : out.substr(b0);
          if (!std::isfinite(v)) {
            if (out != "null") std::abort();
          } else {
            const double back = std::strtod(out.c_str(), nullptr);
            if (!(std::fabs(back - v) <= 0.5 * std::pow(10.0, -static_cast<int>(n)) * 1.0001 + std::fabs(v) * 1e-15)) {
              std::fprintf(stderr, "number(%.17g, %zu) wrote '%s'\n", v, n, out.c_str());
              std::abort();
            }
          }
          break;
        }
        case 8: j.boolean(n & 1); break;
        case 9: j.null(); break;
      }
    }
  } catch (const InternalError&) {
    return 0;
  }
  if (j.done()) {
    std::string doc = os.str();
    Checker c{doc};
    if (!c.document()) {
      std::fprintf(stderr, "JsonWriter wrote invalid JSON:\n%s\n", doc.c_str());
      std::abort();
    }
  }
  return 0;
}
