// `trifold predict`: one target from FASTA (or A3M) to model PDB/mmCIF, confidence, timings, config.
#include <cstdlib>
#include <iostream>

#include "io/error.hpp"
#include "io/fasta.hpp"
#include "io/log.hpp"
#include "pipeline/predict.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/stages.hpp"
#include "tools/command.hpp"
#include "tools/prediction_options.hpp"

namespace trifold::cli {

int run_predict(const std::vector<std::string>& args) {
  namespace pl = trifold::pipeline;
  po::options_description o("trifold predict options");
  o.add_options()
      ("fasta", po::value<std::string>()->default_value(""), "query FASTA (one record)")
      ("a3m", po::value<std::string>()->default_value(""), "use this alignment (first row = query) instead of searching; alone it also gives the query")
      ("out", po::value<std::string>()->default_value(""), "work/output directory of this target (required)")
      ("id", po::value<std::string>()->default_value(""), "target id (default: the FASTA header's first word)")
      ("refine-iters", po::value<int>()->default_value(0), "network method: run exactly N refinement iterations (0 = the reference's early stop)");
  o.add(prediction_options());
  po::variables_map vm;
  if (!parse("predict", "--fasta F [--a3m FILE | --db DB] --out DIR [options]", args, o, {}, vm)) return 0;
  pl::Settings s = prediction_settings(vm);
  const int refine_iters = vm["refine-iters"].as<int>();
  if (refine_iters < 0)
    throw InputError("--refine-iters " + std::to_string(refine_iters) + ": must be >= 0 (0 = the early stop)");
  if (refine_iters > 0) s.method_options.emplace_back("refine_iters", std::to_string(refine_iters));
  std::string out = vm["out"].as<std::string>();
  if (out.empty()) throw InputError("trifold predict: --out DIR is required");
  std::string fasta = vm["fasta"].as<std::string>(), a3m = vm["a3m"].as<std::string>();
  if (fasta.empty() && a3m.empty()) throw InputError("trifold predict: give --fasta F (or --a3m FILE)");
  pl::Target t;
  if (!fasta.empty()) {
    FastaOptions fo;
    fo.max_length = 0;  // the length limit is checked by validate_target with the option's name
    auto recs = read_fasta(fasta, fo);
    if (recs.size() != 1)
      throw InputError(fasta + ": " + std::to_string(recs.size()) + " records; trifold predict takes one (use trifold batch)");
    t.id = recs[0].name;
    t.sequence = recs[0].sequence;
    t.source = fasta;
  } else {
    A3m a = read_a3m(a3m);
    t.id = a.rows[0].name;
    t.sequence = a.aligned(0);
    t.source = a3m;
  }
  if (!vm["id"].as<std::string>().empty()) t.id = vm["id"].as<std::string>();
  if (const std::string id = pl::safe_id(t.id); id != t.id) {
    log::warn("target name '", t.id, "' is used as '", id, "' (folder-safe: letters, digits, '.', '-', '_')");
    t.id = id;
  }
  t.a3m = a3m;
  pl::validate_target(t, s);  // fail fast, before resources are built
  pl::Resources res = pl::make_resources(s, t.a3m.empty());
  auto progress = pl::make_progress();
  pl::RunReport r = pl::run_target(t, s, res, out, progress.get());
  progress.reset();
  std::filesystem::path dir(out);
  if (r.complete) {
    std::cout << (dir / pl::kModelPdb).string() << "\n" << (dir / pl::kModelCif).string() << "\n"
              << (dir / pl::kConfidenceJson).string() << "\n";
    std::cerr << t.id << ": complete" << (r.all_skipped ? " (up to date, nothing recomputed)" : "") << " in "
              << r.total_seconds << " s\n";
  } else {
    std::cerr << t.id << ": stopped after stage '" << s.stop_after << "' as asked\n";
  }
  return 0;
}

}  // namespace trifold::cli
