// Device-memory planner: replays the allocations of model/cuda/network.cpp and rf1_blocks.cu (see the header).
//
// Each function below mirrors one GPU function: a Buf is a DeviceTensor (its bytes are live from construction to
// destruction), temporaries of a nested call are Bufs that die where the C++ full expression would end, and a
// block loop is replayed for its largest (first) block only — later blocks are no larger and see the same live
// set. Keep this file in step with the GPU code: a change of allocation order there is a change here.
#include "model/memory_plan.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <utility>

#include "io/error.hpp"
#include "model/weight_table.hpp"

namespace trifold::model {
namespace {

class Sim {
 public:
  class Buf {
   public:
    Buf() = default;
    Buf(Sim* s, size_t b) : s_(s), b_(b) { s_->add(b_); }
    ~Buf() { reset(); }
    Buf(Buf&& o) noexcept : s_(std::exchange(o.s_, nullptr)), b_(std::exchange(o.b_, 0)) {}
    Buf& operator=(Buf&& o) noexcept {
      if (this != &o) {
        reset();
        s_ = std::exchange(o.s_, nullptr);
        b_ = std::exchange(o.b_, 0);
      }
      return *this;
    }
    Buf(const Buf&) = delete;
    Buf& operator=(const Buf&) = delete;
    void reset() {
      if (s_) s_->cur_ -= b_;
      s_ = nullptr;
      b_ = 0;
    }

   private:
    Sim* s_ = nullptr;
    size_t b_ = 0;
  };

  Buf f32(int64_t n) { return Buf(this, static_cast<size_t>(std::max<int64_t>(0, n)) * 4); }
  Buf i32(int64_t n) { return Buf(this, static_cast<size_t>(std::max<int64_t>(0, n)) * 4); }
  Buf bytes(int64_t n) { return Buf(this, static_cast<size_t>(std::max<int64_t>(0, n))); }

  void stage(const std::string& name) {
    auto it = index_.find(name);
    if (it == index_.end()) {
      index_.emplace(name, stages_.size());
      stages_.push_back({name, cur_});
      cur_stage_ = stages_.size() - 1;
    } else {
      cur_stage_ = it->second;
    }
    bump();
  }
  MemoryEstimate result(size_t weights) const {
    MemoryEstimate e;
    e.peak_bytes = peak_;
    e.peak_stage = peak_stage_;
    e.weight_bytes = weights;
    e.stages = stages_;
    return e;
  }

 private:
  void add(size_t b) {
    cur_ += b;
    bump();
  }
  void bump() {
    if (cur_ > peak_) {
      peak_ = cur_;
      peak_stage_ = stages_.empty() ? std::string() : stages_[cur_stage_].stage;
    }
    if (!stages_.empty()) stages_[cur_stage_].bytes = std::max(stages_[cur_stage_].bytes, cur_);
  }
  size_t cur_ = 0, peak_ = 0;
  std::string peak_stage_;
  std::vector<StagePeak> stages_;
  std::map<std::string, size_t> index_;
  size_t cur_stage_ = 0;
};
using Buf = Sim::Buf;

// Hard-coded sizes of the reference (golden/rf1/README.md section 2, weight_table.cpp).
constexpr int64_t kCoevolP = 32;        // MSA2Pair projection
constexpr int64_t kPair2MsaHeads = 4;   // Pair2MSA direct attention
constexpr int64_t kStr2MsaHeads = 4;    // Str2MSA masked attention
constexpr int64_t kStr2MsaDk = 32;
constexpr int64_t kUnimpHeads = 4;      // TransformerConv
constexpr int64_t kProbS = 130;         // 37 + 37 + 37 + 19
constexpr int64_t kTemplPairFeat = 17;  // t2d 10 + 2 × t1d 3 + seqsep 1
constexpr int64_t kInormChunks = 512;   // norm.cu kChunks (double partial sums)

constexpr double kBf16OperandOverhead = 1.15;  // see estimate_memory

class Replay {
 public:
  Replay(const MemoryModel& m, const MemoryProblem& p, const Chunking& ck)
      : c_(m.config), L_(p.length), N_(p.rows), T_(std::max<int64_t>(1, p.templates)), topk_ref_(p.refine_top_k),
        ck_(ck) {
    weights_ = s_.bytes(static_cast<int64_t>(m.weight_bytes));
  }

