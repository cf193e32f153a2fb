// Shared helpers for the libFuzzer harnesses: which exceptions count as the expected answer to bad input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "io/error.hpp"

namespace trifold::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `parse`. InputError and IoError are TriFold's answer to bad input, so they are swallowed, but only when
// the message names the file (`source`), as io/error.hpp promises. Anything else (InternalError, std::
// exceptions from the standard library, crashes) escapes so that libFuzzer reports it.
template <class F>
void expect_clean(const std::string& source, F&& parse) {
  try {
    parse();
  } catch (const InputError& e) {
    if (std::string_view(e.what()).find(source) == std::string_view::npos) {
      std::fprintf(stderr, "InputError without the file name '%s': %s\n", source.c_str(), e.what());
      std::abort();
    }
  } catch (const IoError& e) {
    if (std::string_view(e.what()).find(source) == std::string_view::npos) {
      std::fprintf(stderr, "IoError without the file name '%s': %s\n", source.c_str(), e.what());
      std::abort();
    }
  }
}

}  // namespace trifold::fuzz
