//===- calibration/fit_stage.cc - One robust fit of a few hwmodel fields --===//
#include "calibration/fit_stage.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace moeplan::calibration {

Result<StageOutput> RunStage(const StageInput& input, hw::Hardware& hardware,
                             const SolverOptions& options) {
  const size_t num_params = input.params.size();
  std::vector<BoundedParam> bounded = ToBoundedParams(input.params, hardware);
  bounded.insert(bounded.end(), input.extras.begin(), input.extras.end());
  hw::Hardware trial = hardware;
  const ResidualFunction residuals = [&](std::span<const double> values, std::span<double> out) {
    ApplyValues(input.params, values.first(num_params), trial);
    const std::span<const double> extras = values.subspan(num_params);
    for (size_t point_idx = 0; point_idx < input.measured.size(); ++point_idx) {
      const double predicted = input.predict(point_idx, trial, extras);
      out[point_idx] = predicted > 0.0 ? std::log(predicted / input.measured[point_idx])
                                       : std::numeric_limits<double>::quiet_NaN();
    }
  };
  Result<SolverSummary> solved =
      SolveRobust(bounded, static_cast<int>(input.measured.size()), residuals, options);
  if (!solved) {
    return Error{fmt::format("fit of stage '{}' failed: {}", input.name, solved.error().message)};
  }
  if (!solved->converged) {
    return Error{fmt::format("fit of stage '{}' did not converge: {} (cost {:.4g})", input.name,
                             solved->stop_reason, solved->final_cost)};
  }
  StageOutput output;
  output.summary.name = input.name;
  output.summary.points = static_cast<int>(input.measured.size());
  output.summary.iterations = solved->iterations;
  output.summary.stop_reason = solved->stop_reason;
  double sum2 = 0.0;
  for (const double r : solved->residuals) sum2 += r * r;
  output.summary.rms_log_error =
      solved->residuals.empty() ? 0.0
                                : std::sqrt(sum2 / static_cast<double>(solved->residuals.size()));
  for (size_t param_idx = 0; param_idx < bounded.size(); ++param_idx) {
    FittedParam fitted;
    fitted.path = bounded[param_idx].name;
    fitted.stage = input.name;
    fitted.base_value = bounded[param_idx].start;
    fitted.value = solved->values[param_idx];
    fitted.std_error = solved->std_errors[param_idx];
    fitted.weakly_determined = solved->weakly_determined[param_idx];
    fitted.at_bound = solved->at_bound[param_idx];
    fitted.points = param_idx < input.points_per_param.size() ? input.points_per_param[param_idx]
                                                              : output.summary.points;
    output.params.push_back(std::move(fitted));
    if (param_idx >= num_params) output.extra_values.push_back(solved->values[param_idx]);
  }
  ApplyValues(input.params, std::span<const double>(solved->values).first(num_params), hardware);
  return output;
}

}  // namespace moeplan::calibration
