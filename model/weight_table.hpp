// The expected weight tensors of RoseTTAFoldModule_e2e as a function of ModelConfig: every canonical name
// (official state_dict key) with its shape, whether it is a buffer, and how random weights initialise it.
#pragma once

#include <string>
#include <vector>

#include "model/weights.hpp"

namespace trifold::model {

// How `random_weights` fills a tensor (see weights_random.hpp). Values only; no effect on loading.
enum class Init {
  Uniform,       // U(-1/sqrt(fan_in), 1/sqrt(fan_in)): Linear / Conv2d weights and biases (PyTorch's bound)
  NormGain,      // U(0.5, 1.5): LayerNorm / InstanceNorm scale
  NormShift,     // N(0, 0.1^2): LayerNorm / InstanceNorm shift
  Embedding,     // N(0, 1): nn.Embedding tables
  Gaussian,      // N(0, (1/sqrt(fan_in))^2): SE(3) 1x1 channel mixers
  SmallGaussian, // N(0, 0.1^2): SE(3) GNormBias biases
  MsaPE,         // buffer: sinusoid table pe[0, pos, 2k] = sin(pos * 10000^(-2k/d)), pe[.., 2k+1] = cos(...)
  DivTerm,       // buffer: 2-D PE frequencies exp(-2k * ln(10000) / h), h = d/2 (in fan_in), k < ceil(h/2)
  Performer,     // buffer: Performer projection matrix, gaussian orthogonal random features (nb, d_k)
};

struct TensorSpec {
  std::string name;       // official state_dict key
  Shape shape;            // PyTorch layout: Linear (out, in), Conv2d (out, in, kh, kw)
  bool buffer = false;    // registered buffer (PE table, div_term, projection_matrix), not a parameter
  Init init = Init::Uniform;
  int64_t fan_in = 1;     // for Uniform / Gaussian; d/2 for DivTerm
  float scale = 1.0f;     // applied after init (SE(3) radial output layers: 1/sqrt(F_in), golden README recipe)
};

// Every tensor of the official model for `c`, in state_dict order, without the int64 Performer
// `calls_since_last_redraw` counters (training-only; TriFold drops them). Hard-coded sizes of the reference
// (Pair2MSA 4 heads, MSA2Pair projection 32, Str2MSA 4x32, refine pair input 130, UniMP 4 heads x 3 blocks,
// radial MLP hidden 32, 5000 PE positions, template encoder depth 1) are reproduced here.
// Throws InputError for configs the reference cannot build (use_templ = false, zero sizes, num_layers < 1).
std::vector<TensorSpec> expected_tensors(const ModelConfig& c);

// Number of trainable parameters (buffers excluded). Official full model: 136,819,383.
int64_t parameter_count(const ModelConfig& c);
// Number of buffer values (PE tables, div_terms, projection matrices).
int64_t buffer_value_count(const ModelConfig& c);

// Named configurations: "full" (official predict_e2e MODEL_PARAM), "tiny" and "small" (the golden parity
// configs in shared/golden/rf1/weights/*/config.json). Throws InputError listing the names for others.
ModelConfig preset_config(const std::string& name);
std::vector<std::string> preset_names();

// Every hyper-parameter as (name, value) in a fixed order, e.g. ("d_msa", 384), ("SE3_param.div", 2). These are
// the HDF5 root attribute names. `set_hyper_parameter` sets one by that name (false when unknown).
std::vector<std::pair<std::string, int64_t>> hyper_parameters(const ModelConfig& c);
bool set_hyper_parameter(ModelConfig& c, const std::string& name, int64_t value);

}  // namespace trifold::model
