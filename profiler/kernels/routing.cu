//===- profiler/kernels/routing.cu - Router top-k and token permutation ---===//
#include <cuda_bf16.h>

#include "profiler/kernels/kernels.h"
#include "profiler/kernels/vector_access.cuh"

namespace moeplan::profiler::kernels {
namespace {

constexpr int kWarp = 32;
constexpr int kMaxExpertsPerLane = 16;  // experts <= 512
constexpr int kMaxTopK = 16;
constexpr int kWarpsPerBlock = 8;
constexpr unsigned kFullMask = 0xffffffffu;

int BlocksForTokens(int64_t tokens) {
  const int64_t blocks = (tokens + kWarpsPerBlock - 1) / kWarpsPerBlock;
  return static_cast<int>(blocks > 0 ? blocks : 1);
}

__device__ float WarpMax(float value) {
  for (int offset = 16; offset > 0; offset /= 2) {
    value = fmaxf(value, __shfl_xor_sync(kFullMask, value, offset));
  }
  return value;
}

__device__ float WarpSum(float value) {
  for (int offset = 16; offset > 0; offset /= 2) {
    value += __shfl_xor_sync(kFullMask, value, offset);
  }
  return value;
}

// One warp per token; lane l holds experts l, l+32, ...
__global__ void RouterTopKKernel(const float* logits, int64_t tokens, int experts, int top_k,
                                 bool sigmoid, float* scores, float* weights, int32_t* indices) {
  const int lane = threadIdx.x % kWarp;
  const int64_t token = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / kWarp;
  if (token >= tokens) return;
  float score[kMaxExpertsPerLane];
  const float* row = logits + token * experts;
  float local_max = -INFINITY;
  for (int slot = 0; slot < kMaxExpertsPerLane; ++slot) {
    const int expert = lane + slot * kWarp;
    score[slot] = expert < experts ? row[expert] : -INFINITY;
    local_max = fmaxf(local_max, score[slot]);
  }
  if (sigmoid) {
    for (int slot = 0; slot < kMaxExpertsPerLane; ++slot) {
      const int expert = lane + slot * kWarp;
      score[slot] = expert < experts ? 1.0f / (1.0f + __expf(-score[slot])) : -INFINITY;
    }
  } else {
    const float max = WarpMax(local_max);
    float sum = 0;
    for (int slot = 0; slot < kMaxExpertsPerLane; ++slot) {
      const int expert = lane + slot * kWarp;
      score[slot] = expert < experts ? __expf(score[slot] - max) : 0.0f;
      sum += score[slot];
    }
    const float inv = 1.0f / WarpSum(sum);
    for (int slot = 0; slot < kMaxExpertsPerLane; ++slot) {
      const int expert = lane + slot * kWarp;
      score[slot] = expert < experts ? score[slot] * inv : -INFINITY;
    }
  }
  for (int slot = 0; slot < kMaxExpertsPerLane; ++slot) {
    const int expert = lane + slot * kWarp;
    if (expert < experts) scores[token * experts + expert] = score[slot];
  }
  // Top-k by repeated warp arg-max; a chosen expert's score is knocked out.
  float chosen_sum = 0;
  float chosen[kMaxTopK];
  for (int k = 0; k < top_k; ++k) {
    float best = -INFINITY;
    int best_expert = experts;
    for (int slot = 0; slot < kMaxExpertsPerLane; ++slot) {
      const int expert = lane + slot * kWarp;
      if (expert < experts && score[slot] > best) {
        best = score[slot];
        best_expert = expert;
      }
    }
    for (int offset = 16; offset > 0; offset /= 2) {
      const float other = __shfl_xor_sync(kFullMask, best, offset);
      const int other_expert = __shfl_xor_sync(kFullMask, best_expert, offset);
      if (other > best || (other == best && other_expert < best_expert)) {
        best = other;
        best_expert = other_expert;
      }
    }
    if (best_expert % kWarp == lane) score[best_expert / kWarp] = -INFINITY;
    chosen[k] = best;
    chosen_sum += best;
    if (lane == 0) indices[token * top_k + k] = best_expert;
  }
  if (lane == 0) {
    // DeepSeek-V3 normalises the selected sigmoid scores; softmax weights are used as they are.
    const float norm = sigmoid ? 1.0f / chosen_sum : 1.0f;
    for (int k = 0; k < top_k; ++k) weights[token * top_k + k] = chosen[k] * norm;
  }
}

__global__ void RouterTopKBackwardKernel(const float* scores, const int32_t* indices,
                                         const float* grad_weights, int64_t tokens, int experts,
                                         int top_k, bool sigmoid, __nv_bfloat16* grad_logits) {
  const int lane = threadIdx.x % kWarp;
  const int64_t token = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / kWarp;
  if (token >= tokens) return;
  const float* score = scores + token * experts;
  const int32_t* chosen = indices + token * top_k;
  const float* grad = grad_weights + token * top_k;
  // softmax: dz_e = p_e (g_e - sum_j p_j g_j); sigmoid with w_i = s_i / S over the selected:
  // ds_i = (g_i - sum_j g_j w_j) / S, dz_i = ds_i s_i (1 - s_i), zero elsewhere.
  float weighted = 0;
  float selected_sum = 0;
  for (int k = 0; k < top_k; ++k) {
    const float s = score[chosen[k]];
    weighted += s * grad[k];
    selected_sum += s;
  }
  if (sigmoid) weighted /= selected_sum;
  for (int expert = lane; expert < experts; expert += kWarp) {
    float g = 0;
    bool selected = false;
    for (int k = 0; k < top_k; ++k) {
      if (chosen[k] == expert) {
        g = grad[k];
        selected = true;
      }
    }
    const float s = score[expert];
    float dz = 0;
    if (sigmoid) {
      dz = selected ? (g - weighted) / selected_sum * s * (1.0f - s) : 0.0f;
    } else {
      dz = s * (g - weighted);
    }
    grad_logits[token * experts + expert] = __float2bfloat16(dz);
  }
}

__global__ void CountKernel(const int32_t* expert_of, int64_t assignments, int32_t* counts) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < assignments;
       i += int64_t{gridDim.x} * blockDim.x) {
    atomicAdd(counts + expert_of[i], 1);
  }
}

