// Printing scores: a human-readable report, TSV rows and JSON objects, each score with its normalisation.
#pragma once

#include <ostream>
#include <string>

#include "io/json.hpp"
#include "structure/score.hpp"

namespace trifold::cli {

// "Model: ..., TM-score = 0.9586 (d0 = 4.65 Å, normalised by native length L = 156) ..." for a terminal.
// extended: also print the per-cutoff (LGA-like) GDT search results.
void print_score_report(std::ostream& os, const std::string& model, const std::string& native,
                        const structure::PairScore& s, structure::MatchMode match, bool extended = false);

// Tab-separated header and row (GDT in points 0-100, TM/lDDT in [0, 1]).
std::string score_tsv_header();
std::string score_tsv_row(const std::string& model, const std::string& native, const structure::PairScore& s);

// The scores as one JSON object (keys: model, native, native_length, aligned, d0, tm_score, gdt_ts, ...);
// per_residue adds the per-residue lDDT array.
void write_score_json(JsonWriter& j, const std::string& model, const std::string& native,
                      const structure::PairScore& s, bool per_residue, bool extended = false);

const char* match_mode_name(structure::MatchMode m);

}  // namespace trifold::cli
