//===- tests/sim/sim_test_support.h - Small models and ideal hardware -*- C++ -*-===//
/// \file
/// Tiny architectures whose costs can be worked out by hand, and an "ideal" variant of the toy
/// hardware of tests/hwmodel/toy_hardware.h on which only FLOPs and wire bytes cost time:
/// no launch or call overheads, no latencies, GEMM tiles of 1 x 1 on one SM (no quantisation),
/// unbounded HBM bandwidth (memory-bound kernels and memory rooflines cost ~0), links at full
/// efficiency, no host dispatch time. Then a GEMM takes 2 M N K / (1e15 x 0.5) s, attention FLOPs /
/// (1e15 x 0.5) in forward and / (1e15 x 0.25) in backward, a collective its ring wire bytes /
/// bandwidth.
//===----------------------------------------------------------------------===//
#pragma once

#include "hwmodel/hardware.h"
#include "laws/arch.h"
#include "sim/layout.h"
#include "tests/hwmodel/toy_hardware.h"

namespace moeplan::sim::testing {

inline hw::Hardware IdealHardware() {
  hw::Hardware h = hw::testing::ToyHardware();
  h.device.num_sms = 1;
  h.device.hbm_bandwidth = 1e30;
  h.scale_up.latency = 0.0;
  h.scale_out.latency = 0.0;
  hw::EfficiencyParams& e = h.efficiency;
  e.launch_overhead = 0.0;
  e.gemm.tile_m = 1;
  e.gemm.tile_n = 1;
  e.collective.call_overhead = 0.0;
  e.host.per_kernel = 0.0;  // the host never holds the GPU back
  e.host.per_step = 0.0;
  return h;
}

inline hw::Fleet FleetOf(const hw::Hardware& hardware, int64_t gpus) {
  return {hardware, gpus};
}

/// Korthikanti et al.'s GPT layer: MHA with a heads of h / a, plain FFN of 4h, LayerNorm.
inline laws::MoeArch GptArch(int64_t hidden, int64_t heads, int64_t seq_len, int64_t layers) {
  laws::MoeArch arch;
  arch.name = "gpt-test";
  arch.vocab_size = 1024;
  arch.seq_len = seq_len;
  arch.hidden_size = hidden;
  arch.num_layers = layers;
  arch.attention.num_heads = heads;
  arch.attention.num_kv_heads = heads;
  arch.attention.head_dim = hidden / heads;
  arch.attention.v_head_dim = hidden / heads;
  arch.dense_ffn = {4 * hidden, /*gated=*/false, /*bias=*/false};
  arch.norm.type = laws::NormType::kLayerNorm;
  return arch;
}

/// A tiny dense model: V = 512, d = 256, 4 layers, 4 heads of 64, plain FFN of 1024, S = 256.
inline laws::MoeArch TinyDense() {
  laws::MoeArch arch = GptArch(256, 4, 256, 4);
  arch.name = "tiny-dense";
  arch.vocab_size = 512;
  arch.dense_ffn.intermediate_size = 1024;
  arch.norm.type = laws::NormType::kRmsNorm;
  return arch;
}

/// TinyDense on IdealHardware, one decoder layer and one micro-batch, by hand (only FLOPs cost
/// time there): GEMMs forward 2 x 256 tokens x (256 x 768 + 256 x 256 + 256 x 1024 + 1024 x 256)
/// = 402,653,184 FLOPs at 0.5e15 FLOP/s, backward twice that; attention forward
/// 2 x 4 heads x (256 x 257 / 2) pairs x 128 = 33,685,504 FLOPs at 0.5e15, backward 2.5x =
/// 84,213,760 at 0.25e15; LM head 3 x 2 x 256 x 512 x 256 = 201,326,592 FLOPs at 0.5e15.
inline constexpr double kTinyLayerGemmForwardFlops = 402653184.0;
/// Forward + backward of one TinyDense layer, seconds.
inline constexpr double kTinyDenseLayerSeconds =
    3 * kTinyLayerGemmForwardFlops / 0.5e15 + 33685504.0 / 0.5e15 + 84213760.0 / 0.25e15;
/// The LM head's forward + backward, seconds (last stage only).
inline constexpr double kTinyDenseHeadSeconds = 201326592.0 / 0.5e15;

/// A tiny MoE: d = 256, 2 layers, 4 heads, 8 experts of width 512 (SwiGLU), top-2, S = 512.
inline laws::MoeArch TinyMoe() {
  laws::MoeArch arch = GptArch(256, 4, 512, 2);
  arch.name = "tiny-moe";
  arch.dense_ffn = {};
  arch.norm.type = laws::NormType::kRmsNorm;
  arch.moe.num_experts = 8;
  arch.moe.top_k = 2;
  arch.moe.expert = {512, true, false};
  return arch;
}

inline Layout MakeLayout(int64_t tp, int64_t pp, int64_t ep, int64_t mbs, int64_t gbs) {
  Layout layout;
  layout.tp = tp;
  layout.pp = pp;
  layout.ep = ep;
  layout.mbs = mbs;
  layout.gbs = gbs;
  return layout;
}

}  // namespace moeplan::sim::testing
