//===- profiler/workloads.h - One runnable benchmark per case ---*- C++ -*-===//
/// \file
/// A `Workload` owns the device buffers, GEMM plans and synthetic routing of one `BenchCase`
/// and runs one repetition of it on a stream. Setup (allocation, random data, cuBLASLt
/// heuristics, the forward pass a backward pass needs) happens in `MakeWorkload`, outside the
/// measured ranges. Composite ops (moe_layer) open a level-1 range per part through the
/// context's callbacks, labelled with the part's case label (op_cost.h's MoeLayerParts).
///
/// Synthetic routing: token -> expert assignments follow the case's distribution exactly
/// (op_cost.h's ExpertTokenCounts, shuffled deterministically), so that grouped GEMMs see known
/// per-expert row counts; the router is still run for its cost.
//===----------------------------------------------------------------------===//
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <functional>
#include <memory>
#include <string>

#include "laws/support/result.h"
#include "profiler/core/bench_case.h"

namespace moeplan::profiler {

struct WorkloadContext {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cublasLtHandle_t lt = nullptr;
  void* workspace = nullptr;  ///< cuBLASLt workspace
  size_t workspace_bytes = 0;
  int compute_major = 0;
  int compute_minor = 0;
  void* cudnn = nullptr;  ///< cudnnHandle_t when built with cuDNN, else null
  /// Open/close a level-1 range (parts of composite ops); no-ops when empty.
  std::function<void(const std::string&)> begin_part;
  std::function<void()> end_part;
};

class Workload {
 public:
  virtual ~Workload() = default;
  /// Enqueues one repetition on ctx.stream.
  [[nodiscard]] virtual Status Run(WorkloadContext& ctx) = 0;
};

/// Builds the workload of `bench_case`. Errors (the case is then skipped, with this reason):
/// out of memory, no cuBLASLt algorithm, unsupported precision or shape, op not built here.
[[nodiscard]] Result<std::unique_ptr<Workload>> MakeWorkload(const BenchCase& bench_case,
                                                             WorkloadContext& ctx);

/// Builds a moe_layer workload (workloads_moe.cc).
[[nodiscard]] Result<std::unique_ptr<Workload>> MakeMoeLayerWorkload(const BenchCase& bench_case,
                                                                     WorkloadContext& ctx);

/// Builds an attention workload (attention_cudnn.cc); an error without cuDNN.
[[nodiscard]] Result<std::unique_ptr<Workload>> MakeAttentionWorkload(const BenchCase& bench_case,
                                                                      WorkloadContext& ctx);

/// Whether this build can measure attention (cuDNN found at build time).
bool HaveFusedAttention();

}  // namespace moeplan::profiler