  MemoryEstimate run(size_t weight_bytes) {
    s_.stage("weights");
    trunk();
    refine();
    return s_.result(weight_bytes);
  }

 private:
  // ------------------------------------------------------------------ ops (model/cuda/ops.hpp)
  Buf f(int64_t n) { return s_.f32(n); }
  void inorm_scratch(int64_t c) { Buf part = s_.bytes(8 * (kInormChunks * c + 2 * c)); }
  // conv2d 3×3 on [h, w, cin] -> [h, w, cout]: padded copy, tap-major weights, (w+2)-wide output grid, result.
  Buf conv3(int64_t h, int64_t w, int64_t cin, int64_t cout) {
    Buf pad = f((h + 3) * (w + 2) * cin), wt = f(9 * cout * cin), outp = f(h * (w + 2) * cout);
    return f(h * w * cout);
  }
  // performer(x [b, n, d]): q, k, v; in performer_attention phi(q), phi(k), out, key sums, contexts and the
  // pointer arrays of gemm_batched2; then to_out while q, k, v and the attention output are live.
  Buf performer(int64_t b, int64_t n, int64_t d, int64_t heads, int64_t m) {
    const int64_t x = b * n * d, fm = b * n * heads * m, dk = d / heads;
    Buf q = f(x), k = f(x), v = f(x);
    Buf o;
    {
      Buf qf = f(fm), kf = f(fm);
      o = f(x);
      Buf ks = f(b * heads * m), ctx = f(b * heads * m * dk);
      Buf ptrs = s_.bytes(3 * 8 * b * heads);
    }
    return f(x);
  }
  Buf feed_forward(int64_t rows, int64_t d) {
    Buf h = f(rows * d * c_.r_ff);
    return f(rows * d);
  }
  // The MSA's residual feed-forward in MSA row blocks: LayerNorm and the FF of one block live at a time.
  void msa_feed_forward(int64_t dm) {
    update_rows(N_, L_ * dm, ck_.msa_blocks, [&](int64_t nr) {
      Buf ln = f(nr * L_ * dm);
      return feed_forward(nr * L_, dm);
    });
  }
  // update_row_blocks: x's rows [rows, row] += fn(block); fn(nr) runs with the block's copy live (chunked).
  void update_rows(int64_t rows, int64_t row, int64_t blocks, const std::function<Buf(int64_t)>& fn) {
    const int64_t per = rows_per_block(rows, blocks);
    if (per >= rows) {
      Buf d = fn(rows);
      return;
    }
    Buf slice = f(per * row);
    Buf d = fn(per);
  }
  // map_row_blocks: the first block's result, then the whole output allocated while it is live; then a second
  // block with the output live.
  Buf map_rows(int64_t rows, int64_t out_row, int64_t blocks, const std::function<Buf(int64_t)>& fn) {
    const int64_t per = rows_per_block(rows, blocks);
    if (per >= rows) return fn(rows);
    Buf out;
    {
      Buf b = fn(per);
      out = f(rows * out_row);
    }
    { Buf b = fn(per); }
    return out;
  }
  // conv3x3_rows: block rows plus a one-row halo each side, conv2d on them, the block's rows copied out.
  Buf conv3_rows(int64_t h, int64_t w, int64_t cin, int64_t cout) {
    if (rows_per_block(h, ck_.pair_blocks) >= h) return conv3(h, w, cin, cout);
    return map_rows(h, w * cout, ck_.pair_blocks, [&](int64_t nr) {
      const int64_t hh = std::min(h, nr + 2);
      Buf y;
      {
        Buf sl = f(hh * w * cin);
        y = conv3(hh, w, cin, cout);
      }
      return f(nr * w * cout);
    });
  }

