// Plain and rename-on-completion writes without fsync (see files.hpp for why).
#include "pipeline/files.hpp"

#include <unistd.h>

#include <cstdio>

#include "io/error.hpp"

namespace trifold::pipeline {

void write_plain(const std::filesystem::path& path, const std::string& content) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw IoError("cannot create " + path.string());
  size_t n = std::fwrite(content.data(), 1, content.size(), f);
  bool ok = n == content.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw IoError("cannot write " + path.string() + " (disk full?)");
}

void write_renamed(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  try {
    write_plain(tmp, content);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw IoError("cannot rename " + tmp.string() + " onto " + path.string());
  }
}

void create_output_dir(const std::filesystem::path& dir, const std::string& option) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return;
  if (std::filesystem::exists(dir, ec))
    throw IoError(option + " " + dir.string() + ": exists and is not a directory");
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError(option + " " + dir.string() + ": cannot create the directory: " + ec.message());
}

std::string format_a3m(const A3m& a3m) {
  std::string out;
  for (const auto& r : a3m.rows) {
    out += ">" + r.name;
    if (!r.description.empty()) out += " " + r.description;
    out += "\n" + r.sequence + "\n";
  }
  return out;
}

}  // namespace trifold::pipeline
