// Target runs: resources, stage list, config and timings reports.
#include "pipeline/predict.hpp"

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "pipeline/files.hpp"
#include "pipeline/json.hpp"
#include "pipeline/stages.hpp"

namespace trifold::pipeline {
namespace {

bool needs_method(const Settings& s) { return s.stop_after != "input" && s.stop_after != "msa"; }

std::string timings_json(const Target& t, const RunReport& r) {
  std::vector<std::string> rows;
  for (const auto& st : r.stages) {
    JsonObject o;
    o.set("stage", st.stage).set("skipped", st.skipped).set("seconds", st.seconds);
    rows.push_back(o.str(2));
  }
  JsonObject j;
  j.set("target", t.id).raw("stages", rows.empty() ? "[]" : "[\n    " + [&] {
    std::string s;
    for (size_t i = 0; i < rows.size(); ++i) s += (i ? ",\n    " : "") + rows[i];
    return s;
  }() + "\n  ]");
  j.set("total_seconds", r.total_seconds);
  return j.str() + "\n";
}

}  // namespace

Resources make_resources(const Settings& settings, bool need_search) {
  Resources r;
  if (settings.max_length == 0) throw InputError("--max-length must be > 0");
  // Checked once here, before any work. run_stages checks it too, but per target: in a batch a typo failed every
  // target (index and status files written), and a rerun with the right value kept them failed unless
  // --retry-failed; predict left an empty .stages folder.
  const std::string& stop = settings.stop_after;
  if (!stop.empty() && stop != "input" && stop != "msa" && stop != "predict")
    throw InputError("--stop-after " + stop + ": no such stage (stages: input, msa, predict)");
  if (need_search) r.search = make_search_source(settings);
  if (needs_method(settings)) r.method = make_method(settings);
  return r;
}

std::vector<std::unique_ptr<Stage>> make_stages(const Target& target, const Resources& res) {
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(make_input_stage(target));
  std::shared_ptr<MsaSource> src = target.a3m.empty() ? res.search : std::shared_ptr<MsaSource>(make_given_a3m_source(target.a3m));
  if (!src) throw InputError("target '" + target.id + "' has no alignment and no --db was given for the MSA search");
  stages.push_back(make_msa_stage(target, src));
  if (res.method) stages.push_back(make_predict_stage(target, res.method));
  return stages;
}

std::string config_json(const Target& target, const Settings& s, const Resources& res) {
  JsonObject j;
  j.set("trifold_version", s.version).set("target", target.id).set("sequence_length", target.sequence.size());
  j.set("method", res.method ? res.method->name() : resolved_method(s) + " (not run: --stop-after " + s.stop_after + ")");
  j.set("msa_source", target.a3m.empty() ? (res.search ? res.search->name() : "") : "given-a3m");
  j.set("a3m", target.a3m.empty() ? "" : fs::absolute(target.a3m).string());
  j.set("db", s.db.empty() ? "" : fs::absolute(s.db).string()).set("msa_tool", s.msa_tool);
  j.set("weights", s.weights.empty() ? "" : fs::absolute(s.weights).string());
  j.set("stop_after", s.stop_after).set("max_length", s.max_length).set("threads", s.threads);
  JsonObject mo;
  for (const auto& [k, v] : s.method_options) mo.set(k, v);
  if (res.method)
    for (size_t b = 0, e; b < res.method->settings().size(); b = e + 1) {  // the method's own key=value lines
      std::string all = res.method->settings();
      e = all.find('\n', b);
      if (e == std::string::npos) e = all.size();
      std::string line = all.substr(b, e - b);
      auto eq = line.find('=');
      if (eq != std::string::npos) mo.set(line.substr(0, eq), line.substr(eq + 1));
    }
  j.raw("method_settings", mo.str(1));
  return j.str() + "\n";
}

RunReport run_target(const Target& target, const Settings& settings, const Resources& resources,
                     const fs::path& workdir, Progress* progress) {
  validate_target(target, settings);
  auto stages = make_stages(target, resources);
  create_output_dir(workdir);
  remove_stale_temporaries(workdir);
  RunOptions opt;
  opt.run_files = {{kConfigJson, config_json(target, settings, resources)}};
  opt.target = target.id;
  opt.version = settings.version;
  // Stopping after the last stage is a whole run: it gets its DONE marker (it was left without one).
  opt.stop_after = settings.stop_after == "predict" ? "" : settings.stop_after;
  opt.progress = progress;
  opt.timings_json = [&](const RunReport& r) { return timings_json(target, r); };
  return run_stages(stages, workdir, opt);
}

}  // namespace trifold::pipeline
