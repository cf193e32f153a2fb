// Pairwise alignments and Stockholm files to A3M rows relative to the query.
#include "msa/a3m_convert.hpp"

#include <cctype>
#include <map>
#include <vector>

#include "io/error.hpp"
#include "io/lines.hpp"

namespace trifold::msa {
namespace {

bool is_gap(char c) { return c == '-' || c == '.'; }
char upper(char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

std::string a3m_row_from_ops(size_t qlen, size_t q_begin, std::string_view ops, std::string_view target) {
  std::string row(q_begin, '-');
  size_t q = q_begin, t = 0;
  for (char op : ops) {
    if (op == 'M') {
      row.push_back(upper(target.at(t++)));
      ++q;
    } else if (op == 'I') {
      row.push_back(lower(target.at(t++)));
    } else {
      row.push_back('-');
      ++q;
    }
  }
  if (q > qlen) throw InternalError("alignment runs past the query end");
  row.append(qlen - q, '-');
  return row;
}

std::string a3m_row_from_pair(size_t qlen, size_t q_begin, std::string_view q_aln, std::string_view t_aln) {
  if (q_aln.size() != t_aln.size()) throw InputError("pairwise alignment rows differ in length");
  std::string row(q_begin, '-');
  size_t q = q_begin;
  for (size_t c = 0; c < q_aln.size(); ++c) {
    const bool qres = !is_gap(q_aln[c]), tres = !is_gap(t_aln[c]);
    if (qres) {
      row.push_back(tres ? upper(t_aln[c]) : '-');
      ++q;
    } else if (tres) {
      row.push_back(lower(t_aln[c]));
    }
  }
  if (q > qlen) throw InputError("pairwise alignment runs past the query end");
  row.append(qlen - q, '-');
  return row;
}

A3m stockholm_to_a3m(std::string_view text, const SequenceRecord& query, const std::string& source) {
  if (text.substr(0, 11) != "# STOCKHOLM")
    throw InputError(located(source, 1, "not a Stockholm alignment (no '# STOCKHOLM' header)"));
  std::vector<std::string> order;
  std::map<std::string, std::string> rows;
  LineReader lines(text);
  std::string_view line;
  while (lines.next(line)) {
    const long lineno = lines.number();
    if (line.empty() || line[0] == '#' || line == "//") continue;
    size_t sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos) throw InputError(located(source, lineno, "Stockholm row without sequence"));
    std::string name(line.substr(0, sp));
    size_t b = line.find_first_not_of(" \t", sp);
    std::string_view seq = b == std::string_view::npos ? std::string_view{} : line.substr(b);
    auto [it, fresh] = rows.try_emplace(name);
    if (fresh) order.push_back(name);
    it->second.append(seq);
  }
  if (order.empty()) throw InputError(located(source, 0, "Stockholm alignment has no rows"));
  // The query row: named like the query (jackhmmer keeps the query name), else the first row.
  std::string qname = order.front();
  for (const auto& n : order)
    if (n == query.name || n.rfind(query.name + "/", 0) == 0) {
      qname = n;
      break;
    }
  const std::string& qrow = rows[qname];
  std::string qres;
  for (char c : qrow)
    if (!is_gap(c)) qres.push_back(upper(c));
  // jackhmmer aligns only the part of the query its model covers; find that part in the query.
  const size_t q_begin = query.sequence.find(qres);
  if (qres.empty() || q_begin == std::string::npos)
    throw InputError(located(source, 0, "the alignment's query row '" + qname + "' does not match the query sequence"));
  A3m out;
  out.rows.push_back(query);
  for (const auto& n : order) {
    if (n == qname) continue;
    const std::string& r = rows[n];
    if (r.size() != qrow.size())
      throw InputError(located(source, 0, "Stockholm row '" + n + "' has a different length from the query row"));
    SequenceRecord rec;
    rec.name = n;
    rec.sequence = a3m_row_from_pair(query.sequence.size(), q_begin, qrow, r);
    out.rows.push_back(std::move(rec));
  }
  return out;
}

}  // namespace trifold::msa
