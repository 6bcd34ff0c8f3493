//===- calibration/fit_stage.h - One robust fit of a few hwmodel fields -*- C++ -*-===//
/// \file
/// A stage fits a handful of hwmodel fields (hardware_params.h), plus optional nuisance
/// parameters that are not hwmodel fields, to points whose predicted time comes from hwmodel's
/// cost functions. Residuals are log(predicted / measured), so every point weighs the same
/// whatever its duration; the solver is robust_lm.h. Kernel fits (kernel_fit.h) and collective
/// fits (collective_fit.h) are sequences of stages.
///
/// Example: the GEMM stage fits efficiency.gemm.compute_efficiency, grouped_compute_efficiency,
/// k_half and memory_efficiency to every GEMM and grouped-GEMM measurement at once.
//===----------------------------------------------------------------------===//
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "calibration/hardware_params.h"
#include "calibration/robust_lm.h"
#include "hwmodel/hardware.h"
#include "laws/support/result.h"

namespace moeplan::calibration {

/// One fitted value, for reports.
struct FittedParam {
  std::string path;         ///< hwmodel JSON path, or a nuisance name such as "copy_efficiency"
  std::string stage;        ///< the stage that fitted it
  double base_value = 0.0;  ///< value before the fit
  double value = 0.0;
  double std_error = 0.0;          ///< delta-method standard error (0 when unknown)
  bool weakly_determined = false;  ///< the data hardly constrain it (see robust_lm.h)
  bool at_bound = false;           ///< pinned at its physical bound
  int points = 0;                  ///< measurements that inform it
};

/// How one stage went.
struct StageSummary {
  std::string name;
  int points = 0;
  int iterations = 0;
  std::string stop_reason;
  double rms_log_error = 0.0;  ///< sqrt(mean residual^2) at the solution
};

/// Predicted seconds of point `index` under `hardware`, with the nuisance values `extras`.
using PointPredictor = std::function<double(size_t index, const hw::Hardware& hardware,
                                            std::span<const double> extras)>;

struct StageInput {
  std::string name;
  std::vector<double> measured;  ///< seconds, > 0
  std::vector<const HardwareParam*> params;
  std::vector<BoundedParam> extras;   ///< nuisance parameters (start = current value)
  std::vector<int> points_per_param;  ///< for reports, params then extras
  PointPredictor predict;
};

struct StageOutput {
  StageSummary summary;
  std::vector<FittedParam> params;  ///< params then extras
  std::vector<double> extra_values;
};

/// Fits `input.params` (starting from their values in `hardware`) and writes the fitted values
/// into `hardware`. Error when the solver fails or does not converge:
///   "fit of stage 'gemm' did not converge: no convergence after 200 iterations"
[[nodiscard]] Result<StageOutput> RunStage(const StageInput& input, hw::Hardware& hardware,
                                           const SolverOptions& options);

}  // namespace moeplan::calibration
