//===- profiler/core/op_cost.h - Nominal FLOPs and bytes of each op -*- C++ -*-===//
/// \file
/// The work each benchmark does, so that a measured time becomes an achieved FLOP/s and byte/s.
/// Conventions (documented again in docs/profile-format.md):
///   - a multiply-add is 2 FLOPs; a GEMM [m,k] x [k,n] is 2mnk FLOPs;
///   - bytes are the compulsory DRAM traffic: every input read once, every output written once
///     (element sizes: bf16 2, fp8 1, fp32 4; GEMM outputs are bf16, router logits fp32);
///   - elementwise FLOPs are nominal counts (SwiGLU forward 4 per output, RMSNorm forward 4 per
///     element, Adam 12 per parameter) and matter only for reports, not for calibration;
///   - attention forward is 4 * batch * heads * seq^2 * head_dim FLOPs, halved when causal; its
///     backward is 2.5x the forward (the FlashAttention-2 convention);
///   - a copy of B bytes moves 2B (read and write).
/// Example: gemm forward bf16 {tokens=4096, in=4096, out=4096}: 1.37e11 FLOPs, 1.01e8 bytes.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <vector>

#include "profiler/core/bench_case.h"

namespace moeplan::profiler {

struct OpCost {
  double flops = 0;
  double bytes = 0;
};

/// Row-major GEMM C[m,n] = A[m,k] B[k,n] as a linear layer's pass maps to it:
/// forward (m,n,k) = (tokens, out, in); backward_data = (tokens, in, out);
/// backward_weight = (out, in, tokens).
struct GemmDims {
  int64_t m = 0;
  int64_t n = 0;
  int64_t k = 0;
};
GemmDims LinearLayerGemm(Pass pass, int64_t tokens, int64_t in, int64_t out);

/// Bytes per element of a GEMM input in `precision` (bf16 2, fp8 1, fp32 4).
double ElementBytes(Precision precision);

/// Tokens routed to each of `experts` experts, summing exactly to `total`. "balanced" spreads
/// them evenly (the first total % experts experts get one more); "skewed" follows Zipf's law
/// with exponent 1 (expert e gets a share proportional to 1/(e+1)), rounded by largest
/// remainder. Deterministic. Unknown distributions are treated as balanced.
std::vector<int64_t> ExpertTokenCounts(int64_t total, int64_t experts,
                                       std::string_view distribution);

/// Expert of each of tokens*top_k assignments (token-major), expert e appearing exactly
/// counts[e] times (counts must sum to tokens*top_k), in a deterministic pseudo-random order.
std::vector<int32_t> SyntheticRouting(const std::vector<int64_t>& counts, uint64_t seed = 1);

/// The pieces of a moe_layer case, in execution order (forward: router, permute, fc1, swiglu,
/// fc2, unpermute; backward: the same pieces' backward passes in reverse order, each grouped
/// GEMM as backward_data then backward_weight). Their costs add up to the layer's.
std::vector<BenchCase> MoeLayerParts(const BenchCase& layer);

/// Nominal work of one case (see the conventions above).
OpCost CostOf(const BenchCase& bench_case);

}  // namespace moeplan::profiler
