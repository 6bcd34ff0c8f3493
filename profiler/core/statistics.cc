//===- profiler/core/statistics.cc - Robust timing statistics -------------===//
#include "profiler/core/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace moeplan::profiler {
namespace {

// 1 / Phi^-1(3/4): makes the MAD a consistent estimator of sigma for normal data.
constexpr double kMadToSigma = 1.4826;

}  // namespace

double Quantile(std::span<const double> sorted, double q) {
  if (sorted.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const double position = q * static_cast<double>(sorted.size() - 1);
  const auto lower = static_cast<size_t>(std::floor(position));
  const size_t upper = std::min(lower + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(lower);
  return sorted[lower] + fraction * (sorted[upper] - sorted[lower]);
}

double Median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return Quantile(samples, 0.5);
}

std::vector<size_t> FindOutliers(std::span<const double> samples, double threshold) {
  std::vector<size_t> outliers;
  if (samples.empty() || threshold <= 0) return outliers;
  const double median = Median({samples.begin(), samples.end()});
  std::vector<double> deviations;
  deviations.reserve(samples.size());
  for (double sample : samples) deviations.push_back(std::fabs(sample - median));
  const double mad = Median(deviations);
  if (mad <= 0) return outliers;
  for (size_t sample_idx = 0; sample_idx < samples.size(); ++sample_idx) {
    if (deviations[sample_idx] / (kMadToSigma * mad) > threshold) outliers.push_back(sample_idx);
  }
  return outliers;
}

SampleStats Summarize(std::span<const double> samples, const StatsOptions& options) {
  SampleStats stats;
  if (samples.empty()) return stats;
  std::vector<size_t> outliers;
  if (static_cast<int>(samples.size()) >= options.min_samples_for_rejection) {
    outliers = FindOutliers(samples, options.outlier_threshold);
  }
  std::vector<double> kept;
  kept.reserve(samples.size());
  size_t next_outlier = 0;
  for (size_t sample_idx = 0; sample_idx < samples.size(); ++sample_idx) {
    if (next_outlier < outliers.size() && outliers[next_outlier] == sample_idx) {
      ++next_outlier;
      continue;
    }
    kept.push_back(samples[sample_idx]);
  }
  std::sort(kept.begin(), kept.end());
  stats.count = static_cast<int>(kept.size());
  stats.rejected = static_cast<int>(outliers.size());
  stats.min = kept.front();
  stats.max = kept.back();
  stats.median = Quantile(kept, 0.5);
  stats.q1 = Quantile(kept, 0.25);
  stats.q3 = Quantile(kept, 0.75);
  stats.iqr = stats.q3 - stats.q1;
  stats.mean = std::accumulate(kept.begin(), kept.end(), 0.0) / static_cast<double>(kept.size());
  double squares = 0;
  std::vector<double> deviations;
  deviations.reserve(kept.size());
  for (double sample : kept) {
    squares += (sample - stats.mean) * (sample - stats.mean);
    deviations.push_back(std::fabs(sample - stats.median));
  }
  stats.stddev = kept.size() > 1 ? std::sqrt(squares / static_cast<double>(kept.size() - 1)) : 0;
  stats.mad = Median(std::move(deviations));
  return stats;
}

}  // namespace moeplan::profiler
