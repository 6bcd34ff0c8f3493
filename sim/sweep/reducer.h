//===- sim/sweep/reducer.h - Top-k, Pareto front and band in bounded memory -*- C++ -*-===//
/// \file
/// Keeps what a sweep reports without keeping its candidates: the k best by (objective, index),
/// the Pareto front of (objective, total parameters) (both minimised; among equal points the
/// smallest index), and the near-optimal band: candidates with objective <= best (1 + eps), at
/// most `band_limit` of them (the best by (objective, index); `band_truncated` says when more
/// qualified). Every order is total, so merging per-thread or per-rank reducers in any order
/// gives the same sets: sweeps are deterministic whatever the thread or rank count.
///
/// `PruneThreshold()` is the largest objective a new candidate may have and still enter one of
/// the kept sets (+inf while any set is open); candidates provably above it can be skipped.
/// Not thread-safe: one reducer per thread or chunk, merged afterwards.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::plan {

struct ReduceOptions {
  int64_t top_k = 0;       ///< 0: no top-k
  bool pareto = false;     ///< keep the (objective, total params) front
  double band_eps = -1.0;  ///< < 0: no band; 0.0025 = within 0.25% of the best
  int64_t band_limit = 10000;
  bool Any() const { return top_k > 0 || pareto || band_eps >= 0; }
};

/// One kept candidate: its sort keys and its CSV row (columns of sim/sweep/sweep.h).
struct Entry {
  double objective = 0;
  int64_t index = 0;
  double params = 0;  ///< total parameters, for the front
  std::string row;
  bool operator==(const Entry&) const = default;
};

class Reducer {
 public:
  Reducer() = default;
  explicit Reducer(const ReduceOptions& options) : options_(options) {}

  /// Would a candidate with these keys enter any kept set? (cheap; build the row only then)
  bool Wants(double objective, int64_t index, double params) const;
  void Offer(const Entry& entry);
  void Merge(const Reducer& other);
  double PruneThreshold() const;

  const std::vector<Entry>& top() const { return top_; }
  const std::vector<Entry>& front() const { return front_; }
  /// The band, filtered by the final best (call after all merges).
  std::vector<Entry> Band() const;
  bool band_truncated() const { return band_truncated_; }
  const ReduceOptions& options() const { return options_; }

  nlohmann::json ToJson() const;
  [[nodiscard]] static Result<Reducer> FromJson(const nlohmann::json& json,
                                                const ReduceOptions& options);

 private:
  bool WantsTop(double objective, int64_t index) const;
  bool WantsBand(double objective, int64_t index) const;
  bool WantsFront(double objective, int64_t index, double params) const;
  double BandLimitValue() const;

  ReduceOptions options_;
  std::vector<Entry> top_;    // sorted by (objective, index)
  std::vector<Entry> band_;   // sorted by (objective, index)
  std::vector<Entry> front_;  // sorted by (objective, index), params strictly decreasing
  bool band_truncated_ = false;
};

}  // namespace moeplan::plan
