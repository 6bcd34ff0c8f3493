//===- laws/scaling/rank_preservation.cc - Does the ranking survive a change of d? ===//
#include "laws/scaling/rank_preservation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "laws/scaling/budget_optimum.h"

namespace moeplan::scaling {
namespace {

// The averaged runs of one (d level, shape level) cell.
struct Cell {
  size_t shape_level = 0;
  double log_shape_sum = 0;
  double loss_sum = 0;
  double count = 0;
  double shape() const { return std::exp(log_shape_sum / count); }
  double loss() const { return loss_sum / count; }
};

// One d level: its geometric mean d and its cells in increasing shape level.
struct DLevel {
  double log_d_sum = 0;
  double count = 0;
  std::vector<Cell> cells;
  double d() const { return std::exp(log_d_sum / count); }
};

std::vector<DLevel> CollectLevels(std::span<const double> hidden_size,
                                  std::span<const double> shape, std::span<const double> loss,
                                  double level_tolerance) {
  const std::vector<size_t> d_levels = GridLevels(hidden_size, level_tolerance);
  const std::vector<size_t> s_levels = GridLevels(shape, level_tolerance);
  const size_t num_d =
      d_levels.empty() ? 0 : *std::max_element(d_levels.begin(), d_levels.end()) + 1;
  std::vector<DLevel> levels(num_d);
  std::vector<std::map<size_t, Cell>> cells(num_d);
  for (size_t i = 0; i < hidden_size.size(); ++i) {
    DLevel& level = levels[d_levels[i]];
    level.log_d_sum += std::log(hidden_size[i]);
    level.count += 1;
    Cell& cell = cells[d_levels[i]][s_levels[i]];
    cell.shape_level = s_levels[i];
    cell.log_shape_sum += std::log(shape[i]);
    cell.loss_sum += loss[i];
    cell.count += 1;
  }
  for (size_t l = 0; l < num_d; ++l) {
    for (const auto& [shape_level, cell] : cells[l]) levels[l].cells.push_back(cell);
  }
  return levels;
}

// Pairs the cells of two d levels; returns the matching's name.
std::string Match(const DLevel& a, const DLevel& b, std::vector<const Cell*>& matched_a,
                  std::vector<const Cell*>& matched_b) {
  std::vector<size_t> levels_a, levels_b;
  for (const Cell& c : a.cells) levels_a.push_back(c.shape_level);
  for (const Cell& c : b.cells) levels_b.push_back(c.shape_level);
  if (levels_a != levels_b && a.cells.size() == b.cells.size()) {
    for (size_t k = 0; k < a.cells.size(); ++k) {
      matched_a.push_back(&a.cells[k]);
      matched_b.push_back(&b.cells[k]);
    }
    return "order";
  }
  for (const Cell& ca : a.cells) {
    for (const Cell& cb : b.cells) {
      if (ca.shape_level != cb.shape_level) continue;
      matched_a.push_back(&ca);
      matched_b.push_back(&cb);
    }
  }
  return levels_a == levels_b ? "value" : "common values";
}

size_t ArgMin(const std::vector<double>& values) {
  return static_cast<size_t>(std::min_element(values.begin(), values.end()) - values.begin());
}

// Mean of the defined values of one coefficient over the pairs.
template <typename Get>
std::optional<double> MeanOf(const std::vector<const RankPair*>& pairs, Get get) {
  double sum = 0, count = 0;
  for (const RankPair* p : pairs) {
    if (const std::optional<CorrelationTest>& t = get(p->correlation)) {
      sum += t->coefficient;
      count += 1;
    }
  }
  if (count == 0) return std::nullopt;
  return sum / count;
}

}  // namespace

RankBudget TestRankPreservation(double compute, std::span<const double> hidden_size,
                                std::span<const double> shape, std::span<const double> loss,
                                double level_tolerance) {
  RankBudget out;
  out.compute = compute;
  const std::vector<DLevel> levels = CollectLevels(hidden_size, shape, loss, level_tolerance);
  for (size_t a = 0; a < levels.size(); ++a) {
    for (size_t b = a + 1; b < levels.size(); ++b) {
      std::vector<const Cell*> cells_a, cells_b;
      const std::string matching = Match(levels[a], levels[b], cells_a, cells_b);
      if (cells_a.size() < 3) {
        out.skipped.push_back(fmt::format(
            "d = {:.6g} vs {:.6g}: {} configuration{} measured at both; a rank test "
            "needs 3",
            levels[a].d(), levels[b].d(), cells_a.size(), cells_a.size() == 1 ? "" : "s"));
        continue;
      }
      RankPair pair;
      pair.d_a = levels[a].d();
      pair.d_b = levels[b].d();
      pair.matching = matching;
      for (size_t k = 0; k < cells_a.size(); ++k) {
        pair.shape_a.push_back(cells_a[k]->shape());
        pair.shape_b.push_back(cells_b[k]->shape());
        pair.loss_a.push_back(cells_a[k]->loss());
        pair.loss_b.push_back(cells_b[k]->loss());
      }
      Result<CorrelationSummary> correlation = Correlate(pair.loss_a, pair.loss_b);
      if (!correlation) {
        out.skipped.push_back(fmt::format("d = {:.6g} vs {:.6g}: {}", pair.d_a, pair.d_b,
                                          correlation.error().message));
        continue;
      }
      pair.correlation = *correlation;
      pair.same_best = ArgMin(pair.loss_a) == ArgMin(pair.loss_b);
      out.pairs.push_back(std::move(pair));
    }
  }
  return out;
}

RankSummary SummarizeRanks(const std::vector<RankBudget>& budgets) {
  std::vector<const RankPair*> pairs;
  for (const RankBudget& b : budgets) {
    for (const RankPair& p : b.pairs) pairs.push_back(&p);
  }
  RankSummary summary;
  summary.num_pairs = pairs.size();
  summary.mean_pearson = MeanOf(pairs, [](const CorrelationSummary& c) { return c.pearson; });
  summary.mean_spearman = MeanOf(pairs, [](const CorrelationSummary& c) { return c.spearman; });
  summary.mean_kendall = MeanOf(pairs, [](const CorrelationSummary& c) { return c.kendall; });
  for (const RankPair* p : pairs) {
    if (const auto& s = p->correlation.spearman) {
      summary.min_spearman =
          summary.min_spearman ? std::min(*summary.min_spearman, s->coefficient) : s->coefficient;
    }
    if (const auto& k = p->correlation.kendall) {
      if (k->coefficient > 0 && k->p_value && *k->p_value < 0.05) ++summary.kendall_significant;
    }
    if (p->same_best) ++summary.same_best;
  }
  return summary;
}

}  // namespace moeplan::scaling