  // ------------------------------------------------------------------ rf1 blocks (rf1_blocks.cu)
  // res_block_2d on x [L, L, c] (x live at the caller): conv, IN in place, ELU, conv, IN, add, ELU.
  Buf res_block(int64_t c) {
    Buf y = conv3_rows(L_, L_, c, c);
    inorm_scratch(c);
    Buf y2 = conv3_rows(L_, L_, c, c);
    y = std::move(y2);
    inorm_scratch(c);
    return y;
  }
  // residual_after_first_conv(y): y is the first 1×1 conv's output (has_first) or a clone of the input.
  Buf residual_after_first(Buf y, int64_t block, int64_t cout, bool has_first) {
    if (has_first) inorm_scratch(block);
    {
      Buf r = res_block(block);
      y = std::move(r);
    }
    if (cout != block) {
      Buf r = f(L_ * L_ * cout);
      y = std::move(r);
    }
    return y;
  }
  Buf residual_network(int64_t cin, int64_t block, int64_t cout) {
    Buf y = f(L_ * L_ * block);  // the leading 1×1 conv, or x.clone() when cin == block
    return residual_after_first(std::move(y), block, cout, cin != block);
  }
  Buf axial(int64_t d, int64_t heads, int64_t m) {
    const int64_t a = L_, b = L_, x = a * b * d;
    Buf y = f(x);
    auto perf = [&](int64_t n) {
      return [&, n](int64_t nr) {
        Buf ln = f(nr * n * d);
        return performer(nr, n, d, heads, m);
      };
    };
    update_rows(a, b * d, ck_.pair_blocks, perf(b));
    Buf yt = f(x);
    y.reset();
    update_rows(b, a * d, ck_.pair_blocks, perf(a));
    y = f(x);
    yt.reset();
    update_rows(a, b * d, ck_.pair_blocks, [&](int64_t nr) {
      Buf ln = f(nr * b * d);
      return feed_forward(nr * b, d);
    });
    return y;
  }
  // SequenceWeight for nh heads of dg channels on x [n, L, d] (x0 copy, q, k, logits, softmax).
  Buf sequence_weight(int64_t n, int64_t d, int64_t nh, int64_t dg, bool sliced) {
    Buf x0 = f(L_ * d);
    Buf q;
    {
      Buf ws = sliced ? f(dg * d + dg) : Buf();
      q = f(L_ * dg);
    }
    Buf k;
    {
      Buf ws = sliced ? f(dg * d + dg) : Buf();
      k = f(n * L_ * dg);
    }
    Buf logits = f(L_ * nh * n);
    return f(L_ * nh * n);
  }
  Buf tied_attention(Buf* att) {
    const int64_t dm = c_.d_msa, heads = c_.n_head_msa, dk = dm / heads, m = N_ * L_ * dm;
    const int64_t g = tied_group(heads, ck_.tied_heads), dg = g * dk, gx = N_ * L_ * dg;
    const bool sliced = g != heads;
    Buf o = f(m);
    *att = f(L_ * L_ * heads);
    {
      Buf sw = sequence_weight(N_, dm, g, dg, sliced);
      auto lin = [&] {
        Buf ws = sliced ? f(dg * dm + dg) : Buf();
        return f(gx);
      };
      Buf q = lin(), k = lin(), v = lin();
      Buf qh = f(gx), kh = f(gx), vh = f(gx);
      q.reset();
      k.reset();
      v.reset();
      sw.reset();
      Buf a = f(g * L_ * L_);
      kh.reset();
      {
        Buf a2 = f(g * L_ * L_);
        a = std::move(a2);
      }
      vh.reset();
    }
    return f(m);
  }
  Buf msa2msa(Buf* att) {
    const int64_t dm = c_.d_msa, m = N_ * L_ * dm;
    s_.stage("msa2msa");
    Buf x = f(m);
    {
      Buf ln = f(m);
      Buf r = tied_attention(att);
    }
    msa_feed_forward(dm);
    Buf xt = f(m);
    x.reset();
    update_rows(L_, N_ * dm, ck_.msa_blocks, [&](int64_t nr) {
      Buf ln = f(nr * N_ * dm);
      return performer(nr, N_, dm, c_.n_head_msa, c_.performer_N_nb_features);
    });
    update_rows(L_, N_ * dm, ck_.msa_blocks, [&](int64_t nr) {
      Buf ln = f(nr * N_ * dm);
      return feed_forward(nr * N_, dm);
    });
    return f(m);
  }
  Buf msa2pair() {
    const int64_t dm = c_.d_msa, dp = c_.d_pair, p = kCoevolP, pp = p * p;
    const int64_t ctot = 2 * dp + 4 * p + c_.n_head_msa;
    s_.stage("msa2pair");
    Buf xd = map_rows(N_, L_ * p, ck_.msa_blocks, [&](int64_t nr) {
      Buf hold = nr < N_ ? f(nr * L_ * dm) : Buf();
      Buf ln = f(nr * L_ * dm), pr = f(nr * L_ * p);
      return f(nr * L_ * p);
    });
    Buf sw = sequence_weight(N_, p, 1, p, false);
    Buf xw = f(N_ * L_ * p);
    sw.reset();
    Buf pair_new = f(L_ * L_ * dp);
    {
      int64_t rows = ck_.coevol_rows > 0 ? ck_.coevol_rows : (int64_t(1) << 28) / std::max<int64_t>(1, L_ * pp);
      rows = std::max<int64_t>(1, std::min(rows, L_));
      const int64_t per_i = p * L_ * p;
      const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(rows, (int64_t(64) << 20) / per_i));
      Buf co = f(rows * L_ * pp);
      { Buf tmp = f(chunk * per_i); }
      Buf part = f(rows * L_ * dp);
    }
    Buf f1 = f(L_ * 2 * p);
    xd.reset();
    xw.reset();
    Buf y = map_rows(L_, L_ * dp, ck_.pair_blocks, [&](int64_t ni) {
      const bool whole = ni == L_;
      Buf po, pn;
      {
        Buf hold = whole ? Buf() : f(ni * L_ * dp);
        po = f(ni * L_ * dp);
      }
      {
        Buf hold = whole ? Buf() : f(ni * L_ * dp);
        pn = f(ni * L_ * dp);
      }
      Buf cat = f(ni * L_ * ctot);
      po.reset();
      pn.reset();
      return f(ni * L_ * dp);  // the update ResNet's first 1×1 conv (ctot != d_pair)
    });
    pair_new.reset();
    return residual_after_first(std::move(y), dp, dp, true);
  }
  Buf pair2pair(const char* stage) {
    s_.stage(stage);
    return axial(c_.d_pair, c_.n_head_pair, c_.performer_L_nb_features);
  }
  Buf pair2msa() {
    const int64_t dm = c_.d_msa, dp = c_.d_pair, h = kPair2MsaHeads;
    s_.stage("pair2msa");
    Buf sym = f(L_ * L_ * dp);
    Buf logits = map_rows(L_, L_ * h, ck_.pair_blocks, [&](int64_t ni) {
      Buf hold = ni < L_ ? f(ni * L_ * dp) : Buf();
      Buf ln = f(ni * L_ * dp);
      return f(ni * L_ * h);
    });
    sym.reset();
    Buf probs;
    {
      Buf a = f(L_ * L_ * h);
      probs = f(L_ * L_ * h);
    }
    logits.reset();
    Buf x = f(N_ * L_ * dm);
    update_rows(N_, L_ * dm, ck_.msa_blocks, [&](int64_t nr) {
      const int64_t b = nr * L_ * dm;
      Buf ln = f(b);
      Buf v = f(b);
      Buf vh = f(b);
      v.reset();
      Buf oh = f(b);
      vh.reset();
      Buf o = f(b);
      oh.reset();
      return f(b);
    });
    msa_feed_forward(dm);
    return x;
  }
  void iter_block(Buf& msa, Buf& pair) {
    Buf att;
    {
      Buf m = msa2msa(&att);
      msa = std::move(m);
    }
    {
      Buf p = msa2pair();
      pair = std::move(p);
    }
    {
      Buf p = pair2pair("pair2pair");
      pair = std::move(p);
    }
    {
      Buf m = pair2msa();
      msa = std::move(m);
    }
  }

