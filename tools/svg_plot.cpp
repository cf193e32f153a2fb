// SVG rendering of the benchmark charts (no dependencies; plain text output).
#include "tools/svg_plot.hpp"

#include <cstdio>
#include <algorithm>
#include <cmath>
#include <sstream>

namespace trifold::cli::svg {

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else o += c;
  }
  return o;
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

}  // namespace

std::string render(const Chart& c) {
  const double W = 760, H = 480, left = 70, right = 170, top = 40;
  const double bottom = c.xtick_labels.empty() ? 60 : 110;
  const double pw = W - left - right, ph = H - top - bottom;
  auto X = [&](double x) { return left + (x - c.xmin) / (c.xmax - c.xmin) * pw; };
  auto Y = [&](double y) { return top + ph - (y - c.ymin) / (c.ymax - c.ymin) * ph; };
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 " << W
    << " " << H << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << esc(c.title) << "</text>\n";
  // Grid and y ticks.
  for (int i = 0; i <= 5; ++i) {
    double yv = c.ymin + (c.ymax - c.ymin) * i / 5;
    o << "<line x1=\"" << num(left) << "\" x2=\"" << num(left + pw) << "\" y1=\"" << num(Y(yv)) << "\" y2=\""
      << num(Y(yv)) << "\" stroke=\"#ddd\"/>\n";
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", yv);
    o << "<text x=\"" << num(left - 6) << "\" y=\"" << num(Y(yv) + 4) << "\" text-anchor=\"end\">" << b << "</text>\n";
  }
  if (c.xtick_labels.empty()) {
    for (int i = 0; i <= 5; ++i) {
      double xv = c.xmin + (c.xmax - c.xmin) * i / 5;
      char b[32];
      std::snprintf(b, sizeof b, "%.2f", xv);
      o << "<line x1=\"" << num(X(xv)) << "\" x2=\"" << num(X(xv)) << "\" y1=\"" << num(top) << "\" y2=\""
        << num(top + ph) << "\" stroke=\"#eee\"/>\n";
      o << "<text x=\"" << num(X(xv)) << "\" y=\"" << num(top + ph + 18) << "\" text-anchor=\"middle\">" << b
        << "</text>\n";
    }
  } else {
    for (size_t i = 0; i < c.xtick_labels.size(); ++i) {
      double x = X(static_cast<double>(i));
      o << "<text transform=\"translate(" << num(x + 3) << "," << num(top + ph + 8) << ") rotate(60)\" font-size=\"9\">"
        << esc(c.xtick_labels[i]) << "</text>\n";
    }
  }
  o << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(pw) << "\" height=\"" << num(ph)
    << "\" fill=\"none\" stroke=\"black\"/>\n";
  if (c.diagonal) {
    double lo = std::max(c.xmin, c.ymin), hi = std::min(c.xmax, c.ymax);
    o << "<line x1=\"" << num(X(lo)) << "\" y1=\"" << num(Y(lo)) << "\" x2=\"" << num(X(hi)) << "\" y2=\""
      << num(Y(hi)) << "\" stroke=\"#888\" stroke-dasharray=\"4,3\"/>\n";
  }
  int li = 0;
  for (const auto& s : c.series) {
    if (c.lines && s.x.size() > 1) {
      o << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"1.5\" points=\"";
      for (size_t i = 0; i < s.x.size(); ++i) o << num(X(s.x[i])) << "," << num(Y(s.y[i])) << " ";
      o << "\"/>\n";
    }
    for (size_t i = 0; i < s.x.size(); ++i) {
      o << "<circle cx=\"" << num(X(s.x[i])) << "\" cy=\"" << num(Y(s.y[i])) << "\" r=\"" << num(s.radius) << "\" ";
      if (s.hollow)
        o << "fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"1.5\"/>\n";
      else
        o << "fill=\"" << s.color << "\" fill-opacity=\"0.8\"/>\n";
    }
    double ly = top + 10 + 18 * li++;
    o << "<circle cx=\"" << num(left + pw + 16) << "\" cy=\"" << num(ly) << "\" r=\"4\" fill=\"" << s.color << "\"/>\n";
    o << "<text x=\"" << num(left + pw + 26) << "\" y=\"" << num(ly + 4) << "\">" << esc(s.name) << "</text>\n";
  }
  o << "<text x=\"" << num(left + pw / 2) << "\" y=\"" << num(H - 8) << "\" text-anchor=\"middle\">" << esc(c.xlabel)
    << "</text>\n";
  o << "<text transform=\"translate(16," << num(top + ph / 2) << ") rotate(-90)\" text-anchor=\"middle\">"
    << esc(c.ylabel) << "</text>\n";
  o << "</svg>\n";
  return o.str();
}

void fit_square_range(Chart& c, double pad, double step, double lo_limit, double hi_limit) {
  double lo = hi_limit, hi = lo_limit;
  for (const auto& s : c.series) {
    for (double v : s.x) lo = std::min(lo, v), hi = std::max(hi, v);
    for (double v : s.y) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (lo > hi) return;
  lo = std::max(lo_limit, std::floor((lo - pad) / step) * step);
  hi = std::min(hi_limit, std::ceil((hi + pad) / step) * step);
  if (hi <= lo) hi = lo + step;
  c.xmin = c.ymin = lo;
  c.xmax = c.ymax = hi;
}

}  // namespace trifold::cli::svg
