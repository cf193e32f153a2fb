// The accuracy envelope of reduced-precision matrix products (bf16, TF32 operands with fp32 sums) against fp32,
// shared by the CPU emulation test (test_precision_envelope.cpp) and the GPU's (test_cuda_e2e.cpp).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

#include "model/e2e/compare.hpp"
#include "model/features.hpp"
#include "model/precision.hpp"
#include "tests/common/test_data.hpp"

namespace trifold::test::precision {

struct Envelope {
  double logits_max, prob_s_max, prob_s_min, node_max, trunk_xyz_max, top_bin_min;
};

// Bounds, from the measured values (docs/cuda.md, "Reduced precision": golden small L48/L20 under emulated
// bf16: prob_s rel L2 6.2e-3/6.6e-3, dist logits 1.1e-2/1.2e-2, node 2.5e-3/2.7e-3, trunk xyz 0.069/0.077 Å, top
// distance bin 98.8/99.2 %; TF32 about 8× smaller) with a 3× margin for other inputs and platforms (each
// operand's rounding is exact and platform-independent; only fp32 summation order differs, ~1e-6; on the GPU
// the tensor cores' truncating accumulation adds ~1e-5 per product). The lower bound on prob_s proves the mode
// is live: fp32 against itself differs by ~1e-7, and a mode that rounded nothing would pass every upper bound.
inline Envelope envelope(model::MatmulPrecision p) {
  if (p == model::MatmulPrecision::Bf16) return {4e-2, 2e-2, 1e-3, 1e-2, 0.25, 0.95};
  return {5e-3, 2.5e-3, 1e-4, 1.5e-3, 0.04, 0.98};
}

// The golden case's alignment (first 1000 rows) without templates.
inline model::TrunkInputs golden_inputs(const std::string& case_name) {
  return model::make_inputs_without_templates(model::first_rows(
      model::read_a3m_tokens(shared_path("golden/rf1/inputs/" + case_name + "/query.a3m"))));
}

// Prints every difference and checks the envelope of `p` (`got` under p, `ref` in fp32, same forced iterations).
inline void expect_within_envelope(const std::string& label, model::MatmulPrecision p,
                                   const model::e2e::NetworkOutputs& got, const model::e2e::NetworkOutputs& ref) {
  const Envelope env = envelope(p);
  const std::string pn = label + " " + model::matmul_precision_name(p);
  std::map<std::string, double> d;
  for (const auto& x : model::e2e::compare_outputs(got, ref)) {
    d[x.name] = x.value;
    std::printf("  %s %-28s %.3e\n", pn.c_str(), x.name.c_str(), x.value);
  }
  for (const char* k : {"dist logits rel L2", "omega logits rel L2", "theta logits rel L2", "phi logits rel L2"})
    EXPECT_LE(d.at(k), env.logits_max) << pn << " " << k;
  EXPECT_LE(d.at("prob_s rel L2"), env.prob_s_max) << pn;
  EXPECT_GE(d.at("prob_s rel L2"), env.prob_s_min) << pn << ": the reduced precision had no effect";
  EXPECT_LE(d.at("node rel L2"), env.node_max) << pn;
  EXPECT_LE(d.at("trunk xyz RMSD (A)"), env.trunk_xyz_max) << pn;
  EXPECT_GE(d.at("dist top-bin agreement"), env.top_bin_min) << pn;
  EXPECT_EQ(got.refine.n_iter, ref.refine.n_iter) << pn;
}

}  // namespace trifold::test::precision
