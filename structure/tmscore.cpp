// The TMscore program's search: seed superpositions on sliding fragments, iterative extension to the residues
// within d0_search + 1 Å, scores maximised over every superposition tried.
#include "structure/tmscore.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <unordered_map>

#include "io/error.hpp"

namespace trifold::structure {

namespace {

struct IndexSetHash {
  size_t operator()(const std::vector<int>& v) const {
    uint64_t h = 1469598103934665603ULL ^ v.size();
    for (int x : v) h = (h ^ static_cast<uint64_t>(x)) * 1099511628211ULL;
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

struct Search {
  const std::vector<Vec3>& xa;  // model CA
  const std::vector<Vec3>& xb;  // native CA
  const std::vector<std::pair<int, int>>& pairs;
  double d0;
  int native_length;
  // Scratch.
  std::vector<Vec3> r1, r2;

  Transform fit(const std::vector<int>& sel, double* rms = nullptr) {
    r1.resize(sel.size());
    r2.resize(sel.size());
    for (size_t i = 0; i < sel.size(); ++i) {
      r1[i] = xa[pairs[sel[i]].first];
      r2[i] = xb[pairs[sel[i]].second];
    }
    Superposition s = superpose(r1, r2, rms != nullptr);
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
  if (res.model_length == 0) throw InputError("TM-score: the model has no CA atoms");
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

  Search s{model_ca, native_ca, pairs, d0, lb, {}, {}};
  double score_max = -1, maxsub_max = -1;
  std::array<int, 5> gdt_max = {-1, -1, -1, -1, -1};
  std::vector<int> k_ali, i_ali, best_ali;
  bool have_best = false;

  // Paired coordinates, contiguous.
  std::vector<Vec3> pa(n_ali), pb(n_ali);
  for (int k = 0; k < n_ali; ++k) pa[k] = model_ca[pairs[k].first], pb[k] = native_ca[pairs[k].second];
  std::vector<double> d2(n_ali);
  const double cut2[5] = {0.25, 1, 4, 16, 64};
  const double inv_d02 = 1.0 / (d0 * d0), inv_ms2 = 1.0 / (3.5 * 3.5);

  // Scores one superposition; fills i_ali with the pairs closer than d (relaxed by 0.5 Å until at least 3).
  // Works on squared distances: every test (d < c, d <= c) and term 1/(1+(d/d0)^2) needs no square root.
  auto score_fun = [&](const Transform& tr, double d) {
    double sum = 0, sum_ms = 0;
    std::array<int, 5> g{};
    i_ali.clear();
    const double dcut2 = d * d;
    for (int k = 0; k < n_ali; ++k) {
      const Vec3 v = tr.apply(pa[k]) - pb[k];
      const double e = v.dot(v);
      d2[k] = e;
      if (e < dcut2) i_ali.push_back(k);
      g[0] += e <= cut2[0];
      g[1] += e <= cut2[1];
      g[2] += e <= cut2[2];
      g[3] += e <= cut2[3];
      g[4] += e <= cut2[4];
      if (e < 12.25) sum_ms += 1.0 / (1.0 + e * inv_ms2);
      sum += 1.0 / (1.0 + e * inv_d02);
    }
    double d_tmp = d;
    while (static_cast<int>(i_ali.size()) < 3 && n_ali > 3) {
      d_tmp += 0.5;
      i_ali.clear();
      for (int k = 0; k < n_ali; ++k)
        if (d2[k] < d_tmp * d_tmp) i_ali.push_back(k);
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
  std::unordered_map<std::vector<int>, int, IndexSetHash> visited;  // fitted set -> iterations left then
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
        // The extension is deterministic given the fitted set: if this set was already fitted with at least as
        // many iterations left, everything from here on was scored before (maxima use strict '<', so skipping
        // cannot change any result). This is what makes the search several times faster than TMscore.
        const int left = n_it - it + 1;
        auto [slot, fresh] = visited.try_emplace(k_ali, left);
        if (!fresh) {
          if (slot->second >= left) break;
          slot->second = left;
        }
        tr = s.fit(k_ali);
        score_fun(tr, d);
        if (it == n_it) break;
        if (i_ali == k_ali) break;
      }
    }
  }
  (void)have_best;
  res.gdt_counts_ext = gdt_max;
  if (opt.extended_gdt) {
    // Per cutoff c: superpose on the pairs within c, recount, repeat until the set stops changing. Seeds: the
    // whole aligned set and every fragment of half its length. (Seeding from all of TMscore's fragment lengths
    // finds more than LGA does; these two lengths came closest to the official CASP14 numbers on the 25 AF2
    // models in shared/data: an in-sample choice, see docs/scoring.md.) Counting uses d <= c as GDT does.
    for (int c = 0; c < 5; ++c) {
      int best_count = gdt_max[c];
      std::unordered_map<std::vector<int>, int, IndexSetHash> seen;
      std::vector<int> set;
      auto count_within = [&](const Transform& tr) {
        set.clear();
        for (int k = 0; k < n_ali; ++k) {
          const Vec3 v = tr.apply(pa[k]) - pb[k];
          if (v.dot(v) <= cut2[c]) set.push_back(k);
        }
        best_count = std::max(best_count, static_cast<int>(set.size()));
      };
      for (size_t li = 0; li < std::min<size_t>(2, l_ini.size()); ++li) {
        const int l_init = l_ini[li];
        for (int il = 0; il + l_init <= n_ali; ++il) {
          k_ali.clear();
          for (int i = 0; i < l_init; ++i) k_ali.push_back(il + i);
          count_within(s.fit(k_ali));
          for (int it = 1; it <= n_it && set.size() >= 3; ++it) {
            const int left = n_it - it + 1;
            auto [slot, fresh] = seen.try_emplace(set, left);
            if (!fresh) {
              if (slot->second >= left) break;
              slot->second = left;
            }
            k_ali = set;
            count_within(s.fit(k_ali));
            if (set == k_ali) break;
          }
        }
      }
      res.gdt_counts_ext[c] = best_count;
    }
  }
  const auto& ge = res.gdt_counts_ext;
  res.gdt_ts_ext = (ge[1] + ge[2] + ge[3] + ge[4]) / (4.0 * lb);
  res.gdt_ha_ext = (ge[0] + ge[1] + ge[2] + ge[3]) / (4.0 * lb);
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