// Exclusive prefix sum of the counts into cursor (experts is small: one thread suffices).
__global__ void OffsetsKernel(const int32_t* counts, int experts, int32_t* cursor) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  int32_t running = 0;
  for (int expert = 0; expert < experts; ++expert) {
    cursor[expert] = running;
    running += counts[expert];
  }
}

// One block per assignment: claim a destination row, then copy the token's row into it.
__global__ void ScatterKernel(const __nv_bfloat16* x, const int32_t* expert_of, int64_t tokens,
                              int hidden, int top_k, int32_t* cursor, int32_t* row_of,
                              __nv_bfloat16* out) {
  __shared__ int32_t destination;
  for (int64_t assignment = blockIdx.x; assignment < tokens * top_k; assignment += gridDim.x) {
    if (threadIdx.x == 0) {
      destination = atomicAdd(cursor + expert_of[assignment], 1);
      row_of[assignment] = destination;
    }
    __syncthreads();
    const __nv_bfloat16* source = x + (assignment / top_k) * hidden;
    __nv_bfloat16* target = out + int64_t{destination} * hidden;
    for (int col = threadIdx.x * 8; col < hidden; col += blockDim.x * 8) {
      StoreBf16x8(target + col, LoadBf16x8(source + col));
    }
    __syncthreads();
  }
}

// One block per token: weighted sum of its top_k expert rows.
__global__ void GatherKernel(const __nv_bfloat16* rows, const int32_t* row_of, const float* weights,
                             int64_t tokens, int hidden, int top_k, __nv_bfloat16* out) {
  for (int64_t token = blockIdx.x; token < tokens; token += gridDim.x) {
    for (int col = threadIdx.x * 8; col < hidden; col += blockDim.x * 8) {
      float sum[8] = {};
      for (int k = 0; k < top_k; ++k) {
        const int64_t row = row_of[token * top_k + k];
        const float w = weights != nullptr ? weights[token * top_k + k] : 1.0f;
        const Bf16x8 v = LoadBf16x8(rows + row * hidden + col);
        for (int e = 0; e < 8; ++e) sum[e] += w * v.Get(e);
      }
      Bf16x8 result;
      for (int e = 0; e < 8; ++e) result.Set(e, sum[e]);
      StoreBf16x8(out + token * hidden + col, result);
    }
  }
}

