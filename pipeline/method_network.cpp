// Wraps model::e2e::Network as a pipeline Method (weights loaded once per process, on first use).
#include "pipeline/method_network.hpp"

#include <algorithm>
#include <mutex>
#include <sstream>

#include "io/error.hpp"
#include "io/log.hpp"
#include "model/e2e/crop.hpp"
#include "model/e2e/network.hpp"
#include "model/device.hpp"
#include "model/features.hpp"
#include "model/memory_plan.hpp"
#include "model/precision.hpp"
#include "model/templates.hpp"
#include "model/weights_h5.hpp"
#include "structure/backbone.hpp"
#ifdef TRIFOLD_WITH_CUDA
#include "model/cuda/network.hpp"
#endif

namespace trifold::pipeline {
namespace {

namespace e2e = trifold::model::e2e;

struct NetworkOptions {
  int refine_iters = 0;         // 0 = early stop
  double bfactor_scale = 100.0; // 100 (AF2/ColabFold) or 1 (reference)
  structure::OxygenPlacement oxygen = structure::OxygenPlacement::kGeometric;
  std::string device = "cpu";   // "cpu" or "cuda:N" (Settings::device)
  double max_memory_gib = 0.0;  // Settings::max_memory_gib (cuda only)
  model::MatmulPrecision precision = model::MatmulPrecision::Fp32;  // Settings::precision (cuda only)
  fs::path templates_dir, template_db;  // Settings::templates_dir / template_db; empty = no templates
};

// A target's template search results in the --templates folder.
fs::path template_file(const fs::path& dir, const std::string& id, const char* ext) { return dir / (id + ext); }

#ifdef TRIFOLD_WITH_CUDA
// Device memory kept out of the planner's budget: cuBLAS workspaces (allocated on first use, outside TriFold's
// counters), the stream-ordered pool's rounding and fragmentation. 1 GiB plus 5 % of the rest.
size_t device_budget(size_t usable) {
  constexpr size_t kReserve = size_t(1) << 30;
  if (usable <= kReserve) return 0;
  return (usable - kReserve) / 20 * 19;
}
#endif

// The reference runs uncropped up to this length (predict_e2e.py).
constexpr size_t kMaxUncropped = 300;
// Templates per target (predict_e2e.py's n_templ).
constexpr int kMaxTemplates = 10;

class NetworkMethod final : public Method {
 public:
  NetworkMethod(fs::path weights, NetworkOptions o) : path_(std::move(weights)), opt_(o) {}
  std::string name() const override { return "network"; }
  bool has_distogram() const override { return true; }
  std::vector<StageInput> inputs() const override {
    std::vector<StageInput> in{{fs::absolute(path_), false}};
    if (!opt_.template_db.empty())
      for (const char* ext : {"_pdb.ffindex", "_pdb.ffdata"}) in.push_back({opt_.template_db.string() + ext, false});
    return in;
  }
  std::vector<StageInput> target_inputs(const std::string& id) const override {
    if (opt_.templates_dir.empty()) return {};
    std::vector<StageInput> in;
    for (const char* ext : {".hhr", ".atab"}) {
      const fs::path f = template_file(opt_.templates_dir, id, ext);
      if (!fs::is_regular_file(f))
        throw InputError("target '" + id + "': template search result " + f.string() +
                         " not found (--templates expects <id>.hhr and <id>.atab for every target)");
      in.push_back({f, true});
    }
    return in;
  }
  std::string settings() const override {
    std::ostringstream s;
    s << "refine_iters=" << opt_.refine_iters << "\nbfactor=" << opt_.bfactor_scale
      << "\noxygen=" << (opt_.oxygen == structure::OxygenPlacement::kReference ? "reference" : "geometric") << "\n";
    if (opt_.device != "cpu") s << "device=" << opt_.device << "\n";  // CPU fingerprints unchanged
    // The budget decides between the full length and crops (different results): part of the GPU settings.
    if (opt_.device != "cpu" && opt_.max_memory_gib > 0.0) s << "max_memory_gib=" << opt_.max_memory_gib << "\n";
    // Reduced precision changes the numbers (fp32 fingerprints unchanged).
    if (opt_.precision != model::MatmulPrecision::Fp32)
      s << "precision=" << model::matmul_precision_name(opt_.precision) << "\n";
    if (!opt_.templates_dir.empty()) s << "templates=" << kMaxTemplates << "\n";  // the files: target_inputs()
    return s.str();
  }
  Prediction predict(const std::string& id, const std::string& sequence, const A3m& msa) override {
    const size_t L = sequence.size();
    const model::Weights& w = weights();
    std::string text;
    for (size_t i = 0; i < msa.rows.size(); ++i) text += ">r\n" + msa.aligned(i) + "\n";
    const model::MsaTokens all = model::parse_a3m_tokens(text, id + " msa.a3m");
    model::TrunkInputs in = model::make_inputs_without_templates(model::first_rows(all));
    int n_templates = 0;
    model::TemplateFeatures tf;  // full length: attached only for a full-length forward; crop mode cuts it per crop
    if (!opt_.templates_dir.empty()) {
      tf = model::read_templates(static_cast<int64_t>(L), opt_.template_db.string(),
                                 template_file(opt_.templates_dir, id, ".hhr").string(),
                                 template_file(opt_.templates_dir, id, ".atab").string(), kMaxTemplates);
      n_templates = static_cast<int>(tf.ids.size());
      log::info("network: " + id + ": " + std::to_string(n_templates) + " template" + (n_templates == 1 ? "" : "s") +
                " from " + template_file(opt_.templates_dir, id, ".atab").string());
    }
    e2e::Network net(w);
    e2e::RefineOptions ro;
    ro.fixed_iter = opt_.refine_iters;
    e2e::NetworkOutputs o;
    int n_crops = 0;
    std::string memory_plan;
    // predict_e2e.py's crop mode: averaged crop probabilities/nodes, refinement on the full length.
    auto crop_mode = [&](const e2e::TrunkFn& trunk, const auto& refine) {
      e2e::CropOptions co;
      co.templates = &tf;
      e2e::CropAverage avg = e2e::run_crops(trunk, net.dims().d_msa, all, co);
      n_crops = avg.n_crops;
      o.refine = refine(avg.node, avg.prob_s);
      o.trunk.heads.prob_s = std::move(avg.prob_s);
      o.trunk.lddt = model::Tensor({static_cast<int64_t>(L)});  // no full-length trunk lDDT in crop mode
    };
    const model::Device dev = model::parse_device(opt_.device);
    if (dev.kind == model::DeviceKind::Cuda) {
      // The full length on the GPU when the memory planner says it fits the budget (with the chunking it
      // chooses), else the crop mode on the GPU (model/memory_plan.hpp, docs/cuda.md "Memory").
#ifdef TRIFOLD_WITH_CUDA
      std::lock_guard<std::mutex> lock(gpu_mutex_);
      if (!gpu_) {
        log::info("network: uploading the weights to " + dev.str() + " (" + model::cuda_device_description(dev.index) +
                  ")");
        const size_t cap = static_cast<size_t>(opt_.max_memory_gib * 1024.0 * 1024.0 * 1024.0);
        gpu_ = std::make_unique<model::cuda::NetworkGpu>(w, dev.index, opt_.precision, cap);
        if (opt_.precision != model::MatmulPrecision::Fp32)
          log::info(std::string("network: trunk matrix products in ") + model::matmul_precision_name(opt_.precision) +
                    " on the tensor cores (fp32 accumulation; SE(3) in fp32)");
        // Measured once, before any forward pass has filled the allocator's cache: what TriFold may use.
        const auto [free_b, total_b] = gpu_->context().device_memory();
        const size_t usable = device_budget(free_b + gpu_->context().bytes_in_use());
        budget_ = cap > 0 ? std::min(cap, usable) : usable;
        log::info("network: device memory budget " + model::format_gib(budget_) + " (free " +
                  model::format_gib(free_b) + " of " + model::format_gib(total_b) + " after the weights" +
                  (cap > 0 ? ", --max-memory " + model::format_gib(cap) : std::string()) +
                  "; 1 GiB + 5 % kept for cuBLAS workspaces and the allocator)");
      }
      const model::MemoryModel mm = model::MemoryModel::from_weights(w);
      model::MemoryProblem mp;
      mp.length = static_cast<int64_t>(L);
      mp.rows = in.msa.n_rows;
      mp.templates = std::max<int64_t>(1, static_cast<int64_t>(tf.ids.size()));
      mp.bf16_operands = opt_.precision == model::MatmulPrecision::Bf16;
      const model::MemoryPlan plan = model::plan_memory(mm, mp, budget_);
      memory_plan = plan.summary();
      auto gpu_refine = [&](const model::Tensor& node, const model::Tensor& prob_s) {
        return gpu_->refine(node, prob_s, in.seq, in.idx, ro);
      };
      if (plan.fits) {
        log::info("network: " + id + " L = " + std::to_string(L) + ", N = " + std::to_string(in.msa.n_rows) +
                  ": full length on " + dev.str() + "; " + memory_plan);
        gpu_->set_chunking(plan.chunking);
        model::attach_templates(in, tf);
        o = gpu_->forward(in, ro);
      } else {
        // Crops are unions of two 150-residue windows (≤ 300 residues) of ≤ 1000 rows.
        model::MemoryProblem cp;
        cp.length = std::min<int64_t>(static_cast<int64_t>(L), 300);
        cp.rows = std::min<int64_t>(all.n_rows, 1000);
        cp.bf16_operands = mp.bf16_operands;
        const model::MemoryPlan crop_plan = model::plan_memory(mm, cp, budget_);
        if (!crop_plan.fits)
          throw InputError("network: " + id + ": even a 300-residue crop does not fit the device memory budget (" +
                           crop_plan.summary() + "); raise --max-memory or use --device cpu");
        log::warn("network: " + id + " L = " + std::to_string(L) + ": the full length does not fit " + dev.str() +
                  " (" + memory_plan + "): crop mode (150-residue windows, shift 75) on the GPU, chunking " +
                  model::describe(crop_plan.chunking));
        memory_plan += "; crop mode with chunking " + model::describe(crop_plan.chunking);
        gpu_->set_chunking(crop_plan.chunking);
        crop_mode([&](const model::TrunkInputs& t) { return gpu_->trunk(t); }, gpu_refine);
      }
#else
      throw InputError("--device " + opt_.device + ": this TriFold build has no CUDA backend");
#endif
    } else if (L > kMaxUncropped) {
      crop_mode([&](const model::TrunkInputs& t) { return net.trunk(t); },
                [&](const model::Tensor& node, const model::Tensor& prob_s) {
                  return net.refine(node, prob_s, in.seq, in.idx, ro);
                });
    } else {
      model::attach_templates(in, tf);
      o = net.forward(in, ro);
    }
    structure::Backbone bb = to_backbone(o.refine.xyz);
    std::vector<double> conf(o.refine.lddt.vec().begin(), o.refine.lddt.vec().end());
    structure::ToStructureOptions to;
    to.oxygen = opt_.oxygen;
    to.bfactor_scale = opt_.bfactor_scale;
    Prediction p;
    p.model = structure::to_structure(bb, sequence, conf, to);
    for (double c : conf) p.confidence.push_back(opt_.bfactor_scale * std::min(1.0, std::max(0.0, c)));
    p.confidence_name = "predicted lDDT";
    p.confidence_scale = opt_.bfactor_scale == 1.0 ? "0-1" : "0-100";
    p.extra.set("refine_iterations", o.refine.n_iter).set("best_refine_iteration", o.refine.best_iter);
    p.extra.set("refine_iterations_forced", opt_.refine_iters).set("msa_rows", in.msa.n_rows);
    if (!opt_.templates_dir.empty()) p.extra.set("templates", n_templates);
    double trunk_mean = 0.0;
    for (float v : o.trunk.lddt.vec()) trunk_mean += v;
    if (!memory_plan.empty()) p.extra.set("device_memory_plan", memory_plan);
    if (n_crops > 0) p.extra.set("crops", n_crops);
    else p.extra.set("trunk_lddt_mean_raw", trunk_mean / static_cast<double>(L));
    p.extra.set("note", "backbone-only model: the refined network N, CA, C (predict_e2e _init.pdb) plus O");
    // prob_s [L, L, 130] = dist 37 | omega 37 | theta 37 | phi 19, split per head.
    const auto& ps = o.trunk.heads.prob_s;
    auto head = [&](int from, int n) {
      std::vector<float> v(L * L * static_cast<size_t>(n));
      for (size_t ij = 0; ij < L * L; ++ij)
        for (int k = 0; k < n; ++k) v[ij * n + k] = ps[static_cast<int64_t>(ij) * 130 + from + k];
      return v;
    };
    p.distogram = head(0, 37);
    p.distogram_bins = 37;
    p.distogram_bin_description =
        "Cb-Cb distance: bin k < 36 covers [2 + 0.5k, 2.5 + 0.5k) A (bin 0 also < 2 A), bin 36 = >= 20 A";
    p.distogram_description = "network probabilities (softmax of the dist head), [i, j, bin]";
    p.extra_maps.push_back({"omega", head(37, 37), "omega: 36 x 10 deg bins over [-pi, pi), bin 36 = no contact"});
    p.extra_maps.push_back({"theta", head(74, 37), "theta (asymmetric [i, j]): 36 x 10 deg over [-pi, pi), bin 36 = no contact"});
    p.extra_maps.push_back({"phi", head(111, 19), "phi (asymmetric [i, j]): 18 x 10 deg over [0, pi], bin 18 = no contact"});
    return p;
  }

