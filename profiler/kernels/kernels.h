//===- profiler/kernels/kernels.h - moeplan's own MoE-layer kernels -*- C++ -*-===//
/// \file
/// Host entry points of the small CUDA kernels the profiler measures next to cuBLAS: router
/// scores and top-k, token permutation with combine weights, SwiGLU, RMSNorm and an Adam step
/// (forward and backward where the op has one), plus data initialisation. They follow the
/// reference semantics of Megatron-LM's MoE layer (token dispatcher "permute"/"unpermute",
/// SwiGLU as silu(gate) * up over the two halves of the FC1 output, RMSNorm of Zhang and
/// Sennrich 2019) and are written to be reasonable, memory-bound kernels (16-byte vector access,
/// one warp or block per row), not tuned to the limit: a profile records what these achieve.
///
/// Tensors are row-major; "bf16" buffers hold __nv_bfloat16. Every function enqueues on
/// `stream` and returns the launch error (cudaSuccess when it was enqueued).
//===----------------------------------------------------------------------===//
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moeplan::profiler::kernels {

enum class Fill { kBf16, kFp8E4M3, kFp8E5M2, kFp32, kInt32Zero };

/// Deterministic pseudo-random values uniform in [-scale, scale] (zeros for kInt32Zero).
cudaError_t FillRandom(void* data, int64_t count, Fill type, uint32_t seed, float scale,
                       cudaStream_t stream);

/// Router: from fp32 logits [tokens, experts], scores (softmax, or sigmoid normalised over the
/// selected experts as in DeepSeek-V3), the top_k experts and their combine weights.
/// `scores` [tokens, experts] is kept for the backward pass. experts <= 512, top_k <= 16.
cudaError_t RouterTopK(const float* logits, int64_t tokens, int experts, int top_k, bool sigmoid,
                       float* scores, float* weights, int32_t* indices, cudaStream_t stream);

/// Router backward: gradient of the combine weights [tokens, top_k] -> bf16 gradient of the
/// logits [tokens, experts] (zero outside the selected experts for sigmoid).
cudaError_t RouterTopKBackward(const float* scores, const int32_t* indices,
                               const float* grad_weights, int64_t tokens, int experts, int top_k,
                               bool sigmoid, void* grad_logits_bf16, cudaStream_t stream);

/// Permute (dispatch): copies token rows to expert-contiguous order. expert_of [tokens*top_k]
/// gives each assignment's expert; counts/cursor are int32 scratch of `experts` entries;
/// row_of [tokens*top_k] receives each assignment's destination row.
cudaError_t Permute(const void* x_bf16, const int32_t* expert_of, int64_t tokens, int hidden,
                    int top_k, int experts, int32_t* counts, int32_t* cursor, int32_t* row_of,
                    void* out_bf16, cudaStream_t stream);

/// Unpermute (combine): out[t] = sum_k weight[t,k] * rows[row_of[t,k]] (weights null: 1), the
/// forward combine and, with null weights, the backward of Permute.
cudaError_t Unpermute(const void* rows_bf16, const int32_t* row_of, const float* weights,
                      int64_t tokens, int hidden, int top_k, void* out_bf16, cudaStream_t stream);

/// Backward of Unpermute: grad_rows[row_of[t,k]] = weight[t,k] * grad_out[t] and
/// grad_weights[t,k] = <grad_out[t], rows[row_of[t,k]]>.
cudaError_t UnpermuteBackward(const void* grad_out_bf16, const void* rows_bf16,
                              const int32_t* row_of, const float* weights, int64_t tokens,
                              int hidden, int top_k, void* grad_rows_bf16, float* grad_weights,
                              cudaStream_t stream);

/// SwiGLU: h [rows, 2*width] -> out [rows, width] = silu(h[:, :width]) * h[:, width:].
cudaError_t Swiglu(const void* h_bf16, int64_t rows, int width, void* out_bf16,
                   cudaStream_t stream);
cudaError_t SwigluBackward(const void* h_bf16, const void* grad_out_bf16, int64_t rows, int width,
                           void* grad_h_bf16, cudaStream_t stream);

/// RMSNorm: y = x / sqrt(mean(x^2) + eps) * weight; rstd [rows] (fp32) is kept for backward.
cudaError_t RmsNorm(const void* x_bf16, const void* weight_bf16, int64_t rows, int hidden,
                    float eps, void* y_bf16, float* rstd, cudaStream_t stream);
/// RMSNorm backward: grad_x and grad_weight (fp32, accumulated: zeroed by the caller).
cudaError_t RmsNormBackward(const void* x_bf16, const void* weight_bf16, const float* rstd,
                            const void* grad_y_bf16, int64_t rows, int hidden, void* grad_x_bf16,
                            float* grad_weight, cudaStream_t stream);

/// One Adam(W) step over fp32 master weights with fp32 gradients and moments, also writing the
/// bf16 copy of the weights used by the next forward pass (Megatron's distributed optimizer).
cudaError_t AdamStep(float* params, const float* grads, float* exp_avg, float* exp_avg_sq,
                     void* params_bf16, int64_t count, float lr, float beta1, float beta2,
                     float eps, float weight_decay, int step, cudaStream_t stream);

}  // namespace moeplan::profiler::kernels
