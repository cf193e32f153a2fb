// Host adapters from model/se3 (CPU layers, C++20) to the CUDA SE(3) convolution.
#include "model/cuda/se3_gpu.hpp"

#include "io/error.hpp"
#include "model/se3/q_matrices.hpp"

namespace trifold::model::cuda {

DeviceGraph upload_graph(const Context& ctx, const se3::Graph& g) {
  return DeviceGraph(ctx, g.n_nodes, g.src, g.dst, g.in_ptr, g.in_edges);
}

DeviceEdgeGeometry upload_geometry(const Context& ctx, const se3::EdgeGeometry& geo) {
  DeviceEdgeGeometry d;
  d.max_degree = geo.max_degree;
  d.n_sh = geo.n_sh;
  d.feat_dim = geo.feat_dim;
  const int64_t E = geo.n_sh ? static_cast<int64_t>(geo.Y.size()) / geo.n_sh : 0;
  d.Y = DeviceTensor::upload(ctx, Tensor({E, geo.n_sh}, geo.Y));
  d.feat = DeviceTensor::upload(ctx, Tensor({E, geo.feat_dim}, geo.feat));
  return d;
}

DeviceFeatures upload_features(const Context& ctx, const se3::Features& f) {
  DeviceFeatures d;
  for (const auto& [deg, t] : f) d.emplace(deg, DeviceTensor::upload(ctx, t));
  return d;
}

se3::Features download_features(const DeviceFeatures& f) {
  se3::Features h;
  for (const auto& [deg, t] : f) h.emplace(deg, t.download());
  return h;
}

GConvSE3PartialGpu make_gconv_gpu(const Context& ctx, const se3::GConvSE3Partial& layer) {
  std::vector<Se3PairWeights> pairs;
  for (auto [di, mi] : layer.f_in)
    for (auto [dout, mo] : layer.f_out) {
      const se3::RadialFunc& rf = layer.kernels.at({di, dout});
      Se3PairWeights w;
      w.d_in = di;
      w.d_out = dout;
      w.m_in = mi;
      w.m_out = mo;
      w.w0 = rf.w0;
      w.b0 = rf.b0;
      w.g1 = rf.g1;
      w.be1 = rf.be1;
      w.w3 = rf.w3;
      w.b3 = rf.b3;
      w.g4 = rf.g4;
      w.be4 = rf.be4;
      w.w6 = rf.w6;
      w.b6 = rf.b6;
      for (int f = 0; f < se3::num_freq(di, dout); ++f) {
        const se3::QMatrix& q = se3::q_matrix(std::abs(di - dout) + f, di, dout);
        w.q.insert(w.q.end(), q.q.begin(), q.q.end());
      }
      pairs.push_back(std::move(w));
    }
  return GConvSE3PartialGpu(ctx, layer.f_in, layer.f_out, pairs);
}

G1x1SE3Gpu make_g1x1_gpu(const Context& ctx, const se3::G1x1SE3& layer) {
  G1x1SE3Gpu g;
  for (const auto& [d, t] : layer.transform) g.transform.emplace(d, DeviceTensor::upload(ctx, t));
  return g;
}

GNormBiasGpu make_norm_bias_gpu(const Context& ctx, const se3::GNormBias& layer) {
  GNormBiasGpu g;
  for (const auto& [d, t] : layer.bias) g.bias.emplace(d, DeviceTensor::upload(ctx, t));
  return g;
}

GAttentiveSelfIntGpu make_att_selfint_gpu(const Context& ctx, const se3::GAttentiveSelfInt& layer) {
  GAttentiveSelfIntGpu g;
  for (const auto& [d, n] : layer.nets) {
    GAttentiveSelfIntGpu::Net net;
    net.m_in = n.m_in;
    net.m_out = n.m_out;
    net.ln_w = DeviceTensor::upload(ctx, n.ln_w);
    net.ln_b = DeviceTensor::upload(ctx, n.ln_b);
    net.lin_w = DeviceTensor::upload(ctx, n.lin_w);
    net.lin_b = DeviceTensor::upload(ctx, n.lin_b);
    g.nets.emplace(d, std::move(net));
  }
  return g;
}

GSE3ResGpu make_gse3res_gpu(const Context& ctx, const se3::GSE3Res& layer) {
  GSE3ResGpu g;
  g.f_in = layer.f_in;
  g.f_out = layer.f_out;
  g.f_mid_out = layer.f_mid_out;
  g.f_mid_in = layer.f_mid_in;
  g.n_heads = layer.n_heads;
  g.attentive = layer.attentive;
  g.v = std::make_unique<GConvSE3PartialGpu>(make_gconv_gpu(ctx, layer.v));
  g.k = std::make_unique<GConvSE3PartialGpu>(make_gconv_gpu(ctx, layer.k));
  g.q = make_g1x1_gpu(ctx, layer.q);
  if (layer.attentive)
    g.project_att = make_att_selfint_gpu(ctx, layer.project_att);
  else
    g.project_1x1 = make_g1x1_gpu(ctx, layer.project_1x1);
  return g;
}

Se3TransformerGpu make_se3_transformer_gpu(const Context& ctx, const se3::SE3Transformer& net) {
  Se3TransformerGpu g;
  for (const auto& r : net.blocks()) g.res.push_back(make_gse3res_gpu(ctx, r));
  for (const auto& n : net.norms()) g.norm.push_back(make_norm_bias_gpu(ctx, n));
  return g;
}

se3::Features gconv_se3_partial(const Context& ctx, const se3::GConvSE3Partial& layer, const se3::Features& h,
                                const se3::Graph& g, const se3::EdgeGeometry& geo) {
  GConvSE3PartialGpu conv = make_gconv_gpu(ctx, layer);
  DeviceGraph dg = upload_graph(ctx, g);
  DeviceEdgeGeometry dgeo = upload_geometry(ctx, geo);
  DeviceFeatures dh = upload_features(ctx, h);
  return download_features(conv.forward(ctx, dh, dg, dgeo));
}

}  // namespace trifold::model::cuda
