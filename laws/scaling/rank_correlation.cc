//===- laws/scaling/rank_correlation.cc - Pearson, Spearman and Kendall ---===//
#include "laws/scaling/rank_correlation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "laws/scaling/special_functions.h"

namespace moeplan::scaling {
namespace {

// Sizes of the groups of equal values (only groups of 2 or more matter for the corrections).
std::vector<double> TieGroupSizes(std::span<const double> values) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> sizes;
  for (size_t begin = 0; begin < sorted.size();) {
    size_t end = begin + 1;
    while (end < sorted.size() && sorted[end] == sorted[begin]) ++end;
    if (end - begin > 1) sizes.push_back(static_cast<double>(end - begin));
    begin = end;
  }
  return sizes;
}

// sum over tie groups of f(t).
template <typename F>
double SumOverTies(const std::vector<double>& sizes, F f) {
  double sum = 0;
  for (double t : sizes) sum += f(t);
  return sum;
}

int Sign(double value) {
  return (value > 0) - (value < 0);
}

}  // namespace

std::vector<double> AverageRanks(std::span<const double> values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (size_t begin = 0; begin < order.size();) {
    size_t end = begin + 1;
    while (end < order.size() && values[order[end]] == values[order[begin]]) ++end;
    // Positions begin..end-1 hold ranks begin+1..end; each gets their mean.
    const double rank = 0.5 * static_cast<double>(begin + 1 + end);
    for (size_t pos = begin; pos < end; ++pos) ranks[order[pos]] = rank;
    begin = end;
  }
  return ranks;
}

std::optional<CorrelationTest> Pearson(std::span<const double> x, std::span<const double> y) {
  const size_t n = x.size();
  if (n < 2 || y.size() != n) return std::nullopt;
  const double mean_x = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(n);
  const double mean_y = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(n);
  double sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    const double dx = x[i] - mean_x, dy = y[i] - mean_y;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (!(sxx > 0) || !(syy > 0)) return std::nullopt;  // a constant sample: r undefined
  CorrelationTest test;
  test.coefficient = std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
  if (n >= 3) test.p_value = CorrelationTwoSidedP(test.coefficient, static_cast<double>(n));
  return test;
}

std::optional<CorrelationTest> Spearman(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size()) return std::nullopt;
  const std::vector<double> rank_x = AverageRanks(x), rank_y = AverageRanks(y);
  return Pearson(rank_x, rank_y);
}

double KendallInversionCdf(size_t n, size_t k) {
  // P_m(j): probability that a random permutation of m items has j inversions. Inserting the
  // m-th item adds 0..m-1 inversions with equal probability, so
  //   P_m(j) = (1/m) sum_{i=0}^{min(j, m-1)} P_{m-1}(j - i).
  const size_t max_inversions = n * (n - 1) / 2;
  std::vector<double> prob(max_inversions + 1, 0.0), next(max_inversions + 1, 0.0);
  prob[0] = 1.0;
  for (size_t m = 2; m <= n; ++m) {
    const size_t top = m * (m - 1) / 2;
    for (size_t j = 0; j <= top; ++j) {
      double sum = 0;
      for (size_t i = 0; i <= std::min(j, m - 1); ++i) sum += prob[j - i];
      next[j] = sum / static_cast<double>(m);
    }
    std::swap(prob, next);
  }
  double cdf = 0;
  for (size_t j = 0; j <= std::min(k, max_inversions); ++j) cdf += prob[j];
  return std::min(cdf, 1.0);
}

std::optional<CorrelationTest> KendallTauB(std::span<const double> x, std::span<const double> y) {
  const size_t n = x.size();
  if (n < 2 || y.size() != n) return std::nullopt;
  double concordant = 0, discordant = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const int s = Sign(x[i] - x[j]) * Sign(y[i] - y[j]);
      if (s > 0) concordant += 1;
      if (s < 0) discordant += 1;
    }
  }
  const double dn = static_cast<double>(n);
  const double n0 = dn * (dn - 1) / 2;
  const std::vector<double> ties_x = TieGroupSizes(x), ties_y = TieGroupSizes(y);
  const double n1 = SumOverTies(ties_x, [](double t) { return t * (t - 1) / 2; });
  const double n2 = SumOverTies(ties_y, [](double u) { return u * (u - 1) / 2; });
  if (!(n0 - n1 > 0) || !(n0 - n2 > 0)) return std::nullopt;  // a constant sample
  CorrelationTest test;
  test.coefficient =
      std::clamp((concordant - discordant) / std::sqrt((n0 - n1) * (n0 - n2)), -1.0, 1.0);
  if (n < 3) return test;
  if (n <= kKendallExactMaxPairs && ties_x.empty() && ties_y.empty()) {
    // Without ties the discordant pairs are the inversions of a permutation; two-sided p is
    // twice the lighter tail (the distribution is symmetric about n0 / 2).
    const auto lighter = static_cast<size_t>(std::min(discordant, n0 - discordant));
    test.p_value = std::min(1.0, 2.0 * KendallInversionCdf(n, lighter));
    test.exact = true;
    return test;
  }
  const double v0 = dn * (dn - 1) * (2 * dn + 5);
  const double vt = SumOverTies(ties_x, [](double t) { return t * (t - 1) * (2 * t + 5); });
  const double vu = SumOverTies(ties_y, [](double u) { return u * (u - 1) * (2 * u + 5); });
  const double t3 = SumOverTies(ties_x, [](double t) { return t * (t - 1) * (t - 2); });
  const double u3 = SumOverTies(ties_y, [](double u) { return u * (u - 1) * (u - 2); });
  const double t2 = SumOverTies(ties_x, [](double t) { return t * (t - 1); });
  const double u2 = SumOverTies(ties_y, [](double u) { return u * (u - 1); });
  const double variance = (v0 - vt - vu) / 18 + t3 * u3 / (9 * dn * (dn - 1) * (dn - 2)) +
                          t2 * u2 / (2 * dn * (dn - 1));
  if (!(variance > 0)) return test;
  test.p_value = NormalTwoSidedP((concordant - discordant) / std::sqrt(variance));
  return test;
}

Result<CorrelationSummary> Correlate(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size()) {
    return Error{fmt::format("correlation: {} values paired with {}", x.size(), y.size())};
  }
  if (x.size() < 2) {
    return Error{fmt::format("correlation: needs at least 2 pairs, got {}", x.size())};
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
      return Error{fmt::format("correlation: pair {} ({}, {}) is not finite", i + 1, x[i], y[i])};
    }
  }
  CorrelationSummary summary;
  summary.n = x.size();
  summary.pearson = Pearson(x, y);
  summary.spearman = Spearman(x, y);
  summary.kendall = KendallTauB(x, y);
  return summary;
}

}  // namespace moeplan::scaling
