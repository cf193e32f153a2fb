// Batch test inputs built from real shared data: A3M files cut from the real T1078 alignment and
// single-sequence alignments of real CASP14 domain sequences, plus a CSV manifest pointing at them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/fasta.hpp"
#include "io/file_util.hpp"
#include "tests/common/test_data.hpp"

namespace trifold::test {

inline const std::vector<std::string>& casp14_domains() {
  static const std::vector<std::string> d = {"T1025-D1", "T1026-D1", "T1028-D1", "T1029-D1", "T1031-D1",
                                             "T1033-D1", "T1034-D1", "T1035-D1", "T1037-D1", "T1040-D1"};
  return d;
}

// The first `cols` match columns of an A3M row (insertions inside the kept span are kept).
inline std::string cut_row(const std::string& row, size_t cols) {
  std::string out;
  size_t m = 0;
  for (char c : row) {
    bool match = (c >= 'A' && c <= 'Z') || c == '-';
    if (match && m == cols) break;
    if (c == '.') continue;
    out += c;
    m += match;
  }
  return out;
}

// Writes <dir>/<domain>.a3m for the first `n` domains (query-only alignments of their first `cols` residues),
// plus T1078.a3m with the first `t1078_rows` rows and `cols` columns of the real hhblits alignment. Short
// targets keep the coevolution method's compute small on the shared 2-core machine. Returns the ids in
// manifest order.
inline std::vector<std::string> write_a3m_inputs(const std::filesystem::path& dir, size_t n, size_t t1078_rows,
                                                 size_t cols = 48) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> ids;
  A3m full = read_a3m(shared_path("data/casp14/T1078-D1/msa.a3m"));
  A3m cut;
  cut.rows.assign(full.rows.begin(), full.rows.begin() + std::min(t1078_rows, full.rows.size()));
  for (auto& r : cut.rows) r.sequence = cut_row(r.sequence, cols);
  cut.rows[0].name = "T1078";
  write_a3m(dir / "T1078.a3m", cut);
  ids.push_back("T1078");
  for (size_t i = 0; i < n && i < casp14_domains().size(); ++i) {
    const std::string& d = casp14_domains()[i];
    auto rec = read_fasta(shared_path("data/casp14/" + d + "/" + d + ".fasta"));
    A3m one;
    one.rows.push_back(rec[0]);
    one.rows[0].sequence = cut_row(one.rows[0].sequence, cols);
    one.rows[0].name = d;
    write_a3m(dir / (d + ".a3m"), one);
    ids.push_back(d);
  }
  return ids;
}

// id,sequence,a3m manifest over write_a3m_inputs' files.
inline void write_manifest(const std::filesystem::path& path, const std::filesystem::path& a3m_dir,
                           const std::vector<std::string>& ids) {
  std::string csv = "id,sequence,a3m\n";
  for (const auto& id : ids) {
    A3m a = read_a3m(a3m_dir / (id + ".a3m"));
    csv += id + "," + a.aligned(0) + "," + (a3m_dir / (id + ".a3m")).string() + "\n";
  }
  write_file_atomic(path, csv);
}

}  // namespace trifold::test

namespace trifold::test {

// MMseqs2's example data (Debian mmseqs2-examples): a 20,000-sequence UniProt database and query set.
inline std::filesystem::path mmseqs_example(const std::string& name) {
  return std::filesystem::path("/usr/share/doc/mmseqs2/example-data") / name;
}

// A multi-record FASTA of the first `n` example queries, each cut to its first `len` residues (short targets
// keep the coevolution compute small). Returns the target ids.
inline std::vector<std::string> write_example_queries(const std::filesystem::path& path, size_t n, size_t len) {
  FastaOptions fo;
  fo.allow_duplicate_names = true;
  auto recs = parse_fasta(read_file(mmseqs_example("QUERY.fasta.gz")), "QUERY.fasta.gz", fo);
  std::vector<SequenceRecord> out;
  std::vector<std::string> ids;
  for (const auto& r : recs) {
    if (out.size() == n) break;
    if (r.sequence.size() < len) continue;
    std::string id = "q" + std::to_string(out.size() + 1);
    out.push_back({id, r.name, r.sequence.substr(0, len), 0});
    ids.push_back(id);
  }
  write_file_atomic(path, format_fasta(out));
  return ids;
}

}  // namespace trifold::test