  // ------------------------------------------------------------------ network (network.cpp)
  // node_features: sequence weights of LN(msa) (one head), weighted row sum, concat with seq1hot.
  Buf node_features() {
    const int64_t dm = c_.d_msa;
    Buf node;
    {
      Buf sw = sequence_weight(N_, dm, 1, dm, false);
      node = f(L_ * dm);
    }
    return f(L_ * (dm + 21));
  }
  // The SE(3) stage: uploads (harmonics, edge rows, radial input, graph) and the stack's forward. The stack is
  // summarised: per edge, the radial input and about six edge-level feature tensors of channels × degrees²
  // floats (values, keys, messages per layer), plus the fused convolution's radial-output chunk (≤ 32 M floats)
  // and its MLP hidden layers. Rough by design; small next to the trunk's peaks.
  void se3_stage(const Se3Config& cfg, int64_t b, int top_k) {
    const int64_t nodes = b * L_;
    const int64_t per_node = std::min<int64_t>(L_, static_cast<int64_t>(top_k) + 16);
    const int64_t e = nodes * per_node;
    const int64_t n_sh = (2 * cfg.num_degrees - 1) * (2 * cfg.num_degrees - 1);
    const int64_t fiber = static_cast<int64_t>(cfg.num_channels) * cfg.num_degrees * cfg.num_degrees;
    Buf y = f(e * n_sh);
    Buf feat;
    {
      Buf rows = s_.i32(e), r = f(e);
      feat = f(e * (cfg.num_edge_features + 1));
    }
    Buf l1 = f(nodes * 9);
    Buf graph = s_.i32(4 * e + nodes + 1);
    Buf edge_level = f(6 * e * fiber);
    Buf radial = f(int64_t(32) << 20), hidden = f(2 * (int64_t(32) << 20) / 8);
  }
  void str2str(int top_k) {
    const Se3Config& cfg = c_.se3;
    s_.stage("str2str");
    Buf node;
    {
      Buf m = f(N_ * L_ * c_.d_msa);
      Buf nf = node_features();
      Buf x = f(L_ * cfg.l0_in_features);
      node = f(L_ * cfg.l0_in_features);
    }
    Buf edge;
    {
      Buf ln = f(L_ * L_ * c_.d_pair), lin = f(L_ * L_ * cfg.num_edge_features);
      edge = f(L_ * L_ * cfg.num_edge_features);
    }
    se3_stage(cfg, 1, top_k);
    state_ = f(L_ * cfg.l0_out_features);
  }
  Buf str2msa() {
    const int64_t dm = c_.d_msa, m = N_ * L_ * dm;
    s_.stage("str2msa");
    Buf ca = f(L_ * 3);
    Buf x = f(m);
    {
      Buf att;
      {
        Buf st = f(L_ * c_.se3.l0_out_features);
        Buf q = f(L_ * kStr2MsaHeads * kStr2MsaDk), k = f(L_ * kStr2MsaHeads * kStr2MsaDk);
        Buf logits = f(kStr2MsaHeads * L_ * L_);
        att = f(kStr2MsaHeads * L_ * L_);
      }
      update_rows(N_, L_ * dm, ck_.msa_blocks, [&](int64_t nr) {
        const int64_t b = nr * L_ * dm;
        Buf ln = f(b), v = f(b), out = f(b);
        { Buf ptrs = s_.bytes(3 * 8 * nr * kStr2MsaHeads); }
        v.reset();
        return f(b);
      });
    }
    msa_feed_forward(dm);
    return x;
  }
  // The UniMP blocks on x [L, dh] with edge [L, L, dh]: q, k, v, the edge projection [L, L, 4·dh], skip.
  void unimp(int64_t n_nodes, int64_t dh) {
    const int64_t hc = kUnimpHeads * dh;
    Buf q = f(n_nodes * hc), k = f(n_nodes * hc), v = f(n_nodes * hc), e = f(L_ * L_ * hc), out = f(n_nodes * hc);
  }
  void init_str() {
    const int64_t dh = c_.d_hidden;
    s_.stage("init_str");
    Buf x;
    {
      Buf m = f(N_ * L_ * c_.d_msa);
      Buf nf = node_features();
      x = f(L_ * dh);
    }
    Buf edge;
    {
      Buf pr = f(L_ * L_ * c_.d_pair), sep = f(L_ * L_), cat = f(L_ * L_ * (c_.d_pair + 1));
      edge = f(L_ * L_ * dh);
    }
    unimp(L_, dh);
  }
  void distance_heads() {
    const int64_t dp = c_.d_pair;
    s_.stage("distance heads");
    Buf x;
    {
      Buf ln = f(L_ * L_ * dp);
      x = f(L_ * L_ * dp);
    }
    Buf dist, omega, theta, phi;
    {
      Buf xs = f(L_ * L_ * dp);
      dist = residual_network(dp, dp, 37);
      omega = residual_network(dp, dp, 37);
    }
    theta = residual_network(dp, dp, 37);
    phi = residual_network(dp, dp, 19);
    Buf sd = f(L_ * L_ * 37), so = f(L_ * L_ * 37), st = f(L_ * L_ * 37), sp = f(L_ * L_ * 19);
    Buf prob_s = f(L_ * L_ * kProbS);
  }
  void embeddings(Buf& msa, Buf& pair) {
    const int64_t dt = c_.d_templ, dp = c_.d_pair;
    s_.stage("embeddings");
    {
      Buf tokens = s_.i32(N_ * L_ + L_);
      msa = f(N_ * L_ * c_.d_msa);
    }
    Buf templ;
    {
      std::vector<Buf> feats, logits;
      for (int64_t t = 0; t < T_; ++t) {
        Buf x;
        {
          Buf up = f(L_ * L_ * kTemplPairFeat);
          x = f(L_ * L_ * dt);
        }
        if (t == 0) Buf pos = f(L_ * dt / 2);
        {
          Buf y = axial(dt, c_.n_head_templ, c_.performer_L_nb_features);
          x = std::move(y);
        }
        Buf lg;
        {
          Buf ln = f(L_ * L_ * dt);
          lg = f(L_ * L_);
        }
        feats.push_back(std::move(x));
        logits.push_back(std::move(lg));
      }
      if (T_ == 1) {
        templ = f(L_ * L_ * dt);
      } else {
        Buf fc = f(T_ * L_ * L_ * dt), lc = f(T_ * L_ * L_);
        feats.clear();
        templ = f(L_ * L_ * dt);
      }
    }
    {
      Buf e = f(L_ * dp / 2), tn = f(L_ * L_ * dt), sep = f(L_ * L_);
      Buf feat;
      {
        Buf er = f(L_ * L_ * dp / 2), ec = f(L_ * L_ * dp / 2);
        feat = f(L_ * L_ * (dp + 1 + dt));
      }
      pair = f(L_ * L_ * dp);
      feat.reset();
      Buf pos = f(L_ * dp / 2);
    }
  }
  void trunk() {
    Buf seq1hot = f(L_ * 21);
    Buf msa, pair;
    embeddings(msa, pair);
    {
      Buf p = pair2pair("initial pair2pair");
      pair = std::move(p);
    }
    // Every IterBlock has the same shapes, so one replay stands for the n_module + n_module_str + 1 blocks.
    iter_block(msa, pair);
    init_str();
    if (c_.n_module_str > 0) {
      str2str(128);
      state_.reset();
      Buf m = str2msa();
      msa = std::move(m);
    }
    str2str(32);
    state_.reset();
    { Buf node = f(L_ * c_.d_msa); }
    msa.reset();
    distance_heads();
  }
  void refine() {
    const int64_t dm = c_.d_msa, dh = c_.d_hidden, dph = 2 * c_.d_hidden;
    const Se3Config& cfg = c_.ref;
    s_.stage("refine");
    Buf edge;
    {
      Buf up = f(L_ * L_ * kProbS);
      edge = f(L_ * L_ * dph);
    }
    Buf seq1hot = f(L_ * 21), node = f(L_ * dm);
    Buf state;
    {  // Regen_Network
      Buf x = f(L_ * dh);
      Buf eh;
      {
        Buf maps = f(L_ * L_ * 2), e = f(L_ * L_ * dph), cat = f(L_ * L_ * (dph + 2)), lin = f(L_ * L_ * dh);
        eh = f(L_ * L_ * dh);
      }
      unimp(L_, dh);
      state = f(L_ * cfg.l0_out_features);
    }
    Buf node2 = f(2 * L_ * dm), seq2 = f(2 * L_ * 21), state2 = f(2 * L_ * cfg.l0_out_features);
    node.reset();
    state.reset();
    {  // one Refine_Network on the two mirror copies (every call has the same shapes)
      Buf x = f(2 * L_ * cfg.l0_in_features);
      Buf e;
      {
        Buf ln = f(L_ * L_ * dph), lin = f(L_ * L_ * cfg.num_edge_features), e1 = f(L_ * L_ * cfg.num_edge_features);
        Buf in = f(2 * L_ * L_ * (cfg.num_edge_features + 37));
        Buf lin2 = f(2 * L_ * L_ * cfg.num_edge_features);
        e = f(2 * L_ * L_ * cfg.num_edge_features);
      }
      se3_stage(cfg, 2, topk_ref_);
    }
  }

