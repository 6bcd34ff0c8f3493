//===- laws/scaling/rank_correlation.h - Pearson, Spearman and Kendall -*- C++ -*-===//
/// \file
/// Correlation of two paired samples with two-sided p-values under the null of independence,
/// as used to test the rank-preserving property of the hidden size d (Wan et al. 2026,
/// arXiv:2603.21862): at one budget, the losses of the configurations of a second shape
/// variable measured at two values of d should be ranked alike.
///
///  - Pearson r: centred cross product over the root of the centred sums of squares; p from
///    Student's t with n - 2 degrees of freedom (special_functions.h).
///  - Spearman rho: Pearson r of the ranks, ties given their average rank; p likewise (the t
///    approximation, as scipy.stats.spearmanr).
///  - Kendall tau-b: (n_c - n_d) / sqrt((n_0 - n_1)(n_0 - n_2)) with n_0 = n(n-1)/2 and
///    n_1, n_2 the pairs tied in x and in y (Kendall 1945). p: exact permutation distribution
///    of the number of discordant pairs (Mahonian numbers) for n <= 10 without ties; otherwise
///    the normal approximation of n_c - n_d with the tie-corrected variance
///      var = [n(n-1)(2n+5) - sum t(t-1)(2t+5) - sum u(u-1)(2u+5)] / 18
///          + [sum t(t-1)(t-2)][sum u(u-1)(u-2)] / [9 n(n-1)(n-2)]
///          + [sum t(t-1)][sum u(u-1)] / [2 n(n-1)]
///    (t, u: sizes of the tie groups of x and y; Kendall & Gibbons 1990, Eq. 3.9).
///
/// A coefficient is undefined (std::nullopt) when one sample is constant; a p-value is
/// undefined below 3 pairs (no degrees of freedom). Pure functions, thread-safe.
/// Example: x = (1, 2, 3, 4), y = (1, 3, 2, 4): tau = (5 - 1)/6 = 0.6667 with exact p =
/// 2 P(at most 1 inversion) = 2 (1 + 3)/24 = 0.3333.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::scaling {

/// Kendall's exact null distribution is used up to this many pairs when there are no ties.
inline constexpr size_t kKendallExactMaxPairs = 10;

/// A coefficient with its two-sided p-value (nullopt below 3 pairs).
struct CorrelationTest {
  double coefficient = 0;
  std::optional<double> p_value;
  bool exact = false;  ///< Kendall only: p from the exact permutation distribution
};

/// The three correlations of one paired sample.
struct CorrelationSummary {
  size_t n = 0;
  std::optional<CorrelationTest> pearson;
  std::optional<CorrelationTest> spearman;
  std::optional<CorrelationTest> kendall;  ///< tau-b
};

/// Ranks 1..n, ties given their average rank (e.g. (10, 20, 20, 30) -> (1, 2.5, 2.5, 4)).
std::vector<double> AverageRanks(std::span<const double> values);

std::optional<CorrelationTest> Pearson(std::span<const double> x, std::span<const double> y);
std::optional<CorrelationTest> Spearman(std::span<const double> x, std::span<const double> y);
std::optional<CorrelationTest> KendallTauB(std::span<const double> x, std::span<const double> y);

/// P(a random permutation of n items has at most k inversions), exactly (n <= 20).
double KendallInversionCdf(size_t n, size_t k);

/// All three; needs x and y of equal length >= 2, all values finite.
[[nodiscard]] Result<CorrelationSummary> Correlate(std::span<const double> x,
                                                   std::span<const double> y);

}  // namespace moeplan::scaling
