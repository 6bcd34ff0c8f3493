//===- calibration/report.h - Calibration reports: text, JSON, SVG -*- C++ -*-===//
/// \file
/// Renders a CalibrationResult for people (an aligned text report: provenance, fitted
/// parameters against the base, held-out errors per op class, MoE layers, collectives, notes),
/// for machines (`moeplan-calibration-report` JSON, version 1) and as predicted-vs-measured
/// plots (svg_plot.h). Errors are relative to the measurement and given in percent; times in
/// seconds. Pure functions, deterministic, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "calibration/calibrate.h"
#include "calibration/svg_plot.h"

namespace moeplan::calibration {

inline constexpr std::string_view kReportFormat = "moeplan-calibration-report";
inline constexpr int kReportVersion = 1;

/// The human-readable report.
std::string RenderTextReport(const CalibrationResult& result);

/// The machine-readable report: provenance, parameters, stages, classes, layers, every point.
nlohmann::ordered_json ReportToJson(const CalibrationResult& result);

/// Held-out predicted vs measured kernel times, one series per op class.
ScatterPlot KernelPlot(const CalibrationResult& result);

/// Held-out predicted vs measured collective times, one series per placement and collective.
ScatterPlot CollectivePlot(const CalibrationResult& result);

}  // namespace moeplan::calibration
