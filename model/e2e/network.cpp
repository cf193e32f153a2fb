// RoseTTAFoldModule_e2e.forward: embeddings -> IterBlocks -> InitStr -> IterBlock_w_Str -> FinalBlock -> heads
// -> Refine_module.
#include "model/e2e/network.hpp"

#include <chrono>

#include "io/error.hpp"
#include "io/log.hpp"
#include "model/profile.hpp"

namespace trifold::model::e2e {

Network::Network(const Weights& w) : w_(w), trunk_(w), n_str_(count_str_blocks(w)) {
  TRIFOLD_CHECK(w.has("feat_extractor.final.pred_lddt.weight"), "network: the weights have no FinalBlock");
}

TrunkOutputs Network::trunk(const TrunkInputs& in) const {
  trunk_.tap = tap;
  rf1::Trunk::State s = trunk_.run_to_init_str(in);
  StrBlockState st;
  st.msa = std::move(s.msa);
  st.pair = std::move(s.pair);
  st.xyz = std::move(s.xyz);
  for (int i = 0; i < n_str_; ++i)
    iter_block_w_str(w_, "feat_extractor.iter_block_2." + std::to_string(i), trunk_.dims(), w_.config.se3, st,
                     s.seq1hot, s.idx, str_block_top_k(i), tap);
  TrunkOutputs o;
  o.lddt = final_block(w_, "feat_extractor.final", trunk_.dims(), w_.config.se3, st, s.seq1hot, s.idx, tap);
  const int64_t l = st.msa.dim(1), dm = st.msa.dim(2);
  o.node = Tensor({l, dm}, std::vector<float>(st.msa.data(), st.msa.data() + l * dm));
  st.msa = Tensor();
  o.xyz = std::move(st.xyz);
  StageTimer t("trunk: distance heads, download");
  o.heads = trunk_.distance(st.pair);
  return o;
}

RefineResult Network::refine(const Tensor& node, const Tensor& prob_s, const std::vector<int32_t>& seq,
                             const std::vector<int32_t>& idx, const RefineOptions& opt) const {
  return se3::refine_module(w_, w_.config.ref, node, prob_s, one_hot_21(seq), idx, opt);
}

NetworkOutputs Network::forward(const TrunkInputs& in, const RefineOptions& opt) const {
  NetworkOutputs o;
  const auto t0 = std::chrono::steady_clock::now();
  o.trunk = trunk(in);
  log::info(log::cat("network: trunk (L = ", in.msa.length, ", N = ", in.msa.n_rows, ") done in ",
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), " s"));
  o.refine = refine(o.trunk.node, o.trunk.heads.prob_s, in.seq, in.idx, opt);
  return o;
}

}  // namespace trifold::model::e2e
