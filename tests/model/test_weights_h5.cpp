// HDF5 weight format: checkpoint → HDF5 → Weights is bit-exact, hyper-parameters are inferred from shapes,
// and every kind of bad file (missing / unexpected tensor, shape, dtype, architecture, version) is rejected
// with a message naming the problem. Bad files are made from the real golden checkpoints in a ScratchDir.
#include <gtest/gtest.h>

#include <omp.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <functional>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/hdf5.hpp"
#include "model/model_config_json.hpp"
#include "model/weight_table.hpp"
#include "model/weights_h5.hpp"
#include "model/weights_infer.hpp"
#include "model/weights_io.hpp"
#include "model/weights_random.hpp"
#include "tests/common/test_data.hpp"

namespace trifold::model {
namespace {

namespace fs = std::filesystem;

std::string ckpt(const std::string& cfg) { return "golden/rf1/weights/" + cfg + "/RoseTTAFold_e2e.pt"; }

void expect_bit_identical(const Weights& a, const Weights& b) {
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [name, t] : a.tensors) {
    ASSERT_TRUE(b.has(name)) << name;
    const Tensor& u = b.get(name);
    ASSERT_EQ(t.shape(), u.shape()) << name;
    EXPECT_EQ(std::memcmp(t.data(), u.data(), static_cast<size_t>(t.numel()) * 4), 0) << name;
  }
}

TEST(WeightsH5, ConvertThenLoadIsBitExact) {
  for (const std::string cfg : {"tiny", "small"}) {
    TRIFOLD_REQUIRE_SHARED(ckpt(cfg));
    test::ScratchDir dir("weights_h5_roundtrip");
    ModelConfig base = read_model_config_json(test::shared_path("golden/rf1/weights/" + cfg + "/config.json"),
                                              preset_config("full"));
    Weights conv = convert_checkpoint(test::shared_path(ckpt(cfg)), base);
    save_weights_h5(conv, dir / "w.h5", "test");
    Weights back = load_weights_h5(dir / "w.h5");
    EXPECT_EQ(hyper_parameters(back.config), hyper_parameters(preset_config(cfg))) << cfg;
    // Against the raw checkpoint: everything but the dropped int64 counters, bit for bit.
    Weights raw = load_checkpoint(test::shared_path(ckpt(cfg)));
    std::erase_if(raw.tensors, [](const auto& kv) { return kv.first.ends_with(".calls_since_last_redraw"); });
    expect_bit_identical(raw, back);
    EXPECT_FALSE(fs::exists(dir / ("w.h5.tmp." + std::to_string(::getpid()))));  // atomic write left no temp
  }
}

TEST(WeightsH5, InferConfigFromShapes) {
  TRIFOLD_REQUIRE_SHARED(ckpt("small"));
  // small: every shape-visible value differs from the full model; only the SE(3) head counts must be given.
  ModelConfig base = preset_config("full");
  base.se3.n_heads = 2;
  base.ref.n_heads = 2;
  Weights raw = load_checkpoint(test::shared_path(ckpt("small")));
  EXPECT_EQ(hyper_parameters(infer_config(raw, base)), hyper_parameters(preset_config("small")));
  Weights tiny = load_checkpoint(test::shared_path(ckpt("tiny")));
  EXPECT_EQ(hyper_parameters(infer_config(tiny, preset_config("full"))), hyper_parameters(preset_config("tiny")));
}

TEST(WeightsH5, InferConfigUnusualShapes) {
  // Configs the golden files do not cover: no 2-track blocks, 2 layers per encoder, 2 resblocks, 3 SE(3)
  // layers, non-default feature counts. Random weights of that shape must give the config back.
  ModelConfig c = preset_config("tiny");
  c.n_module = 0, c.n_module_str = 2, c.n_module_ref = 3, c.n_layer = 2, c.n_resblock = 2;
  c.d_msa = 48, c.d_pair = 36, c.d_templ = 16, c.d_hidden = 20, c.n_head_msa = 3, c.n_head_pair = 6;
  c.n_head_templ = 2, c.r_ff = 3, c.performer_N_nb_features = 12, c.performer_L_nb_features = 20;
  c.se3 = Se3Config{3, 10, 3, 14, 5, 3, 2, 12, 5, 2};
  c.ref = Se3Config{1, 6, 2, 10, 4, 3, 3, 8, 3, 2};
  Weights w = random_weights(c, 11);
  ModelConfig base = preset_config("full");
  base.se3.n_heads = 2;
  base.ref.n_heads = 2;
  EXPECT_EQ(hyper_parameters(infer_config(w, base)), hyper_parameters(c));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(WeightsH5, CheckpointKeyAndShapeErrors) {
  TRIFOLD_REQUIRE_SHARED(ckpt("tiny"));
  Weights w = convert_checkpoint(test::shared_path(ckpt("tiny")), preset_config("tiny"));
  const std::string key = "feat_extractor.iter_block_1.1.msa2pair.proj_1.weight";
  Weights missing = w;
  missing.tensors.erase(key);
  EXPECT_EQ(error_of([&] { check_weights(missing, "ck"); }), "ck: missing tensor '" + key + "' (1 missing in total)");
  Weights extra = w;
  extra.tensors.emplace("feat_extractor.extra.weight", Tensor({2, 2}));
  EXPECT_EQ(error_of([&] { check_weights(extra, "ck"); }),
            "ck: unexpected tensor 'feat_extractor.extra.weight' (1 unexpected in total)");
  Weights bad = w;
  bad.tensors[key] = Tensor({32, 63});
  EXPECT_EQ(error_of([&] { check_weights(bad, "ck"); }), "ck: tensor '" + key + "': expected [32, 64], got [32, 63]");
}

// Writes an HDF5 weight file by hand (bypassing save_weights_h5's checks) so that it can be broken on purpose.
void write_raw(const fs::path& p, const Weights& w, const std::string& arch, int64_t version,
               const std::string& double_tensor = "") {
  h5::File f(p, h5::File::Mode::Create);
  f.set_attr("/", "format_version", version);
  f.set_attr("/", "architecture", arch);
  for (const auto& [name, v] : hyper_parameters(w.config)) f.set_attr("/", name, v);
  for (const auto& [name, t] : w.tensors) {
    if (name == double_tensor) {
      std::vector<double> d(t.vec().begin(), t.vec().end());
      f.write<double>("/weights/" + name, t.shape(), d.data(), false);
    } else {
      f.write<float>("/weights/" + name, t.shape(), t.data(), false);
    }
  }
}

TEST(WeightsH5, BadFilesGiveClearErrors) {
  TRIFOLD_REQUIRE_SHARED(ckpt("tiny"));
  test::ScratchDir dir("weights_h5_bad");
  Weights w = convert_checkpoint(test::shared_path(ckpt("tiny")), preset_config("tiny"));
  const std::string key = "refine.refine_net.0.se3.Gblock.0.GMAB.v.kernel_unary.(1,2).rp.net.6.weight";
  ASSERT_TRUE(w.has(key));
  auto load_error = [&](const fs::path& p) { return error_of([&] { load_weights_h5(p); }); };

  write_raw(dir / "ok.h5", w, "rosettafold_v1_e2e", 1);
  EXPECT_EQ(load_weights_h5(dir / "ok.h5").tensors.size(), w.tensors.size());

  Weights m = w;
  m.tensors.erase(key);
  write_raw(dir / "missing.h5", m, "rosettafold_v1_e2e", 1);
  EXPECT_EQ(load_error(dir / "missing.h5"),
            (dir / "missing.h5").string() + ": missing tensor '" + key + "' (1 missing in total)");

  Weights u = w;
  u.tensors.emplace("refine.extra", Tensor({3}));
  write_raw(dir / "unexpected.h5", u, "rosettafold_v1_e2e", 1);
  EXPECT_EQ(load_error(dir / "unexpected.h5"),
            (dir / "unexpected.h5").string() + ": unexpected tensor 'refine.extra' (1 unexpected in total)");

  Weights s = w;
  Shape good = s.get(key).shape();
  s.tensors[key] = Tensor({good[0] + 1, good[1]});
  write_raw(dir / "shape.h5", s, "rosettafold_v1_e2e", 1);
  EXPECT_EQ(load_error(dir / "shape.h5"), (dir / "shape.h5").string() + ": tensor '" + key + "': expected " +
                                              shape_str(good) + ", got " + shape_str(s.get(key).shape()));

  // A hyper-parameter attribute that disagrees with the tensors is a shape error too.
  Weights h = w;
  h.config.d_hidden = 33;
  write_raw(dir / "hyper.h5", h, "rosettafold_v1_e2e", 1);
  EXPECT_NE(load_error(dir / "hyper.h5").find("expected ["), std::string::npos) << load_error(dir / "hyper.h5");

  write_raw(dir / "dtype.h5", w, "rosettafold_v1_e2e", 1, key);
  EXPECT_EQ(load_error(dir / "dtype.h5"), (dir / "dtype.h5").string() + ": tensor '" + key + "': expected float32, got float64");

  write_raw(dir / "arch.h5", w, "rosettafold2", 1);
  EXPECT_EQ(load_error(dir / "arch.h5"),
            (dir / "arch.h5").string() + ": architecture 'rosettafold2' is not supported (expected 'rosettafold_v1_e2e')");

  write_raw(dir / "version.h5", w, "rosettafold_v1_e2e", 2);
  EXPECT_EQ(load_error(dir / "version.h5"),
            (dir / "version.h5").string() + ": weight format version 2 is not supported (this TriFold reads version 1)");

  // Not HDF5 at all: the checkpoint itself, which gets the command that converts it.
  EXPECT_NE(error_of([&] { load_weights_h5(test::shared_path(ckpt("tiny"))); })
                .find("this is a PyTorch checkpoint, not TriFold's HDF5 weights; convert it once with: trifold convert"),
            std::string::npos);
  write_file_atomic(dir / "text.h5", "not weights\n");
  EXPECT_NE(error_of([&] { load_weights_h5(dir / "text.h5"); }).find("not an HDF5 file"), std::string::npos);
}

TEST(WeightsRandom, DeterministicAndThreadIndependent) {
  ModelConfig c = preset_config("tiny");
  Weights a = random_weights(c, 5);
  omp_set_num_threads(1);
  Weights b = random_weights(c, 5);
  omp_set_num_threads(2);
  Weights d = random_weights(c, 6);
  expect_bit_identical(a, b);
  EXPECT_NE(a.get("msa_emb.emb.weight").vec(), d.get("msa_emb.emb.weight").vec());
  check_weights(a, "random tiny");  // every name and shape of the table
}

TEST(WeightsRandom, BuffersFollowTheReference) {
  TRIFOLD_REQUIRE_SHARED(ckpt("small"));
  Weights ref = load_checkpoint(test::shared_path(ckpt("small")));
  Weights w = random_weights(preset_config("small"), 1);
  auto max_abs = [](const Tensor& x, const Tensor& y) {
    float m = 0;
    for (int64_t i = 0; i < x.numel(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
    return m;
  };
  // The PE table and div_terms are deterministic in the reference too. torch computes them in fp32; the
  // arguments reach 5000 rad, where one fp32 ulp is 4.9e-4, so sin/cos may differ by ~1e-3 there.
  EXPECT_LT(max_abs(w.get("msa_emb.pos.pe"), ref.get("msa_emb.pos.pe")), 2e-3f);
  // div_term = exp(-2k ln(1e4)/h) in fp32 vs double: a few ulp of values <= 1.
  EXPECT_LT(max_abs(w.get("pair_emb.pos.div_term"), ref.get("pair_emb.pos.div_term")), 1e-6f);
  EXPECT_LT(max_abs(w.get("templ_emb.pos.div_term"), ref.get("templ_emb.pos.div_term")), 1e-6f);
  // Performer features: rows inside one d_k block are orthogonal (Gram-Schmidt in double; 1e-5 covers the
  // fp32 rounding of the stored rows), and row norms have the chi distribution's scale ~sqrt(d_k).
  const Tensor& p = w.get("feat_extractor.initial.encoder.layers.0.attn_L.fast_attention.projection_matrix");
  const int64_t nb = p.dim(0), dk = p.dim(1);
  double worst = 0, mean_norm = 0;
  for (int64_t i = 0; i < nb; ++i) {
    double ni = 0;
    for (int64_t k = 0; k < dk; ++k) ni += p[i * dk + k] * p[i * dk + k];
    mean_norm += std::sqrt(ni) / static_cast<double>(nb);
    for (int64_t j = (i / dk) * dk; j < i; ++j) {
      double dot = 0, nj = 0;
      for (int64_t k = 0; k < dk; ++k) dot += p[i * dk + k] * p[j * dk + k], nj += p[j * dk + k] * p[j * dk + k];
      worst = std::max(worst, std::abs(dot) / std::sqrt(ni * nj));
    }
  }
  EXPECT_LT(worst, 1e-5);
  EXPECT_NEAR(mean_norm, std::sqrt(static_cast<double>(dk)), 0.5 * std::sqrt(static_cast<double>(dk)));
  // Linear weights stay inside PyTorch's bound 1/sqrt(fan_in).
  const Tensor& lin = w.get("c6d_predictor.proj.weight");
  float bound = 1.0f / std::sqrt(static_cast<float>(lin.dim(1)));
  for (int64_t i = 0; i < lin.numel(); ++i) ASSERT_LE(std::abs(lin[i]), bound);
}

}  // namespace
}  // namespace trifold::model