  const ModelConfig& c_;
  int64_t L_, N_, T_;
  int topk_ref_;
  Chunking ck_;
  Sim s_;
  Buf weights_, state_;
};

size_t weight_bytes_of(const std::vector<std::pair<std::string, int64_t>>& tensors) {
  size_t b = 0;
  for (const auto& [name, numel] : tensors) {
    b += static_cast<size_t>(numel) * 4;
    if (name.find(".se3.") != std::string::npos) b += static_cast<size_t>(numel) * 4;  // the SE(3) stacks' copies
  }
  return b;
}

}  // namespace

MemoryModel MemoryModel::from_config(const ModelConfig& c) {
  std::vector<std::pair<std::string, int64_t>> t;
  for (const TensorSpec& s : expected_tensors(c)) {
    int64_t n = 1;
    for (int64_t d : s.shape) n *= d;
    t.emplace_back(s.name, n);
  }
  MemoryModel m;
  m.config = c;
  m.weight_bytes = weight_bytes_of(t);
  return m;
}

MemoryModel MemoryModel::from_weights(const Weights& w) {
  std::vector<std::pair<std::string, int64_t>> t;
  for (const auto& [name, tensor] : w.tensors) t.emplace_back(name, tensor.numel());
  MemoryModel m;
  m.config = w.config;
  m.weight_bytes = weight_bytes_of(t);
  return m;
}

