// Minimal SVG charts for benchmark reports: line/marker series over an index, and x-y scatter with a diagonal.
#pragma once

#include <string>
#include <vector>

namespace trifold::cli::svg {

struct Series {
  std::string name;
  std::string color;  // CSS colour, e.g. "#1f77b4"
  std::vector<double> x, y;
  double radius = 3;     // marker radius (px)
  bool hollow = false;   // ring instead of a filled dot, so coinciding series stay visible
};

// Sets [min, max] of both axes to the data of all series, padded by `pad` and rounded out to `step`, clipped
// to [lo_limit, hi_limit] (for a scatter with a y = x diagonal).
struct Chart;
void fit_square_range(Chart& c, double pad, double step, double lo_limit, double hi_limit);

struct Chart {
  std::string title, xlabel, ylabel;
  double xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  bool diagonal = false;    // draw y = x
  bool lines = false;       // connect points of each series
  std::vector<std::string> xtick_labels;  // optional labels at x = 0, 1, 2, ... (rotated)
  std::vector<Series> series;
};

// A complete standalone SVG document.
std::string render(const Chart& c);

}  // namespace trifold::cli::svg
