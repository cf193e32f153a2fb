// Whole-file reading: plain and gzip files, and gzip files that are cut short or damaged (an error, never a
// silently partial read).
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "tests/common/test_data.hpp"

using namespace trifold;
namespace fs = std::filesystem;

namespace {

// ~300 KB of FASTA-like text: several 64 KiB read chunks, and enough varied bytes that the compressed form is
// tens of kilobytes (so "half of it" is well inside the deflate data, not in the header).
std::string sample_text() {
  std::string s;
  uint32_t x = 12345;
  for (int r = 0; r < 3000; ++r) {
    s += ">seq" + std::to_string(r) + "\n";
    for (int i = 0; i < 90; ++i) {
      x = x * 1664525u + 1013904223u;
      s += "ACDEFGHIKLMNPQRSTVWY"[(x >> 24) % 20];
    }
    s += '\n';
  }
  return s;
}

void write_gzip(const fs::path& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

std::string bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void put_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// The IoError message of read_file(path), or "" when it did not throw.
std::string read_error(const fs::path& path) {
  try {
    read_file(path);
  } catch (const IoError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ReadFile, PlainAndGzipGiveTheSameText) {
  test::ScratchDir dir("read_file");
  const std::string text = sample_text();
  put_bytes(dir / "db.fasta", text);
  write_gzip(dir / "db.fasta.gz", text);
  EXPECT_EQ(read_file(dir / "db.fasta"), text);
  EXPECT_EQ(read_file(dir / "db.fasta.gz"), text);
  put_bytes(dir / "empty", "");
  EXPECT_EQ(read_file(dir / "empty"), "");
  write_gzip(dir / "empty.gz", "");
  EXPECT_EQ(read_file(dir / "empty.gz"), "");
}

// Every cut of a gzip file short of its full length is an error naming the file: in the deflate data (half), in
// the 8-byte CRC/length trailer (size - 3), and just after the 10-byte header. Before the fix the first two
// returned the decompressed prefix and the caller went on with a partial database.
TEST(ReadFile, TruncatedGzipIsAnErrorNamingTheFile) {
  test::ScratchDir dir("read_file_truncated");
  const std::string text = sample_text();
  write_gzip(dir / "full.gz", text);
  const std::string gz = bytes_of(dir / "full.gz");
  ASSERT_GT(gz.size(), 1000u);
  for (size_t keep : {gz.size() / 2, gz.size() - 3, size_t{12}}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " of " + std::to_string(gz.size()) + " bytes");
    const fs::path cut = dir / "cut.fasta.gz";
    put_bytes(cut, gz.substr(0, keep));
    const std::string msg = read_error(cut);
    EXPECT_NE(msg.find(cut.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("truncated gzip"), std::string::npos) << msg;
  }
}

// A flipped byte in the deflate data or in the CRC is an error too (zlib's data or CRC check), not a wrong text.
TEST(ReadFile, DamagedGzipIsAnError) {
  test::ScratchDir dir("read_file_damaged");
  write_gzip(dir / "full.gz", sample_text());
  const std::string gz = bytes_of(dir / "full.gz");
  for (size_t at : {gz.size() / 2, gz.size() - 6}) {
    SCOPED_TRACE("flipped byte " + std::to_string(at));
    std::string bad = gz;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    put_bytes(dir / "bad.gz", bad);
    const std::string msg = read_error(dir / "bad.gz");
    EXPECT_NE(msg.find((dir / "bad.gz").string()), std::string::npos) << msg;
  }
}

TEST(ReadFile, MissingFileAndDirectoryAreErrors) {
  test::ScratchDir dir("read_file_missing");
  EXPECT_NE(read_error(dir / "nope.fasta").find("cannot open"), std::string::npos);
  EXPECT_NE(read_error(dir.path()).find("is a directory"), std::string::npos);
}
