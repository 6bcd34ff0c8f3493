//===- hwmodel/collective_cost.h - Collective communication time -*- C++ -*-===//
/// \file
/// Time of NCCL-style collectives with the alpha-beta model (Hockney; Thakur, Rabenseifner and
/// Gropp, "Optimization of Collective Communication Operations in MPICH", IJHPCA 2005) and the
/// ring algorithms' per-GPU traffic, over the two network tiers of hwmodel/hardware.h.
///
/// `bytes` S is the buffer size as nccl-tests reports it: the reduced buffer (all-reduce), the
/// gathered output (all-gather), the input to scatter (reduce-scatter), everything one GPU sends
/// including its own share (all-to-all), the message (send/recv). For a flat group of n GPUs on
/// one tier (alpha = per-step latency, bw = per-direction bandwidth per GPU):
///
///   all-reduce      2(n-1) steps, 2(n-1)/n * S on the wire per GPU
///   all-gather      (n-1) steps,  (n-1)/n * S
///   reduce-scatter  (n-1) steps,  (n-1)/n * S
///   all-to-all      (n-1) steps,  (n-1)/n * S  (pairwise exchange)
///   send/recv       1 step,       S
///   time = call_overhead + alpha * steps + wire / (bw * eff(S)),
///   eff(S) = max_efficiency * S / (S + half_efficiency_bytes)       (LinkEfficiency)
///
/// Placement says which tier(s) a group of n = r * m GPUs uses: kScaleUp (all n in one scale-up
/// domain: r = n, m = 1), kScaleOut (each in a different domain: r = 1, m = n), kHierarchical
/// (r per domain, m domains; 1 < r < n). Hierarchical collectives run a phase per tier, each a
/// flat collective as above with its own alpha, bandwidth and eff; the phases of the reductions
/// and gathers run in sequence (each needs the previous one's result):
///
///   all-reduce      reduce-scatter(S) in domain, all-reduce(S/r) across, all-gather(S) in domain
///   all-gather      all-gather(S/r) across, then all-gather(S) in domain
///   reduce-scatter  reduce-scatter(S) in domain, then reduce-scatter(S/r) across
///   all-to-all      (r-1)*S/n to domain peers in r-1 steps and (n-r)*S/n to remote peers in
///                   n-r steps, concurrently (one NCCL group posts every peer): the slower tier
///                   sets the time, max(alpha_up (r-1) + ..., alpha_out (n-r) + ...)
///   send/recv       over scale-up for kScaleUp, else over scale-out
///
/// which reduces to the flat formulas when r = n or r = 1. The call overhead is paid once.
/// Not modelled: NVLink SHARP / in-network reduction, tree algorithms, rail-optimised topologies,
/// congestion; calibration absorbs their average effect into eff and alpha.
///
/// Pure functions: no allocation, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string_view>

#include "hwmodel/hardware.h"
#include "laws/support/result.h"

namespace moeplan::hw {

enum class Collective : uint8_t { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kSendRecv };

enum class Placement : uint8_t {
  kScaleUp,       ///< the whole group inside one scale-up domain
  kScaleOut,      ///< one group member per scale-up domain
  kHierarchical,  ///< ranks_per_domain members in each of size / ranks_per_domain domains
};

/// "all_reduce", "all_gather", "reduce_scatter", "all_to_all", "send_recv".
const char* ToString(Collective collective);
/// "scale_up", "scale_out", "hierarchical".
const char* ToString(Placement placement);
[[nodiscard]] Result<Collective> ParseCollective(std::string_view text);
[[nodiscard]] Result<Placement> ParsePlacement(std::string_view text);

/// The GPUs taking part in one collective and where they sit.
struct CollectiveGroup {
  int64_t size = 1;  ///< n, GPUs in the group (send/recv: ignored, always a pair)
  Placement placement = Placement::kScaleUp;
  /// kHierarchical only: r, group members per scale-up domain (1 < r < size, r divides size).
  int64_t ranks_per_domain = 0;

  /// Group members per domain under this placement (r above).
  int64_t RanksPerDomain() const {
    switch (placement) {
      case Placement::kScaleUp:
        return size;
      case Placement::kScaleOut:
        return 1;
      case Placement::kHierarchical:
        return ranks_per_domain;
    }
    return size;
  }
};

/// The placement of `size` GPUs of which `ranks_per_domain` share each domain: kScaleUp when
/// they are all in one, kScaleOut when each is alone, kHierarchical otherwise.
CollectiveGroup PlaceGroup(int64_t size, int64_t ranks_per_domain);

/// Checks the group against the hardware: size >= 1; kScaleUp fits in one domain;
/// kHierarchical has 1 < r < size, r | size, r <= domain_size.
[[nodiscard]] Status ValidateGroup(const CollectiveGroup& group, const Hardware& hardware);

struct CollectiveCost {
  double time = 0.0;             ///< seconds, call overhead included
  double latency_time = 0.0;     ///< seconds of alpha * steps (both tiers)
  double transfer_time = 0.0;    ///< seconds of wire / (bw * eff) (both tiers)
  double scale_up_bytes = 0.0;   ///< bytes each GPU sends over the scale-up tier
  double scale_out_bytes = 0.0;  ///< bytes each GPU sends over the scale-out tier
  int64_t scale_up_steps = 0;
  int64_t scale_out_steps = 0;
};

/// Estimate for one collective of `bytes` over `group` (assumed valid: see ValidateGroup).
/// bytes <= 0, or a group of one GPU (except send/recv), gives an all-zero cost.
CollectiveCost EstimateCollective(Collective collective, double bytes, const CollectiveGroup& group,
                                  const Hardware& hardware);

/// EstimateCollective(...).time.
double CollectiveTime(Collective collective, double bytes, const CollectiveGroup& group,
                      const Hardware& hardware);

}  // namespace moeplan::hw
