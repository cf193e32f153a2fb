// Coevolution pipeline: column filtering, Potts fit, scores, contact restraints, precision, folding.
#include "model/coevolution/coevolution.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "io/error.hpp"
#include "model/coevolution/contact_scores.hpp"

namespace trifold::model::coevolution {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

CoevolutionResult predict_contacts(const A3m& a3m, const CoevolutionOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  EncodedMsa msa = encode_msa(a3m, opt.identity);
  CoevolutionResult res;
  const int L = msa.length;
  res.length = L;
  res.rows = msa.rows;
  res.input_rows = msa.input_rows;
  res.neff = msa.neff;
  res.mi_apc = mutual_information_apc(msa);
  res.seconds_weights = seconds_since(t0);

  // Column filter (GREMLIN): drop gap-dominated columns, fit on the rest, map scores back.
  res.used_columns.assign(L, false);
  std::vector<int> keep;
  for (int i = 0; i < L; ++i) {
    double gap = 0;
    for (int n = 0; n < msa.rows; ++n)
      if (msa.row(n)[i] == kStates - 1) gap += msa.weight[n];
    if (gap / msa.neff <= opt.gap_cutoff) {
      res.used_columns[i] = true;
      keep.push_back(i);
    }
  }
  res.scores.assign(static_cast<size_t>(L) * L, 0.0);
  const int K = static_cast<int>(keep.size());
  if (K < 2) return res;
  EncodedMsa sub;
  sub.rows = msa.rows;
  sub.length = K;
  sub.weight = msa.weight;
  sub.neff = msa.neff;
  sub.input_rows = msa.input_rows;
  sub.seq.resize(static_cast<size_t>(msa.rows) * K);
  for (int n = 0; n < msa.rows; ++n)
    for (int k = 0; k < K; ++k) sub.seq[static_cast<size_t>(n) * K + k] = msa.row(n)[keep[k]];
  auto t1 = std::chrono::steady_clock::now();
  PottsModel model = fit_potts(sub, opt.potts);
  res.seconds_fit = seconds_since(t1);
  res.report = model.report;
  std::vector<double> s = apc(frobenius_scores(model), K);
  for (int a = 0; a < K; ++a)
    for (int b = 0; b < K; ++b) res.scores[static_cast<size_t>(keep[a]) * L + keep[b]] = s[static_cast<size_t>(a) * K + b];
  return res;
}

structure::Restraints restraints_from_contacts(const std::vector<double>& scores, int L,
                                               const ContactRestraintOptions& opt) {
  using namespace structure;
  if (scores.size() != static_cast<size_t>(L) * L) throw InputError("contact scores: expected an L×L matrix");
  Restraints r = empty_restraints(L);
  std::vector<std::pair<int, int>> pairs;
  for (int i = 0; i < L; ++i)
    for (int j = i + opt.min_separation; j < L; ++j) pairs.emplace_back(i, j);
  // Highest score first; ties by (i, j) so the order is fully determined.
  std::stable_sort(pairs.begin(), pairs.end(), [&](const auto& a, const auto& b) {
    return scores[static_cast<size_t>(a.first) * L + a.second] > scores[static_cast<size_t>(b.first) * L + b.second];
  });
  const size_t k = std::min(pairs.size(), static_cast<size_t>(std::lround(opt.pairs_per_residue * L)));
  // Distance profiles over the 36 distance bins.
  std::vector<double> contact(kDistBins - 1, 0.0), far(kDistBins - 1, 0.0);
  double cs = 0, fs = 0;
  for (int b = 0; b < kDistBins - 1; ++b) {
    double c = kDistMin + kDistStep * (b + 0.5);
    if (c < 8.0) {
      contact[b] = std::exp(-0.5 * std::pow((c - opt.contact_mean) / opt.contact_sd, 2));
      cs += contact[b];
    } else {
      far[b] = 1.0;
      fs += 1.0;
    }
  }
  std::vector<double> phi_bkg(kPhiBins - 1);
  for (int b = 0; b < kPhiBins - 1; ++b)
    phi_bkg[b] = 0.5 * (std::cos(b * kAngleStep) - std::cos((b + 1) * kAngleStep));
  auto set_pair = [&](int i, int j, double p) {
    const size_t idx = static_cast<size_t>(i) * L + j;
    float* d = &r.dist[idx * kDistBins];
    float* o = &r.omega[idx * kOmegaBins];
    float* t = &r.theta[idx * kThetaBins];
    float* ph = &r.phi[idx * kPhiBins];
    for (int b = 0; b < kDistBins - 1; ++b) d[b] = static_cast<float>(p * contact[b] / cs + (1 - p) * far[b] / fs);
    d[kDistBins - 1] = 0.0f;
    for (int b = 0; b < kOmegaBins - 1; ++b) o[b] = t[b] = 1.0f / 36.0f;
    o[kOmegaBins - 1] = t[kThetaBins - 1] = 0.0f;
    for (int b = 0; b < kPhiBins - 1; ++b) ph[b] = static_cast<float>(phi_bkg[b]);
    ph[kPhiBins - 1] = 0.0f;
  };
  if (opt.background_pairs) {
    std::vector<double> bkg(kDistBins - 1, 0.0);
    double bs = 0;
    for (int b = 4; b < kDistBins - 1; ++b) bs += (bkg[b] = std::pow((kDistMin + kDistStep * (b + 0.5)) / 19.5, 1.57));
    for (int i = 0; i < L; ++i)
      for (int j = 0; j < L; ++j) {
        if (i == j) continue;
        set_pair(i, j, 0.0);  // orientations flat, no-contact 0
        float* d = &r.dist[(static_cast<size_t>(i) * L + j) * kDistBins];
        for (int b = 0; b < kDistBins - 1; ++b) d[b] = static_cast<float>(bkg[b] / bs);
      }
  }
  for (size_t rank = 0; rank < k; ++rank) {
    double p = k > 1 ? opt.p_top + (opt.p_last - opt.p_top) * static_cast<double>(rank) / (k - 1) : opt.p_top;
    set_pair(pairs[rank].first, pairs[rank].second, p);
    set_pair(pairs[rank].second, pairs[rank].first, p);
  }
  return r;
}

structure::FoldResult fold_contacts(const std::vector<double>& scores, int L, const ContactRestraintOptions& ropt,
                                    const structure::FoldOptions& fopt, structure::Restraints* contact_restraints) {
  ContactRestraintOptions only = ropt;
  only.background_pairs = false;
  structure::Restraints contacts = restraints_from_contacts(scores, L, only);
  std::vector<double> expected = structure::expected_distances(contacts);
  structure::Restraints r = restraints_from_contacts(scores, L, ropt);
  structure::FoldOptions fo = fopt;
  if (fo.start_max_rg <= 0 && fo.init_ca.empty()) fo.start_max_rg = structure::compact_start_rg(L);
  structure::FoldRestraintSet set = structure::build_fold_restraints(r, fo.energy);
  structure::FoldResult res = structure::fold(set, fo, expected);
  int pick = -1;
  for (size_t k = 0; k < res.restarts.size(); ++k) {
    if (structure::ca_handedness(res.restarts[k].backbone.ca) < 0) continue;
    if (pick < 0 || res.restarts[k].final_terms.total < res.restarts[pick].final_terms.total) pick = static_cast<int>(k);
  }
  if (pick >= 0) {
    res.best_restart = pick;
    res.backbone = res.restarts[pick].backbone;
    res.terms = res.restarts[pick].final_terms;
  } else {
    structure::FoldOptions mo = fo;
    mo.init_ca = res.backbone.ca;
    for (Vec3& p : mo.init_ca) p.x = -p.x;
    mo.init_noise = std::min(fo.init_noise, 0.5);
    res = structure::fold(set, mo, expected);
  }
  if (contact_restraints) *contact_restraints = std::move(contacts);
  return res;
}

double contact_precision(const std::vector<double>& scores, const std::vector<Vec3>& points,
                         const std::vector<bool>& present, int min_separation, double top_fraction, double cutoff) {
  const int L = static_cast<int>(points.size());
  TRIFOLD_CHECK(scores.size() == static_cast<size_t>(L) * L, "scores and points differ in length");
  auto ok = [&](int i) { return present.empty() || present[i]; };
  int n = 0;
  for (int i = 0; i < L; ++i) n += ok(i);
  std::vector<std::pair<int, int>> pairs;
  for (int i = 0; i < L; ++i)
    for (int j = i + min_separation; j < L; ++j)
      if (ok(i) && ok(j)) pairs.emplace_back(i, j);
  std::stable_sort(pairs.begin(), pairs.end(), [&](const auto& a, const auto& b) {
    return scores[static_cast<size_t>(a.first) * L + a.second] > scores[static_cast<size_t>(b.first) * L + b.second];
  });
  const size_t k = std::min(pairs.size(), std::max<size_t>(1, static_cast<size_t>(std::lround(top_fraction * n))));
  if (k == 0) return 0.0;
  size_t hits = 0;
  for (size_t r = 0; r < k; ++r) hits += distance(points[pairs[r].first], points[pairs[r].second]) < cutoff;
  return static_cast<double>(hits) / k;
}

CoevolutionModel predict_structure(const A3m& a3m, const CoevolutionFoldOptions& opt) {
  CoevolutionModel m;
  m.contacts = predict_contacts(a3m, opt.contacts);
  auto t0 = std::chrono::steady_clock::now();
  m.fold = fold_contacts(m.contacts.scores, m.contacts.length, opt.restraints, opt.fold, &m.restraints);
  m.seconds_fold = seconds_since(t0);
  m.confidence = structure::restraint_confidence(m.restraints, m.fold.backbone, opt.fold.energy.contact_cutoff);
  return m;
}

}  // namespace trifold::model::coevolution
