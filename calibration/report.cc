//===- calibration/report.cc - Calibration reports: text, JSON, SVG -------===//
#include "calibration/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace moeplan::calibration {
namespace {

using Json = nlohmann::ordered_json;

// A minimal aligned table: first column left-aligned, the others right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string Render(size_t left_columns = 1) const {
    std::vector<size_t> widths;
    for (const auto& row : rows_) {
      widths.resize(std::max(widths.size(), row.size()), 0);
      for (size_t col = 0; col < row.size(); ++col) {
        widths[col] = std::max(widths[col], row[col].size());
      }
    }
    std::string out;
    for (const auto& row : rows_) {
      std::string line = " ";
      for (size_t col = 0; col < row.size(); ++col) {
        const bool left = col < left_columns;
        line += left ? fmt::format(" {:<{}}", row[col], widths[col])
                     : fmt::format(" {:>{}}", row[col], widths[col]);
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line;
      out += '\n';
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string G(double value) {
  return fmt::format("{:.4g}", value);
}

std::string Pct(double value) {
  return fmt::format("{:.1f}%", value);
}

std::string SignedPct(double value) {
  return fmt::format("{:+.1f}%", value);
}

std::string Flags(const FittedParam& p) {
  if (p.weakly_determined && p.at_bound) return "weakly determined; at its bound";
  if (p.weakly_determined) return "weakly determined (stays near base)";
  return p.at_bound ? "at its bound" : "";
}

std::string ProvenanceText(const CalibrationResult& r) {
  const Provenance& p = r.provenance;
  std::string out = fmt::format("moeplan calibration: {} (base {})\n", r.calibrated.name, p.base);
  out += fmt::format("profile:     {}: {}, measured {}, driver {}, {}\n", p.profile_source,
                     p.device_name, p.profile_created_utc.empty() ? "?" : p.profile_created_utc,
                     p.driver_version.empty() ? "?" : p.driver_version,
                     p.tool.empty() ? "unknown tool" : p.tool);
  out += fmt::format(
      "             {} measurements, {} fitted; {}-fold cross-validation by "
      "shape (seed {})\n",
      p.measurements, p.measurements_used, p.folds, p.seed);
  if (p.nccl_sources.empty()) {
    out += "collectives: no nccl-tests logs (collective parameters are the base's)\n";
  } else {
    out += fmt::format("collectives: {} nccl-tests log(s), {} rows\n", p.nccl_sources.size(),
                       p.nccl_rows);
  }
  return out;
}

std::string ParamsText(const CalibrationResult& r) {
  Table table({"parameter", "base", "fitted", "std. error", "points", "note"});
  for (const FittedParam& p : r.params) {
    table.Add(
        {p.path, G(p.base_value), G(p.value), G(p.std_error), std::to_string(p.points), Flags(p)});
  }
  return fmt::format("fitted parameters (copy_efficiency is reported only, not written)\n{}",
                     table.Render());
}

std::string ClassesText(const std::vector<ClassValidation>& classes) {
  Table table({"class", "points", "MAPE held-out", "worst held-out", "median bias",
               "MAPE in-sample", "worst case"});
  for (const ClassValidation& c : classes) {
    table.Add({c.op_class, std::to_string(c.points), Pct(c.mape_held_out), Pct(c.worst_held_out),
               SignedPct(c.median_bias_held_out), Pct(c.mape_fitted), c.worst_label});
  }
  return table.Render();
}

std::string LayersText(const CalibrationResult& r) {
  if (r.layers.empty()) return "MoE layers: none measured (no composite moe_layer cases)\n";
  Table table({"layer", "measured", "predicted (held-out)", "error", "sum of measured parts",
               "parts measured"});
  for (const LayerValidation& layer : r.layers) {
    const double error = 100.0 * (layer.predicted_held_out - layer.measured) / layer.measured;
    table.Add({layer.label, G(layer.measured), G(layer.predicted_held_out), SignedPct(error),
               layer.sum_of_measured_parts ? G(*layer.sum_of_measured_parts) : "-",
               fmt::format("{}/{}", layer.parts_measured, layer.parts_total)});
  }
  return fmt::format("MoE layers: sum of predicted kernels vs the measured layer (seconds)\n{}",
                     table.Render());
}

std::string StagesText(const CalibrationResult& r) {
  Table table({"stage", "points", "iterations", "rms log error", "stopped because"});
  for (const StageSummary& s : r.stages) {
    table.Add({s.name, std::to_string(s.points), std::to_string(s.iterations), G(s.rms_log_error),
               s.stop_reason});
  }
  return table.Render(1);
}

Json ParamJson(const FittedParam& p) {
  return Json{{"path", p.path},           {"stage", p.stage},
              {"base", p.base_value},     {"value", p.value},
              {"std_error", p.std_error}, {"weakly_determined", p.weakly_determined},
              {"at_bound", p.at_bound},   {"points", p.points}};
}

Json ClassJson(const ClassValidation& c) {
  return Json{{"class", c.op_class},
              {"points", c.points},
              {"mape_held_out_pct", c.mape_held_out},
              {"worst_held_out_pct", c.worst_held_out},
              {"worst_case", c.worst_label},
              {"median_bias_held_out_pct", c.median_bias_held_out},
              {"mape_in_sample_pct", c.mape_fitted}};
}

Json PointJson(const PointValidation& p) {
  return Json{{"label", p.label},     {"class", p.op_class},      {"measured_s", p.measured},
              {"fitted_s", p.fitted}, {"held_out_s", p.held_out}, {"fold", p.fold}};
}

Json ProvenanceJson(const Provenance& p) {
  return Json{{"profile", p.profile_source},
              {"tool", p.tool},
              {"device", p.device_name},
              {"profile_created_utc", p.profile_created_utc},
              {"driver_version", p.driver_version},
              {"measurements", p.measurements},
              {"measurements_fitted", p.measurements_used},
              {"nccl_logs", p.nccl_sources},
              {"nccl_rows", p.nccl_rows},
              {"base", p.base},
              {"folds", p.folds},
              {"seed", p.seed}};
}

ScatterPlot PlotOf(const std::vector<PointValidation>& points, std::string title) {
  ScatterPlot plot;
  plot.title = std::move(title);
  plot.x_label = "measured time (s)";
  plot.y_label = "predicted time, held out (s)";
  std::map<std::string, size_t> index;
  for (const PointValidation& p : points) {
    auto [slot, inserted] = index.try_emplace(p.op_class, plot.series.size());
    if (inserted) plot.series.push_back({p.op_class, {}});
    plot.series[slot->second].points.emplace_back(p.measured, p.held_out);
  }
  return plot;
}

}  // namespace

std::string RenderTextReport(const CalibrationResult& r) {
  std::string out = fmt::format("{}\n{}\n", ProvenanceText(r), ParamsText(r));
  out += "kernels: error of predicted vs measured time on held-out shapes\n";
  out += fmt::format("{}\n{}", ClassesText(r.kernel_classes), LayersText(r));
  if (!r.collective_classes.empty()) {
    out += "\ncollectives: error of predicted vs measured time on held-out sizes\n";
    out += ClassesText(r.collective_classes);
  }
  out += fmt::format("\nfit stages\n{}", StagesText(r));
  if (!r.notes.empty()) {
    out += "\nnotes\n";
    for (const std::string& note : r.notes) out += fmt::format("  - {}\n", note);
  }
  return out;
}

Json ReportToJson(const CalibrationResult& r) {
  Json params = Json::array();
  for (const FittedParam& p : r.params) params.push_back(ParamJson(p));
  Json stages = Json::array();
  for (const StageSummary& s : r.stages) {
    stages.push_back(Json{{"name", s.name},
                          {"points", s.points},
                          {"iterations", s.iterations},
                          {"rms_log_error", s.rms_log_error},
                          {"stop_reason", s.stop_reason}});
  }
  Json kernel_classes = Json::array();
  for (const ClassValidation& c : r.kernel_classes) kernel_classes.push_back(ClassJson(c));
  Json collective_classes = Json::array();
  for (const ClassValidation& c : r.collective_classes) collective_classes.push_back(ClassJson(c));
  Json layers = Json::array();
  for (const LayerValidation& l : r.layers) {
    layers.push_back(Json{{"label", l.label},
                          {"measured_s", l.measured},
                          {"predicted_held_out_s", l.predicted_held_out},
                          {"predicted_in_sample_s", l.predicted_fitted},
                          {"sum_of_measured_parts_s",
                           l.sum_of_measured_parts ? Json(*l.sum_of_measured_parts) : Json()},
                          {"parts_total", l.parts_total},
                          {"parts_measured", l.parts_measured}});
  }
  Json kernel_points = Json::array();
  for (const PointValidation& p : r.kernel_points) kernel_points.push_back(PointJson(p));
  Json collective_points = Json::array();
  for (const PointValidation& p : r.collective_points) collective_points.push_back(PointJson(p));
  return Json{{"format", kReportFormat},
              {"version", kReportVersion},
              {"hardware", r.calibrated.name},
              {"provenance", ProvenanceJson(r.provenance)},
              {"parameters", std::move(params)},
              {"copy_efficiency", r.copy_efficiency},
              {"stages", std::move(stages)},
              {"kernel_classes", std::move(kernel_classes)},
              {"layers", std::move(layers)},
              {"collective_classes", std::move(collective_classes)},
              {"kernel_points", std::move(kernel_points)},
              {"collective_points", std::move(collective_points)},
              {"notes", r.notes}};
}

ScatterPlot KernelPlot(const CalibrationResult& r) {
  return PlotOf(r.kernel_points,
                fmt::format("{}: kernels, held-out prediction vs measurement", r.calibrated.name));
}

ScatterPlot CollectivePlot(const CalibrationResult& r) {
  return PlotOf(
      r.collective_points,
      fmt::format("{}: collectives, held-out prediction vs measurement", r.calibrated.name));
}

}  // namespace moeplan::calibration
