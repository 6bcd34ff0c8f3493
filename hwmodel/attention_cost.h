//===- hwmodel/attention_cost.h - Fused attention time ----------*- C++ -*-===//
/// \file
/// Time of one fused (FlashAttention-style) attention kernel, forward or backward, by shape.
/// FLOPs count the matrix products only, as FlashAttention's benchmarks do:
///
///   pairs    = query-key pairs computed: seq_q * seq_kv, or with a causal mask aligned to the
///              bottom-right (queries are the last seq_q positions of seq_kv keys)
///              sum_i clamp(seq_kv - seq_q + i + 1, 0, seq_kv) = seq_q*(seq_kv - seq_q) +
///              seq_q*(seq_q+1)/2 when seq_q <= seq_kv: about half of seq_q * seq_kv
///   forward  = 2 * batch * heads * pairs * (head_dim_qk + head_dim_v)    (S = QK^T, O = PV)
///   backward = 2 * batch * heads * pairs * (3 * head_dim_qk + 2 * head_dim_v)
///              (recomputed S, dV = P^T dO, dP = dO V^T, dQ = dS K, dK = dS^T Q)
///
/// With head_dim_qk == head_dim_v == d this is forward 4 * B * H * pairs * d and backward 2.5x
/// forward: the convention of FlashAttention-2 (Dao, arXiv:2307.08691, Sec. 4.1: "2 matmuls in
/// the forward pass and 5 matmuls in the backward pass, due to recomputation"). KV heads (GQA,
/// MQA) change the bytes read, not the FLOPs.
///
///   compute = flops / (peak * eff * seq_kv / (seq_kv + seq_half)) + exps / exp_rate
///   time    = launch_overhead + max(compute, bytes / (hbm_bandwidth * memory_efficiency))
///
/// with eff = forward_efficiency or backward_efficiency (AttentionParams) and
/// exps = batch * heads * pairs: one exponential per score in the forward pass and one again in
/// the backward, which recomputes P = exp(S - LSE). The exponentials run on the special-function
/// units at DeviceSpec::exp_rate (16 per SM per clock on A100, H100 and B200: 256 tensor FLOPs
/// per exponential on H100, so a head of width d costs R / (4 d) extra per forward FLOP, R the
/// ratio); the measured kernels do not hide them behind the matrix products (FlashAttention-3's
/// head-dim 64/128/256 series fit this sum, not a max). That is why narrow heads (gpt-oss's 64)
/// reach a smaller fraction of peak than wide ones. Bytes: forward reads
/// Q, K, V and writes O and the FP32 log-sum-exp; backward reads Q, K, V, O, dO and the
/// log-sum-exp and writes dQ, dK, dV.
///
/// Pure functions: no allocation, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

#include "hwmodel/hardware.h"
#include "hwmodel/precision.h"

namespace moeplan::hw {

struct AttentionShape {
  int64_t batch = 1;         ///< sequences (micro-batch size)
  int64_t num_heads = 0;     ///< query heads
  int64_t num_kv_heads = 0;  ///< key/value heads (== num_heads for MHA, 1 for MQA)
  int64_t seq_q = 0;         ///< query positions per sequence
  int64_t seq_kv = 0;        ///< key/value positions per sequence
  int64_t head_dim_qk = 0;   ///< width of one query/key head
  int64_t head_dim_v = 0;    ///< width of one value head
  bool causal = true;        ///< causal mask, aligned to the bottom-right corner
  Precision precision = Precision::kBf16;
};

enum class Pass : uint8_t { kForward, kBackward };

struct AttentionCost {
  double time = 0.0;          ///< seconds, launch included
  double compute_time = 0.0;  ///< seconds
  double memory_time = 0.0;   ///< seconds
  double flops = 0.0;         ///< matrix-product FLOPs of the pass
  double bytes = 0.0;         ///< HBM bytes read and written
};

/// Query-key pairs computed per (batch, head): see the file comment.
double AttentionPairs(const AttentionShape& shape);

/// FLOPs of one pass (see the file comment).
double AttentionFlops(const AttentionShape& shape, Pass pass);

/// Estimate for one pass. Any non-positive dimension gives an all-zero cost. The precision
/// must be supported by the device (asserted).
AttentionCost EstimateAttention(const AttentionShape& shape, Pass pass, const Hardware& hardware);

/// EstimateAttention(...).time.
double AttentionTime(const AttentionShape& shape, Pass pass, const Hardware& hardware);

}  // namespace moeplan::hw
