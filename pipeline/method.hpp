// The pluggable parts of a prediction: where the MSA comes from (MsaSource) and what turns an MSA into a
// model (Method). New methods are added to the tables in methods.cpp; the stage machinery does not change.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>
#include <vector>

#include "io/fasta.hpp"
#include "io/structure.hpp"
#include "pipeline/json.hpp"
#include "pipeline/stage.hpp"
#include "pipeline/target.hpp"

namespace trifold::pipeline {

// A predicted model with its per-residue confidence.
struct Prediction {
  Structure model;                  // coordinates in Å; one chain; residue numbers 1..L
  std::vector<double> confidence;   // [L], 0..100, higher is better; copied into every atom's B-factor
  std::string confidence_name;      // what the numbers are, e.g. "plddt" or a method-specific score
  JsonObject extra;                 // further method-specific values for confidence.json
  // Optional Cβ distance distribution [L, L, bins] row-major (written to distogram.h5 when the method's
  // has_distogram() is true), with a description of the bins and of what the numbers are.
  std::vector<float> distogram;
  int distogram_bins = 0;
  std::string distogram_bin_description, distogram_description;
  std::string confidence_scale = "0-100";  // the range of `confidence`, named in the model files' remarks
  // Further [L, L, bins] maps written next to `dist` in distogram.h5 (e.g. the network's orientations).
  struct Map {
    std::string name;
    std::vector<float> values;
    std::string description;
  };
  std::vector<Map> extra_maps;
};

class MsaSource {
 public:
  virtual ~MsaSource() = default;
  virtual std::string name() const = 0;
  virtual std::string settings() const = 0;            // canonical "key=value\n" text
  virtual std::vector<StageInput> inputs() const = 0;  // databases (by stat), given alignments (by content)
  // The alignment for `sequence`; its first row must be the query. Throws InputError / IoError.
  virtual A3m search(const std::string& id, const std::string& sequence) = 0;
  // Optional: a batch names the next targets it will search, (id, sequence) each; a source that searches many
  // queries faster together may do so now and answer their search() from memory (the same alignments). Replaces
  // whatever an earlier call kept. Default: nothing.
  virtual void prefetch(const std::vector<std::pair<std::string, std::string>>& queries) { (void)queries; }
};

class Method {
 public:
  virtual ~Method() = default;
  virtual std::string name() const = 0;
  virtual std::string settings() const = 0;  // canonical "key=value\n" text of every result-changing setting
  virtual std::vector<StageInput> inputs() const { return {}; }  // e.g. the weights file
  // Per-target input files (e.g. a target's template search results); InputError when one is missing.
  virtual std::vector<StageInput> target_inputs(const std::string& id) const {
    (void)id;
    return {};
  }
  virtual bool has_distogram() const { return false; }  // predict() fills Prediction::distogram
  // msa.rows[0] is the query (= sequence). Throws on failure.
  virtual Prediction predict(const std::string& id, const std::string& sequence, const A3m& msa) = 0;
};

// --- registries (methods.cpp) ---

struct MethodInfo {
  const char* name;
  const char* summary;
  // Validates what the method needs (weights present and of the right architecture...) and throws
  // InputError with a clear message when it cannot run.
  std::unique_ptr<Method> (*make)(const Settings& settings);
};
const std::vector<MethodInfo>& methods();  // the methods compiled into this build

// resolved_method(settings) from the table; InputError naming the available methods when it is not built in.
std::unique_ptr<Method> make_method(const Settings& settings);

// The built-in MSA search over settings.db, or InputError when no database is given or the search is not
// part of this build. Validates the database (present, readable) before any work.
std::unique_ptr<MsaSource> make_search_source(const Settings& settings);

// An alignment given by the user (--a3m, or an A3M file in a batch folder/manifest). search() checks that its
// query row equals the target sequence.
std::unique_ptr<MsaSource> make_given_a3m_source(const fs::path& a3m);

}  // namespace trifold::pipeline
