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

Tensor res_block_2d(const Weights& w, const std::string& p, const Tensor& x) {
  // layer: 0 conv3x3 · 1 IN · 2 ELU · 3 dropout · 4 conv3x3 · 5 IN; out = ELU(x + layer(x)).
  Tensor y = inorm(w, p + ".layer.1", conv(w, p + ".layer.0", x));
  cpu::elu_(y);
  y = inorm(w, p + ".layer.5", conv(w, p + ".layer.4", y));
  cpu::add_(y, x);
  cpu::elu_(y);
  return y;
}

Tensor residual_network(const Weights& w, const std::string& p, const Tensor& x) {
  // Sequential: [conv1x1, IN, ELU] when in != block, then the ResBlock2D, then conv1x1+bias when out != block.
  int i = 0;
  Tensor y;
  if (!w.has(p + ".layer.0.layer.0.weight")) {
    y = inorm(w, p + ".layer.1", conv(w, p + ".layer.0", x));
    cpu::elu_(y);
    i = 3;
  } else {
    y = x;
  }
  const std::string blk = p + ".layer." + std::to_string(i);
  TRIFOLD_CHECK(w.has(blk + ".layer.0.weight"), "residual_network: no ResBlock2D at " + blk);
  y = res_block_2d(w, blk, y);
  ++i;
  const std::string last = p + ".layer." + std::to_string(i);
  if (w.has(last + ".weight")) y = conv(w, last, y);
  return y;
}

}  // namespace trifold::model::rf1
