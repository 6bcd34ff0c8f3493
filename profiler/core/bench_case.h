//===- profiler/core/bench_case.h - What one microbenchmark measures -*- C++ -*-===//
/// \file
/// A `BenchCase` names one measurement: the op (a piece of an MoE layer), the pass (forward,
/// backward, ...), the precision, the implementation and the shape as named integer dimensions,
/// e.g. gemm forward bf16 cublaslt {tokens=4096, in=4096, out=14336}. The CUDA side builds a
/// workload from it; the profile records it verbatim so that calibration can match shapes.
///
/// Dimension names per op (all counts, no units other than elements and bytes):
///   gemm          tokens, in, out             (Y[tokens,out] = X[tokens,in] W[out,in]^T)
///   grouped_gemm  experts, tokens_per_expert, in, out; param distribution = balanced | skewed
///   router        tokens, hidden, experts, top_k; param score = softmax | sigmoid
///   permute       tokens, hidden, experts, top_k
///   unpermute     tokens, hidden, experts, top_k
///   swiglu        tokens, width               (input [tokens, 2*width], output [tokens, width])
///   rmsnorm       tokens, hidden
///   attention     batch, heads, seq, head_dim; param mask = causal | none
///   adam          params
///   copy          bytes
///   moe_layer     tokens, hidden, width, experts, top_k; params score, distribution
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::profiler {

enum class OpKind {
  kGemm,
  kGroupedGemm,
  kRouter,
  kPermute,
  kUnpermute,
  kSwiglu,
  kRmsnorm,
  kAttention,
  kAdam,
  kCopy,
  kMoeLayer,
};
inline constexpr OpKind kAllOpKinds[] = {OpKind::kGemm,    OpKind::kGroupedGemm, OpKind::kRouter,
                                         OpKind::kPermute, OpKind::kUnpermute,   OpKind::kSwiglu,
                                         OpKind::kRmsnorm, OpKind::kAttention,   OpKind::kAdam,
                                         OpKind::kCopy,    OpKind::kMoeLayer};
const char* ToString(OpKind op);
std::optional<OpKind> ParseOpKind(std::string_view text);
/// "gemm, grouped_gemm, ..." for error messages and help.
std::string OpKindList();

enum class Pass { kForward, kBackward, kBackwardData, kBackwardWeight, kStep, kNone };
const char* ToString(Pass pass);
std::optional<Pass> ParsePass(std::string_view text);

enum class Precision { kBf16, kFp8, kFp32 };
const char* ToString(Precision precision);
std::optional<Precision> ParsePrecision(std::string_view text);

/// One measurement's identity. Shapes and params keep their insertion order (it is the order
/// written to the profile).
struct BenchCase {
  OpKind op = OpKind::kGemm;
  Pass pass = Pass::kForward;
  Precision precision = Precision::kBf16;
  std::string implementation;
  std::vector<std::pair<std::string, int64_t>> shape;
  std::vector<std::pair<std::string, std::string>> params;

  /// The dimension `name`, or 0 when the case has none (callers validate shapes up front).
  int64_t Dim(std::string_view name) const;
  /// The parameter `name`, or "" when absent.
  std::string Param(std::string_view name) const;
  /// "gemm forward bf16 cublaslt tokens=4096 in=4096 out=14336": op, pass, precision,
  /// implementation, then key=value for the shape (integer values) and the params (others).
  std::string Label() const;

  friend bool operator==(const BenchCase&, const BenchCase&) = default;
};

/// Parses a `Label()` back, e.g. a range name set by a traced program (see
/// profiler/scripts/). Error names what is wrong: "range 'gemm fwd': unknown pass 'fwd'".
[[nodiscard]] Result<BenchCase> ParseBenchCaseLabel(std::string_view label);

}  // namespace moeplan::profiler
