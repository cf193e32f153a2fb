// Implementation of whole-file reading (with gzip) and atomic file writing.
#include "io/file_util.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "io/error.hpp"

namespace trifold {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw IoError(located(path.string(), 0, "is a directory, expected a file"));
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files unchanged
  if (!f) throw IoError(located(path.string(), 0, std::string("cannot open: ") + std::strerror(errno)));
  std::string out;
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(f, &err);
      gzclose(f);
      throw IoError(located(path.string(), 0, "read error: " + msg));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  // zlib treats a gzip stream that stops before its end (a copy cut short, a full disk) as a soft error: gzread
  // hands out what it could decompress and then reports end of file. Only gzerror/gzclose tell, and reading on
  // would search a partial database or fold a partial alignment as if it were whole.
  int err = Z_OK;
  gzerror(f, &err);
  const int closed = gzclose(f);
  if (err == Z_BUF_ERROR || closed == Z_BUF_ERROR)
    throw IoError(located(path.string(), 0,
                          "truncated gzip file: the compressed data ends before the end of its stream (after " +
                              std::to_string(out.size()) + " decompressed bytes); the file is incomplete"));
  if (closed != Z_OK) throw IoError(located(path.string(), 0, "read error while closing (zlib code " +
                                                                   std::to_string(closed) + ")"));
  return out;
}

fs::path temp_path_for(const fs::path& path) {
  return fs::path(path.string() + ".tmp." + std::to_string(::getpid()));
}

AtomicFile::AtomicFile(fs::path path) : path_(std::move(path)), tmp_(temp_path_for(path_)) {
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) throw IoError(located(tmp_.string(), 0, std::string("cannot create: ") + std::strerror(errno)));
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
}

void AtomicFile::commit() {
  out_.flush();
  if (!out_) throw IoError(located(tmp_.string(), 0, "write failed"));
  out_.close();
  int fd = ::open(tmp_.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  std::error_code ec;
  fs::rename(tmp_, path_, ec);
  if (ec) throw IoError(located(path_.string(), 0, "cannot rename temporary into place: " + ec.message()));
  committed_ = true;
}

void write_file_atomic(const fs::path& path, const std::string& content) {
  AtomicFile f(path);
  f.stream() << content;
  f.commit();
}

}  // namespace trifold
