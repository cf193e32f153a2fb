// What one pipeline run is about: a target (name + sequence [+ given MSA]) and the run's settings.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/lines.hpp"

namespace trifold::pipeline {

namespace fs = std::filesystem;

struct Target {
  std::string id;        // file-name-safe identifier (names the work directory)
  std::string name;      // the name as given (header word, manifest id, file stem); id is safe_id(name)
  std::string sequence;  // one-letter, as given (validated by validate_target)
  fs::path a3m;          // a given alignment (query row = sequence); empty: search with the built-in search
  std::string source;    // where it came from, "file:line", for messages
  std::string error;     // set while reading a batch input when the record itself is unusable
  // Read from a multi-record FASTA: the file and, for each sequence line, (index of its first residue, line
  // number), so that a bad residue is reported at its own line rather than at the header.
  std::string file;
  LineStarts sequence_lines;
};

// Every setting of a run; written to config.json and entering the stage fingerprints it concerns.
struct Settings {
  std::string version;     // TriFold version (fingerprints, config.json)
  fs::path db;             // sequence database for the MSA search; empty = none
  std::string msa_tool;    // builtin (default, "") | hhblits | jackhmmer | mmseqs2
  fs::path msa_work_dir;   // temporary files of external MSA tools (empty: system temporary directory)
  fs::path weights;        // network weights (--weights or TRIFOLD_WEIGHTS); empty = none
  std::string method;      // "coevolution", "network", or "" = network when weights are set, else coevolution
  std::string stop_after;  // stage name or ""
  size_t max_length = 1000;  // residues; longer queries are rejected before any work
  int threads = 0;           // 0 = OpenMP default (does not change results: not fingerprinted)
  std::vector<std::pair<std::string, std::string>> method_options;  // name=value, method-specific
  std::string device = "cpu";  // network device: "cpu" or "cuda:N" (model::Device::str())
  double max_memory_gib = 0.0; // cuda: cap on TriFold's device allocations (GiB); 0 = the device's free memory
  std::string precision = "fp32";  // cuda: the trunk's matrix products, fp32 | tf32 | bf16 (model/precision.hpp)
  // Network templates (the reference's -hhr/-atab/-db): HHsearch results per target, <templates_dir>/<id>.hhr
  // and <id>.atab, and the PDB ffindex database <template_db>_pdb.ffindex/.ffdata. Empty = no templates.
  fs::path templates_dir;
  fs::path template_db;
};

// The method `settings` asks for: resolves "" as described above.
std::string resolved_method(const Settings& settings);

// Checks letters (20 amino acids + X), length >= 1 and <= max_length. Throws InputError naming the target's
// source and the first bad residue (1-based position and letter).
void validate_target(const Target& target, const Settings& settings);

// A file-name-safe identifier: letters, digits, '.', '-', '_' kept, anything else becomes '_'; never empty,
// never starting with '.'.
std::string safe_id(const std::string& name);

}  // namespace trifold::pipeline
