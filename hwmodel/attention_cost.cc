//===- hwmodel/attention_cost.cc - Fused attention time -------------------===//
#include "hwmodel/attention_cost.h"

#include <algorithm>
#include <cassert>

namespace moeplan::hw {
namespace {

constexpr double kLseBytes = 4.0;  // FP32 log-sum-exp per (batch, head, query)

bool IsEmpty(const AttentionShape& s) {
  return s.batch <= 0 || s.num_heads <= 0 || s.num_kv_heads <= 0 || s.seq_q <= 0 || s.seq_kv <= 0 ||
         s.head_dim_qk <= 0 || s.head_dim_v <= 0;
}

double AttentionBytes(const AttentionShape& s, Pass pass) {
  const double b = static_cast<double>(s.batch);
  const double q = b * static_cast<double>(s.seq_q * s.num_heads * s.head_dim_qk);
  const double o = b * static_cast<double>(s.seq_q * s.num_heads * s.head_dim_v);
  const double kv = b * static_cast<double>(s.seq_kv * s.num_kv_heads) *
                    static_cast<double>(s.head_dim_qk + s.head_dim_v);
  const double lse = b * static_cast<double>(s.num_heads * s.seq_q) * kLseBytes;
  const double in = InputBytesPerElement(s.precision);
  const double out = OutputBytesPerElement(s.precision);
  if (pass == Pass::kForward) return (q + kv) * in + o * out + lse;
  // Reads Q, K, V, O, dO, LSE; writes dQ, dK, dV (gradients in the output precision).
  return (q + kv) * in + 2.0 * o * out + lse + (q + kv) * out;
}

}  // namespace

double AttentionPairs(const AttentionShape& s) {
  const double sq = static_cast<double>(s.seq_q);
  const double skv = static_cast<double>(s.seq_kv);
  if (!s.causal) return sq * skv;
  if (s.seq_q <= s.seq_kv) return sq * (skv - sq) + sq * (sq + 1.0) / 2.0;
  // More queries than keys: the first seq_q - seq_kv queries see no key.
  return skv * (skv + 1.0) / 2.0;
}

double AttentionFlops(const AttentionShape& s, Pass pass) {
  if (IsEmpty(s)) return 0.0;
  const double per_pair_head = pass == Pass::kForward
                                   ? static_cast<double>(s.head_dim_qk + s.head_dim_v)
                                   : static_cast<double>(3 * s.head_dim_qk + 2 * s.head_dim_v);
  return 2.0 * static_cast<double>(s.batch) * static_cast<double>(s.num_heads) * AttentionPairs(s) *
         per_pair_head;
}

AttentionCost EstimateAttention(const AttentionShape& s, Pass pass, const Hardware& hardware) {
  AttentionCost cost;
  if (IsEmpty(s)) return cost;
  const AttentionParams& p = hardware.efficiency.attention;
  const double peak = hardware.device.PeakFlops(s.precision);
  assert(peak > 0.0 && "attention precision not supported by the device");
  const double efficiency =
      (pass == Pass::kForward ? p.forward_efficiency : p.backward_efficiency) *
      SaturatingRamp(static_cast<double>(s.seq_kv), p.seq_half);
  cost.flops = AttentionFlops(s, pass);
  cost.bytes = AttentionBytes(s, pass);
  cost.compute_time = cost.flops / (peak * efficiency);
  if (hardware.device.exp_rate > 0.0) {
    // One exponential per score in each pass (the backward recomputes P = exp(S - LSE)).
    cost.compute_time += static_cast<double>(s.batch) * static_cast<double>(s.num_heads) *
                         AttentionPairs(s) / hardware.device.exp_rate;
  }
  cost.memory_time = cost.bytes / (hardware.device.hbm_bandwidth * p.memory_efficiency);
  cost.time = hardware.efficiency.launch_overhead + std::max(cost.compute_time, cost.memory_time);
  return cost;
}

double AttentionTime(const AttentionShape& shape, Pass pass, const Hardware& hardware) {
  return EstimateAttention(shape, pass, hardware).time;
}

}  // namespace moeplan::hw
