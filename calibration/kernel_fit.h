//===- calibration/kernel_fit.h - Fit kernel efficiencies to a profile -*- C++ -*-===//
/// \file
/// Fits hwmodel's kernel parameters to the measurements of a profile, op class by op class,
/// in four stages (each later stage uses what the earlier ones fitted):
///
///   1. launch    efficiency.launch_overhead = median over multi-kernel measurements of
///                (span - busy) / (kernels - 1): the gap between back-to-back kernels on one
///                stream, which is what hwmodel adds per kernel (hwmodel/efficiency.h)
///   2. gemm      gemm + grouped_gemm: compute_efficiency, grouped_compute_efficiency, k_half,
///                memory_efficiency (efficiency.gemm)
///   3. attention attention_forward + attention_backward: forward/backward_efficiency,
///                seq_half, memory_efficiency (efficiency.attention)
///   4. memory    elementwise, norm, router, permute, optimizer, copy: efficiency.memory.* and
///                half_bandwidth_bytes, plus a copy efficiency that is reported, not written
///
/// What is compared: the profile's busy time is the union of kernel intervals, without the
/// gaps between kernels; hwmodel's time includes one launch overhead per kernel. A measurement
/// therefore counts as `busy + kernels * launch_overhead` (kernels as CUPTI saw them, or the
/// lowering's count when the profile lists none): the time the op takes on a stream.
///
/// Too few points: a class with 1..min_points_per_class-1 measurements is an error in strict
/// mode (naming the class and the field) and leaves its parameter at its starting value
/// otherwise (cross-validation folds). A class with no measurements leaves its parameter alone
/// and is noted. Shared parameters (k_half, seq_half, the memory-bound size ramp, ...) are fitted
/// whenever their stage has data; where the data cannot pin them the solver's prior keeps them
/// near the base and the report flags them "weakly determined".
//===----------------------------------------------------------------------===//
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "calibration/fit_stage.h"
#include "calibration/lowering.h"
#include "hwmodel/hardware.h"
#include "laws/support/result.h"

namespace moeplan::calibration {

/// One measurement prepared for fitting.
struct KernelPoint {
  size_t measurement_index = 0;  ///< index in Profile::measurements
  std::string label;             ///< BenchCase::Label()
  std::string shape_key;         ///< op and shape: cross-validation keeps a shape in one fold
  LoweredCase lowered;
  double busy_time = 0.0;  ///< time_s.median, seconds
  double span_time = 0.0;  ///< span_s.median, seconds (0 when unknown)
  double kernels = 0.0;    ///< kernels per repetition seen by CUPTI; 0 when not listed
  bool stable = true;

  /// Kernels counted in the stream time: CUPTI's count, else the lowering's.
  double KernelCount() const;
  /// busy_time + KernelCount() * launch_overhead.
  double StreamTime(double launch_overhead) const;
};

struct KernelFitOptions {
  SolverOptions solver;
  int min_points_per_class = 3;  ///< fewer (but some) measurements of a class: too few
  bool strict = true;            ///< too few points is an error (else: keep starting values)
  bool use_unstable = true;      ///< fit measurements the profiler marked unstable too
};

struct KernelFit {
  hw::Hardware hardware;         ///< base with the fitted fields replaced
  double copy_efficiency = 0.9;  ///< fraction of hbm_bandwidth a device copy reaches
  std::vector<FittedParam> params;
  std::vector<StageSummary> stages;
  std::vector<std::string> notes;  ///< classes without data, parameters left at base
};

/// Which stage fits a class ("" for classes used only in validation).
const char* StageOf(OpClass op_class);

/// Fits the points to hwmodel starting from `base`. `source` prefixes errors:
///   "h100.json: too few gemm measurements to fit efficiency.gemm.compute_efficiency: got 2,
///    need at least 3"
[[nodiscard]] Result<KernelFit> FitKernels(std::span<const KernelPoint> points,
                                           const hw::Hardware& base,
                                           const KernelFitOptions& options,
                                           std::string_view source);

/// Predicted seconds of a point under a fit.
double PredictPoint(const KernelPoint& point, const KernelFit& fit);

}  // namespace moeplan::calibration
