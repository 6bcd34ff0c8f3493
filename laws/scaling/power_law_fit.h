//===- laws/scaling/power_law_fit.h - Log-log fits of optima against compute -*- C++ -*-===//
/// \file
/// Ordinary least squares of ln x = ln k + e ln C: how IsoFLOP optima (Hoffmann et al. 2022,
/// Approach 2; DeepSeek LLM 2024, Fig. 4) become allocation laws X_opt(C) = k C^e. Standard
/// errors are the usual OLS ones (residual variance over n - 2 degrees of freedom), in log
/// space for k. Also the consistency check of a pair M_opt, D_opt when C = M D: exponents sum
/// to 1 and coefficients multiply to 1. Pure functions, thread-safe.
/// Example: DeepSeek's M_opt = 0.1715 C^0.5243 and D_opt = 5.8316 C^0.4757 give e_M + e_D =
/// 1.0000 and k_M k_D = 1.0001.
//===----------------------------------------------------------------------===//
#pragma once

#include <span>

#include "laws/support/result.h"

namespace moeplan::scaling {

struct PowerLawFit {
  double k = 0;                ///< X at C = 1
  double e = 0;                ///< exponent
  double log_k_std_error = 0;  ///< standard error of ln k (0 with 2 points)
  double e_std_error = 0;      ///< standard error of e (0 with 2 points)
  double r_squared = 0;        ///< in log space
  size_t num_points = 0;
  double Predict(double compute) const;
};

/// Needs >= 2 points with distinct C, all values positive.
[[nodiscard]] Result<PowerLawFit> FitPowerLaw(std::span<const double> compute,
                                              std::span<const double> x);

struct ExponentSumCheck {
  double exponent_sum = 0;         ///< e_M + e_D; 1 when C = M D holds at every optimum
  double coefficient_product = 0;  ///< k_M k_D; 1 likewise
  bool ok = false;                 ///< |sum - 1| <= tolerance and |product - 1| <= tolerance
};

/// Checks M_opt(C) D_opt(C) = C for a pair of power laws (C, M and D in consistent units).
ExponentSumCheck CheckExponentSum(const PowerLawFit& m_opt, const PowerLawFit& d_opt,
                                  double tolerance = 0.01);

}  // namespace moeplan::scaling
