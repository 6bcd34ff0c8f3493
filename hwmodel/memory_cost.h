//===- hwmodel/memory_cost.h - Memory-bound kernels and launches -*- C++ -*-===//
/// \file
/// Time of kernels whose cost is the bytes they move through HBM (norms, activations, router
/// softmax/top-k, token permute/unpermute, the optimizer step), and of kernel launches:
///
///   time = launch_overhead + bytes / (hbm_bandwidth * eff(kind) * ramp(bytes))
///   ramp(bytes) = bytes / (bytes + half_bandwidth_bytes)
///
/// i.e. launch_overhead + (bytes + half_bandwidth_bytes) / (hbm_bandwidth * eff(kind)): small
/// kernels cannot keep enough requests in flight to reach full bandwidth. `bytes` is what the
/// kernel reads plus what it writes; the caller (sim/) counts them from its tensor shapes.
/// Example: RMSNorm forward over 8192 tokens x 4096 BF16 reads and writes 2 * 67.1 MB = 134.2 MB;
/// on H100 (3.35 TB/s, norm eff 0.75, half 2 MiB) that is 2 us + 136.3 MB / 2.5125 TB/s = 56.3 us.
///
/// Pure functions: no allocation, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string_view>

#include "hwmodel/hardware.h"
#include "laws/support/result.h"

namespace moeplan::hw {

/// Which MemoryParams efficiency applies.
enum class MemoryKernel : uint8_t {
  kElementwise,  ///< activations, residual adds, casts
  kNorm,         ///< RMSNorm / LayerNorm
  kRouter,       ///< router softmax / sigmoid and top-k
  kPermute,      ///< token permute / unpermute (expert dispatch gathers)
  kOptimizer,    ///< fused optimizer step
};

/// "elementwise", "norm", "router", "permute", "optimizer".
const char* ToString(MemoryKernel kind);
[[nodiscard]] Result<MemoryKernel> ParseMemoryKernel(std::string_view text);

/// The efficiency MemoryParams holds for `kind`.
double MemoryKernelEfficiency(MemoryKernel kind, const MemoryParams& params);

/// Seconds for one kernel moving `bytes` (read + written). bytes <= 0 gives 0 (no launch).
double MemoryBoundTime(MemoryKernel kind, double bytes, const Hardware& hardware);

/// Seconds of `num_kernels` launch overheads (kernels whose work is costed elsewhere or is
/// negligible). num_kernels <= 0 gives 0.
double LaunchTime(int64_t num_kernels, const Hardware& hardware);

}  // namespace moeplan::hw
