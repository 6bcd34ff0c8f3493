//===- hwmodel/efficiency.h - Fittable efficiency parameters ----*- C++ -*-===//
/// \file
/// Every efficiency, ramp and overhead that the cost models (gemm_cost.h, attention_cost.h,
/// memory_cost.h, collective_cost.h) use, as named fields that calibration/ can fit to measured
/// profiles and that the hardware JSON carries under "efficiency". Nothing in the cost models is
/// a hidden constant: what is not a spec-sheet figure of the device is here.
///
/// The in-class defaults are UNCALIBRATED: round values chosen from the ranges that public
/// sources report (cited per field), not measurements of any device. Presets ship them with
/// `source = "uncalibrated defaults"`; a calibrated hardware file replaces them and says so.
///
/// Efficiencies are fractions of a peak in (0, 1]; the "half" parameters are the size at which a
/// saturating ramp x / (x + half) reaches one half (0 turns the ramp off).
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "laws/support/result.h"

namespace moeplan::hw {

/// GEMM and grouped (per-expert) GEMM; see gemm_cost.h for the formula.
struct GemmParams {
  /// Output tile of one thread block (CTA): M and N are padded up to multiples of these, and
  /// tiles are scheduled in waves over the SMs. 128x128 is the common CUTLASS/cuBLAS Hopper tile.
  int64_t tile_m = 128;
  int64_t tile_n = 128;
  /// Fraction of the dense peak a full wave of long-K tiles sustains. Uncalibrated default
  /// (Calculon's systems/a100_80g.json assumes 0.95 for large GEMMs; 0.80 is more conservative).
  double compute_efficiency = 0.80;
  /// Same for grouped expert GEMMs (many small problems in one launch schedule less well).
  /// Uncalibrated default.
  double grouped_compute_efficiency = 0.75;
  /// Small-K ramp: each tile's throughput is scaled by K / (K + k_half) (prologue/epilogue and
  /// pipeline fill are amortised over K). Elements; 0 disables. Uncalibrated default.
  double k_half = 64.0;
  /// Fraction of HBM bandwidth a memory-bound GEMM reaches. Uncalibrated default.
  double memory_efficiency = 0.85;
  /// Multiplier on both compute efficiencies for FP8 GEMMs: FP8 kernels reach a smaller
  /// fraction of their doubled peak than BF16 ones (scaling, amax and the shorter K-loop per
  /// byte leave the tensor cores idle more often). 1 = same fraction; uncalibrated default.
  double fp8_efficiency_scale = 1.0;

  [[nodiscard]] Status Validate() const;
  bool operator==(const GemmParams&) const = default;
};

/// Fused (FlashAttention-style) attention; see attention_cost.h.
struct AttentionParams {
  /// Fraction of dense peak the matrix products of the forward pass sustain; the exponentials
  /// are priced apart, on DeviceSpec::exp_rate (attention_cost.h). Defaults: least squares of
  /// this model on the cuDNN series of the FlashAttention-3 paper (Shah et al.,
  /// arXiv:2407.08608, Figs. 5-6: H100 SXM5, BF16, sequence 512-16k), the kernel Transformer
  /// Engine picks on Hopper. Causal forward, head dim 128: 0.79 with a ramp of 540 tokens
  /// (each point within 2.5%). Not fitted to training runs.
  double forward_efficiency = 0.79;
  /// Same for the backward pass: 0.59 with a ramp of 420 tokens, fitted to the head-dim 64
  /// and 128 series together (within 7%; without the exponential term 12%).
  double backward_efficiency = 0.59;
  /// Short-sequence ramp: efficiency scaled by seq_kv / (seq_kv + seq_half). Tokens; 0
  /// disables. 500: between the forward (540) and backward (420) fits above.
  double seq_half = 500.0;
  /// Fraction of HBM bandwidth when attention is memory-bound (tiny head dims). Uncalibrated.
  double memory_efficiency = 0.85;

  [[nodiscard]] Status Validate() const;
  bool operator==(const AttentionParams&) const = default;
};

/// Memory-bound kernels, one efficiency per kind (see memory_cost.h). Uncalibrated defaults:
/// streaming kernels reach a higher fraction of HBM bandwidth than gathers and reductions.
struct MemoryParams {
  double elementwise = 0.85;  ///< activations (SwiGLU, GeLU), residual adds, casts, dropout
  double norm = 0.75;         ///< RMSNorm / LayerNorm forward and backward (row reductions)
  double router = 0.50;       ///< router softmax / sigmoid and top-k (small rows, sorting)
  double permute = 0.60;      ///< token permute / unpermute for expert dispatch (gathers)
  double optimizer = 0.80;    ///< fused Adam step over parameters, gradients and states
  /// Size ramp: bandwidth scaled by bytes / (bytes + half_bandwidth_bytes). By Little's law a
  /// GPU needs about bandwidth x DRAM latency in flight (3.35 TB/s x ~600 ns ~ 2 MB on H100);
  /// 2 MiB is an uncalibrated default. Bytes; 0 disables.
  double half_bandwidth_bytes = 2.0 * 1024 * 1024;

