// Internal: one function per search back-end (msa.cpp dispatches; not part of the public API).
#pragma once

#include <filesystem>

#include "msa/external.hpp"
#include "msa/msa.hpp"

namespace trifold::msa::detail {

A3m run_builtin(const SequenceRecord& query, const MsaOptions& opt);
// The same for many queries: each database loaded once, searched with builtin_search_batch.
std::vector<A3m> run_builtin_batch(const std::vector<SequenceRecord>& queries, const MsaOptions& opt);
A3m run_hhblits_ladder(const SequenceRecord& query, const MsaOptions& opt, const std::filesystem::path& work);
A3m run_jackhmmer(const SequenceRecord& query, const MsaOptions& opt, const std::filesystem::path& work);
A3m run_mmseqs(const SequenceRecord& query, const MsaOptions& opt, const std::filesystem::path& work);

// Threads to give a tool: opt.cpu, else OpenMP's maximum.
int threads_for(const MsaOptions& opt);
void report(const MsaOptions& opt, const std::string& line);
// Writes the query as a one-record FASTA file.
void write_query_fasta(const SequenceRecord& query, const std::filesystem::path& path);

}  // namespace trifold::msa::detail
