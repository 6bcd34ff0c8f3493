//===- hwmodel/gemm_cost.cc - GEMM and grouped-GEMM time ------------------===//
#include "hwmodel/gemm_cost.h"

#include <algorithm>
#include <cassert>

namespace moeplan::hw {
namespace {

constexpr int64_t CeilDiv(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Seconds one wave of tiles takes: every SM computes one tile_m x tile_n x K tile.
double WaveTime(int64_t k, double efficiency, Precision precision, const Hardware& hardware) {
  const DeviceSpec& device = hardware.device;
  const GemmParams& p = hardware.efficiency.gemm;
  const double peak = device.PeakFlops(precision);
  assert(peak > 0.0 && "GEMM precision not supported by the device");
  const double kd = static_cast<double>(k);
  const double scale = precision == Precision::kFp8 ? p.fp8_efficiency_scale : 1.0;
  const double sm_rate = peak / static_cast<double>(device.num_sms) * efficiency * scale *
                         SaturatingRamp(kd, p.k_half);
  const double tile_flops =
      2.0 * static_cast<double>(p.tile_m) * static_cast<double>(p.tile_n) * kd;
  return tile_flops / sm_rate;
}

// Fills waves, compute/memory/total time from tiles and bytes already in `cost`.
void Finish(GemmCost& cost, int64_t k, double efficiency, Precision precision,
            const Hardware& hardware) {
  if (cost.tiles == 0) {
    cost = GemmCost{};
    return;
  }
  const EfficiencyParams& e = hardware.efficiency;
  cost.waves = CeilDiv(cost.tiles, hardware.device.num_sms);
  cost.compute_time =
      static_cast<double>(cost.waves) * WaveTime(k, efficiency, precision, hardware);
  cost.memory_time = cost.bytes / (hardware.device.hbm_bandwidth * e.gemm.memory_efficiency);
  cost.time = e.launch_overhead + std::max(cost.compute_time, cost.memory_time);
}

}  // namespace

GemmCost EstimateGemm(const GemmShape& shape, const Hardware& hardware) {
  GemmCost cost;
  if (shape.m <= 0 || shape.n <= 0 || shape.k <= 0) return cost;
  const GemmParams& p = hardware.efficiency.gemm;
  const double m = static_cast<double>(shape.m);
  const double n = static_cast<double>(shape.n);
  const double k = static_cast<double>(shape.k);
  cost.flops = GemmFlops(shape);
  cost.bytes = (m * k + k * n) * InputBytesPerElement(shape.precision) +
               m * n * OutputBytesPerElement(shape.precision);
  cost.tiles = CeilDiv(shape.m, p.tile_m) * CeilDiv(shape.n, p.tile_n);
  Finish(cost, shape.k, p.compute_efficiency, shape.precision, hardware);
  return cost;
}

double GemmTime(const GemmShape& shape, const Hardware& hardware) {
  return EstimateGemm(shape, hardware).time;
}

GemmCost EstimateGroupedGemm(std::span<const int64_t> tokens_per_expert, int64_t n, int64_t k,
                             Precision precision, const Hardware& hardware) {
  GemmCost cost;
  if (n <= 0 || k <= 0) return cost;
  const GemmParams& p = hardware.efficiency.gemm;
  const int64_t tiles_n = CeilDiv(n, p.tile_n);
  int64_t total_tokens = 0;
  int64_t active_experts = 0;
  int64_t tiles_m = 0;
  for (const int64_t tokens : tokens_per_expert) {
    if (tokens <= 0) continue;
    total_tokens += tokens;
    ++active_experts;
    tiles_m += CeilDiv(tokens, p.tile_m);
  }
  const double nd = static_cast<double>(n);
  const double kd = static_cast<double>(k);
  const double rows = static_cast<double>(total_tokens);
  cost.flops = 2.0 * rows * nd * kd;
  cost.bytes = (rows * kd + static_cast<double>(active_experts) * kd * nd) *
                   InputBytesPerElement(precision) +
               rows * nd * OutputBytesPerElement(precision);
  cost.tiles = tiles_m * tiles_n;
  Finish(cost, k, p.grouped_compute_efficiency, precision, hardware);
  return cost;
}

double GroupedGemmTime(std::span<const int64_t> tokens_per_expert, int64_t n, int64_t k,
                       Precision precision, const Hardware& hardware) {
  return EstimateGroupedGemm(tokens_per_expert, n, k, precision, hardware).time;
}

}  // namespace moeplan::hw