MemoryEstimate estimate_memory(const MemoryModel& m, const MemoryProblem& p, const Chunking& ck) {
  if (p.length < 1 || p.rows < 1)
    throw InputError("memory plan: length and MSA rows must be >= 1, got L = " + std::to_string(p.length) +
                     ", N = " + std::to_string(p.rows));
  Replay r(m, p, ck);
  MemoryEstimate e = r.run(m.weight_bytes);
  if (p.bf16_operands) {
    // Each GEMM's bf16 operand copies (linear.cu, Operand) are transient and not replayed one by one: measured on
    // an H200 (full weights, N = 1000) they raised the peak of the activations by 13.2 % at L = 300 and 12.7 % at
    // L = 1000 (6.04 vs 5.40 and 19.64 vs 17.49 GiB with 0.55 GiB of weights); 15 % keeps a margin.
    auto grow = [&](size_t b) {
      const size_t w = std::min(b, e.weight_bytes);
      return w + static_cast<size_t>(static_cast<double>(b - w) * kBf16OperandOverhead);
    };
    e.peak_bytes = grow(e.peak_bytes);
    for (auto& st : e.stages) st.bytes = grow(st.bytes);
  }
  return e;
}

MemoryPlan plan_memory(const MemoryModel& m, const MemoryProblem& p, size_t limit_bytes) {
  MemoryPlan plan;
  plan.limit_bytes = limit_bytes;
  plan.unchunked = estimate_memory(m, p, Chunking{});
  Chunking ck;
  MemoryEstimate est = plan.unchunked;
  const int64_t heads = m.config.n_head_msa;
  // Candidate moves from ck: each makes one knob finer. Bounds: one row per block, one head per group, one
  // coevolution row per block.
  auto moves = [&](const Chunking& c) {
    std::vector<Chunking> out;
    const int64_t msa_max = std::max(p.rows, p.length);
    if (c.msa_blocks < msa_max) out.push_back(c), out.back().msa_blocks = std::min(msa_max, 2 * c.msa_blocks);
    if (c.pair_blocks < p.length) out.push_back(c), out.back().pair_blocks = std::min(p.length, 2 * c.pair_blocks);
    const int64_t g = tied_group(heads, c.tied_heads);
    if (g > 1) out.push_back(c), out.back().tied_heads = (g + 1) / 2;
    const int64_t pp = kCoevolP * kCoevolP;
    const int64_t rows = c.coevol_rows > 0 ? c.coevol_rows
                                           : std::max<int64_t>(1, std::min<int64_t>(p.length, (int64_t(1) << 28) /
                                                                                        std::max<int64_t>(1, p.length * pp)));
    if (rows > 1) out.push_back(c), out.back().coevol_rows = (rows + 1) / 2;
    return out;
  };
  // Order of merit: the peak, then the sum of the stage peaks (a move that lowers a stage other than the
  // peak one is progress: the peak stage may need two knobs, e.g. MSA2MSA's head groups and MSA row blocks).
  auto key = [](const MemoryEstimate& e) {
    size_t sum = 0;
    for (const StagePeak& s : e.stages) sum += s.bytes;
    return std::make_pair(e.peak_bytes, sum);
  };
  while (est.peak_bytes > limit_bytes) {
    bool improved = false;
    Chunking best;
    MemoryEstimate best_est;
    for (const Chunking& c : moves(ck)) {
      MemoryEstimate e = estimate_memory(m, p, c);
      if (key(e) < key(est) && (!improved || key(e) < key(best_est))) {
        improved = true;
        best = c;
        best_est = std::move(e);
      }
    }
    if (!improved) break;
    ck = best;
    est = std::move(best_est);
  }
  plan.fits = est.peak_bytes <= limit_bytes;
  plan.chunking = ck;
  plan.estimate = std::move(est);
  return plan;
}

std::string format_gib(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

std::string describe(const Chunking& ck) {
  if (ck == Chunking{}) return "none";
  return "msa_blocks=" + std::to_string(ck.msa_blocks) + " pair_blocks=" + std::to_string(ck.pair_blocks) +
         " tied_heads=" + (ck.tied_heads > 0 ? std::to_string(ck.tied_heads) : std::string("all")) +
         " coevol_rows=" + (ck.coevol_rows > 0 ? std::to_string(ck.coevol_rows) : std::string("auto"));
}

std::string MemoryPlan::summary() const {
  return std::string(fits ? "fits" : "does NOT fit") + " in " + format_gib(limit_bytes) + ": chunking " +
         describe(chunking) + ", estimated peak " + format_gib(estimate.peak_bytes) + " (" + estimate.peak_stage +
         "); unchunked " + format_gib(unchunked.peak_bytes) + " (" + unchunked.peak_stage + ")";
}

}  // namespace trifold::model
