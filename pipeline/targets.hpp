// Batch inputs: a multi-record FASTA, a CSV/TSV manifest, or a folder of FASTA/A3M files → targets.
#pragma once

#include <filesystem>
#include <vector>

#include "pipeline/target.hpp"

namespace trifold::pipeline {

// Reads the targets of a batch in input order. Per-target problems (a bad letter, a missing file, a duplicate
// id) do not throw: they are stored in Target::error so that the batch records that target as failed and goes
// on. Throws InputError only when the input as a whole is unusable (missing, empty, a manifest without an id
// or sequence column).
//  - folder: every *.fa, *.fasta, *.faa, *.fas, *.a3m file (sorted by name); id = file name without extension;
//    A3M files bring their alignment (the query row is the sequence).
//  - *.csv / *.tsv: a header line naming the columns: id (or name/target), and sequence or fasta (a file path,
//    relative to the manifest's folder), optionally a3m (path). '#' lines are comments.
//  - anything else: FASTA; id = first word of each header.
std::vector<Target> read_targets(const std::filesystem::path& input);

// Deterministic shard assignment: target k (0-based position in input order) belongs to shard k mod n.
inline bool in_shard(size_t index, int shard, int nshards) {
  return static_cast<int>(index % static_cast<size_t>(nshards)) == shard;
}

}  // namespace trifold::pipeline
