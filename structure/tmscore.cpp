// The TMscore program's search: seed superpositions on sliding fragments, iterative extension to the residues
// within d0_search + 1 Å, scores maximised over every superposition tried.
#include "structure/tmscore.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "io/error.hpp"

namespace trifold::structure {

namespace {

struct Search {
  const std::vector<Vec3>& xa;  // model CA
  const std::vector<Vec3>& xb;  // native CA
  const std::vector<std::pair<int, int>>& pairs;
  double d0;
  int native_length;
  // Scratch.
  std::vector<Vec3> r1, r2;
  std::vector<double> dist;

  // Distances of every aligned pair after transforming the model.
  void distances(const Transform& tr) {
    dist.resize(pairs.size());
    for (size_t k = 0; k < pairs.size(); ++k) dist[k] = distance(tr.apply(xa[pairs[k].first]), xb[pairs[k].second]);
  }

  Transform fit(const std::vector<int>& sel, double* rms = nullptr) {
    r1.clear();
    r2.clear();
    for (int k : sel) {
      r1.push_back(xa[pairs[k].first]);
      r2.push_back(xb[pairs[k].second]);
    }
    Superposition s = superpose(r1, r2);
    if (rms) *rms = s.rmsd;
    return s.transform;
  }
};

}  // namespace

TmScoreResult tm_score(const std::vector<Vec3>& model_ca, const std::vector<Vec3>& native_ca,
                       const std::vector<std::pair<int, int>>& pairs, const TmScoreOptions& opt) {
  TmScoreResult res;
  res.native_length = static_cast<int>(native_ca.size());
  res.model_length = static_cast<int>(model_ca.size());
  const int n_ali = static_cast<int>(pairs.size());
  res.aligned = n_ali;
  if (res.native_length == 0) throw InputError("TM-score: the native has no CA atoms");
  if (n_ali == 0) throw InputError("TM-score: model and native have no residue in common");
  const int lb = res.native_length;
  double d0 = lb > 15 ? 1.24 * std::cbrt(lb - 15.0) - 1.8 : 0.5;
  if (d0 < 0.5) d0 = 0.5;
  if (opt.d0_fixed > 0) d0 = opt.d0_fixed;
  double d0_search = std::clamp(d0, 4.5, 8.0);
  res.d0 = d0;
  res.d0_search = d0_search;

  // Seed fragment lengths: n_ali, n_ali/2, ... (at most 6 lengths), the last one 4 (or n_ali when smaller).
  std::vector<int> l_ini;
  const int l_min = std::min(4, n_ali);
  const int n_init_max = 6;
  bool done = false;
  for (int i = 0; i < n_init_max - 1; ++i) {
    int l = n_ali >> i;
    if (l <= l_min) {
      l_ini.push_back(l_min);
      done = true;
      break;
    }
    l_ini.push_back(l);
  }
  if (!done) l_ini.push_back(l_min);

  Search s{model_ca, native_ca, pairs, d0, lb, {}, {}, {}};
  double score_max = -1, maxsub_max = -1;
  std::array<int, 5> gdt_max = {-1, -1, -1, -1, -1};
  const double cut[5] = {0.5, 1, 2, 4, 8};
  std::vector<int> k_ali, i_ali, best_ali;
  bool have_best = false;

  // Scores one superposition; fills i_ali with the pairs closer than d (relaxed by 0.5 Å until at least 3).
  auto score_fun = [&](const Transform& tr, double d) {
    s.distances(tr);
    double d_tmp = d;
    for (;;) {
      i_ali.clear();
      for (int k = 0; k < n_ali; ++k)
        if (s.dist[k] < d_tmp) i_ali.push_back(k);
      if (static_cast<int>(i_ali.size()) < 3 && n_ali > 3) {
        d_tmp += 0.5;
        continue;
      }
      break;
    }
    double sum = 0, sum_ms = 0;
    std::array<int, 5> g{};
    for (int k = 0; k < n_ali; ++k) {
      const double di = s.dist[k];
      for (int c = 0; c < 5; ++c)
        if (di <= cut[c]) ++g[c];
      if (di < 3.5) sum_ms += 1.0 / (1.0 + (di / 3.5) * (di / 3.5));
      sum += 1.0 / (1.0 + (di / d0) * (di / d0));
    }
    const double score = sum / lb;
    if (score_max < score) {
      score_max = score;
      best_ali = k_ali;
      res.best = tr;
      have_best = true;
    }
    maxsub_max = std::max(maxsub_max, sum_ms / lb);
    for (int c = 0; c < 5; ++c) gdt_max[c] = std::max(gdt_max[c], g[c]);
  };

  const int n_it = 20;
  for (size_t ii = 0; ii < l_ini.size(); ++ii) {
    const int l_init = l_ini[ii];
    const int il_max = n_ali - l_init + 1;
    for (int il = 0; il < il_max; ++il) {
      k_ali.clear();
      for (int i = 0; i < l_init; ++i) k_ali.push_back(il + i);
      double rms = 0;
      Transform tr = s.fit(k_ali, &rms);
      if (ii == 0) res.rmsd_common = rms;
      score_fun(tr, d0_search - 1);
      const double d = d0_search + 1;
      for (int it = 1; it <= n_it; ++it) {
        k_ali = i_ali;
        tr = s.fit(k_ali);
        score_fun(tr, d);
        if (it == n_it) break;
        if (i_ali == k_ali) break;
      }
    }
  }
  (void)have_best;
  res.tm_score = score_max;
  res.maxsub = maxsub_max;
  res.gdt_counts = gdt_max;
  res.gdt_ts = (gdt_max[1] + gdt_max[2] + gdt_max[3] + gdt_max[4]) / (4.0 * lb);
  res.gdt_ha = (gdt_max[0] + gdt_max[1] + gdt_max[2] + gdt_max[3]) / (4.0 * lb);
  return res;
}

TmScoreResult tm_score(const Chain& model, const Chain& native, const TmScoreOptions& opt) {
  std::vector<Vec3> xa, xb;
  std::map<std::pair<int, char>, int> native_index;
  for (const auto& r : native.residues) {
    const Atom* ca = r.find("CA");
    if (!ca) continue;
    native_index.emplace(std::make_pair(r.seqnum, r.icode), static_cast<int>(xb.size()));
    xb.push_back(ca->pos);
  }
  std::vector<std::pair<int, int>> pairs;
  for (const auto& r : model.residues) {
    const Atom* ca = r.find("CA");
    if (!ca) continue;
    auto it = native_index.find({r.seqnum, r.icode});
    if (it != native_index.end()) pairs.emplace_back(static_cast<int>(xa.size()), it->second);
    xa.push_back(ca->pos);
  }
  return tm_score(xa, xb, pairs, opt);
}

}  // namespace trifold::structure
