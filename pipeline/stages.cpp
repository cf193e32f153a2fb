// input, msa and predict stages.
#include "pipeline/stages.hpp"

#include <algorithm>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/hdf5.hpp"
#include "io/mmcif.hpp"
#include "io/pdb.hpp"
#include "pipeline/files.hpp"

namespace trifold::pipeline {
namespace {

class InputStage final : public Stage {
 public:
  explicit InputStage(Target t) : t_(std::move(t)) {}
  std::string name() const override { return "input"; }
  std::vector<StageInput> inputs() const override { return {}; }
  std::string settings() const override { return "id=" + t_.id + "\nsequence=" + t_.sequence + "\n"; }
  std::vector<std::string> outputs() const override { return {kQueryFile}; }
  void run(const fs::path&, const fs::path& tmp) override {
    write_plain(tmp / kQueryFile, format_fasta({SequenceRecord{t_.id, "", t_.sequence, 0}}));
  }

 private:
  Target t_;
};

class MsaStage final : public Stage {
 public:
  MsaStage(Target t, std::shared_ptr<MsaSource> s) : t_(std::move(t)), src_(std::move(s)) {}
  std::string name() const override { return "msa"; }
  std::vector<StageInput> inputs() const override {
    std::vector<StageInput> in{{kQueryFile, true}};
    for (auto& i : src_->inputs()) in.push_back(i);
    return in;
  }
  std::string settings() const override { return "source=" + src_->name() + "\n" + src_->settings(); }
  std::vector<std::string> outputs() const override { return {kMsaFile}; }
  void run(const fs::path& workdir, const fs::path& tmp) override {
    auto query = read_fasta(workdir / kQueryFile);
    A3m msa = src_->search(t_.id, query.at(0).sequence);
    if (msa.rows.empty() || msa.aligned(0) != query[0].sequence)
      throw InternalError("MSA source '" + src_->name() + "' returned an alignment whose first row is not the query");
    write_plain(tmp / kMsaFile, format_a3m(msa));
  }

 private:
  Target t_;
  std::shared_ptr<MsaSource> src_;
};

class PredictStage final : public Stage {
 public:
  PredictStage(Target t, std::shared_ptr<Method> m) : t_(std::move(t)), m_(std::move(m)) {}
  std::string name() const override { return "predict"; }
  std::vector<StageInput> inputs() const override {
    std::vector<StageInput> in{{kMsaFile, true}};
    for (auto& i : m_->inputs()) in.push_back(i);
    for (auto& i : m_->target_inputs(t_.id)) in.push_back(i);
    return in;
  }
  std::string settings() const override { return "method=" + m_->name() + "\n" + m_->settings(); }
  std::vector<std::string> outputs() const override {
    std::vector<std::string> o = {kModelPdb, kModelCif, kConfidenceJson};
    if (m_->has_distogram()) o.push_back(kDistogramH5);
    return o;
  }
  void run(const fs::path& workdir, const fs::path& tmp) override {
    A3m msa = read_a3m(workdir / kMsaFile);
    std::string seq = msa.aligned(0);
    Prediction p = m_->predict(t_.id, seq, msa);
    size_t n = p.model.residue_count();
    if (p.confidence.size() != n)
      throw InternalError("method '" + m_->name() + "' returned " + std::to_string(p.confidence.size()) +
                          " confidence values for " + std::to_string(n) + " residues");
    size_t k = 0;
    for (auto& c : p.model.chains)
      for (auto& r : c.residues) {
        for (auto& a : r.atoms) a.bfactor = p.confidence[k];
        ++k;
      }
    p.model.name = t_.id;
    std::vector<std::string> remarks = {"TriFold model of " + t_.id + ", method " + m_->name(),
                                        "B-factor column: per-residue " + p.confidence_name + " (" + p.confidence_scale + ")"};
    write_plain(tmp / kModelPdb, format_pdb(p.model, remarks));
    write_plain(tmp / kModelCif, format_mmcif(p.model, t_.id));
    double mean = 0;
    for (double c : p.confidence) mean += c;
    mean = p.confidence.empty() ? 0 : mean / static_cast<double>(p.confidence.size());
    JsonObject j;
    j.set("target", t_.id).set("method", m_->name()).set("confidence", p.confidence_name);
    j.set("length", n).set("mean", mean).raw("per_residue", json_number_array(p.confidence, 2));
    j.raw("details", p.extra.str(1));
    write_plain(tmp / kConfidenceJson, j.str() + "\n");
    if (m_->has_distogram()) {
      auto L = static_cast<int64_t>(n);
      if (p.distogram_bins <= 0 || p.distogram.size() != static_cast<size_t>(L * L * p.distogram_bins))
        throw InternalError("method '" + m_->name() + "' returned a distogram of the wrong size");
      h5::File f(tmp / kDistogramH5, h5::File::Mode::Create);
      f.write("dist", {L, L, p.distogram_bins}, p.distogram.data());
      f.set_attr("dist", "bins", p.distogram_bin_description);
      f.set_attr("dist", "description", p.distogram_description);
      for (const auto& m : p.extra_maps) {
        const auto bins = static_cast<int64_t>(m.values.size()) / std::max<int64_t>(1, L * L);
        if (bins <= 0 || m.values.size() != static_cast<size_t>(L * L * bins))
          throw InternalError("method '" + m_->name() + "' returned map '" + m.name + "' of the wrong size");
        f.write(m.name, {L, L, bins}, m.values.data());
        f.set_attr(m.name, "description", m.description);
      }
      f.set_attr("/", "target", t_.id);
      f.set_attr("/", "method", m_->name());
    }
  }

 private:
  Target t_;
  std::shared_ptr<Method> m_;
};

}  // namespace

std::unique_ptr<Stage> make_input_stage(const Target& target) { return std::make_unique<InputStage>(target); }
std::unique_ptr<Stage> make_msa_stage(const Target& target, std::shared_ptr<MsaSource> source) {
  return std::make_unique<MsaStage>(target, std::move(source));
}
std::unique_ptr<Stage> make_predict_stage(const Target& target, std::shared_ptr<Method> method) {
  return std::make_unique<PredictStage>(target, std::move(method));
}

}  // namespace trifold::pipeline
