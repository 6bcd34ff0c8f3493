//===- profiler/gemm.h - Row-major GEMMs on cuBLASLt and cuBLAS -*- C++ -*-===//
/// \file
/// The profiler thinks in row-major PyTorch terms, C[m,n] = op(A)[m,k] op(B)[k,n] with A stored
/// [m,k] (or [k,m] when transposed) and B stored [k,n] (or [n,k]); cuBLAS is column-major, so
/// each call computes C^T = op(B)^T op(A)^T: cuBLAS's "A" is our B and its "B" is our A. A linear
/// layer Y = X W^T (W stored [out,in]) is then {a_transposed=false, b_transposed=true}, which
/// is cuBLAS's "TN", the layout FP8 needs on Hopper.
///
///   LtGemm       one dense GEMM through cuBLASLt (BF16, or FP8 E4M3 x E4M3/E5M2 -> BF16 on
///                compute capability >= 8.9), algorithm chosen once by cuBLASLt's heuristic.
///   GroupedGemm  per-expert GEMMs of different row counts: cublasGemmGroupedBatchedEx (problems
///                of equal shape share a group) or, for comparison, a loop of cublasGemmEx.
//===----------------------------------------------------------------------===//
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>

#include <cstdint>
#include <string>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::profiler {

/// Error text for a cuBLAS status ("CUBLAS_STATUS_NOT_SUPPORTED").
std::string CublasStatusText(cublasStatus_t status);
/// Error{"<what>: <status>"} unless success.
Status CheckCublas(cublasStatus_t status, const std::string& what);

struct GemmShape {
  int64_t m = 0;
  int64_t n = 0;
  int64_t k = 0;
  bool a_transposed = false;
  bool b_transposed = false;
};

enum class GemmTypes {
  kBf16,         ///< bf16 x bf16 -> bf16
  kBf16ToFp32,   ///< bf16 x bf16 -> fp32 (router logits)
  kFp8E4M3,      ///< e4m3 x e4m3 -> bf16
  kFp8E4M3E5M2,  ///< A (ours) e5m2 (a gradient) x B e4m3 -> bf16
};

class LtGemm {
 public:
  /// Plans the GEMM; error when cuBLASLt has no algorithm for it (e.g. FP8 before sm_89).
  [[nodiscard]] static Result<LtGemm> Create(cublasLtHandle_t handle, const GemmShape& shape,
                                             GemmTypes types, size_t workspace_bytes,
                                             bool fast_accumulation = false);
  LtGemm(LtGemm&& other) noexcept;
  LtGemm& operator=(LtGemm&&) = delete;
  LtGemm(const LtGemm&) = delete;
  ~LtGemm();

  /// C = A B (beta 0). A, B, C as in the file comment.
  [[nodiscard]] Status Run(cublasLtHandle_t handle, const void* a, const void* b, void* c,
                           void* workspace, size_t workspace_bytes, cudaStream_t stream) const;

 private:
  LtGemm() = default;
  cublasLtMatmulDesc_t op_ = nullptr;
  cublasLtMatrixLayout_t a_ = nullptr;  // cuBLAS's A: our B
  cublasLtMatrixLayout_t b_ = nullptr;  // cuBLAS's B: our A
  cublasLtMatrixLayout_t c_ = nullptr;
  cublasLtMatmulAlgo_t algo_{};
};

/// One expert's GEMM: C_e = op(A_e) op(B_e) with its own row count, all pointers on the device.
struct ExpertGemm {
  GemmShape shape;
  const void* a = nullptr;
  const void* b = nullptr;
  void* c = nullptr;
};

/// BF16 per-expert GEMMs. Plans once (pointer arrays uploaded at creation).
class GroupedGemm {
 public:
  enum class Method { kGroupedBatched, kLoop };
  [[nodiscard]] static Result<GroupedGemm> Create(std::vector<ExpertGemm> problems, Method method,
                                                  cudaStream_t stream);
  GroupedGemm(GroupedGemm&& other) noexcept;
  GroupedGemm& operator=(GroupedGemm&&) = delete;
  GroupedGemm(const GroupedGemm&) = delete;
  ~GroupedGemm();

  [[nodiscard]] Status Run(cublasHandle_t handle, cudaStream_t stream) const;

 private:
  GroupedGemm() = default;
  Method method_ = Method::kLoop;
  std::vector<ExpertGemm> problems_;  // sorted so that equal shapes are adjacent
  // Grouped-batched arguments (host arrays per group; device arrays of pointers per problem).
  std::vector<cublasOperation_t> trans_a_, trans_b_;
  std::vector<int> m_, n_, k_, lda_, ldb_, ldc_, group_size_;
  std::vector<float> alpha_, beta_;
  void** device_pointers_ = nullptr;  // [3 * problems]: cuBLAS A, B, C
};

}  // namespace moeplan::profiler
