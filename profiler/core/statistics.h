//===- profiler/core/statistics.h - Robust timing statistics ----*- C++ -*-===//
/// \file
/// Summaries of repeated timings that are robust to the odd slow repetition (a clock change, a
/// context switch of the launching thread, an ECC scrub): median, quartiles, interquartile range
/// (IQR) and median absolute deviation (MAD), after rejecting outliers by the modified z-score of
/// Iglewicz and Hoaglin (1993), |x - median| / (1.4826 * MAD) > threshold (3.5 by default).
///
/// Example: samples {1.00, 1.01, 0.99, 1.02, 5.0} ms -> 5.0 rejected, median 1.005 ms.
/// Quantiles interpolate linearly between order statistics (Hyndman and Fan type 7, as numpy).
/// Pure functions, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <span>
#include <vector>

namespace moeplan::profiler {

/// The summary of one set of samples (all in the samples' unit, seconds in profiles).
struct SampleStats {
  int count = 0;     ///< samples kept
  int rejected = 0;  ///< samples dropped as outliers
  double median = 0;
  double mean = 0;
  double min = 0;
  double max = 0;
  double q1 = 0;  ///< 25th percentile
  double q3 = 0;  ///< 75th percentile
  double iqr = 0;
  double mad = 0;  ///< raw median absolute deviation (multiply by 1.4826 for a sigma estimate)
  double stddev = 0;

  /// IQR / median; 0 for an empty or all-zero summary.
  double RelativeSpread() const { return median > 0 ? iqr / median : 0; }
};

/// Options for `Summarize`. Defaults suit GPU kernel timings.
struct StatsOptions {
  double outlier_threshold = 3.5;  ///< modified z-score above which a sample is rejected; <= 0: off
  int min_samples_for_rejection = 5;  ///< fewer samples than this: keep all
};

/// The q-quantile (0 <= q <= 1) of sorted samples, linearly interpolated. Empty -> 0.
double Quantile(std::span<const double> sorted, double q);

/// Median of (unsorted) samples. Empty -> 0.
double Median(std::vector<double> samples);

/// Indices of samples whose modified z-score exceeds `threshold`. Never more than half of them
/// (by construction of the MAD); none when the MAD is zero.
std::vector<size_t> FindOutliers(std::span<const double> samples, double threshold);

/// Rejects outliers (per `options`) and summarises the rest. Empty input -> all zeros.
SampleStats Summarize(std::span<const double> samples, const StatsOptions& options = {});

}  // namespace moeplan::profiler
