// Differences between two e2e forwards (reduced-precision envelope).
#include "model/e2e/compare.hpp"

#include <cmath>
#include <limits>

#include "io/error.hpp"

namespace trifold::model::e2e {

namespace {
void same_shape(const Tensor& a, const Tensor& b, const char* what) {
  TRIFOLD_CHECK(a.shape() == b.shape(), std::string(what) + ": shapes " + shape_str(a.shape()) + " and " +
                                            shape_str(b.shape()) + " differ");
}
}  // namespace

double rel_l2(const Tensor& got, const Tensor& ref) {
  same_shape(got, ref, "rel_l2");
  double num = 0, den = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    if (!std::isfinite(got[i]) || !std::isfinite(ref[i])) return std::numeric_limits<double>::quiet_NaN();
    const double d = double(got[i]) - ref[i];
    num += d * d;
    den += double(ref[i]) * ref[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

double max_abs_diff(const Tensor& got, const Tensor& ref) {
  same_shape(got, ref, "max_abs_diff");
  double m = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double d = std::fabs(double(got[i]) - ref[i]);
    if (!std::isfinite(d)) return std::numeric_limits<double>::quiet_NaN();
    m = std::max(m, d);
  }
  return m;
}

double coordinate_rmsd(const Tensor& got, const Tensor& ref) {
  same_shape(got, ref, "coordinate_rmsd");
  TRIFOLD_CHECK(ref.numel() % 3 == 0 && ref.numel() > 0, "coordinate_rmsd: not [.., 3] coordinates");
  double s = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double d = double(got[i]) - ref[i];
    s += d * d;
  }
  return std::sqrt(s / static_cast<double>(ref.numel() / 3));
}

double top_bin_agreement(const Tensor& got_logits, const Tensor& ref_logits) {
  same_shape(got_logits, ref_logits, "top_bin_agreement");
  TRIFOLD_CHECK(ref_logits.ndim() == 3 && ref_logits.dim(0) == ref_logits.dim(1),
                "top_bin_agreement: logits must be [L, L, bins]");
  const int64_t l = ref_logits.dim(0), bins = ref_logits.dim(2);
  auto argmax = [bins](const float* p) {
    int64_t best = 0;
    for (int64_t b = 1; b < bins; ++b)
      if (p[b] > p[best]) best = b;
    return best;
  };
  int64_t same = 0, n = 0;
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < l; ++j) {
      if (i == j) continue;
      const int64_t o = (i * l + j) * bins;
      same += argmax(got_logits.data() + o) == argmax(ref_logits.data() + o);
      ++n;
    }
  return n ? static_cast<double>(same) / static_cast<double>(n) : 1.0;
}

std::vector<OutputDifference> compare_outputs(const NetworkOutputs& got, const NetworkOutputs& ref) {
  const TrunkOutputs &g = got.trunk, &r = ref.trunk;
  return {
      {"dist logits rel L2", rel_l2(g.heads.dist, r.heads.dist)},
      {"omega logits rel L2", rel_l2(g.heads.omega, r.heads.omega)},
      {"theta logits rel L2", rel_l2(g.heads.theta, r.heads.theta)},
      {"phi logits rel L2", rel_l2(g.heads.phi, r.heads.phi)},
      {"prob_s rel L2", rel_l2(g.heads.prob_s, r.heads.prob_s)},
      {"prob_s max abs", max_abs_diff(g.heads.prob_s, r.heads.prob_s)},
      {"dist top-bin agreement", top_bin_agreement(g.heads.dist, r.heads.dist)},
      {"node rel L2", rel_l2(g.node, r.node)},
      {"trunk xyz RMSD (A)", coordinate_rmsd(g.xyz, r.xyz)},
      {"trunk lDDT max abs", max_abs_diff(g.lddt, r.lddt)},
      {"Regen xyz RMSD (A)", coordinate_rmsd(got.refine.regen_xyz, ref.refine.regen_xyz)},
      {"refined mirror copy differs", got.refine.copy != ref.refine.copy ? 1.0 : 0.0},
      {"refined xyz RMSD (A)", coordinate_rmsd(got.refine.xyz, ref.refine.xyz)},
      {"refined lDDT max abs", max_abs_diff(got.refine.lddt, ref.refine.lddt)},
  };
}

}  // namespace trifold::model::e2e
