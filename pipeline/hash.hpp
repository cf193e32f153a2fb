// Content fingerprints for the resumable pipeline: a 64-bit FNV-1a hash over length-prefixed fields.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace trifold::pipeline {

// Not cryptographic: it detects changed inputs, it does not defend against crafted collisions.
class Hasher {
 public:
  // Each field is length-prefixed so that ("ab","c") and ("a","bc") differ.
  Hasher& add(std::string_view bytes);
  // The file's content (gzip files are hashed as stored). Throws IoError when it cannot be read.
  Hasher& add_file_content(const std::filesystem::path& path);
  // Cheap identity for large inputs (sequence databases): path, size and modification time, not content.
  Hasher& add_file_stat(const std::filesystem::path& path);
  std::string hex() const;  // 16 lower-case hex digits

 private:
  void mix(const void* data, size_t n);
  std::uint64_t h_ = 1469598103934665603ull;
};

std::string hash_hex(std::string_view bytes);

}  // namespace trifold::pipeline
