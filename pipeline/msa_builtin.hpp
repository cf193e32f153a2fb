// The built-in MSA search (msa/builtin_search) as a pipeline MsaSource.
#pragma once

#include <memory>

#include "pipeline/method.hpp"

namespace trifold::pipeline {

// Loads and validates settings.db (a protein FASTA, optionally gzip) once; search() runs the k-mer prefilter
// + Smith-Waterman search and returns the hits as an A3M (query first). The database enters stage
// fingerprints by path, size and mtime (hashing a large database per target would dominate the overhead).
// settings.msa_tool = hhblits | jackhmmer | mmseqs2 runs that program through msa::build_msa instead (the
// database is then an HH-suite prefix / FASTA / MMseqs2 database as that tool expects).
std::unique_ptr<MsaSource> make_builtin_search_source(const Settings& settings);

}  // namespace trifold::pipeline
