// Template featurisation (hhr/atab/ffindex -> xyz, t1d, t0d; xyz -> t2d) for the RoseTTAFold v1 network.
#include "model/templates.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include "io/error.hpp"
#include "io/file_util.hpp"
#include "io/log.hpp"

namespace trifold::model {
namespace {

struct AtabHit {
  std::string name;
  std::vector<std::pair<int, int>> pairs;   // (query i, template residue j), 1-based as in the file
  std::vector<std::array<float, 3>> feats;  // score, SS, probab
  std::vector<double> stats;                // .hhr: Probab, E-value, Score, Aligned_cols, Identities, Similarity, ...
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::vector<AtabHit> parse_atab(const std::string& path) {
  std::vector<AtabHit> hits;
  const auto lines = split_lines(read_file(path));
  for (size_t k = 0; k < lines.size(); ++k) {
    const std::string& l = lines[k];
    if (l.empty()) continue;
    if (l[0] == '>') {
      std::istringstream ls(l.substr(1));
      AtabHit h;
      ls >> h.name;
      hits.push_back(std::move(h));
      continue;
    }
    if (l.find("score") != std::string::npos || l.find("dssp") != std::string::npos) continue;
    std::istringstream ls(l);
    int i = 0, j = 0;
    float s = 0, ss = 0, p = 0;
    if (!(ls >> i >> j >> s >> ss >> p) || hits.empty())
      throw InputError(path + ":" + std::to_string(k + 1) + ": expected 'i j score SS probab'");
    hits.back().pairs.emplace_back(i, j);
    hits.back().feats.push_back({s, ss, p});
  }
  return hits;
}

// The line after each '>' line: "Probab=.. E-value=.. Score=.. Aligned_cols=.. Identities=..% Similarity=.. ...".
std::vector<std::vector<double>> parse_hhr_stats(const std::string& path) {
  std::vector<std::vector<double>> out;
  const auto lines = split_lines(read_file(path));
  for (size_t k = 0; k < lines.size(); ++k) {
    if (lines[k].empty() || lines[k][0] != '>') continue;
    if (k + 1 >= lines.size()) throw InputError(path + ":" + std::to_string(k + 1) + ": hit without statistics line");
    std::string s = lines[k + 1];
    for (char& c : s)
      if (c == '=' || c == '%') c = ' ';
    std::istringstream ls(s);
    std::vector<std::string> tok;
    std::string t;
    while (ls >> t) tok.push_back(t);
    std::vector<double> v;
    for (size_t q = 1; q < tok.size(); q += 2) {
      // The whole token must be a finite number: stod read "12.5abc" as 12.5 and took "nan".
      double x = 0;
      const auto [p, ec] = std::from_chars(tok[q].data(), tok[q].data() + tok[q].size(), x);
      if (ec != std::errc() || p != tok[q].data() + tok[q].size() || !std::isfinite(x))
        throw InputError(path + ":" + std::to_string(k + 2) + ": bad number '" + tok[q] + "'");
      v.push_back(x);
    }
    if (v.size() < 6) throw InputError(path + ":" + std::to_string(k + 2) + ": expected at least 6 hit statistics");
    out.push_back(std::move(v));
  }
  return out;
}

struct FfEntry {
  size_t offset = 0, length = 0;
};

std::map<std::string, FfEntry> read_ffindex(const std::string& path) {
  std::map<std::string, FfEntry> idx;
  const auto lines = split_lines(read_file(path));
  for (size_t k = 0; k < lines.size(); ++k) {
    if (lines[k].empty()) continue;
    std::istringstream ls(lines[k]);
    std::string name;
    FfEntry e;
    if (!(ls >> name >> e.offset >> e.length)) throw InputError(path + ":" + std::to_string(k + 1) + ": bad ffindex line");
    idx.emplace(name, e);
  }
  return idx;
}

// Backbone N, CA, C per residue (residues = ATOM CA lines, in order); atoms not present stay 0.
struct PdbBackbone {
  std::vector<int> resno;
  std::vector<std::array<float, 9>> xyz;
};

// A fixed-column PDB number, strict like the reference's int()/float(): surrounding blanks and a '+' only.
template <class T>
T pdb_number(const std::string& l, size_t a, size_t b, const std::string& source, size_t lineno, const char* what) {
  const std::string f = l.size() > a ? l.substr(a, b - a) : std::string();
  const size_t s = f.find_first_not_of(' '), e = f.find_last_not_of(' ');
  T v{};
  if (s != std::string::npos) {
    const char* begin = f.data() + s + (f[s] == '+' && s < e ? 1 : 0);
    const char* end = f.data() + e + 1;
    auto [p, ec] = std::from_chars(begin, end, v);
    if (ec == std::errc() && p == end) return v;
  }
  throw InputError(source + ", line " + std::to_string(lineno) + ": malformed " + what + " '" + f + "'");
}

// `source` names the entry in messages ("<db>_pdb.ffdata: entry NAME"); line numbers count from the entry's
// start.
PdbBackbone parse_pdb_backbone(const std::string& text, const std::string& source) {
  PdbBackbone pb;
  const auto lines = split_lines(text);
  auto field = [](const std::string& l, size_t a, size_t b) { return l.size() >= a ? l.substr(a, b - a) : std::string(); };
  for (size_t k = 0; k < lines.size(); ++k) {
    const std::string& l = lines[k];
    if (l.compare(0, 4, "ATOM") == 0 && field(l, 12, 16) == " CA ")
      pb.resno.push_back(pdb_number<int>(l, 22, 26, source, k + 1, "residue number"));
  }
  pb.xyz.assign(pb.resno.size(), std::array<float, 9>{});
  std::unordered_map<int, size_t> first_with;  // residue number -> its first CA residue (was a linear search per atom)
  for (size_t k = 0; k < pb.resno.size(); ++k) first_with.emplace(pb.resno[k], k);
  for (size_t k = 0; k < lines.size(); ++k) {
    const std::string& l = lines[k];
    if (l.compare(0, 4, "ATOM") != 0 || l.size() < 54) continue;
    const std::string atom = field(l, 12, 16);
    const int slot = atom == " N  " ? 0 : atom == " CA " ? 1 : atom == " C  " ? 2 : -1;
    if (slot < 0) continue;
    const int r = pdb_number<int>(l, 22, 26, source, k + 1, "residue number");
    const auto it = first_with.find(r);
    if (it == first_with.end()) continue;
    auto& x = pb.xyz[it->second];
    x[static_cast<size_t>(slot * 3 + 0)] = pdb_number<float>(l, 30, 38, source, k + 1, "x coordinate");
    x[static_cast<size_t>(slot * 3 + 1)] = pdb_number<float>(l, 38, 46, source, k + 1, "y coordinate");
    x[static_cast<size_t>(slot * 3 + 2)] = pdb_number<float>(l, 46, 54, source, k + 1, "z coordinate");
  }
  return pb;
}

}  // namespace

TemplateFeatures read_templates(int64_t qlen, const std::string& db_prefix, const std::string& hhr_path,
                                const std::string& atab_path, int n_templ) {
  std::vector<AtabHit> hits = parse_atab(atab_path);
  const auto stats = parse_hhr_stats(hhr_path);
  for (size_t i = 0; i < hits.size() && i < stats.size(); ++i) hits[i].stats = stats[i];
  const auto index = read_ffindex(db_prefix + "_pdb.ffindex");
  const std::string data = read_file(db_prefix + "_pdb.ffdata");

  struct Kept {
    std::string name;
    std::vector<int> qpos;  // 0-based query positions
    std::vector<std::array<float, 3>> f1d;
    std::vector<std::array<float, 9>> xyz;
    std::vector<double> stats;
  };
  std::vector<Kept> kept;
  for (const auto& h : hits) {
    auto it = index.find(h.name);
    if (it == index.end()) continue;  // not in the database: skipped silently, like the reference
    if (h.stats.empty()) throw InputError(hhr_path + ": no statistics for hit " + h.name);
    const FfEntry e = it->second;
    // Not offset + length > size: a huge offset (or "-1", which >> reads as SIZE_MAX) would wrap around.
    if (e.length == 0 || e.offset > data.size() || e.length > data.size() - e.offset)
      throw InputError(db_prefix + "_pdb.ffdata: entry " + h.name + " outside the data file");
    PdbBackbone pb = parse_pdb_backbone(data.substr(e.offset, e.length - 1),
                                        db_prefix + "_pdb.ffdata: entry " + h.name);
    // np.intersect1d(template residues, PDB residues): sorted common values, first occurrence in each.
    std::map<int, size_t> first_t, first_p;
    for (size_t k = 0; k < h.pairs.size(); ++k) first_t.emplace(h.pairs[k].second, k);
    for (size_t k = 0; k < pb.resno.size(); ++k) first_p.emplace(pb.resno[k], k);
    Kept kh;
    for (const auto& [res, kt] : first_t) {
      auto ip = first_p.find(res);
      if (ip == first_p.end()) continue;
      const int64_t q = static_cast<int64_t>(h.pairs[kt].first) - 1;  // an int: INT_MIN - 1 would overflow
      if (q < 0 || q >= qlen)
        throw InputError(atab_path + ": hit " + h.name + " aligns query position " + std::to_string(q + 1) +
                         " beyond the query length " + std::to_string(qlen));
      kh.qpos.push_back(static_cast<int>(q));
      kh.f1d.push_back(h.feats[kt]);
      kh.xyz.push_back(pb.xyz[ip->second]);
    }
    if (kh.qpos.size() < 10) continue;
    kh.name = h.name;
    kh.stats = h.stats;
    kept.push_back(std::move(kh));
  }
  const int64_t t = std::min<int64_t>(n_templ, static_cast<int64_t>(kept.size()));
  TemplateFeatures f;
  f.xyz = Tensor({t, qlen, 3, 3}, std::nanf(""));
  f.t1d = Tensor({t, qlen, 3});
  f.t0d = Tensor({t, 3});
  for (int64_t i = 0; i < t; ++i) {
    const Kept& k = kept[static_cast<size_t>(i)];
    f.ids.push_back(k.name);
    for (size_t r = 0; r < k.qpos.size(); ++r) {
      const int64_t q = k.qpos[r];
      for (int c = 0; c < 9; ++c) f.xyz[(i * qlen + q) * 9 + c] = k.xyz[r][static_cast<size_t>(c)];
      for (int c = 0; c < 3; ++c) f.t1d[(i * qlen + q) * 3 + c] = k.f1d[r][static_cast<size_t>(c)];
    }
    f.t0d[i * 3 + 0] = static_cast<float>(k.stats[0] / 100.0);  // Probab
    f.t0d[i * 3 + 1] = static_cast<float>(k.stats[4] / 100.0);  // Identities (%)
    f.t0d[i * 3 + 2] = static_cast<float>(k.stats[5]);          // Similarity
  }
  if (t == 0) log::warn("templates: no usable hit in " + atab_path);
  return f;
}

namespace {

struct V3 {
  double x, y, z;
};
V3 sub(V3 a, V3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
V3 cross(V3 a, V3 b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
double dot(V3 a, V3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
V3 scale(V3 a, double s) { return {a.x * s, a.y * s, a.z * s}; }
V3 unit(V3 a) { return scale(a, 1.0 / std::sqrt(dot(a, a))); }

double dihedral(V3 a, V3 b, V3 c, V3 d) {
  const V3 b0 = sub(a, b), b2 = sub(d, c);
  const V3 b1 = unit(sub(c, b));
  const V3 v = sub(b0, scale(b1, dot(b0, b1)));
  const V3 w = sub(b2, scale(b1, dot(b2, b1)));
  return std::atan2(dot(cross(b1, v), w), dot(v, w));
}

double planar(V3 a, V3 b, V3 c) { return std::acos(dot(unit(sub(a, b)), unit(sub(c, b)))); }

}  // namespace

Tensor xyz_to_t2d(const Tensor& xyz, const Tensor& t0d) {
  const int64_t nt = xyz.dim(0), l = xyz.dim(1);
  Tensor t2d({nt, l, l, 10});
  std::vector<V3> n(static_cast<size_t>(l)), ca(n.size()), cb(n.size());
  for (int64_t t = 0; t < nt; ++t) {
    for (int64_t i = 0; i < l; ++i) {
      const float* p = xyz.data() + (t * l + i) * 9;
      n[static_cast<size_t>(i)] = {p[0], p[1], p[2]};
      ca[static_cast<size_t>(i)] = {p[3], p[4], p[5]};
      const V3 c{p[6], p[7], p[8]};
      const V3 b = sub(ca[static_cast<size_t>(i)], n[static_cast<size_t>(i)]), cc = sub(c, ca[static_cast<size_t>(i)]);
      const V3 a = cross(b, cc);
      // Ideal virtual Cβ (reference coefficients).
      cb[static_cast<size_t>(i)] = {-0.58273431 * a.x + 0.56802827 * b.x - 0.54067466 * cc.x + ca[static_cast<size_t>(i)].x,
                                    -0.58273431 * a.y + 0.56802827 * b.y - 0.54067466 * cc.y + ca[static_cast<size_t>(i)].y,
                                    -0.58273431 * a.z + 0.56802827 * b.z - 0.54067466 * cc.z + ca[static_cast<size_t>(i)].z};
    }
    for (int64_t i = 0; i < l; ++i)
      for (int64_t j = 0; j < l; ++j) {
        float* o = t2d.data() + ((t * l + i) * l + j) * 10;
        const V3 di = sub(cb[static_cast<size_t>(i)], cb[static_cast<size_t>(j)]);
        const double d = std::sqrt(dot(di, di));
        const bool mask = i != j && std::isfinite(d) && d < 20.0;
        if (mask) {
          const double om = dihedral(ca[static_cast<size_t>(i)], cb[static_cast<size_t>(i)], cb[static_cast<size_t>(j)], ca[static_cast<size_t>(j)]);
          const double th = dihedral(n[static_cast<size_t>(i)], ca[static_cast<size_t>(i)], cb[static_cast<size_t>(i)], cb[static_cast<size_t>(j)]);
          const double ph = planar(ca[static_cast<size_t>(i)], cb[static_cast<size_t>(i)], cb[static_cast<size_t>(j)]);
          const double vals[7] = {std::min(std::max(d / 20.0, 0.0), 1.0), std::sin(om), std::sin(th), std::sin(ph),
                                  std::cos(om), std::cos(th), std::cos(ph)};
          for (int c = 0; c < 7; ++c) o[c] = std::isfinite(vals[c]) ? static_cast<float>(vals[c]) : 0.0f;
        }
        for (int c = 0; c < 3; ++c) {
          const float v = t0d[t * 3 + c];
          o[7 + c] = std::isfinite(v) ? v : 0.0f;
        }
      }
  }
  return t2d;
}

TemplateFeatures select_residues(const TemplateFeatures& f, const std::vector<int32_t>& residues) {
  const int64_t T = f.xyz.dim(0), L = f.xyz.dim(1), n = static_cast<int64_t>(residues.size());
  TemplateFeatures s;
  s.ids = f.ids;
  s.t0d = f.t0d;
  s.xyz = Tensor({T, n, 3, 3});
  s.t1d = Tensor({T, n, 3});
  for (int64_t a = 0; a < n; ++a) {
    const int64_t i = residues[static_cast<size_t>(a)];
    TRIFOLD_CHECK(i >= 0 && i < L, "select_residues: residue " + std::to_string(i) + " outside 0.." +
                                       std::to_string(L - 1));
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t k = 0; k < 9; ++k) s.xyz[(t * n + a) * 9 + k] = f.xyz[(t * L + i) * 9 + k];
      for (int64_t k = 0; k < 3; ++k) s.t1d[(t * n + a) * 3 + k] = f.t1d[(t * L + i) * 3 + k];
    }
  }
  return s;
}

void attach_templates(TrunkInputs& in, const TemplateFeatures& f) {
  if (f.xyz.empty()) return;  // none read (default) or none kept (T = 0)
  TRIFOLD_CHECK(f.xyz.dim(1) == in.msa.length, "attach_templates: template length differs from the query");
  in.t1d = f.t1d;
  in.t2d = xyz_to_t2d(f.xyz, f.t0d);
}

}  // namespace trifold::model
