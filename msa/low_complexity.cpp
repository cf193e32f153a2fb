// Entropy-window low-complexity masking (see low_complexity.hpp).
#include "msa/low_complexity.hpp"

#include <array>
#include <cmath>

#include "msa/alphabet.hpp"

namespace trifold::msa {

std::vector<uint8_t> mask_low_complexity(const std::vector<uint8_t>& seq, const MaskOptions& opt, size_t* masked) {
  std::vector<uint8_t> out = seq;
  const int n = static_cast<int>(seq.size()), w = opt.window;
  if (masked) *masked = 0;
  if (n < w) return out;
  // Entropy (bits) of each window's composition; unknown residues count as a 21st letter.
  std::vector<double> h(n - w + 1);
  std::array<int, 21> count{};
  for (int i = 0; i < w; ++i) ++count[seq[i]];
  auto entropy = [&]() {
    double e = 0;
    for (int c : count)
      if (c) {
        const double p = static_cast<double>(c) / w;
        e -= p * std::log2(p);
      }
    return e;
  };
  h[0] = entropy();
  for (int i = 1; i + w <= n; ++i) {
    --count[seq[i - 1]];
    ++count[seq[i + w - 1]];
    h[i] = entropy();
  }
  // Trigger windows grow into neighbouring windows below the extension threshold; mask every covered residue.
  std::vector<char> mask(n, 0);
  const int nw = static_cast<int>(h.size());
  for (int i = 0; i < nw; ++i) {
    if (h[i] > opt.trigger) continue;
    int lo = i, hi = i;
    while (lo > 0 && h[lo - 1] <= opt.extension) --lo;
    while (hi + 1 < nw && h[hi + 1] <= opt.extension) ++hi;
    for (int k = lo; k < hi + w; ++k) mask[k] = 1;
    i = hi;
  }
  for (int k = 0; k < n; ++k)
    if (mask[k]) {
      out[k] = kUnknown;
      if (masked) ++*masked;
    }
  return out;
}

}  // namespace trifold::msa
