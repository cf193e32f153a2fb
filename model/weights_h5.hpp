// TriFold's self-describing HDF5 weight file (docs/weights.md): root attributes = format version, architecture
// and every hyper-parameter; one float32 dataset per tensor under /weights, named by its official key.
#pragma once

#include <filesystem>
#include <string>

#include "model/weights.hpp"

namespace trifold::model {

inline constexpr int64_t kWeightFormatVersion = 1;
inline constexpr const char* kWeightGroup = "/weights";

// Checks the full key set and every shape of `w.tensors` against expected_tensors(w.config). Throws
// InputError("<what>: tensor 'X': expected [a, b], got [c, d]"), "<what>: missing tensor 'X' (N missing)",
// "<what>: unexpected tensor 'X' (N unexpected)"; `what` names the file for the message.
void check_weights(const Weights& w, const std::string& what);

// Writes `w` (checked first) to `path` atomically (temporary name + rename). `source` is recorded as the root
// attribute "source" (the checkpoint it came from, or "random seed N").
void save_weights_h5(const Weights& w, const std::filesystem::path& path, const std::string& source);

// Reads the root attributes only: architecture, format version (both checked) and hyper-parameters.
ModelConfig read_weights_config(const std::filesystem::path& path);

// Validates a weight file like load_weights_h5 (header, key set, shapes, dtypes) without reading the tensor
// data; returns its hyper-parameters. `source` receives the root attribute "source" when not null.
ModelConfig check_weights_h5(const std::filesystem::path& path, std::string* source = nullptr);

// Reads and validates a weight file: architecture, format version, all hyper-parameter attributes, the key
// set, every shape and dtype (float32). Throws InputError naming the file and the offending tensor.
Weights load_weights_h5(const std::filesystem::path& path);

// Official checkpoint → validated Weights: load_checkpoint, drop the `calls_since_last_redraw` counters,
// infer_config(·, base), check_weights.
Weights convert_checkpoint(const std::filesystem::path& checkpoint, const ModelConfig& base);

}  // namespace trifold::model
