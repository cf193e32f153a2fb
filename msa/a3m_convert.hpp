// Conversions of pairwise and multiple alignments into A3M rows relative to a query.
#pragma once

#include <string>
#include <string_view>

#include "io/fasta.hpp"

namespace trifold::msa {

// One A3M row for a hit: query residues [q_begin, q_begin + aligned query residues) are covered; `ops` as in
// LocalAlignment ('M' pair, 'I' target residue only, 'D' query residue only); `target` holds exactly the target
// residues the ops consume (upper case). Uncovered query positions become '-', insertions lower case.
std::string a3m_row_from_ops(size_t qlen, size_t q_begin, std::string_view ops, std::string_view target);

// Same from two gapped strings of equal length (a pairwise alignment as search tools print it): columns where
// q_aln has a residue are match columns, the others are insertions.
std::string a3m_row_from_pair(size_t qlen, size_t q_begin, std::string_view q_aln, std::string_view t_aln);

// Converts a Stockholm alignment (as `jackhmmer -A` writes it) into an A3M relative to `query`: the first row
// is the query; match columns are the columns where the alignment's query row (the row named like the query,
// else the first row) has a residue. Rows are kept in file order; a row identical to the query's name is not
// repeated. Throws InputError (naming `source`) when the text is not Stockholm or the query row does not match
// the query sequence.
A3m stockholm_to_a3m(std::string_view text, const SequenceRecord& query, const std::string& source);

}  // namespace trifold::msa
