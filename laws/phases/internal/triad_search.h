//===- laws/phases/internal/triad_search.h - Triad solver internals -*- C++ -*-===//
/// \file
/// Private to laws/phases/: the records the triad solver keeps while it searches
/// (triad_solver.cc) and the explanation of a search that found nothing (triad_explain.cc).
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "laws/phases/triad_solver.h"

namespace moeplan::phases::internal {

// The free dimensions of one candidate.
struct Dims {
  int64_t heads = 0, layers = 0, experts = 0, top_k = 0, shared = 0, width = 0;
  auto Key() const { return std::tie(layers, width, experts, top_k, shared, heads); }
};

// One exactly counted candidate (compact: thousands are kept; the triad's breakdown is
// re-counted for the few that are returned).
struct Evaluated {
  Dims dims;
  std::array<double, 3> error{};  // M, N_a, N: value / target - 1
  double worst = 0;               // max |error|
  double excess = 0;              // max(|error_i| - tolerance_i): <= 0 iff within tolerance
};

// Why a (heads, K, s) shape failed before rounding.
enum class DepthIssue { kNone, kAttentionTooLarge, kActiveTooSmall };

struct ShapeDiagnosis {
  DepthIssue issue = DepthIssue::kNone;
  double layers_needed = 0;     // continuous L that the attention share asks for
  int64_t layers_allowed = 0;   // L_min (too large) or the most L that N_a allows
  double share_target = 0;      // M - 6 N_a of the targets
  double share_per_layer = 0;   // d(M - 6 N_a)/dL
  double active_per_layer = 0;  // N_a of one MoE layer at the narrowest width
  Dims dims;
};

// Everything the explanation of an empty search reads.
struct SearchOutcome {
  const TriadProblem* problem = nullptr;
  std::array<double, 3> targets{}, tolerances{};  // M, N_a, N
  IntRange experts, top_k, shared;                // the ranges searched
  const std::vector<ShapeDiagnosis>* diagnoses = nullptr;
};

/// "N_e = 64" or "N_e in 1..4096".
std::string RangeText(const char* name, const IntRange& range);

/// One line: why no candidate met the tolerances. `nearest` is the closest candidate found and
/// `nearest_triad` its exact triad.
std::string ExplainNoCandidate(const SearchOutcome& outcome, const Evaluated& nearest,
                               const laws::Triad& nearest_triad);

}  // namespace moeplan::phases::internal