  [[nodiscard]] Status Validate() const;
  bool operator==(const MemoryParams&) const = default;
};

/// Size-dependent efficiency of one network tier: eff(S) = max_efficiency * S / (S + half).
struct LinkEfficiency {
  /// Fraction of the per-direction link bandwidth that large collectives reach (bus bandwidth
  /// in nccl-tests terms). Uncalibrated default (Calculon's systems/a100_80g.json: 0.65 NVLink,
  /// 0.9 InfiniBand).
  double max_efficiency = 0.80;
  /// Message size (bytes) at which efficiency is half of max_efficiency. 0 disables.
  /// Uncalibrated default.
  double half_efficiency_bytes = 4.0 * 1024 * 1024;

  [[nodiscard]] Status Validate(std::string_view path) const;
  bool operator==(const LinkEfficiency&) const = default;
};

/// Collectives (see collective_cost.h). The per-step latencies (alpha) live with the links in
/// the hardware description (scale_up.latency, scale_out.latency).
struct CollectiveParams {
  /// Fixed cost of one collective call (kernel launch, setup). NCCL's own tuning model uses a
  /// base latency of 8.4 us for ring/Simple (NCCL src/graph/tuning.cc, baseLat); default.
  double call_overhead = 8.4e-6;
  LinkEfficiency scale_up{0.80, 4.0 * 1024 * 1024};   ///< NVLink / xGMI tier
  LinkEfficiency scale_out{0.90, 4.0 * 1024 * 1024};  ///< InfiniBand / RoCE tier
  /// Share of every second of expert-parallel all-to-all hidden behind compute (Megatron
  /// --overlap-moe-expert-parallel-comm, --moe-shared-expert-overlap) that still lengthens the
  /// step, in [0, 1]; 0 = a perfect overlap, 1 = none. The overlapped dispatch and combine
  /// kernels take SMs and HBM bandwidth from the GEMMs they run beside, and the 1F1B overlap
  /// only pairs micro-batches in the pipeline's steady state. Uncalibrated default: DeepEP's
  /// kernels run on 24 SMs (its README's Buffer.set_num_sms(24)), 18% of an H100's 132.
  double ep_overlap_cost = 0.2;

  [[nodiscard]] Status Validate() const;
  bool operator==(const CollectiveParams&) const = default;
};

/// CPU-side cost of driving the GPU. An eager training framework (PyTorch + Megatron-Core /
/// Transformer Engine) spends host time on every kernel it launches (Python, dispatcher,
/// launch); when that exceeds the kernels' GPU time the GPU waits. MoE layers synchronise the
/// host each layer (the token-per-expert counts size the grouped GEMMs), so the host cannot run
/// ahead: each pass of a block takes max(GPU time, kernels x per_kernel). sim/ applies this per
/// block and pass (sim/internal/emitter.cc).
struct HostParams {
  /// Host seconds per launched kernel. Uncalibrated default (PyTorch eager operators cost
  /// microseconds to tens of microseconds of CPU each).
  double per_kernel = 10.0e-6;
  /// Fixed host seconds per training step outside the layers (loss and grad-norm
  /// reductions, scheduler, logging, zeroing gradients). Uncalibrated default.
  double per_step = 0.0;

  [[nodiscard]] Status Validate() const;
  bool operator==(const HostParams&) const = default;
};

/// All fittable parameters of one device + fabric.
struct EfficiencyParams {
  /// Where the values come from: "uncalibrated defaults" for presets; calibration writes the
  /// profile it fitted.
  std::string source = "uncalibrated defaults";
  /// Seconds added to every kernel: the gap between back-to-back kernels on one stream when the
  /// CPU runs ahead (a few microseconds; CUDA Graphs shrink it). Uncalibrated default.
  double launch_overhead = 2.0e-6;
  GemmParams gemm;
  AttentionParams attention;
  MemoryParams memory;
  CollectiveParams collective;
  HostParams host;

  /// Errors name the field, e.g. "field 'efficiency.gemm.tile_m': expected ..., got 0".
  [[nodiscard]] Status Validate() const;
  bool operator==(const EfficiencyParams&) const = default;
};

/// x / (x + half), or 1 when half == 0: the saturating ramp used throughout.
constexpr double SaturatingRamp(double x, double half) {
  return half > 0.0 ? x / (x + half) : 1.0;
}

}  // namespace moeplan::hw
