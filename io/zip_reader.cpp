// ZIP central-directory parser (PKWARE APPNOTE 6.3: EOCD, zip64 EOCD locator/record, zip64 extra field 0x0001)
// and entry extraction (stored, or raw deflate through zlib).
#include "io/zip_reader.hpp"

#include <zlib.h>

#include <algorithm>

#include "io/error.hpp"

namespace trifold::zip {

namespace {

constexpr uint32_t kEocdSig = 0x06054b50, kZip64LocSig = 0x07064b50, kZip64EocdSig = 0x06064b50;
constexpr uint32_t kCentralSig = 0x02014b50, kLocalSig = 0x04034b50;

uint64_t rd(std::string_view d, uint64_t off, int n) {
  uint64_t v = 0;
  for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<uint8_t>(d[off + static_cast<uint64_t>(k)]);
  return v;
}

}  // namespace

Archive::Archive(std::string_view data, std::string what) : data_(data), what_(std::move(what)) {
  auto bad = [&](const std::string& msg) { return InputError(what_ + ": zip: " + msg); };
  const uint64_t n = data_.size();
  if (n < 22) throw bad("file too short for a ZIP archive (truncated?)");
  // The EOCD record sits in the last 22 + 65535 (comment) bytes; scan backwards for its signature.
  uint64_t eocd = UINT64_MAX;
  uint64_t lo = n >= 22 + 65535 ? n - 22 - 65535 : 0;
  for (uint64_t p = n - 22 + 1; p-- > lo;) {
    if (rd(data_, p, 4) == kEocdSig && p + 22 + rd(data_, p + 20, 2) <= n) {
      eocd = p;
      break;
    }
  }
  if (eocd == UINT64_MAX) throw bad("no end-of-central-directory record (truncated or not a ZIP file)");
  uint64_t count = rd(data_, eocd + 10, 2);
  uint64_t cd_size = rd(data_, eocd + 12, 4);
  uint64_t cd_off = rd(data_, eocd + 16, 4);
  if (eocd >= 20 && rd(data_, eocd - 20, 4) == kZip64LocSig) {
    uint64_t z = rd(data_, eocd - 20 + 8, 8);
    if (z + 56 > n || rd(data_, z, 4) != kZip64EocdSig) throw bad("bad zip64 end-of-central-directory record");
    count = rd(data_, z + 32, 8);
    cd_size = rd(data_, z + 40, 8);
    cd_off = rd(data_, z + 48, 8);
  }
  if (cd_off > n || cd_size > n - cd_off) throw bad("central directory lies outside the file (truncated?)");
  uint64_t p = cd_off, end = cd_off + cd_size;
  entries_.reserve(static_cast<size_t>(std::min<uint64_t>(count, n / 46)));
  for (uint64_t k = 0; k < count; ++k) {
    if (p + 46 > end || rd(data_, p, 4) != kCentralSig)
      throw bad("corrupt central directory at entry " + std::to_string(k));
    Entry e;
    e.flags = static_cast<uint16_t>(rd(data_, p + 8, 2));
    e.method = static_cast<uint16_t>(rd(data_, p + 10, 2));
    e.crc32 = static_cast<uint32_t>(rd(data_, p + 16, 4));
    e.compressed_size = rd(data_, p + 20, 4);
    e.size = rd(data_, p + 24, 4);
    uint64_t name_len = rd(data_, p + 28, 2), extra_len = rd(data_, p + 30, 2), comment_len = rd(data_, p + 32, 2);
    e.local_header_offset = rd(data_, p + 42, 4);
    if (p + 46 + name_len + extra_len + comment_len > end) throw bad("corrupt central directory entry");
    e.name = std::string(data_.substr(p + 46, name_len));
    // zip64 extended information: only the fields whose 32-bit value is saturated are present, in this order.
    uint64_t x = p + 46 + name_len, xe = x + extra_len;
    while (x + 4 <= xe) {
      uint64_t id = rd(data_, x, 2), len = rd(data_, x + 2, 2);
      if (x + 4 + len > xe) break;
      if (id == 0x0001) {
        uint64_t q = x + 4, qe = q + len;
        auto next = [&](uint64_t& field) {
          if (q + 8 > qe) throw bad("short zip64 extra field in '" + e.name + "'");
          field = rd(data_, q, 8);
          q += 8;
        };
        if (e.size == 0xFFFFFFFFu) next(e.size);
        if (e.compressed_size == 0xFFFFFFFFu) next(e.compressed_size);
        if (e.local_header_offset == 0xFFFFFFFFu) next(e.local_header_offset);
      }
      x += 4 + len;
    }
    entries_.push_back(std::move(e));
    p += 46 + name_len + extra_len + comment_len;
  }
}

const Entry* Archive::find(std::string_view name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::string_view Archive::read(const Entry& e, std::string& scratch) const {
  auto bad = [&](const std::string& msg) { return InputError(what_ + ": zip entry '" + e.name + "': " + msg); };
  const uint64_t n = data_.size();
  uint64_t h = e.local_header_offset;
  if (h + 30 > n || rd(data_, h, 4) != kLocalSig) throw bad("bad local header (truncated or corrupt file)");
  if (e.flags & 1u) throw bad("encrypted entries are not supported");
  uint64_t start = h + 30 + rd(data_, h + 26, 2) + rd(data_, h + 28, 2);
  if (start > n || e.compressed_size > n - start) throw bad("data runs past the end of the file (truncated?)");
  std::string_view raw = data_.substr(start, e.compressed_size);
  std::string_view out;
  if (e.method == 0) {
    if (e.compressed_size != e.size) throw bad("stored entry with different compressed and plain sizes");
    out = raw;
  } else if (e.method == 8) {
    // Deflate cannot expand more than 1032:1; a larger claimed size is a corrupt header, not a reason to
    // allocate gigabytes.
    if (e.size / 1032 > e.compressed_size + 1) throw bad("implausible uncompressed size (corrupt header)");
    scratch.assign(e.size, '\0');
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw bad("zlib inflateInit2 failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    zs.next_out = reinterpret_cast<Bytef*>(scratch.data());
    uint64_t in_left = raw.size(), out_left = scratch.size();
    int rc = Z_OK;
    while (rc == Z_OK) {
      // zlib counts in uInt; feed at most 1 GiB at a time so that entries over 4 GiB work.
      uInt in_chunk = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
      uInt out_chunk = static_cast<uInt>(std::min<uint64_t>(out_left, 1u << 30));
      zs.avail_in = in_chunk;
      zs.avail_out = out_chunk;
      rc = inflate(&zs, Z_NO_FLUSH);
      in_left -= in_chunk - zs.avail_in;
      out_left -= out_chunk - zs.avail_out;
      if (rc == Z_BUF_ERROR && (in_left == 0 || out_left == 0)) break;
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || out_left != 0) throw bad("deflate stream is corrupt or has the wrong length");
    out = scratch;
  } else {
    throw bad("compression method " + std::to_string(e.method) + " is not supported (only stored and deflate)");
  }
  // CRC-32 in chunks (zlib's length argument is a uInt).
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t off = 0; off < out.size(); off += 1u << 30) {
    size_t len = std::min<size_t>(out.size() - off, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(out.data() + off), static_cast<uInt>(len));
  }
  if (static_cast<uint32_t>(crc) != e.crc32) throw bad("CRC-32 mismatch (corrupt file)");
  return out;
}

}  // namespace trifold::zip
