//===- laws/scaling/bootstrap.cc - Bootstrap uncertainty of fitted laws ---===//
#include "laws/scaling/bootstrap.h"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "laws/scaling/internal/random.h"

namespace moeplan::scaling {
namespace {

// Resampling counts of replicate `replicate`: n draws with replacement from n points.
Eigen::VectorXd ResampleWeights(Eigen::Index n, uint64_t seed, uint64_t replicate) {
  internal::SplitMix64 rng(internal::StreamSeed(seed, replicate));
  Eigen::VectorXd weights = Eigen::VectorXd::Zero(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    weights[static_cast<Eigen::Index>(rng.Below(static_cast<uint64_t>(n)))] += 1.0;
  }
  return weights;
}

double Quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

Status BootstrapOptions::Validate() const {
  if (replicates < 2)
    return Error{fmt::format("bootstrap replicates must be >= 2, got {}", replicates)};
  if (!(ci_level > 0 && ci_level < 1)) {
    return Error{fmt::format("ci_level must be in (0, 1), got {}", ci_level)};
  }
  return Status::Ok();
}

Interval Summarize(std::vector<double> samples, double estimate, double ci_level) {
  Interval out;
  out.estimate = estimate;
  if (samples.size() < 2) {
    out.std_error = out.low = out.high = std::nan("");
    return out;
  }
  const double n = static_cast<double>(samples.size());
  double mean = 0;
  for (double s : samples) mean += s;
  mean /= n;
  double ss = 0;
  for (double s : samples) ss += (s - mean) * (s - mean);
  out.std_error = std::sqrt(ss / (n - 1));
  std::sort(samples.begin(), samples.end());
  out.low = Quantile(samples, 0.5 * (1 - ci_level));
  out.high = Quantile(samples, 0.5 * (1 + ci_level));
  return out;
}

Result<BootstrapResult> Bootstrap(const FitProblem& problem, const FitResult& point,
                                  const BootstrapOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  const auto n = static_cast<Eigen::Index>(problem.data().size());
  const auto replicates = static_cast<size_t>(options.replicates);
  std::vector<FitResult> fits(replicates);
  const std::vector<Eigen::VectorXd> starts =
      options.from_grid ? problem.StartGrid() : std::vector<Eigen::VectorXd>{point.theta};
  tbb::parallel_for(size_t{0}, replicates, [&](size_t r) {
    fits[r] = problem.FitFrom(starts, ResampleWeights(n, options.seed, r));
  });

  BootstrapResult result;
  result.ci_level = options.ci_level;
  const auto num_params = static_cast<Eigen::Index>(problem.form().num_parameters());
  std::vector<Eigen::VectorXd> kept;
  for (const FitResult& fit : fits) {
    if (fit.converged && fit.values.allFinite()) {
      kept.push_back(fit.values);
    } else {
      ++result.num_failed;
    }
  }
  if (kept.size() < 2) {
    return Error{
        fmt::format("bootstrap: only {} of {} replicates converged", kept.size(), replicates)};
  }
  result.values.resize(static_cast<Eigen::Index>(kept.size()), num_params);
  for (size_t r = 0; r < kept.size(); ++r)
    result.values.row(static_cast<Eigen::Index>(r)) = kept[r];
  for (Eigen::Index p = 0; p < num_params; ++p) {
    const Eigen::VectorXd column = result.values.col(p);
    result.coefficients.push_back(Summarize(std::vector<double>(column.begin(), column.end()),
                                            point.values[p], options.ci_level));
  }
  return result;
}

Interval PredictionInterval(const BootstrapResult& bootstrap, const Eigen::VectorXd& point_values,
                            const std::function<double(const Eigen::VectorXd&)>& f) {
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(bootstrap.values.rows()));
  for (Eigen::Index r = 0; r < bootstrap.values.rows(); ++r) {
    const double value = f(bootstrap.values.row(r).transpose());
    if (std::isfinite(value)) samples.push_back(value);
  }
  return Summarize(std::move(samples), f(point_values), bootstrap.ci_level);
}

}  // namespace moeplan::scaling
