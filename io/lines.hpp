// Line-by-line reading of text already in memory, shared by the FASTA/A3M, PDB, Stockholm and sequence-database
// readers: 1-based line numbers for error messages, a trailing '\r' (CRLF files) dropped.
#pragma once

#include <algorithm>
#include <climits>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

namespace trifold {

class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  // The next line (without its '\n' and a trailing '\r'); false after the last one. A final '\n' does not
  // start another (empty) line.
  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    size_t nl = text_.find('\n', pos_);
    if (nl == std::string_view::npos) nl = text_.size();
    line = text_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    ++number_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return true;
  }
  // The number of the line last returned by next() (1 for the first).
  long number() const { return number_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  long number_ = 0;
};

// Where each sequence line of a record starts: (index of its first residue, line number). One entry per line,
// so the line of a bad residue is found by binary search without storing a line number per residue.
using LineStarts = std::vector<std::pair<size_t, long>>;

// The line holding residue `index` (0 when `starts` is empty or begins after it).
inline long line_of(const LineStarts& starts, size_t index) {
  auto it = std::upper_bound(starts.begin(), starts.end(), std::make_pair(index, LONG_MAX));
  return it == starts.begin() ? 0 : std::prev(it)->second;
}

}  // namespace trifold
