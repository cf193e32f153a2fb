// FNV-1a fingerprints of strings and files.
#include "pipeline/hash.hpp"

#include <cstdio>
#include <fstream>
#include <vector>

#include "io/error.hpp"

namespace trifold::pipeline {

void Hasher::mix(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t h = h_;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  h_ = h;
}

Hasher& Hasher::add(std::string_view bytes) {
  std::uint64_t n = bytes.size();
  mix(&n, sizeof n);
  mix(bytes.data(), bytes.size());
  return *this;
}

Hasher& Hasher::add_file_content(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read " + path.string() + " (for its fingerprint)");
  std::vector<char> buf(1 << 16);
  std::uint64_t total = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto got = static_cast<size_t>(in.gcount());
    mix(buf.data(), got);
    total += got;
  }
  if (in.bad()) throw IoError("error reading " + path.string());
  mix(&total, sizeof total);
  return *this;
}

Hasher& Hasher::add_file_stat(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw IoError("cannot stat " + path.string() + ": " + ec.message());
  auto mtime = std::filesystem::last_write_time(path, ec).time_since_epoch().count();
  add(std::filesystem::absolute(path).lexically_normal().string());
  add(std::to_string(size) + ":" + std::to_string(mtime));
  return *this;
}

std::string Hasher::hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h_));
  return buf;
}

std::string hash_hex(std::string_view bytes) { return Hasher().add(bytes).hex(); }

}  // namespace trifold::pipeline
