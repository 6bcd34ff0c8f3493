//===- hwmodel/gemm_cost.h - GEMM and grouped-GEMM time ---------*- C++ -*-===//
/// \file
/// Time of one GEMM C[M,N] = A[M,K] B[K,N] and of one grouped (per-expert) GEMM, from the device
/// peaks and the fittable GemmParams (hwmodel/efficiency.h). The model is a roofline with the
/// two quantisation effects that dominate real kernels (cf. NVIDIA "Matrix Multiplication
/// Background User's Guide", sections on tile and wave quantization):
///
///   tiles   = ceil(M / tile_m) * ceil(N / tile_n)          (tile quantization: padding)
///   waves   = ceil(tiles / num_sms)                        (wave quantization)
///   rate    = peak / num_sms * eff * K / (K + k_half)      (one SM's FLOP/s on one tile;
///             eff times fp8_efficiency_scale for FP8)
///   compute = waves * 2 * tile_m * tile_n * K / rate
///   memory  = ((M*K + K*N) * in_bytes + M*N * out_bytes) / (hbm_bandwidth * memory_eff)
///   time    = launch_overhead + max(compute, memory)
///
/// Example (H100 SXM, BF16, M=N=K=8192, default tiles 128x128, eff 0.8, k_half 64):
/// 4096 tiles on 132 SMs = 32 waves, so the time is (32*132/4096) = 1.03125 times the ideal
/// 2*8192^3 / (989.4e12 * 0.8 * 8192/8256) = 1.4000 ms, i.e. 1.4437 ms + 2 us launch; the
/// memory roofline (402.7 MB at 0.85 * 3.35 TB/s = 0.141 ms) is far below.
///
/// Grouped GEMM (one launch for all experts of a layer on one GPU, as in Megatron's
/// GroupedMLP, cuBLASLt grouped GEMM or DeepGEMM): tiles are summed over the experts
/// (each expert's M padded separately), waves are taken over the total, the weights of experts
/// that received tokens are read once. Empty problems cost nothing (no kernel is launched).
///
/// Pure functions: no allocation, no global state, thread-safe; cost ~ tens of nanoseconds.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <span>

#include "hwmodel/hardware.h"
#include "hwmodel/precision.h"

namespace moeplan::hw {

struct GemmShape {
  int64_t m = 0;  ///< rows of A and C (tokens)
  int64_t n = 0;  ///< columns of B and C (output features)
  int64_t k = 0;  ///< reduction dimension (input features)
  Precision precision = Precision::kBf16;
};

/// Breakdown of one estimate, for reports and tests.
struct GemmCost {
  double time = 0.0;          ///< seconds, launch included
  double compute_time = 0.0;  ///< seconds of the quantised compute roofline
  double memory_time = 0.0;   ///< seconds of the HBM roofline
  double flops = 0.0;         ///< useful FLOPs, 2*M*N*K (summed over experts)
  double bytes = 0.0;         ///< HBM bytes read and written
  int64_t tiles = 0;          ///< output tiles after padding
  int64_t waves = 0;          ///< ceil(tiles / num_sms)
  bool compute_bound() const { return compute_time >= memory_time; }
};

/// 2 * M * N * K.
constexpr double GemmFlops(const GemmShape& shape) {
  return 2.0 * static_cast<double>(shape.m) * static_cast<double>(shape.n) *
         static_cast<double>(shape.k);
}

/// Estimate for one GEMM. Any dimension <= 0 gives an all-zero cost. The precision must be
/// supported by the device (asserted; check DeviceSpec::Supports first).
GemmCost EstimateGemm(const GemmShape& shape, const Hardware& hardware);

/// EstimateGemm(...).time.
double GemmTime(const GemmShape& shape, const Hardware& hardware);

/// Estimate for one grouped GEMM: expert e multiplies [tokens_per_expert[e], K] by its own
/// [K, N] weight. Negative counts are treated as 0. Does not allocate.
GemmCost EstimateGroupedGemm(std::span<const int64_t> tokens_per_expert, int64_t n, int64_t k,
                             Precision precision, const Hardware& hardware);

/// EstimateGroupedGemm(...).time.
double GroupedGemmTime(std::span<const int64_t> tokens_per_expert, int64_t n, int64_t k,
                       Precision precision, const Hardware& hardware);

}  // namespace moeplan::hw
