//===- laws/scaling/isoflop.h - IsoFLOP profiles and their optima -*- C++ -*-===//
/// \file
/// IsoFLOP analysis (Hoffmann et al. 2022, Approach 2; DeepSeek LLM 2024, Sec. 3.2; Wan et al.
/// 2026 phase 1): at each compute budget C, runs differ in one size variable x (N, M or D =
/// C/M); a parabola L = c0 + c1 u + c2 u^2 in u = ln x is fitted by least squares, its vertex
/// gives x_opt(C) and L_opt(C), and the interval where the parabola stays within a relative
/// epsilon of L_opt gives the near-optimal band (Wan et al.'s default epsilon 0.25%):
///
///   u_opt = -c1 / (2 c2),  L_opt = c0 - c1^2 / (4 c2),
///   band: u_opt -+ sqrt(epsilon L_opt / c2)
///
/// The optima against C then fit power laws (power_law_fit.h). Pure functions, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <span>
#include <vector>

#include "laws/scaling/power_law_fit.h"

namespace moeplan::scaling {

struct IsoFlopOptions {
  /// Relative loss tolerance of the near-optimal band: L <= L_opt (1 + epsilon).
  double epsilon = 0.0025;
  /// Runs whose C lie within this relative distance of a budget's smallest C share the budget.
  double budget_tolerance = 0.05;
  [[nodiscard]] Status Validate() const;
};

/// One budget's parabola and optimum.
struct IsoFlopProfile {
  double compute = 0;  ///< geometric mean of the budget's C
  size_t num_points = 0;
  double c0 = 0, c1 = 0, c2 = 0;  ///< L = c0 + c1 ln x + c2 (ln x)^2
  double x_opt = 0;               ///< vertex
  double loss_opt = 0;            ///< parabola at the vertex
  double x_low = 0, x_high = 0;   ///< near-optimal band at epsilon
  bool inside = false;            ///< x_opt within the sampled range of x
  double rms_residual = 0;        ///< of the parabola, loss units
};

/// Fits one budget: needs >= 3 distinct positive x and an upward parabola (c2 > 0).
[[nodiscard]] Result<IsoFlopProfile> FitIsoFlopProfile(std::span<const double> x,
                                                       std::span<const double> loss, double compute,
                                                       const IsoFlopOptions& options);

/// Groups runs into budgets by C and fits each, in increasing C.
[[nodiscard]] Result<std::vector<IsoFlopProfile>> FitIsoFlopProfiles(
    std::span<const double> compute, std::span<const double> x, std::span<const double> loss,
    const IsoFlopOptions& options);

/// x_opt(C) = k C^e over the profiles.
[[nodiscard]] Result<PowerLawFit> FitOptimaPowerLaw(const std::vector<IsoFlopProfile>& profiles);

}  // namespace moeplan::scaling
