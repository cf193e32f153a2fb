// The SE(3)-Transformer's residue graph: top-k CA neighbours plus sequence neighbours, with the reference's quirks.
#pragma once

#include <cstdint>
#include <vector>

namespace trifold::model::se3 {

// A directed graph over B*L nodes (node b*L+i). Messages flow src -> dst; attention softmax, sums and means
// run over the incoming edges of each dst. Edges are stored in the reference's torch.where order (b, i, j)
// row-major with src = b*L+i, dst = b*L+j. A CSR index by destination lists each node's incoming edges.
struct Graph {
  int64_t n_nodes = 0;
  std::vector<int32_t> src, dst;   // [E]
  std::vector<float> d;            // [E, 3] x_dst - x_src (Å), the edge displacement
  int edge_dim = 0;
  std::vector<float> w;            // [E, edge_dim] edge features ('w'); empty when edge_dim = 0
  std::vector<int64_t> in_ptr;     // [n_nodes + 1]
  std::vector<int32_t> in_edges;   // edge ids grouped by dst (ascending edge id within a node)

  int64_t num_edges() const { return static_cast<int64_t>(src.size()); }
  // (Re)builds in_ptr/in_edges from src/dst.
  void build_csr();
};

// make_graph of the reference (Attention_module_w_str.py):
//   ca [B, L, 3] CA coordinates (Å); idx [B, L] residue numbers; edge_feat [B, L, L, edge_dim] or null.
//   D = |CA_i - CA_j| + 999.9 on the diagonal; edge i -> j when j is among the min(top_k, L) smallest D[i, :]
//   or |idx_i - idx_j| < kmin (i != j). Incoming edges of j are the i that have j among *their* neighbours
//   (not symmetric). When L <= top_k every j including i itself is selected: self-loops with d = 0.
//   d = CA_j - CA_i, w = edge_feat[b, i, j].
Graph make_topk_graph(const float* ca, const int64_t* idx, int B, int L, int top_k, const float* edge_feat,
                      int edge_dim, int kmin = 9);

// A graph from explicit edge lists (e.g. a reference dump): node positions x [n_nodes, 3] give d = x_dst - x_src
// unless d is supplied ([E, 3]).
Graph graph_from_edges(int64_t n_nodes, std::vector<int32_t> src, std::vector<int32_t> dst, std::vector<float> d,
                       std::vector<float> w, int edge_dim);

}  // namespace trifold::model::se3
