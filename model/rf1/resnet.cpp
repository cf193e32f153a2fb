// RoseTTAFold v1 ResNet on channel-last maps: ResBlock2D ('orig', dilation 1) and ResidualNetwork.
#include "io/error.hpp"
#include "model/cpu/ops.hpp"
#include "model/rf1/modules.hpp"

namespace trifold::model::rf1 {
namespace {

Tensor conv(const Weights& w, const std::string& p, const Tensor& x) {
  const std::string b = p + ".bias";
  return cpu::conv2d(x, w.get(p + ".weight"), w.has(b) ? &w.get(b) : nullptr);
}

Tensor inorm(const Weights& w, const std::string& p, const Tensor& x) {
  return cpu::instance_norm(x, w.get(p + ".weight"), w.get(p + ".bias"), 1e-6f);
}

}  // namespace

Tensor res_block_2d(const Weights& w, const std::string& p, const Tensor& x, const Chunking& ck) {
  // layer: 0 conv3x3 · 1 IN · 2 ELU · 3 dropout · 4 conv3x3 · 5 IN; out = ELU(x + layer(x)). The convolutions may
  // run in row blocks; each InstanceNorm sees the whole map (its statistics are over all H·W positions).
  auto conv3 = [&](const std::string& c, const Tensor& in) {
    const std::string b = c + ".bias";
    return conv3x3_rows(in, w.get(c + ".weight"), w.has(b) ? &w.get(b) : nullptr, ck.pair_blocks);
  };
  Tensor y = inorm(w, p + ".layer.1", conv3(p + ".layer.0", x));
  cpu::elu_(y);
  y = inorm(w, p + ".layer.5", conv3(p + ".layer.4", y));
  cpu::add_(y, x);
  cpu::elu_(y);
  return y;
}

bool residual_network_has_first_conv(const Weights& w, const std::string& p) {
  return !w.has(p + ".layer.0.layer.0.weight");
}

Tensor residual_network_after_first_conv(const Weights& w, const std::string& p, Tensor y, const Chunking& ck) {
  // Sequential: [conv1x1, IN, ELU] when in != block, then the ResBlock2D, then conv1x1+bias when out != block.
  int i = 0;
  if (residual_network_has_first_conv(w, p)) {
    y = inorm(w, p + ".layer.1", y);
    cpu::elu_(y);
    i = 3;
  }
  const std::string blk = p + ".layer." + std::to_string(i);
  TRIFOLD_CHECK(w.has(blk + ".layer.0.weight"), "residual_network: no ResBlock2D at " + blk);
  y = res_block_2d(w, blk, y, ck);
  ++i;
  const std::string last = p + ".layer." + std::to_string(i);
  if (w.has(last + ".weight")) y = conv(w, last, y);
  return y;
}

Tensor residual_network(const Weights& w, const std::string& p, const Tensor& x, const Chunking& ck) {
  return residual_network_after_first_conv(w, p, residual_network_has_first_conv(w, p) ? conv(w, p + ".layer.0", x) : x,
                                           ck);
}

}  // namespace trifold::model::rf1
