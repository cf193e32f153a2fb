// Deterministic random initialisation (xoshiro256** streams, Box-Muller normals) of the expected-tensor table.
#include "model/weights_random.hpp"

#include <cmath>
#include <random>

#include "model/weight_table.hpp"

namespace trifold::model {

namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// xoshiro256**: small, fast, and the same sequence everywhere (std:: distributions are implementation-defined).
class Rng {
 public:
  Rng(uint64_t seed, const std::string& name) {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a of the tensor name
    for (unsigned char ch : name) h = (h ^ ch) * 0x100000001b3ull;
    uint64_t x = seed ^ h;
    for (auto& v : s_) v = splitmix64(x);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0], s_[3] ^= s_[1], s_[1] ^= s_[2], s_[0] ^= s_[3], s_[2] ^= t, s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    double u1 = 1.0 - uniform(), u2 = uniform();  // u1 in (0, 1]
    double r = std::sqrt(-2.0 * std::log(u1)), a = 2.0 * M_PI * u2;
    spare_ = r * std::sin(a);
    have_spare_ = true;
    return r * std::cos(a);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool have_spare_ = false;
};

// Performer gaussian orthogonal random features: blocks of d_k orthonormal rows (Gram-Schmidt of gaussian
// vectors = the Q of a QR factorisation), each row scaled by the norm of an independent gaussian d_k-vector.
void performer_features(Rng& rng, int64_t nb, int64_t dk, float* out) {
  std::vector<double> block(static_cast<size_t>(dk * dk));
  for (int64_t r0 = 0; r0 < nb; r0 += dk) {
    for (auto& v : block) v = rng.normal();
    for (int64_t i = 0; i < dk; ++i) {
      double* vi = &block[static_cast<size_t>(i * dk)];
      for (int64_t j = 0; j < i; ++j) {
        const double* vj = &block[static_cast<size_t>(j * dk)];
        double dot = 0;
        for (int64_t k = 0; k < dk; ++k) dot += vi[k] * vj[k];
        for (int64_t k = 0; k < dk; ++k) vi[k] -= dot * vj[k];
      }
      double n = 0;
      for (int64_t k = 0; k < dk; ++k) n += vi[k] * vi[k];
      n = std::sqrt(n);
      for (int64_t k = 0; k < dk; ++k) vi[k] /= n;
    }
    for (int64_t i = 0; i < dk && r0 + i < nb; ++i)
      for (int64_t k = 0; k < dk; ++k) out[(r0 + i) * dk + k] = static_cast<float>(block[static_cast<size_t>(i * dk + k)]);
  }
  for (int64_t r = 0; r < nb; ++r) {
    double n = 0;
    for (int64_t k = 0; k < dk; ++k) {
      double g = rng.normal();
      n += g * g;
    }
    n = std::sqrt(n);
    for (int64_t k = 0; k < dk; ++k) out[r * dk + k] = static_cast<float>(out[r * dk + k] * n);
  }
}

void fill(const TensorSpec& t, uint64_t seed, Tensor& x) {
  Rng rng(seed, t.name);
  float* p = x.data();
  const int64_t n = x.numel();
  switch (t.init) {
    case Init::Uniform: {
      const double b = 1.0 / std::sqrt(static_cast<double>(t.fan_in));
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>((2.0 * rng.uniform() - 1.0) * b);
      break;
    }
    case Init::NormGain:
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(0.5 + rng.uniform());
      break;
    case Init::NormShift:
    case Init::SmallGaussian:
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(0.1 * rng.normal());
      break;
    case Init::Embedding:
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(rng.normal());
      break;
    case Init::Gaussian: {
      const double s = 1.0 / std::sqrt(static_cast<double>(t.fan_in));
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(s * rng.normal());
      break;
    }
    case Init::MsaPE: {  // (1, max_len, d): interleaved sin/cos, frequency 10000^(-2k/d)
      const int64_t len = t.shape[1], d = t.shape[2];
      for (int64_t pos = 0; pos < len; ++pos)
        for (int64_t i = 0; i < d; ++i) {
          double f = std::exp(static_cast<double>(i - i % 2) * -(std::log(10000.0) / static_cast<double>(d)));
          p[pos * d + i] = static_cast<float>(i % 2 == 0 ? std::sin(pos * f) : std::cos(pos * f));
        }
      break;
    }
    case Init::DivTerm:
      for (int64_t k = 0; k < n; ++k)
        p[k] = static_cast<float>(std::exp(static_cast<double>(2 * k) * -(std::log(10000.0) / static_cast<double>(t.fan_in))));
      break;
    case Init::Performer:
      performer_features(rng, t.shape[0], t.shape[1], p);
      break;
  }
  if (t.scale != 1.0f)
    for (int64_t i = 0; i < n; ++i) p[i] *= t.scale;
  // Output heads (golden README recipe): lDDT inside (0, 1); CA coordinates spread ~10 A; N/C follow CA.
  if (t.name.ends_with(".pred_lddt.weight")) {
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(0.05 * rng.normal());
  } else if (t.name.ends_with(".pred_lddt.bias")) {
    for (int64_t i = 0; i < n; ++i) p[i] = 0.5f;
  } else if (t.name.ends_with(".get_xyz.weight") || t.name.ends_with(".get_xyz.bias")) {
    const int64_t cols = n / 9;  // rows N(0:3), CA(3:6), C(6:9)
    for (int64_t r = 3; r < 6; ++r)
      for (int64_t k = 0; k < cols; ++k) {
        p[r * cols + k] *= 20.0f;
        p[(r - 3) * cols + k] += p[r * cols + k];
        p[(r + 3) * cols + k] += p[r * cols + k];
      }
  }
}

}  // namespace

Weights random_weights(const ModelConfig& c, uint64_t seed) {
  const std::vector<TensorSpec> table = expected_tensors(c);
  std::vector<Tensor> values(table.size());
  for (size_t i = 0; i < table.size(); ++i) values[i] = Tensor(table[i].shape);
  // Each tensor has its own stream, so the result does not depend on the thread count or schedule.
#pragma omp parallel for schedule(dynamic)
  for (long i = 0; i < static_cast<long>(table.size()); ++i) fill(table[static_cast<size_t>(i)], seed, values[static_cast<size_t>(i)]);
  Weights w;
  w.config = c;
  for (size_t i = 0; i < table.size(); ++i) w.tensors.emplace(table[i].name, std::move(values[i]));
  return w;
}

MsaTokens random_msa(int64_t rows, int64_t length, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> tok(0, 20);
  MsaTokens msa;
  msa.n_rows = rows;
  msa.length = length;
  msa.tokens.resize(static_cast<size_t>(rows * length));
  for (auto& t : msa.tokens) t = tok(rng);
  return msa;
}

}  // namespace trifold::model
