// Read-only access to a ZIP archive held in memory (a mapped file): central directory, zip64, stored and
// deflated entries with CRC-32 check. Enough for PyTorch's zip checkpoints; no encryption, no multi-disk.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trifold::zip {

struct Entry {
  std::string name;
  uint16_t method = 0;            // 0 = stored, 8 = deflate
  uint16_t flags = 0;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;              // uncompressed
  uint64_t local_header_offset = 0;
};

class Archive {
 public:
  // Parses the central directory of `data` (the whole file). `what` (the file name) prefixes every error.
  // Throws InputError when the data is not a ZIP archive or is truncated.
  Archive(std::string_view data, std::string what);

  const std::vector<Entry>& entries() const { return entries_; }
  // nullptr when no entry has this exact name.
  const Entry* find(std::string_view name) const;
  // The entry's uncompressed bytes. Stored entries are returned as a view into the archive data (no copy);
  // deflated ones are inflated into `scratch` and the view points there. The CRC-32 is verified either way.
  std::string_view read(const Entry& e, std::string& scratch) const;

 private:
  std::string_view data_;
  std::string what_;
  std::vector<Entry> entries_;
};

}  // namespace trifold::zip
