// Crop loop with running sums (predict_e2e.py, L > 300).
#include "model/e2e/crop.hpp"

#include <algorithm>

#include "io/error.hpp"

namespace trifold::model::e2e {

std::vector<std::vector<int32_t>> crop_residue_sets(int64_t length, const CropOptions& opt) {
  TRIFOLD_CHECK(opt.window > 0 && opt.shift > 0, "crop: window and shift must be positive");
  std::vector<int64_t> grids;  // np.arange(0, L − window + shift, shift)
  for (int64_t g = 0; g < length - opt.window + opt.shift; g += opt.shift) grids.push_back(g);
  std::vector<std::vector<int32_t>> out;
  for (size_t i = 0; i < grids.size(); ++i)
    for (size_t j = i; j < grids.size(); ++j) {
      std::vector<bool> sel(static_cast<size_t>(length), false);
      for (int64_t k = grids[i]; k < std::min<int64_t>(grids[i] + opt.window, length); ++k) sel[static_cast<size_t>(k)] = true;
      for (int64_t k = grids[j]; k < std::min<int64_t>(grids[j] + opt.window, length); ++k) sel[static_cast<size_t>(k)] = true;
      std::vector<int32_t> r;
      for (int64_t k = 0; k < length; ++k)
        if (sel[static_cast<size_t>(k)]) r.push_back(static_cast<int32_t>(k));
      out.push_back(std::move(r));
    }
  return out;
}

CropAverage run_crops(const Network& net, const MsaTokens& msa, const CropOptions& opt,
                      const std::function<void(int, const std::vector<int32_t>&, const std::vector<bool>&,
                                               const TrunkOutputs&)>& on_crop) {
  return run_crops([&net](const TrunkInputs& in) { return net.trunk(in); }, net.dims().d_msa, msa, opt, on_crop);
}

CropAverage run_crops(const TrunkFn& trunk, int64_t d_msa, const MsaTokens& msa, const CropOptions& opt,
                      const std::function<void(int, const std::vector<int32_t>&, const std::vector<bool>&,
                                               const TrunkOutputs&)>& on_crop) {
  const int64_t L = msa.length, N = msa.n_rows;
  const int64_t dm = d_msa;
  constexpr int64_t kProb = 130;
  CropAverage avg;
  avg.prob_s = Tensor({L, L, kProb});
  avg.node = Tensor({L, dm});
  std::vector<float> count1(static_cast<size_t>(L), 0.0f), count2(static_cast<size_t>(L * L), 0.0f);
  const auto sets = crop_residue_sets(L, opt);
  const bool templ = opt.templates && !opt.templates->xyz.empty();
  if (templ)
    TRIFOLD_CHECK(opt.templates->xyz.dim(1) == L, "run_crops: templates of length " +
                                                      std::to_string(opt.templates->xyz.dim(1)) + " for L = " +
                                                      std::to_string(L));
  for (size_t c = 0; c < sets.size(); ++c) {
    const std::vector<int32_t>& res = sets[c];
    const int64_t lc = static_cast<int64_t>(res.size());
    // Gap filter: keep rows with (#gaps among the crop's columns) < 0.5·Lc, then the first 1000.
    std::vector<bool> kept(static_cast<size_t>(N), false);
    MsaTokens sub;
    sub.length = lc;
    for (int64_t n = 0; n < N; ++n) {
      int64_t gaps = 0;
      for (int32_t k : res) gaps += msa.tokens[static_cast<size_t>(n * L + k)] == 20;
      if (static_cast<double>(gaps) < 0.5 * static_cast<double>(lc)) {
        kept[static_cast<size_t>(n)] = true;
        if (sub.n_rows < 1000) {
          for (int32_t k : res) sub.tokens.push_back(msa.tokens[static_cast<size_t>(n * L + k)]);
          ++sub.n_rows;
        }
      }
    }
    if (sub.n_rows == 0) throw InputError("crop " + std::to_string(c) + ": every MSA row is >= 50% gaps in the crop");
    TrunkInputs in = make_inputs_without_templates(sub);
    in.idx = res;  // true residue numbers
    if (templ) attach_templates(in, select_residues(*opt.templates, res));
    TrunkOutputs t = trunk(in);
    if (on_crop) on_crop(static_cast<int>(c), res, kept, t);
    for (int64_t a = 0; a < lc; ++a) {
      const int64_t i = res[static_cast<size_t>(a)];
      count1[static_cast<size_t>(i)] += 1.0f;
      for (int64_t ch = 0; ch < dm; ++ch) avg.node[i * dm + ch] += t.node[a * dm + ch];
      for (int64_t b = 0; b < lc; ++b) {
        const int64_t j = res[static_cast<size_t>(b)];
        count2[static_cast<size_t>(i * L + j)] += 1.0f;
        float* dst = avg.prob_s.data() + (i * L + j) * kProb;
        const float* src = t.heads.prob_s.data() + (a * lc + b) * kProb;
        for (int64_t k = 0; k < kProb; ++k) dst[k] += src[k];
      }
    }
    ++avg.n_crops;
  }
  for (int64_t i = 0; i < L; ++i) {
    for (int64_t ch = 0; ch < dm; ++ch) avg.node[i * dm + ch] /= count1[static_cast<size_t>(i)];
    for (int64_t j = 0; j < L; ++j) {
      const float cnt = count2[static_cast<size_t>(i * L + j)];
      float* p = avg.prob_s.data() + (i * L + j) * kProb;
      for (int64_t k = 0; k < kProb; ++k) p[k] /= cnt;
    }
  }
  return avg;
}

}  // namespace trifold::model::e2e
