//===- hwmodel/collective_cost.cc - Collective communication time ---------===//
#include "hwmodel/collective_cost.h"

#include <fmt/format.h>

#include <array>
#include <cassert>

namespace moeplan::hw {
namespace {

enum class Tier : uint8_t { kUp, kOut };

// Adds one flat phase on `tier`: `steps` latencies and `wire` bytes per GPU, at the efficiency
// of a `message`-byte buffer.
void AddPhase(CollectiveCost& cost, Tier tier, int64_t steps, double wire, double message,
              const Hardware& hardware) {
  if (steps <= 0) return;
  const bool up = tier == Tier::kUp;
  const CollectiveParams& params = hardware.efficiency.collective;
  const LinkEfficiency& link = up ? params.scale_up : params.scale_out;
  const double alpha = up ? hardware.scale_up.latency : hardware.scale_out.latency;
  const double bandwidth = up ? hardware.scale_up.bandwidth : hardware.scale_out.bandwidth;
  const double efficiency =
      link.max_efficiency * SaturatingRamp(message, link.half_efficiency_bytes);
  cost.latency_time += alpha * static_cast<double>(steps);
  cost.transfer_time += wire / (bandwidth * efficiency);
  (up ? cost.scale_up_bytes : cost.scale_out_bytes) += wire;
  (up ? cost.scale_up_steps : cost.scale_out_steps) += steps;
}

// A ring collective phase over `ranks` GPUs moving (ranks-1)/ranks of `buffer` per GPU.
void AddRingPhase(CollectiveCost& cost, Tier tier, int64_t ranks, int64_t steps_per_rank,
                  double buffer, const Hardware& hardware) {
  if (ranks <= 1) return;
  const double fraction = static_cast<double>(ranks - 1) / static_cast<double>(ranks);
  AddPhase(cost, tier, steps_per_rank * (ranks - 1),
           static_cast<double>(steps_per_rank) * fraction * buffer, buffer, hardware);
}

void AddGroupPhases(CollectiveCost& cost, Collective collective, double bytes, int64_t size,
                    int64_t per_domain, const Hardware& hardware) {
  const int64_t domains = size / per_domain;
  const double shard = bytes / static_cast<double>(per_domain);  // S / r
  switch (collective) {
    case Collective::kAllReduce:
      AddRingPhase(cost, Tier::kUp, per_domain, 1, bytes, hardware);  // reduce-scatter
      AddRingPhase(cost, Tier::kOut, domains, 2, shard, hardware);    // all-reduce of S/r
      AddRingPhase(cost, Tier::kUp, per_domain, 1, bytes, hardware);  // all-gather
      return;
    case Collective::kAllGather:
      AddRingPhase(cost, Tier::kOut, domains, 1, shard, hardware);
      AddRingPhase(cost, Tier::kUp, per_domain, 1, bytes, hardware);
      return;
    case Collective::kReduceScatter:
      AddRingPhase(cost, Tier::kUp, per_domain, 1, bytes, hardware);
      AddRingPhase(cost, Tier::kOut, domains, 1, shard, hardware);
      return;
    case Collective::kAllToAll: {
      // All peers are posted in one NCCL group, so the NVLink and the network transfers proceed
      // at once: each tier is a flat pairwise exchange and the slower one sets the time.
      const double per_peer = bytes / static_cast<double>(size);
      CollectiveCost up, out;
      AddPhase(up, Tier::kUp, per_domain - 1, static_cast<double>(per_domain - 1) * per_peer, bytes,
               hardware);
      AddPhase(out, Tier::kOut, size - per_domain,
               static_cast<double>(size - per_domain) * per_peer, bytes, hardware);
      const CollectiveCost& slower =
          up.latency_time + up.transfer_time >= out.latency_time + out.transfer_time ? up : out;
      cost.latency_time += slower.latency_time;
      cost.transfer_time += slower.transfer_time;
      cost.scale_up_bytes += up.scale_up_bytes;
      cost.scale_up_steps += up.scale_up_steps;
      cost.scale_out_bytes += out.scale_out_bytes;
      cost.scale_out_steps += out.scale_out_steps;
      return;
    }
    case Collective::kSendRecv:
      return;  // handled by the caller
  }
}

constexpr std::array<Collective, 5> kAllCollectives = {
    Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
    Collective::kAllToAll, Collective::kSendRecv};
constexpr std::array<Placement, 3> kAllPlacements = {Placement::kScaleUp, Placement::kScaleOut,
                                                     Placement::kHierarchical};

}  // namespace

const char* ToString(Collective collective) {
  switch (collective) {
    case Collective::kAllReduce:
      return "all_reduce";
    case Collective::kAllGather:
      return "all_gather";
    case Collective::kReduceScatter:
      return "reduce_scatter";
    case Collective::kAllToAll:
      return "all_to_all";
    case Collective::kSendRecv:
      return "send_recv";
  }
  return "all_reduce";
}

const char* ToString(Placement placement) {
  switch (placement) {
    case Placement::kScaleUp:
      return "scale_up";
    case Placement::kScaleOut:
      return "scale_out";
    case Placement::kHierarchical:
      return "hierarchical";
  }
  return "scale_up";
}

Result<Collective> ParseCollective(std::string_view text) {
  for (Collective collective : kAllCollectives) {
    if (text == ToString(collective)) return collective;
  }
  return Error{fmt::format(
      "unknown collective '{}' (expected all_reduce, all_gather, reduce_scatter, all_to_all or "
      "send_recv)",
      text)};
}

Result<Placement> ParsePlacement(std::string_view text) {
  for (Placement placement : kAllPlacements) {
    if (text == ToString(placement)) return placement;
  }
  return Error{
      fmt::format("unknown placement '{}' (expected scale_up, scale_out or hierarchical)", text)};
}

CollectiveGroup PlaceGroup(int64_t size, int64_t ranks_per_domain) {
  if (ranks_per_domain >= size) return {size, Placement::kScaleUp, 0};
  if (ranks_per_domain <= 1) return {size, Placement::kScaleOut, 0};
  return {size, Placement::kHierarchical, ranks_per_domain};
}

Status ValidateGroup(const CollectiveGroup& group, const Hardware& hardware) {
  const int64_t n = group.size;
  const int64_t domain = hardware.scale_up.domain_size;
  if (n < 1) return Error{fmt::format("collective group: expected at least 1 GPU, got {}", n)};
  if (group.placement == Placement::kScaleUp && n > domain) {
    return Error{fmt::format(
        "collective group of {} GPUs does not fit in one scale-up domain of {} GPUs ({}); "
        "use a hierarchical or scale-out placement",
        n, domain, hardware.name)};
  }
  if (group.placement != Placement::kHierarchical) return Status::Ok();
  const int64_t r = group.ranks_per_domain;
  if (r <= 1 || r >= n) {
    return Error{fmt::format(
        "hierarchical group of {} GPUs: expected 1 < ranks_per_domain < {}, got {}", n, n, r)};
  }
  if (n % r != 0) {
    return Error{fmt::format(
        "hierarchical group of {} GPUs: ranks_per_domain {} does not divide the group size", n, r)};
  }
  if (r > domain) {
    return Error{fmt::format(
        "hierarchical group of {} GPUs: {} ranks per domain exceed the scale-up domain of {} "
        "GPUs ({})",
        n, r, domain, hardware.name)};
  }
  return Status::Ok();
}

CollectiveCost EstimateCollective(Collective collective, double bytes, const CollectiveGroup& group,
                                  const Hardware& hardware) {
  CollectiveCost cost;
  if (!(bytes > 0.0)) return cost;
  if (collective == Collective::kSendRecv) {
    const Tier tier = group.placement == Placement::kScaleUp ? Tier::kUp : Tier::kOut;
    AddPhase(cost, tier, 1, bytes, bytes, hardware);
  } else {
    if (group.size <= 1) return cost;
    const int64_t per_domain = group.RanksPerDomain();
    assert(per_domain >= 1 && group.size % per_domain == 0 && "invalid CollectiveGroup");
    AddGroupPhases(cost, collective, bytes, group.size, per_domain, hardware);
  }
  cost.time = hardware.efficiency.collective.call_overhead + cost.latency_time + cost.transfer_time;
  return cost;
}

double CollectiveTime(Collective collective, double bytes, const CollectiveGroup& group,
                      const Hardware& hardware) {
  return EstimateCollective(collective, bytes, group, hardware).time;
}

}  // namespace moeplan::hw
