// Top-k residue graph construction and the CSR-by-destination index.
#include "model/se3/graph.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "io/error.hpp"

namespace trifold::model::se3 {

void Graph::build_csr() {
  const int64_t E = num_edges();
  in_ptr.assign(static_cast<size_t>(n_nodes + 1), 0);
  for (int64_t e = 0; e < E; ++e) {
    TRIFOLD_CHECK(dst[e] >= 0 && dst[e] < n_nodes && src[e] >= 0 && src[e] < n_nodes, "graph: node out of range");
    ++in_ptr[dst[e] + 1];
  }
  for (int64_t v = 0; v < n_nodes; ++v) in_ptr[v + 1] += in_ptr[v];
  in_edges.assign(static_cast<size_t>(E), 0);
  std::vector<int64_t> fill(in_ptr.begin(), in_ptr.end() - 1);
  for (int64_t e = 0; e < E; ++e) in_edges[fill[dst[e]]++] = static_cast<int32_t>(e);
}

Graph make_topk_graph(const float* ca, const int64_t* idx, int B, int L, int top_k, const float* edge_feat,
                      int edge_dim, int kmin) {
  TRIFOLD_CHECK(B > 0 && L > 0 && top_k > 0, "make_topk_graph: empty input");
  for (int64_t r = 0; r < static_cast<int64_t>(B) * L; ++r)
    TRIFOLD_CHECK(std::isfinite(ca[r * 3]) && std::isfinite(ca[r * 3 + 1]) && std::isfinite(ca[r * 3 + 2]),
                  "make_topk_graph: CA coordinate of structure " + std::to_string(r / L) + ", residue " +
                      std::to_string(r % L) + " is not finite");
  Graph g;
  g.n_nodes = static_cast<int64_t>(B) * L;
  g.edge_dim = edge_feat ? edge_dim : 0;
  const int k = std::min(top_k, L);
  // Row i's neighbours depend on row i alone: rows are selected in parallel into per-row lists (ascending j),
  // then emitted serially in the reference's (b, i, j) order. The comparator (distance, then index) is a strict
  // total order, so nth_element selects exactly the set partial_sort did.
  std::vector<std::vector<int>> nbr(static_cast<size_t>(L));
  for (int b = 0; b < B; ++b) {
    const float* x = ca + static_cast<int64_t>(b) * L * 3;
    const int64_t* id = idx + static_cast<int64_t>(b) * L;
#pragma omp parallel if (L >= 256)
    {
      std::vector<double> D(static_cast<size_t>(L));
      std::vector<int> order(static_cast<size_t>(L));
      std::vector<uint8_t> sel(static_cast<size_t>(L));
#pragma omp for schedule(static)
      for (int i = 0; i < L; ++i) {
        for (int j = 0; j < L; ++j) {
          const double dx = double(x[i * 3]) - x[j * 3], dy = double(x[i * 3 + 1]) - x[j * 3 + 1],
                       dz = double(x[i * 3 + 2]) - x[j * 3 + 2];
          D[j] = std::sqrt(dx * dx + dy * dy + dz * dz) + (i == j ? 999.9 : 0.0);
        }
        if (k >= L) {
          std::fill(sel.begin(), sel.end(), 1);  // includes i itself (quirk)
        } else {
          std::fill(sel.begin(), sel.end(), 0);
          std::iota(order.begin(), order.end(), 0);
          std::nth_element(order.begin(), order.begin() + (k - 1), order.end(),
                           [&](int a, int c) { return D[a] < D[c] || (D[a] == D[c] && a < c); });
          for (int t = 0; t < k; ++t) sel[order[t]] = 1;
        }
        for (int j = 0; j < L; ++j)
          if (j != i && std::llabs(id[i] - id[j]) < kmin) sel[j] = 1;
        std::vector<int>& row = nbr[static_cast<size_t>(i)];
        row.clear();
        for (int j = 0; j < L; ++j)
          if (sel[j]) row.push_back(j);
      }
    }
    size_t n_new = 0;
    for (const auto& row : nbr) n_new += row.size();
    g.src.reserve(g.src.size() + n_new);
    g.dst.reserve(g.dst.size() + n_new);
    g.d.reserve(g.d.size() + 3 * n_new);
    if (edge_feat) g.w.reserve(g.w.size() + n_new * static_cast<size_t>(edge_dim));
    for (int i = 0; i < L; ++i)
      for (const int j : nbr[static_cast<size_t>(i)]) {
        g.src.push_back(b * L + i);
        g.dst.push_back(b * L + j);
        for (int a = 0; a < 3; ++a) g.d.push_back(x[j * 3 + a] - x[i * 3 + a]);
        if (edge_feat) {
          const float* w = edge_feat + ((static_cast<int64_t>(b) * L + i) * L + j) * edge_dim;
          g.w.insert(g.w.end(), w, w + edge_dim);
        }
      }
  }
  g.build_csr();
  return g;
}

Graph graph_from_edges(int64_t n_nodes, std::vector<int32_t> src, std::vector<int32_t> dst, std::vector<float> d,
                       std::vector<float> w, int edge_dim) {
  Graph g;
  g.n_nodes = n_nodes;
  TRIFOLD_CHECK(src.size() == dst.size() && d.size() == 3 * src.size(), "graph_from_edges: size mismatch");
  TRIFOLD_CHECK(w.size() == static_cast<size_t>(edge_dim) * src.size(), "graph_from_edges: edge feature size");
  g.src = std::move(src);
  g.dst = std::move(dst);
  g.d = std::move(d);
  g.w = std::move(w);
  g.edge_dim = edge_dim;
  g.build_csr();
  return g;
}

}  // namespace trifold::model::se3