// One block per assignment: scaled copy of the token's gradient, and the weight's gradient.
__global__ void UnpermuteBackwardKernel(const __nv_bfloat16* grad_out, const __nv_bfloat16* rows,
                                        const int32_t* row_of, const float* weights, int64_t tokens,
                                        int hidden, int top_k, __nv_bfloat16* grad_rows,
                                        float* grad_weights) {
  __shared__ float scratch[32];
  for (int64_t assignment = blockIdx.x; assignment < tokens * top_k; assignment += gridDim.x) {
    const int64_t token = assignment / top_k;
    const int64_t row = row_of[assignment];
    const float w = weights[assignment];
    float dot = 0;
    for (int col = threadIdx.x * 8; col < hidden; col += blockDim.x * 8) {
      const Bf16x8 g = LoadBf16x8(grad_out + token * hidden + col);
      const Bf16x8 v = LoadBf16x8(rows + row * hidden + col);
      Bf16x8 scaled;
      for (int e = 0; e < 8; ++e) {
        dot += g.Get(e) * v.Get(e);
        scaled.Set(e, w * g.Get(e));
      }
      StoreBf16x8(grad_rows + row * hidden + col, scaled);
    }
    dot = WarpSum(dot);
    if (threadIdx.x % kWarp == 0) scratch[threadIdx.x / kWarp] = dot;
    __syncthreads();
    if (threadIdx.x == 0) {
      float total = 0;
      for (int warp = 0; warp < static_cast<int>(blockDim.x / kWarp); ++warp)
        total += scratch[warp];
      grad_weights[assignment] = total;
    }
    __syncthreads();
  }
}

constexpr int kRowThreads = 128;
constexpr int64_t kMaxBlocks = 65535 * 8;

int RowBlocks(int64_t rows) {
  return static_cast<int>(rows < kMaxBlocks ? (rows > 0 ? rows : 1) : kMaxBlocks);
}

}  // namespace

cudaError_t RouterTopK(const float* logits, int64_t tokens, int experts, int top_k, bool sigmoid,
                       float* scores, float* weights, int32_t* indices, cudaStream_t stream) {
  if (experts > kWarp * kMaxExpertsPerLane || top_k > kMaxTopK || top_k > experts) {
    return cudaErrorInvalidValue;
  }
  RouterTopKKernel<<<BlocksForTokens(tokens), kWarpsPerBlock * kWarp, 0, stream>>>(
      logits, tokens, experts, top_k, sigmoid, scores, weights, indices);
  return cudaGetLastError();
}

cudaError_t RouterTopKBackward(const float* scores, const int32_t* indices,
                               const float* grad_weights, int64_t tokens, int experts, int top_k,
                               bool sigmoid, void* grad_logits, cudaStream_t stream) {
  RouterTopKBackwardKernel<<<BlocksForTokens(tokens), kWarpsPerBlock * kWarp, 0, stream>>>(
      scores, indices, grad_weights, tokens, experts, top_k, sigmoid,
      static_cast<__nv_bfloat16*>(grad_logits));
  return cudaGetLastError();
}

cudaError_t Permute(const void* x, const int32_t* expert_of, int64_t tokens, int hidden, int top_k,
                    int experts, int32_t* counts, int32_t* cursor, int32_t* row_of, void* out,
                    cudaStream_t stream) {
  if (hidden % 8 != 0) return cudaErrorInvalidValue;
  const int64_t assignments = tokens * top_k;
  if (cudaError_t error = cudaMemsetAsync(counts, 0, sizeof(int32_t) * experts, stream)) {
    return error;
  }
  CountKernel<<<RowBlocks((assignments + 255) / 256), 256, 0, stream>>>(expert_of, assignments,
                                                                        counts);
  OffsetsKernel<<<1, 32, 0, stream>>>(counts, experts, cursor);
  ScatterKernel<<<RowBlocks(assignments), kRowThreads, 0, stream>>>(
      static_cast<const __nv_bfloat16*>(x), expert_of, tokens, hidden, top_k, cursor, row_of,
      static_cast<__nv_bfloat16*>(out));
  return cudaGetLastError();
}

cudaError_t Unpermute(const void* rows, const int32_t* row_of, const float* weights, int64_t tokens,
                      int hidden, int top_k, void* out, cudaStream_t stream) {
  if (hidden % 8 != 0) return cudaErrorInvalidValue;
  GatherKernel<<<RowBlocks(tokens), kRowThreads, 0, stream>>>(
      static_cast<const __nv_bfloat16*>(rows), row_of, weights, tokens, hidden, top_k,
      static_cast<__nv_bfloat16*>(out));
  return cudaGetLastError();
}

cudaError_t UnpermuteBackward(const void* grad_out, const void* rows, const int32_t* row_of,
                              const float* weights, int64_t tokens, int hidden, int top_k,
                              void* grad_rows, float* grad_weights, cudaStream_t stream) {
  if (hidden % 8 != 0) return cudaErrorInvalidValue;
  UnpermuteBackwardKernel<<<RowBlocks(tokens * top_k), kRowThreads, 0, stream>>>(
      static_cast<const __nv_bfloat16*>(grad_out), static_cast<const __nv_bfloat16*>(rows), row_of,
      weights, tokens, hidden, top_k, static_cast<__nv_bfloat16*>(grad_rows), grad_weights);
  return cudaGetLastError();
}

}  // namespace moeplan::profiler::kernels
