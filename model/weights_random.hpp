// Random weights with the official shapes and random MSAs, for benchmarks, tests and demos (never for predictions).
#pragma once

#include <cstdint>

#include "model/features.hpp"
#include "model/weights.hpp"

namespace trifold::model {

// Every tensor of expected_tensors(c), filled deterministically from `seed` (same seed → bit-identical weights
// on every platform and thread count; each tensor has its own stream derived from seed and name):
//   Linear/Conv weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)); norm gains U(0.5, 1.5), shifts N(0, 0.1²);
//   embeddings N(0, 1); SE(3) 1x1 mixers N(0, 1/m_in), GNormBias N(0, 0.1²); SE(3) radial output layers
//   scaled by 1/sqrt(F_in); pred_lddt weight N(0, 0.05²), bias 0.5; get_xyz CA rows x20 and added to the N/C
//   rows (golden README init recipe, so coordinates have ~10 A spread); buffers as the reference builds them:
//   sinusoid PE table, 2-D PE div_term, Performer gaussian orthogonal random features.
Weights random_weights(const ModelConfig& c, uint64_t seed);

// A rows x length MSA of tokens drawn uniformly from 0..20 (20 = gap) by std::mt19937(seed), row-major.
MsaTokens random_msa(int64_t rows, int64_t length, uint32_t seed);

}  // namespace trifold::model
