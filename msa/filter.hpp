// Alignment filter equivalent to HH-suite's `hhfilter` (max pairwise identity, min coverage, min identity
// with the query), so the hhblits ladder and the built-in search can count and thin alignments themselves.
#pragma once

#include <cstddef>
#include <vector>

#include "io/fasta.hpp"

namespace trifold::msa {

struct FilterOptions {
  int max_seqid = 90;     // % maximum pairwise identity between kept sequences (hhfilter -id)
  int min_coverage = 0;   // % minimum residues in match columns relative to the query length (hhfilter -cov)
  int min_query_id = 0;   // % minimum identity with the query (hhfilter -qid)
};

// Returns the indices (ascending, into a3m.rows) of the rows hhfilter keeps with the same -id/-cov/-qid and
// its defaults otherwise (-diff 0, -qsc off, no -neff). The rule, as HH-suite 3 applies it:
//  * only match columns count; X/B/Z-like unknowns count as "no residue"; B→D, Z→E, U→C for identity;
//  * a row is dropped when 100*residues < cov*L (L = query length) or its identity with the query is too low;
//  * rows are visited in order of decreasing residue count (ties broken by HH-suite's quicksort order, the
//    query always first); a row is dropped when an already kept row covers it with identity above max_seqid,
//    where identity = 1 - differing/overlap residues, overlap being the columns where both have a residue;
//  * rows with no residue at all are dropped; if nothing is left the first row is kept.
// Rows named ss_*/sa_* (secondary-structure annotations) are kept untouched.
std::vector<size_t> hhfilter_select(const A3m& a3m, const FilterOptions& opt);

// The alignment restricted to hhfilter_select's rows (original order, insertions kept).
A3m hhfilter(const A3m& a3m, const FilterOptions& opt);

}  // namespace trifold::msa