 private:
  static structure::Backbone to_backbone(const model::Tensor& xyz) {
    structure::Backbone bb;
    const int64_t l = xyz.dim(0);
    for (int64_t i = 0; i < l; ++i) {
      auto at = [&](int a) { return Vec3{xyz[(i * 3 + a) * 3], xyz[(i * 3 + a) * 3 + 1], xyz[(i * 3 + a) * 3 + 2]}; };
      bb.n.push_back(at(0));
      bb.ca.push_back(at(1));
      bb.c.push_back(at(2));
    }
    return bb;
  }
  const model::Weights& weights() {
    std::call_once(once_, [&] {
      log::info("network: loading weights " + path_.string());
      w_ = std::make_unique<model::Weights>(model::load_weights_h5(path_));
    });
    return *w_;
  }
  fs::path path_;
  NetworkOptions opt_;
  std::once_flag once_;
  std::unique_ptr<model::Weights> w_;
#ifdef TRIFOLD_WITH_CUDA
  std::mutex gpu_mutex_;
  std::unique_ptr<model::cuda::NetworkGpu> gpu_;
  size_t budget_ = 0;  // bytes the planner may use on the device (set with gpu_)
#endif
};

int to_int(const std::string& k, const std::string& v) {
  try {
    size_t pos = 0;
    int x = std::stoi(v, &pos);
    if (pos == v.size()) return x;
  } catch (const std::exception&) {
  }
  throw InputError("--method-option " + k + "=" + v + ": not an integer");
}

}  // namespace

std::unique_ptr<Method> make_network_method(const Settings& s) {
  if (s.weights.empty())
    throw InputError(
        "the network method needs weights: --weights W.h5 or TRIFOLD_WEIGHTS. The official RoseTTAFold weights "
        "(non-commercial Rosetta-DL licence, never bundled) come as weights.tar.gz from the RoseTTAFold README; "
        "convert them with 'trifold convert weights/RoseTTAFold_e2e.pt rf1.h5' (docs/weights.md). "
        "Without weights, use --method coevolution");
  if (!fs::is_regular_file(s.weights)) throw InputError("weights file not found: " + s.weights.string());
  const model::ModelConfig cfg = model::check_weights_h5(s.weights);
  if (cfg.n_module_str < 1 || cfg.n_module_ref < 1)
    throw InputError(s.weights.string() + ": the network method needs the SE(3) blocks and the refinement module");
  NetworkOptions o;
  if (s.templates_dir.empty() != s.template_db.empty())
    throw InputError("--templates and --template-db go together: the HHsearch results per target (<id>.hhr, "
                     "<id>.atab) and the PDB database of their hits (PREFIX_pdb.ffindex/.ffdata)");
  if (!s.templates_dir.empty()) {
    if (!fs::is_directory(s.templates_dir))
      throw InputError("--templates " + s.templates_dir.string() + ": not a folder");
    for (const char* ext : {"_pdb.ffindex", "_pdb.ffdata"})
      if (!fs::is_regular_file(s.template_db.string() + ext))
        throw InputError("--template-db " + s.template_db.string() + ": " + s.template_db.string() + ext +
                         " not found (the ffindex PDB database of the template hits)");
    o.templates_dir = fs::absolute(s.templates_dir);
    o.template_db = fs::absolute(s.template_db);
  }
  o.device = s.device;
  o.max_memory_gib = s.max_memory_gib;
  o.precision = model::parse_matmul_precision(s.precision);
  if (o.precision != model::MatmulPrecision::Fp32 && model::parse_device_spec(s.device).kind != model::DeviceKind::Cuda)
    throw InputError("--precision " + s.precision + " needs --device cuda (the CPU network runs fp32)");
  for (const auto& [k, v] : s.method_options) {
    if (k == "refine_iters") {
      o.refine_iters = to_int(k, v);
      if (o.refine_iters < 0 || o.refine_iters > 10000) throw InputError("--method-option refine_iters: 0..10000");
    } else if (k == "bfactor") {
      if (v == "100") o.bfactor_scale = 100.0;
      else if (v == "1") o.bfactor_scale = 1.0;
      else throw InputError("--method-option bfactor=" + v + ": expected 100 or 1");
    } else if (k == "oxygen") {
      if (v == "reference") o.oxygen = structure::OxygenPlacement::kReference;
      else if (v == "geometric") o.oxygen = structure::OxygenPlacement::kGeometric;
      else throw InputError("--method-option oxygen=" + v + ": expected reference or geometric");
    } else {
      throw InputError("--method-option " + k + ": unknown for the network method (refine_iters, bfactor, oxygen)");
    }
  }
  return std::make_unique<NetworkMethod>(s.weights, o);
}

}  // namespace trifold::pipeline
