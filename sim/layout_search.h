//===- sim/layout_search.h - Best parallel layouts for a fleet --*- C++ -*-===//
/// \file
/// `moeplan sim --best-layout`: enumerates every layout of a search space (tp, pp, vpp, ep, etp,
/// cp, mbs, recompute; dp derived from the fleet; global batch, sharding, precision and sequence
/// parallelism fixed), checks each with sim/layout_check.h, estimates the valid ones with the
/// analytic model (sim/step_estimate.h) and keeps the fastest that fit in memory. Every rejected
/// layout is counted under the family of its first failure (sim/layout_check.h's LayoutIssue,
/// kMemory for out-of-memory) with the first example's message, so the report says why whole
/// families failed.
///
/// Speed: layouts that share (tp, cp, ep, etp, mbs) share one lowering (a few microseconds);
/// the rest of each layout costs one allocation-free analytic estimate. Checks that do not
/// depend on pp / vpp reject a whole (tp, cp, ep, etp, mbs) group at once. Groups are
/// evaluated in parallel with oneTBB and merged in enumeration order, so the result is the same
/// whatever the thread count (ties broken by enumeration index).
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hwmodel/hardware.h"
#include "laws/support/result.h"
#include "sim/layout.h"
#include "sim/layout_check.h"
#include "sim/model_profile.h"
#include "sim/sim_options.h"
#include "sim/step_estimate.h"

namespace moeplan::sim {

/// Values tried per dimension; an empty list means "every sensible value" (see each field).
struct SearchSpace {
  std::vector<int64_t> tp = {1, 2, 4, 8};
  std::vector<int64_t> cp = {1, 2, 4, 8};
  /// Empty: every divisor of the routed experts (1 for dense models).
  std::vector<int64_t> ep;
  /// Empty: {1, 2, 4, 8} (1 for dense models).
  std::vector<int64_t> etp;
  /// Empty: every divisor of the fleet size up to the number of layers + 2 (the embedding and
  /// the loss may fill a stage each, sim/model_profile.h).
  std::vector<int64_t> pp;
  std::vector<int64_t> vpp = {1, 2, 3, 4, 6, 8};
  std::vector<int64_t> mbs = {1, 2, 4, 8};
  std::vector<Recompute> recompute = {Recompute::kNone, Recompute::kSelective, Recompute::kFull};
  /// What "selective" recomputes (Megatron's --recompute-modules).
  RecomputeModules recompute_modules = kSearchRecomputeModules;
  /// Fixed for every candidate: global batch (must be > 0), sharding, precision, SP.
  int64_t gbs = 0;
  Sharding sharding = Sharding::kOptimizer;
  hw::Precision precision = hw::Precision::kBf16;
  bool sequence_parallel = true;
  int top_k = 10;   ///< layouts kept, fastest first
  int threads = 0;  ///< 0: oneTBB's default

  [[nodiscard]] Status Validate() const;
};

struct Candidate {
  Layout layout;  ///< resolved
  StepEstimate estimate;
  int64_t index = 0;  ///< enumeration index (tie-breaker)
};

/// Layouts rejected for one reason.
struct RejectionFamily {
  int64_t count = 0;
  std::string example;  ///< message of the first rejected layout (enumeration order)
  Layout example_layout;
  /// kMemory: the smallest memory need among the rejected layouts, and which layout.
  double least_memory = 0.0;
  Layout least_memory_layout;
};

struct SearchResult {
  std::vector<Candidate> top;  ///< fastest first
  std::array<RejectionFamily, kNumLayoutIssues> rejected{};
  int64_t enumerated = 0;  ///< layouts in the space
  int64_t estimated = 0;   ///< analytic estimates run
  int64_t lowerings = 0;   ///< models lowered
  double seconds = 0.0;    ///< wall-clock time of the search
};

/// Searches `space` for `profile` on `fleet`. Errors only for an invalid space.
[[nodiscard]] Result<SearchResult> SearchLayouts(const ModelProfile& profile,
                                                 const hw::Fleet& fleet, const SearchSpace& space,
                                                 const SimOptions& options);

}  // namespace moeplan::sim
