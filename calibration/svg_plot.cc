//===- calibration/svg_plot.cc - Predicted-vs-measured scatter plots as SVG -===//
#include "calibration/svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace moeplan::calibration {
namespace {

constexpr std::array<const char*, 12> kPalette = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                  "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                  "#bcbd22", "#17becf", "#393b79", "#637939"};
constexpr double kLeft = 80.0;
constexpr double kRight = 200.0;  // legend column
constexpr double kTop = 40.0;
constexpr double kBottom = 60.0;

// Maps log10(value) in [lo, hi] decades onto pixel spans.
struct Axes {
  double lo = 0.0;
  double hi = 1.0;
  double x0 = 0.0, x1 = 1.0, y0 = 1.0, y1 = 0.0;  // pixel ends (y grows downwards)

  double X(double value) const { return x0 + (std::log10(value) - lo) / (hi - lo) * (x1 - x0); }
  double Y(double value) const { return y0 + (std::log10(value) - lo) / (hi - lo) * (y1 - y0); }
};

Axes MakeAxes(const ScatterPlot& plot) {
  double min = std::numeric_limits<double>::infinity();
  double max = 0.0;
  for (const ScatterSeries& series : plot.series) {
    for (const auto& [x, y] : series.points) {
      if (!(x > 0.0) || !(y > 0.0) || !std::isfinite(x) || !std::isfinite(y)) continue;
      min = std::min({min, x, y});
      max = std::max({max, x, y});
    }
  }
  Axes axes;
  if (max > 0.0) {
    axes.lo = std::floor(std::log10(min));
    axes.hi = std::ceil(std::log10(max));
    if (axes.hi <= axes.lo) axes.hi = axes.lo + 1.0;
  }
  axes.x0 = kLeft;
  axes.x1 = plot.width - kRight;
  axes.y0 = plot.height - kBottom;
  axes.y1 = kTop;
  return axes;
}

std::string Num(double value) {
  return fmt::format("{:.1f}", value);
}

void DrawFrame(const ScatterPlot& plot, const Axes& a, std::string& svg) {
  svg += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n",
      Num(a.x0), Num(a.y1), Num(a.x1 - a.x0), Num(a.y0 - a.y1));
  for (double decade = a.lo; decade <= a.hi + 1e-9; decade += 1.0) {
    const double value = std::pow(10.0, decade);
    const std::string label = fmt::format("1e{}", static_cast<int>(decade));
    const double x = a.X(value);
    const double y = a.Y(value);
    svg += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#ddd\"/>\n",
                       Num(x), Num(a.y0), Num(a.y1));
    svg += fmt::format("<line x1=\"{1}\" y1=\"{0}\" x2=\"{2}\" y2=\"{0}\" stroke=\"#ddd\"/>\n",
                       Num(y), Num(a.x0), Num(a.x1));
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", Num(x),
                       Num(a.y0 + 18), label);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", Num(a.x0 - 6),
                       Num(y + 4), label);
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     Num((a.x0 + a.x1) / 2), Num(a.y0 + 42), XmlEscape(plot.x_label));
  svg += fmt::format(
      "<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\" transform=\"rotate(-90 {0} {1})\">{2}"
      "</text>\n",
      Num(22.0), Num((a.y0 + a.y1) / 2), XmlEscape(plot.y_label));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
                     Num((a.x0 + a.x1) / 2), Num(24.0), XmlEscape(plot.title));
}

void DrawGuides(const ScatterPlot& plot, const Axes& a, std::string& svg) {
  const double lo = std::pow(10.0, a.lo);
  const double hi = std::pow(10.0, a.hi);
  svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#000\"/>\n",
                     Num(a.X(lo)), Num(a.Y(lo)), Num(a.X(hi)), Num(a.Y(hi)));
  if (!(plot.band > 0.0) || plot.band >= 1.0) return;
  for (const double factor : {1.0 + plot.band, 1.0 - plot.band}) {
    // y = factor * x, clipped to the square.
    const double x_start = factor > 1.0 ? lo : lo / factor;
    const double x_end = factor > 1.0 ? hi / factor : hi;
    svg += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\" "
        "stroke-dasharray=\"4 3\"/>\n",
        Num(a.X(x_start)), Num(a.Y(x_start * factor)), Num(a.X(x_end)), Num(a.Y(x_end * factor)));
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#666\">dashed: &#177;{}%</text>\n",
                     Num(a.x0 + 8), Num(a.y1 + 16), static_cast<int>(std::lround(plot.band * 100)));
}

void DrawSeries(const ScatterPlot& plot, const Axes& a, std::string& svg) {
  for (size_t series_idx = 0; series_idx < plot.series.size(); ++series_idx) {
    const ScatterSeries& series = plot.series[series_idx];
    const char* color = kPalette[series_idx % kPalette.size()];
    svg += fmt::format("<g fill=\"{}\" fill-opacity=\"0.7\">\n", color);
    int shown = 0;
    for (const auto& [x, y] : series.points) {
      if (!(x > 0.0) || !(y > 0.0) || !std::isfinite(x) || !std::isfinite(y)) continue;
      svg += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\"/>\n", Num(a.X(x)), Num(a.Y(y)));
      ++shown;
    }
    svg += "</g>\n";
    const double legend_y = kTop + 18.0 * static_cast<double>(series_idx) + 8.0;
    svg += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\"/>\n", Num(a.x1 + 16),
                       Num(legend_y - 4), color);
    svg += fmt::format("<text x=\"{}\" y=\"{}\">{} ({})</text>\n", Num(a.x1 + 26), Num(legend_y),
                       XmlEscape(series.name), shown);
  }
}

}  // namespace

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderScatterSvg(const ScatterPlot& plot) {
  const Axes axes = MakeAxes(plot);
  std::string svg = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"#fff\"/>\n",
      plot.width, plot.height);
  DrawFrame(plot, axes, svg);
  DrawGuides(plot, axes, svg);
  DrawSeries(plot, axes, svg);
  bool any = false;
  for (const ScatterSeries& series : plot.series) any = any || !series.points.empty();
  if (!any) {
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no points</text>\n",
                       Num((axes.x0 + axes.x1) / 2), Num((axes.y0 + axes.y1) / 2));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace moeplan::calibration
