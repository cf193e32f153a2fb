// Loading network weights from an official RoseTTAFold PyTorch checkpoint (and, see weights_h5.hpp, from
// TriFold's own HDF5 weight file).
#pragma once

#include <filesystem>

#include "model/weights.hpp"

namespace trifold::model {

// Reads an official checkpoint (torch >= 1.6 zip format or the legacy format; `model_state_dict` inside it
// or a bare state dict) into Weights: one fp32 tensor per state_dict key, named by the key, shapes as in
// PyTorch (Linear weights (out, in), convs (out, in, kh, kw)). Every entry is kept, including the buffers
// `*.pos.pe`, `*.pos.div_term`, `*.projection_matrix` and the int64 `calls_since_last_redraw` counters
// (as float values). `config` is inferred from the shapes (infer_config with the official values as base, so
// SE3_param/REF_param.n_heads = 4; use convert_checkpoint for other head counts and for full validation).
// Throws InputError naming the file on bad input.
Weights load_checkpoint(const std::filesystem::path& path);

}  // namespace trifold::model
