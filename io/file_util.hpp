// Whole-file reading (plain or gzip) and atomic writing (temporary name, rename on success).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace trifold {

// Reads a whole file into memory. Files starting with the gzip magic are decompressed transparently.
// Throws IoError naming the path when it cannot be opened or read, or when a gzip file is corrupt or truncated.
std::string read_file(const std::filesystem::path& path);

// Writes to "<path>.tmp.<pid>" and renames onto `path` only on commit(); a destroyed, uncommitted AtomicFile
// removes its temporary, so a crash or an exception never leaves a complete-looking output behind.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  const std::filesystem::path& temp_path() const { return tmp_; }
  // Flushes, fsyncs and renames. Throws IoError on failure.
  void commit();

 private:
  std::filesystem::path path_, tmp_;
  std::ofstream out_;
  bool committed_ = false;
};

// Convenience: atomically replace `path` with `content`.
void write_file_atomic(const std::filesystem::path& path, const std::string& content);

// A temporary name next to `path` for writers that need a file name (HDF5): "<path>.tmp.<pid>".
std::filesystem::path temp_path_for(const std::filesystem::path& path);

}  // namespace trifold
