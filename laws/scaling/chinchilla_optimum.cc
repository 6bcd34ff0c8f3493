//===- laws/scaling/chinchilla_optimum.cc - Compute-optimal N and D -------===//
#include "laws/scaling/chinchilla_optimum.h"

#include <fmt/format.h>

#include <cmath>

namespace moeplan::scaling {

Status ChinchillaCoefficients::Validate() const {
  const std::pair<const char*, double> fields[] = {
      {"A", A}, {"B", B}, {"E", E}, {"alpha", alpha}, {"beta", beta}};
  for (const auto& [name, value] : fields) {
    if (!(value > 0) || !std::isfinite(value)) {
      return Error{fmt::format("chinchilla coefficient '{}': expected a positive number, got {}",
                               name, value)};
    }
  }
  return Status::Ok();
}

double ChinchillaLoss(const ChinchillaCoefficients& c, double params, double tokens) {
  return c.E + c.A / std::pow(params, c.alpha) + c.B / std::pow(tokens, c.beta);
}

double ChinchillaScale(const ChinchillaCoefficients& c) {
  return std::pow(c.alpha * c.A / (c.beta * c.B), 1.0 / (c.alpha + c.beta));
}

double ChinchillaParamsExponent(const ChinchillaCoefficients& c) {
  return c.beta / (c.alpha + c.beta);
}

double ChinchillaTokensExponent(const ChinchillaCoefficients& c) {
  return c.alpha / (c.alpha + c.beta);
}

ChinchillaAllocation ChinchillaOptimum(const ChinchillaCoefficients& c, double compute,
                                       double flops_per_param_token) {
  const double g = ChinchillaScale(c);
  const double budget = compute / flops_per_param_token;
  ChinchillaAllocation out;
  out.compute = compute;
  out.params = g * std::pow(budget, ChinchillaParamsExponent(c));
  out.tokens = std::pow(budget, ChinchillaTokensExponent(c)) / g;
  out.loss = ChinchillaLoss(c, out.params, out.tokens);
  out.tokens_per_param = out.tokens / out.params;
  return out;
}

}  // namespace moeplan::scaling
