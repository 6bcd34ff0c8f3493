//===- calibration/end_to_end_fit.h - Fit to measured training runs -*- C++ -*-===//
/// \file
/// Fits a small set of global hardware-model parameters to measured end-to-end training runs
/// (the published runs and vTrain steps of sim/validate.h), for devices that have no kernel
/// profile yet. Kernel profiles (calibration/calibrate.h) pin each efficiency from single
/// kernels; this fit instead asks which few numbers make whole training steps come out
/// right, so it can only see what varies across the runs. The parameters:
///
///   gemm.compute_efficiency per GPU generation (Ampere A100; Hopper H100/H200/H800;
///     Blackwell B200/GB200; Blackwell Ultra B300/GB300) -- grouped_compute_efficiency follows
///     it by a fitted ratio;
///   gemm.fp8_efficiency_scale; gemm.k_half (the per-tile fixed cost in K columns, bounded by
///     512: about the time a tile's epilogue takes to write its output at the SM's share of HBM
///     bandwidth plus a pipeline fill);
///   host.per_kernel and host.per_step (hw::HostParams); the maximum bus efficiency of the
///   scale-up and scale-out tiers; the cost of overlapped EP all-to-all
///   (collective.ep_overlap_cost: only runs with --overlap-moe-expert-parallel-comm or
///   --moe-shared-expert-overlap see it).
///
/// Attention efficiency is not fitted: whole-step times cannot tell attention from GEMM time
/// (earlier fits with an attention scale stopped anywhere between x 0.6 and x 1.6 of the
/// defaults, and a fit without the long-context runs pushed it down to where held-out
/// long-context runs were 20-40% too slow), so it stays at the published kernel measurements
/// of hw::AttentionParams.
///
/// Objective: the robust Levenberg-Marquardt of calibration/robust_lm.h on residuals
/// log(predicted / measured) (Huber, scale 0.1 by default); vTrain cases are weighted so that
/// they count as much in total as the published ones (1,440 single-node steps of one model
/// family must not swamp 129 runs of every kind).
///
/// Honest error: k-fold cross-validation by *model* (every run of a model is held out
/// together, the parameters are refitted on the rest, the held-out runs are predicted), so
/// the reported held-out error is that of a model the fit never saw.
///
///   auto cases = sim::PrepareCases(runs, vtrain);
///   Result<EndToEndFit> fit = FitEndToEnd(cases, {});
/// Not thread-safe across calls sharing options; each call uses oneTBB internally.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "calibration/robust_lm.h"
#include "hwmodel/hardware.h"
#include "laws/support/result.h"
#include "sim/validate.h"

namespace moeplan::calibration {

/// CalibrationRecord::tool of an end-to-end fit.
inline constexpr std::string_view kEndToEndFitTool = "moeplan 0.1.0 validate --fit";

/// GPU generations with their own fitted GEMM efficiency. Blackwell Ultra (B300, GB300) has the
/// same dense BF16/FP8 peaks as Blackwell on paper but a higher power limit (1,400 W vs 1,200 W
/// on NVL72) and twice the exponential throughput, and the published runs show it faster at
/// equal layouts, so it is its own generation.
enum class GpuGeneration : uint8_t { kAmpere, kHopper, kBlackwell, kBlackwellUltra, kOther };
/// The generation of a hardware preset name ("h100-sxm" -> kHopper).
GpuGeneration GenerationOf(const hw::Hardware& hardware);

/// The fitted values (physical units).
struct EndToEndParams {
  double gemm_ampere = 0.8, gemm_hopper = 0.8, gemm_blackwell = 0.8, gemm_blackwell_ultra = 0.8;
  double grouped_ratio = 0.9375;  ///< grouped / dense GEMM efficiency
  double fp8_scale = 1.0;
  double gemm_k_half = 64.0;  ///< efficiency.gemm.k_half (per-tile fixed cost, in K columns)
  double host_per_kernel = 10e-6;
  double host_per_step = 0.0;
  double scale_up_efficiency = 0.8;
  double scale_out_efficiency = 0.9;
  double ep_overlap_cost = 0.2;  ///< efficiency.collective.ep_overlap_cost

  /// `base` with these parameters applied (GEMM efficiency only for fitted generations).
  hw::Hardware Apply(const hw::Hardware& base) const;
  nlohmann::ordered_json ToJson() const;
};

struct EndToEndFitOptions {
  /// Stops at a relative cost decrease of 1e-8, not the solver's default 1e-12: step times
  /// have kinks (the max of GPU and host time, of network and NVLink tiers of an all-to-all,
  /// of a TP collective and its overlapped GEMM), along which the tighter tolerance crawls for
  /// hundreds of iterations without moving the fit (at 1e-10 the 2026-11-24 runs file still
  /// gained 1e-9 per step after 600 iterations). For the same reason the fit may take more than
  /// the solver's default 200 iterations.
  SolverOptions solver = [] {
    SolverOptions o;
    o.function_tolerance = 1e-8;
    o.max_iterations = 600;
    return o;
  }();
  /// Folds of the cross-validation by model; 0 or 1: none.
  int folds = 5;
  /// Total weight of the vTrain cases relative to the published ones.
  double vtrain_total_weight = 1.0;
};

/// Errors of one set of predictions.
struct FitErrors {
  int64_t cases = 0;
  double median_abs = 0.0;  ///< median |predicted / measured - 1|
  double mean_abs = 0.0;
};

/// One published run's errors (relative, predicted / measured - 1, in the run's own metric).
struct CaseError {
  std::string id;
  std::string source;
  std::string model;
  bool moe = false;
  double in_sample = 0.0;  ///< with the fitted parameters; NaN where the simulator rejects it
  /// Predicted by the fold that held the run's model out; NaN without cross-validation.
  double held_out = std::numeric_limits<double>::quiet_NaN();
};

struct EndToEndFit {
  EndToEndParams params;
  SolverSummary summary;
  /// In-sample errors with the fitted parameters (published, published dense / MoE, vTrain).
  FitErrors published, dense, moe, vtrain;
  /// Held-out errors of the cross-validation (each case predicted by the fold that left its
  /// model out); zero cases when folds < 2.
  FitErrors cv_published, cv_dense, cv_moe, cv_vtrain;
  int folds = 0;
  int64_t cases_total = 0;  ///< cases given to FitEndToEnd
  /// Every published (non-vTrain) case in input order, so a reader can see which runs the
  /// held-out medians hide (vTrain's 1,440 steps are only summarised).
  std::vector<CaseError> case_errors;
  /// JSON; "cases" lists case_errors (errors as fractions, null where NaN).
  nlohmann::ordered_json ToJson() const;

  /// This fit as the "calibration" record of a hardware file (hw::CalibrationRecord): tool
  /// kEndToEndFitTool, base "presets", `source` (the runs file(s)), every case used, the folds,
  /// and per case group with cases ("published", "published_dense", "published_moe", "vtrain")
  /// the cross-validated errors in percent: mape_held_out = 100 x mean, median_error = 100 x
  /// median of |predicted / measured - 1|. No errors without cross-validation (folds < 2).
  hw::CalibrationRecord Record(std::string source) const;
};

/// Fits the parameters to `cases`. Errors: no cases, a case the simulator rejects, or a fit
/// that does not converge (the message says why).
[[nodiscard]] Result<EndToEndFit> FitEndToEnd(const std::vector<sim::ValidationCase>& cases,
                                              const EndToEndFitOptions& options);

}  // namespace moeplan::calibration
