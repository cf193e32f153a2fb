// Network weights in memory: tensors keyed by their canonical name (the official state_dict key, e.g.
// "feat_extractor.iter_block_1.0.msa2msa.encoder_1.layers.0.attn.to_query.weight") plus the hyper-parameters.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/tensor.hpp"

namespace trifold::model {

// SE(3)-Transformer hyper-parameters (SE3_param / REF_param of the reference).
struct Se3Config {
  int num_layers = 2;
  int num_channels = 16;
  int num_degrees = 2;
  int l0_in_features = 32;
  int l0_out_features = 8;
  int l1_in_features = 3;
  int l1_out_features = 3;
  int num_edge_features = 32;
  int div = 2;
  int n_heads = 4;
};

// RoseTTAFoldModule_e2e hyper-parameters; defaults are the official full model.
struct ModelConfig {
  std::string architecture = "rosettafold_v1_e2e";
  int n_module = 8;
  int n_module_str = 4;
  int n_module_ref = 4;
  int n_layer = 1;
  int d_msa = 384;
  int d_pair = 288;
  int d_templ = 64;
  int n_head_msa = 12;
  int n_head_pair = 8;
  int n_head_templ = 4;
  int d_hidden = 64;
  int r_ff = 4;
  int n_resblock = 1;
  int performer_N_nb_features = 64;
  int performer_L_nb_features = 64;
  bool use_templ = true;
  Se3Config se3{2, 16, 2, 32, 8, 3, 3, 32, 2, 4};
  Se3Config ref{3, 32, 3, 32, 8, 3, 3, 32, 4, 4};
};

class Weights {
 public:
  ModelConfig config;
  std::map<std::string, Tensor> tensors;

  bool has(const std::string& name) const { return tensors.count(name) != 0; }
  // Throws InputError("weights: no tensor 'name'") when absent.
  const Tensor& get(const std::string& name) const;
  int64_t parameter_count() const;
};

}  // namespace trifold::model
