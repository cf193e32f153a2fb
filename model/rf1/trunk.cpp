// Trunk driver for the RoseTTAFold v1 e2e network (up to InitStr + distance heads).
#include "model/rf1/trunk.hpp"

#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/profile.hpp"

namespace trifold::model::rf1 {

Trunk::Trunk(const Weights& weights) : w_(weights), dims_(Dims::infer(weights)) { cpu::keep_tensors_in_heap(); }

Trunk::State Trunk::embed(const TrunkInputs& in) const {
  const int64_t n = in.msa.n_rows, l = in.msa.length;
  TRIFOLD_CHECK(static_cast<int64_t>(in.idx.size()) == l && static_cast<int64_t>(in.seq.size()) == l,
                "trunk: seq/idx length differs from the MSA");
  State s;
  s.seq = in.seq;
  s.idx = in.idx;
  s.seq1hot = one_hot_21(in.seq);
  s.msa = msa_emb(w_, in.msa.tokens, n, l, in.idx);
  if (tap) tap("msa_emb/out0", s.msa);
  Tensor templ = templ_emb(w_, in.t1d, in.t2d, in.idx, tap);
  if (tap) tap("templ_emb/out0", templ);
  s.pair = pair_emb(w_, in.seq, in.idx, templ);
  if (tap) tap("pair_emb/out0", s.pair);
  return s;
}

void Trunk::initial(State& s) const {
  s.pair = pair2pair(w_, "feat_extractor.initial", s.pair);
  if (tap) tap("feat_extractor.initial/out0", s.pair);
}

void Trunk::iter_block(State& s, int i) const {
  TRIFOLD_CHECK(i >= 0 && i < dims_.n_module, "trunk: no iter_block_1." + std::to_string(i));
  const std::string p = "feat_extractor.iter_block_1." + std::to_string(i);
  rf1::iter_block(w_, p, dims_, s.msa, s.pair, tap);
  if (tap) {
    tap(p + "/out0", s.msa);
    tap(p + "/out1", s.pair);
  }
}

void Trunk::init_str(State& s) const {
  s.xyz = rf1::init_str(w_, "feat_extractor.init_str", s.seq1hot, s.idx, s.msa, s.pair, tap);
  if (tap) tap("feat_extractor.init_str/out0", s.xyz);
}

DistanceOutputs Trunk::distance(const Tensor& pair) const { return distance_network(w_, "c6d_predictor", pair, tap); }

Trunk::State Trunk::run_to_init_str(const TrunkInputs& in) const {
  State s;
  {
    StageTimer t("trunk: embeddings, initial Pair2Pair");
    s = embed(in);
    initial(s);
  }
  for (int i = 0; i < dims_.n_module; ++i) iter_block(s, i);  // timed per track inside (IterBlock: ...)
  StageTimer t("trunk: InitStr (graph transformer)");
  init_str(s);
  return s;
}

}  // namespace trifold::model::rf1
