//===- laws/scaling/power_law_fit.cc - Log-log fits of optima against compute ===//
#include "laws/scaling/power_law_fit.h"

#include <fmt/format.h>

#include <cmath>

namespace moeplan::scaling {

double PowerLawFit::Predict(double compute) const {
  return k * std::pow(compute, e);
}

Result<PowerLawFit> FitPowerLaw(std::span<const double> compute, std::span<const double> x) {
  if (compute.size() != x.size()) {
    return Error{
        fmt::format("power-law fit: {} compute values for {} optima", compute.size(), x.size())};
  }
  const size_t n = compute.size();
  if (n < 2) return Error{fmt::format("power-law fit: needs at least 2 points, got {}", n)};
  double mean_u = 0, mean_v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!(compute[i] > 0) || !(x[i] > 0) || !std::isfinite(compute[i]) || !std::isfinite(x[i])) {
      return Error{fmt::format("power-law fit: point {} (C = {}, x = {}) is not positive", i + 1,
                               compute[i], x[i])};
    }
    mean_u += std::log(compute[i]);
    mean_v += std::log(x[i]);
  }
  mean_u /= static_cast<double>(n);
  mean_v /= static_cast<double>(n);
  double suu = 0, suv = 0, svv = 0;
  for (size_t i = 0; i < n; ++i) {
    const double du = std::log(compute[i]) - mean_u, dv = std::log(x[i]) - mean_v;
    suu += du * du;
    suv += du * dv;
    svv += dv * dv;
  }
  if (!(suu > 0)) return Error{"power-law fit: all points have the same compute"};
  PowerLawFit fit;
  fit.num_points = n;
  fit.e = suv / suu;
  const double log_k = mean_v - fit.e * mean_u;
  fit.k = std::exp(log_k);
  const double sse = std::max(0.0, svv - fit.e * suv);
  fit.r_squared = svv > 0 ? 1.0 - sse / svv : 1.0;
  if (n > 2) {
    const double sigma2 = sse / static_cast<double>(n - 2);
    fit.e_std_error = std::sqrt(sigma2 / suu);
    fit.log_k_std_error =
        std::sqrt(sigma2 * (1.0 / static_cast<double>(n) + mean_u * mean_u / suu));
  }
  return fit;
}

ExponentSumCheck CheckExponentSum(const PowerLawFit& m_opt, const PowerLawFit& d_opt,
                                  double tolerance) {
  ExponentSumCheck check;
  check.exponent_sum = m_opt.e + d_opt.e;
  check.coefficient_product = m_opt.k * d_opt.k;
  check.ok = std::fabs(check.exponent_sum - 1) <= tolerance &&
             std::fabs(check.coefficient_product - 1) <= tolerance;
  return check;
}

}  // namespace moeplan::scaling
