// Wraps model::coevolution::predict_structure as a pipeline Method.
#include "pipeline/method_coevolution.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>

#include "io/error.hpp"
#include "model/coevolution/coevolution.hpp"
#include "structure/backbone.hpp"
#include "structure/restraints.hpp"

namespace trifold::pipeline {
namespace {

namespace co = trifold::model::coevolution;

class CoevolutionMethod final : public Method {
 public:
  CoevolutionMethod(co::CoevolutionFoldOptions o, int threads) : opt_(std::move(o)) { opt_.fold.threads = threads; }
  std::string name() const override { return "coevolution"; }
  bool has_distogram() const override { return true; }
  std::string settings() const override {
    // Every option that changes the model; threads do not (the folding is thread-count independent).
    std::ostringstream s;
    s.precision(17);
    s << "identity=" << opt_.contacts.identity << "\ngap_cutoff=" << opt_.contacts.gap_cutoff
      << "\nlambda_h=" << opt_.contacts.potts.lambda_h << "\nlambda_j=" << opt_.contacts.potts.lambda_j
      << "\nmin_separation=" << opt_.restraints.min_separation
      << "\npairs_per_residue=" << opt_.restraints.pairs_per_residue << "\nrestarts=" << opt_.fold.restarts
      << "\nsteps=" << opt_.fold.steps << "\nlearning_rate=" << opt_.fold.learning_rate << "\nseed=" << opt_.fold.seed
      << "\n";
    return s.str();
  }
  Prediction predict(const std::string& id, const std::string& sequence, const A3m& msa) override {
    co::CoevolutionModel m = co::predict_structure(msa, opt_);
    structure::ToStructureOptions to;
    to.oxygen = structure::OxygenPlacement::kGeometric;  // a sensible O for the last residue in user output
    Prediction p;
    p.model = structure::to_structure(m.fold.backbone, sequence, m.confidence, to);
    for (double c : m.confidence) p.confidence.push_back(100.0 * std::min(1.0, std::max(0.0, c)));
    p.confidence_name = "restraint satisfaction";
    p.extra.set("msa_rows", m.contacts.input_rows).set("msa_distinct_rows", m.contacts.rows);
    p.extra.set("neff", m.contacts.neff).set("restrained_pairs", m.fold.restrained_pairs);
    p.extra.set("fold_loss", m.fold.terms.total).set("best_restart", m.fold.best_restart);
    p.extra.set("potts_iterations", m.contacts.report.iterations);
    p.distogram = m.restraints.dist;
    p.distogram_bins = structure::kDistBins;
    p.distogram_bin_description =
        "Cb-Cb distance: bin k < 36 covers [2 + 0.5k, 2.5 + 0.5k) A (bin 0 also < 2 A), bin 36 = >= 20 A";
    p.distogram_description =
        "restraints the model was folded with (coevolution contacts as distance profiles), not a learned distogram";
    // No wall times here: outputs stay byte-identical between runs (timings.json has the stage times).
    p.extra.set("note", "backbone-only model (N, CA, C, O) from MSA coevolution; no network");
    return p;
  }

 private:
  co::CoevolutionFoldOptions opt_;
};

double to_number(const std::string& k, const std::string& v) {
  try {
    size_t pos = 0;
    double x = std::stod(v, &pos);
    if (pos == v.size()) return x;
  } catch (const std::exception&) {
  }
  throw InputError("--method-option " + k + "=" + v + ": not a number");
}

}  // namespace

std::unique_ptr<Method> make_coevolution_method(const Settings& s) {
  if (!s.templates_dir.empty())
    throw InputError("--templates: only the network method uses templates (--method network with --weights)");
  co::CoevolutionFoldOptions o;
  for (const auto& [k, v] : s.method_options) {
    const double x = to_number(k, v);
    // Every value is range-checked here, before any stage runs: a NaN or out-of-range double cast to int is
    // undefined, pairs_per_residue=nan was accepted, and identity was only checked by the predict stage, in a
    // message that did not name the option.
    auto bad = [&](const std::string& want) { return InputError("--method-option " + k + "=" + v + ": " + want); };
    auto whole = [&](double lo, double hi) {
      if (!(x >= lo && x <= hi) || x != std::floor(x))
        throw bad("must be a whole number in [" + std::to_string(static_cast<long long>(lo)) + ", " +
                  std::to_string(static_cast<long long>(hi)) + "]");
      return x;
    };
    constexpr double kIntMax = std::numeric_limits<int>::max();
    if (k == "restarts") o.fold.restarts = static_cast<int>(whole(1, kIntMax));
    else if (k == "steps") o.fold.steps = static_cast<int>(whole(1, kIntMax));
    else if (k == "seed") o.fold.seed = static_cast<std::uint64_t>(whole(0, 9007199254740992.0));  // 2^53
    else if (k == "pairs_per_residue") {
      if (!(x > 0.0) || !std::isfinite(x)) throw bad("must be a finite number > 0");
      o.restraints.pairs_per_residue = x;
    } else if (k == "identity") {
      if (!(x > 0.0 && x <= 1.0)) throw bad("must be in (0, 1]");
      o.contacts.identity = x;
    } else
      throw InputError("--method-option " + k + ": unknown for the coevolution method (restarts, steps, seed, "
                       "pairs_per_residue, identity)");
  }
  return std::make_unique<CoevolutionMethod>(o, s.threads);
}

}  // namespace trifold::pipeline
