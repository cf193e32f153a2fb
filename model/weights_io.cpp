// Official checkpoint → Weights: the io-layer torch reader does the work; this adds the model types.
#include "model/weights_io.hpp"

#include "io/error.hpp"
#include "io/torch_checkpoint.hpp"
#include "model/weights_infer.hpp"

namespace trifold::model {

Weights load_checkpoint(const std::filesystem::path& path) {
  torch::Checkpoint ck = torch::read_checkpoint(path);
  Weights w;
  for (auto& t : ck.tensors) {
    if (w.tensors.count(t.name)) throw InputError(path.string() + ": duplicate state dict key '" + t.name + "'");
    w.tensors.emplace(t.name, Tensor(t.shape, std::move(t.data)));
  }
  w.config = infer_config(w, ModelConfig{});
  return w;
}

}  // namespace trifold::model
