//===- hwmodel/efficiency.cc - Fittable efficiency parameters -------------===//
#include "hwmodel/efficiency.h"

#include <fmt/format.h>

#include <cmath>
#include <initializer_list>

namespace moeplan::hw {
namespace {

Status FieldError(std::string_view path, std::string_view expected, double got) {
  return Error{fmt::format("field '{}': expected {}, got {}", path, expected, got)};
}

// An efficiency: a fraction of a peak in (0, 1].
Status CheckFraction(double value, std::string_view path) {
  if (!std::isfinite(value) || value <= 0.0 || value > 1.0) {
    return FieldError(path, "a fraction in (0, 1]", value);
  }
  return Status::Ok();
}

// A ramp midpoint, latency or overhead: finite and >= 0.
Status CheckNonNegative(double value, std::string_view path) {
  if (!std::isfinite(value) || value < 0.0) return FieldError(path, "a number >= 0", value);
  return Status::Ok();
}

Status CheckTile(int64_t value, std::string_view path) {
  if (value < 1 || value > 4096) {
    return FieldError(path, "an integer in 1..4096", static_cast<double>(value));
  }
  return Status::Ok();
}

// First failing status of a list, or Ok.
Status FirstError(std::initializer_list<Status> checks) {
  for (const Status& status : checks) {
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace

Status GemmParams::Validate() const {
  return FirstError(
      {CheckTile(tile_m, "efficiency.gemm.tile_m"), CheckTile(tile_n, "efficiency.gemm.tile_n"),
       CheckFraction(compute_efficiency, "efficiency.gemm.compute_efficiency"),
       CheckFraction(grouped_compute_efficiency, "efficiency.gemm.grouped_compute_efficiency"),
       CheckNonNegative(k_half, "efficiency.gemm.k_half"),
       CheckFraction(fp8_efficiency_scale, "efficiency.gemm.fp8_efficiency_scale"),
       CheckFraction(memory_efficiency, "efficiency.gemm.memory_efficiency")});
}

Status AttentionParams::Validate() const {
  return FirstError({CheckFraction(forward_efficiency, "efficiency.attention.forward_efficiency"),
                     CheckFraction(backward_efficiency, "efficiency.attention.backward_efficiency"),
                     CheckNonNegative(seq_half, "efficiency.attention.seq_half"),
                     CheckFraction(memory_efficiency, "efficiency.attention.memory_efficiency")});
}

Status MemoryParams::Validate() const {
  return FirstError(
      {CheckFraction(elementwise, "efficiency.memory.elementwise"),
       CheckFraction(norm, "efficiency.memory.norm"),
       CheckFraction(router, "efficiency.memory.router"),
       CheckFraction(permute, "efficiency.memory.permute"),
       CheckFraction(optimizer, "efficiency.memory.optimizer"),
       CheckNonNegative(half_bandwidth_bytes, "efficiency.memory.half_bandwidth_bytes")});
}

Status LinkEfficiency::Validate(std::string_view path) const {
  return FirstError(
      {CheckFraction(max_efficiency, fmt::format("{}.max_efficiency", path)),
       CheckNonNegative(half_efficiency_bytes, fmt::format("{}.half_efficiency_bytes", path))});
}

Status CollectiveParams::Validate() const {
  if (!std::isfinite(ep_overlap_cost) || ep_overlap_cost < 0.0 || ep_overlap_cost > 1.0) {
    return FieldError("efficiency.collective.ep_overlap_cost", "a number in [0, 1]",
                      ep_overlap_cost);
  }
  return FirstError({CheckNonNegative(call_overhead, "efficiency.collective.call_overhead"),
                     scale_up.Validate("efficiency.collective.scale_up"),
                     scale_out.Validate("efficiency.collective.scale_out")});
}

Status HostParams::Validate() const {
  return FirstError({CheckNonNegative(per_kernel, "efficiency.host.per_kernel"),
                     CheckNonNegative(per_step, "efficiency.host.per_step")});
}

Status EfficiencyParams::Validate() const {
  return FirstError({CheckNonNegative(launch_overhead, "efficiency.launch_overhead"),
                     gemm.Validate(), attention.Validate(), memory.Validate(),
                     collective.Validate(), host.Validate()});
}

}  // namespace moeplan::hw
