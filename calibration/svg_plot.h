//===- calibration/svg_plot.h - Predicted-vs-measured scatter plots as SVG -*- C++ -*-===//
/// \file
/// A tiny, dependency-free SVG writer for the calibration report: one log-log scatter plot of
/// predicted against measured times, a series (colour) per op class, the diagonal y = x and a
/// band of +-`band` relative error around it. Points at or below zero are skipped (log axes).
///
/// Example:
///   ScatterPlot plot{"H100 kernels (held out)", "measured (s)", "predicted (s)"};
///   plot.series.push_back({"gemm", {{1.4e-3, 1.45e-3}, ...}});
///   std::string svg = RenderScatterSvg(plot);   // a complete <svg> document
/// Pure function, deterministic output (fixed number formatting), thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace moeplan::calibration {

struct ScatterSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  ///< (x = measured, y = predicted)
};

struct ScatterPlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<ScatterSeries> series;
  double band = 0.10;  ///< relative error band drawn around y = x; 0 = none
  int width = 720;     ///< pixels
  int height = 560;
};

/// The plot as a standalone SVG document. An empty plot still renders axes and a note.
std::string RenderScatterSvg(const ScatterPlot& plot);

/// Escapes &, <, >, " and ' for XML text and attributes.
std::string XmlEscape(const std::string& text);

}  // namespace moeplan::calibration
