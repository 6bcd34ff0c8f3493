//===- calibration/lowering.h - Profile cases as hwmodel primitives -*- C++ -*-===//
/// \file
/// How one measured case of a profile (profiler/core/bench_case.h) maps onto hwmodel's cost
/// functions, so that calibration predicts every measurement with exactly the functions the
/// sweeps use. Each case becomes a list of primitives (one kernel each: a GEMM, a grouped GEMM,
/// a fused attention pass or a memory-bound kernel); its predicted time is the sum of their
/// hwmodel times, launch overhead included once per primitive. sim/ should lower MoE layers the
/// same way (it may call LowerCase directly).
///
///   gemm          one GEMM of LinearLayerGemm(pass, tokens, in, out)
///   grouped_gemm  one grouped GEMM over ExpertTokenCounts(experts * tokens_per_expert,
///                 experts, distribution): forward (M_e, out, in), backward_data (M_e, in, out),
///                 backward_weight (out per active expert, in, K = mean tokens of the active
///                 experts; exact when balanced); implementation "loop": one GEMM per expert
///   attention     one fused pass; heads = KV heads = shape heads, seq_q = seq_kv = seq,
///                 head_dim for Q/K and V, causal when param mask = causal
///   router        its GEMMs (forward: [tokens, experts] = X W^T; backward: dX and dW) plus one
///                 router kernel over the score and top-k bytes: forward 2 T E 4 + T K 8,
///                 backward 2 T E 4 + T K 4 (FP32 scores, int32 indices)
///   permute, unpermute, swiglu, rmsnorm, adam, copy
///                 one memory-bound kernel over the profile's compulsory bytes
///                 (profiler::CostOf): permute, permute, elementwise, norm, optimizer; copy
///                 uses its own efficiency (`copy_efficiency`, not a hwmodel field)
///   moe_layer     the concatenation of its parts (profiler::MoeLayerParts)
///
/// Precisions: bf16 -> bf16, fp8 -> fp8, fp32 -> tf32. Pure functions, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hwmodel/attention_cost.h"
#include "hwmodel/gemm_cost.h"
#include "hwmodel/hardware.h"
#include "hwmodel/memory_cost.h"
#include "laws/support/result.h"
#include "profiler/core/bench_case.h"

namespace moeplan::calibration {

/// The groups calibration fits and reports separately.
enum class OpClass : uint8_t {
  kGemm,               ///< dense GEMMs
  kGroupedGemm,        ///< grouped expert GEMMs (one launch)
  kGroupedGemmLoop,    ///< per-expert GEMM loop (validation only: shares the GEMM parameters)
  kAttentionForward,   ///< fused attention forward
  kAttentionBackward,  ///< fused attention backward
  kElementwise,        ///< SwiGLU and other streaming kernels
  kNorm,               ///< RMSNorm
  kRouter,             ///< router GEMM + scores + top-k
  kPermute,            ///< token permute / unpermute
  kOptimizer,          ///< fused Adam step
  kCopy,               ///< device-to-device copy (HBM bandwidth and the size ramp)
  kMoeLayer,           ///< a whole MoE layer (validation only: the sum of its parts)
};
inline constexpr OpClass kAllOpClasses[] = {OpClass::kGemm,
                                            OpClass::kGroupedGemm,
                                            OpClass::kGroupedGemmLoop,
                                            OpClass::kAttentionForward,
                                            OpClass::kAttentionBackward,
                                            OpClass::kElementwise,
                                            OpClass::kNorm,
                                            OpClass::kRouter,
                                            OpClass::kPermute,
                                            OpClass::kOptimizer,
                                            OpClass::kCopy,
                                            OpClass::kMoeLayer};

/// "gemm", "grouped_gemm", "grouped_gemm_loop", "attention_forward", ... "moe_layer".
const char* ToString(OpClass op_class);

/// One kernel as hwmodel prices it.
struct Primitive {
  enum class Kind : uint8_t { kGemm, kGroupedGemm, kAttention, kMemory, kCopy };
  Kind kind = Kind::kGemm;
  hw::GemmShape gemm;                              ///< kGemm
  std::vector<int64_t> tokens_per_expert;          ///< kGroupedGemm: M of each expert
  int64_t n = 0;                                   ///< kGroupedGemm
  int64_t k = 0;                                   ///< kGroupedGemm
  hw::Precision precision = hw::Precision::kBf16;  ///< kGroupedGemm
  hw::AttentionShape attention;                    ///< kAttention
  hw::Pass pass = hw::Pass::kForward;              ///< kAttention
  hw::MemoryKernel memory_kind = hw::MemoryKernel::kElementwise;  ///< kMemory
  double bytes = 0.0;  ///< kMemory, kCopy: bytes read + written
};

struct LoweredCase {
  OpClass op_class = OpClass::kGemm;
  std::vector<Primitive> primitives;
};

/// Lowers one case. Errors name the missing or invalid dimension, e.g.
///   "grouped_gemm forward bf16 ...: shape has no 'tokens_per_expert' (needs experts,
///    tokens_per_expert, in, out)"
[[nodiscard]] Result<LoweredCase> LowerCase(const profiler::BenchCase& bench_case);

/// hwmodel's precision for a profile precision (fp32 -> tf32).
hw::Precision ToHwPrecision(profiler::Precision precision);

/// Seconds of one primitive; kCopy runs at hbm_bandwidth * copy_efficiency with the memory
/// size ramp and one launch.
double PrimitiveTime(const Primitive& primitive, const hw::Hardware& hardware,
                     double copy_efficiency);

/// Sum of PrimitiveTime over the case's primitives.
double PredictTime(const LoweredCase& lowered, const hw::Hardware& hardware,
                   double copy_efficiency);

}  // namespace moeplan::calibration
