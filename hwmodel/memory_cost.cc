//===- hwmodel/memory_cost.cc - Memory-bound kernels and launches ---------===//
#include "hwmodel/memory_cost.h"

#include <fmt/format.h>

#include <array>
#include <string>

namespace moeplan::hw {
namespace {

constexpr std::array<MemoryKernel, 5> kAllKinds = {MemoryKernel::kElementwise, MemoryKernel::kNorm,
                                                   MemoryKernel::kRouter, MemoryKernel::kPermute,
                                                   MemoryKernel::kOptimizer};

}  // namespace

const char* ToString(MemoryKernel kind) {
  switch (kind) {
    case MemoryKernel::kElementwise:
      return "elementwise";
    case MemoryKernel::kNorm:
      return "norm";
    case MemoryKernel::kRouter:
      return "router";
    case MemoryKernel::kPermute:
      return "permute";
    case MemoryKernel::kOptimizer:
      return "optimizer";
  }
  return "elementwise";
}

Result<MemoryKernel> ParseMemoryKernel(std::string_view text) {
  for (MemoryKernel kind : kAllKinds) {
    if (text == ToString(kind)) return kind;
  }
  return Error{fmt::format(
      "unknown memory-bound kernel kind '{}' (expected elementwise, norm, router, permute or "
      "optimizer)",
      text)};
}

double MemoryKernelEfficiency(MemoryKernel kind, const MemoryParams& params) {
  switch (kind) {
    case MemoryKernel::kElementwise:
      return params.elementwise;
    case MemoryKernel::kNorm:
      return params.norm;
    case MemoryKernel::kRouter:
      return params.router;
    case MemoryKernel::kPermute:
      return params.permute;
    case MemoryKernel::kOptimizer:
      return params.optimizer;
  }
  return params.elementwise;
}

double MemoryBoundTime(MemoryKernel kind, double bytes, const Hardware& hardware) {
  if (!(bytes > 0.0)) return 0.0;
  const EfficiencyParams& e = hardware.efficiency;
  const double bandwidth = hardware.device.hbm_bandwidth * MemoryKernelEfficiency(kind, e.memory);
  // bytes / (bw * bytes / (bytes + half)) == (bytes + half) / bw.
  return e.launch_overhead + (bytes + e.memory.half_bandwidth_bytes) / bandwidth;
}

double LaunchTime(int64_t num_kernels, const Hardware& hardware) {
  if (num_kernels <= 0) return 0.0;
  return static_cast<double>(num_kernels) * hardware.efficiency.launch_overhead;
}

}  // namespace moeplan::hw
