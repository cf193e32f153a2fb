// The standard stages of `trifold predict`: input → msa → predict (the method), and their file names.
#pragma once

#include <memory>

#include "pipeline/method.hpp"
#include "pipeline/stage.hpp"
#include "pipeline/target.hpp"

namespace trifold::pipeline {

inline constexpr const char* kQueryFile = "query.fasta";
inline constexpr const char* kMsaFile = "msa.a3m";
inline constexpr const char* kModelPdb = "model.pdb";
inline constexpr const char* kModelCif = "model.cif";
inline constexpr const char* kConfidenceJson = "confidence.json";
inline constexpr const char* kConfigJson = "config.json";
inline constexpr const char* kDistogramH5 = "distogram.h5";

// "input": writes the validated query as query.fasta (a one-record FASTA).
std::unique_ptr<Stage> make_input_stage(const Target& target);
// "msa": msa.a3m from `source` (the search, or a given alignment), query read from query.fasta.
std::unique_ptr<Stage> make_msa_stage(const Target& target, std::shared_ptr<MsaSource> source);
// "predict": model.pdb, model.cif (confidence in B-factors) and confidence.json from msa.a3m by `method`.
std::unique_ptr<Stage> make_predict_stage(const Target& target, std::shared_ptr<Method> method);

}  // namespace trifold::pipeline
