// Reads PyTorch checkpoints (torch.save files) without Python: the zip format of torch >= 1.6 and the older
// "legacy" stream format. Returns the tensors of a state dict, converted to fp32.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace trifold::torch {

enum class DType { Float32, Float64, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool };
const char* dtype_name(DType t);  // "float32", "int64", ...

// One state-dict entry. `data` is row-major (C order) over `shape`, whatever the strides in the file were;
// floating types are converted to fp32, integer and bool values are kept as values (exact up to 2^24).
struct Tensor {
  std::string name;
  DType dtype = DType::Float32;  // the dtype stored in the checkpoint
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct Checkpoint {
  enum class Format { Zip, Legacy };
  Format format = Format::Zip;
  // Entries in state-dict order (the order torch wrote them).
  std::vector<Tensor> tensors;
};

// Reads `path`. When the top-level object is a dict with a 'model_state_dict' entry (RoseTTAFold's
// torch.save({'model_state_dict': sd, ...})), that dict is returned; a bare state dict (every value a tensor)
// is accepted as well; other top-level entries (optimiser state, epoch, ...) are ignored.
// Throws InputError naming the file for anything that is not a readable checkpoint: truncated files, other
// file types, unsupported pickle opcodes or storage types, tensors that point outside their storage.
Checkpoint read_checkpoint(const std::filesystem::path& path);

// The same for a checkpoint already in memory (the whole file's bytes); `what` names it in error messages.
Checkpoint read_checkpoint_data(std::string_view bytes, const std::string& what);

}  // namespace trifold::torch
