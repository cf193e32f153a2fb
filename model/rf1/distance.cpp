// RoseTTAFold v1 DistanceNetwork: 6D distogram heads (dist/omega symmetrised, theta/phi asymmetric) and prob_s.
#include "model/cpu/ops.hpp"
#include "model/rf1/modules.hpp"

namespace trifold::model::rf1 {

DistanceOutputs distance_network(const Weights& w, const std::string& p, const Tensor& pair, const Tap& tap,
                                 const Chunking& ck) {
  Tensor x = linear(w, p + ".proj", layer_norm(w, p + ".norm", pair));
  if (tap) tap(p + ".proj/out0", x);
  const int64_t l = x.dim(0), c = x.dim(2);
  Tensor xs(x.shape());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < l; ++j)
      for (int64_t k = 0; k < c; ++k) xs[(i * l + j) * c + k] = 0.5f * (x[(i * l + j) * c + k] + x[(j * l + i) * c + k]);
  DistanceOutputs o;
  o.dist = residual_network(w, p + ".resnet_dist", xs, ck);
  o.omega = residual_network(w, p + ".resnet_omega", xs, ck);
  xs = Tensor();
  o.theta = residual_network(w, p + ".resnet_theta", x, ck);
  o.phi = residual_network(w, p + ".resnet_phi", x, ck);
  Tensor sd = cpu::softmax(o.dist, -1), so = cpu::softmax(o.omega, -1), st = cpu::softmax(o.theta, -1),
         sp = cpu::softmax(o.phi, -1);
  o.prob_s = cpu::concat({&sd, &so, &st, &sp}, -1);
  return o;
}

}  // namespace trifold::model::rf1
