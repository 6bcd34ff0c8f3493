//===- profiler/kernels/elementwise.cu - Fill, SwiGLU, RMSNorm, Adam -------===//
#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include "profiler/kernels/kernels.h"
#include "profiler/kernels/vector_access.cuh"

namespace moeplan::profiler::kernels {
namespace {

constexpr int kThreads = 256;

int BlocksFor(int64_t work_items, int threads = kThreads) {
  const int64_t blocks = (work_items + threads - 1) / threads;
  return static_cast<int>(blocks < 65535 * 16 ? (blocks > 0 ? blocks : 1) : 65535 * 16);
}

// A stateless hash (splitmix32-like) so that any element can be generated independently.
__device__ float UniformSigned(uint64_t index, uint32_t seed) {
  uint32_t x = static_cast<uint32_t>(index) * 0x9E3779B9u ^ static_cast<uint32_t>(index >> 32) ^
               seed * 0x85EBCA6Bu;
  x ^= x >> 16;
  x *= 0x7FEB352Du;
  x ^= x >> 15;
  x *= 0x846CA68Bu;
  x ^= x >> 16;
  return static_cast<float>(x) * (2.0f / 4294967296.0f) - 1.0f;
}

__global__ void FillKernel(void* data, int64_t count, int type, uint32_t seed, float scale) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    const float value = UniformSigned(static_cast<uint64_t>(i), seed) * scale;
    switch (type) {
      case 0:
        static_cast<__nv_bfloat16*>(data)[i] = __float2bfloat16(value);
        break;
      case 1:
        static_cast<__nv_fp8_e4m3*>(data)[i] = __nv_fp8_e4m3(value);
        break;
      case 2:
        static_cast<__nv_fp8_e5m2*>(data)[i] = __nv_fp8_e5m2(value);
        break;
      case 3:
        static_cast<float*>(data)[i] = value;
        break;
      default:
        static_cast<int32_t*>(data)[i] = 0;
        break;
    }
  }
}

__device__ float Sigmoid(float x) {
  return 1.0f / (1.0f + __expf(-x));
}

// One thread per 8 output elements; width % 8 == 0 (checked by the host).
__global__ void SwigluKernel(const __nv_bfloat16* h, int64_t rows, int width, __nv_bfloat16* out) {
  const int vectors_per_row = width / 8;
  const int64_t total = rows * vectors_per_row;
  for (int64_t v = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; v < total;
       v += int64_t{gridDim.x} * blockDim.x) {
    const int64_t row = v / vectors_per_row;
    const int64_t col = (v % vectors_per_row) * 8;
    const Bf16x8 gate = LoadBf16x8(h + row * 2 * width + col);
    const Bf16x8 up = LoadBf16x8(h + row * 2 * width + width + col);
    Bf16x8 result;
    for (int e = 0; e < 8; ++e) {
      const float g = gate.Get(e);
      result.Set(e, g * Sigmoid(g) * up.Get(e));
    }
    StoreBf16x8(out + row * width + col, result);
  }
}

__global__ void SwigluBackwardKernel(const __nv_bfloat16* h, const __nv_bfloat16* grad_out,
                                     int64_t rows, int width, __nv_bfloat16* grad_h) {
  const int vectors_per_row = width / 8;
  const int64_t total = rows * vectors_per_row;
  for (int64_t v = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; v < total;
       v += int64_t{gridDim.x} * blockDim.x) {
    const int64_t row = v / vectors_per_row;
    const int64_t col = (v % vectors_per_row) * 8;
    const Bf16x8 gate = LoadBf16x8(h + row * 2 * width + col);
    const Bf16x8 up = LoadBf16x8(h + row * 2 * width + width + col);
    const Bf16x8 grad = LoadBf16x8(grad_out + row * width + col);
    Bf16x8 grad_gate;
    Bf16x8 grad_up;
    for (int e = 0; e < 8; ++e) {
      const float g = gate.Get(e);
      const float s = Sigmoid(g);
      const float silu = g * s;
      grad_up.Set(e, grad.Get(e) * silu);
      grad_gate.Set(e, grad.Get(e) * up.Get(e) * s * (1.0f + g * (1.0f - s)));
    }
    StoreBf16x8(grad_h + row * 2 * width + col, grad_gate);
    StoreBf16x8(grad_h + row * 2 * width + width + col, grad_up);
  }
}

__device__ float BlockSum(float value, float* scratch) {
  for (int offset = 16; offset > 0; offset /= 2)
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  __syncthreads();  // scratch may still be read from a previous call
  if (lane == 0) scratch[warp] = value;
  __syncthreads();
  float total = 0;
  for (int w = 0; w < static_cast<int>(blockDim.x / 32); ++w) total += scratch[w];
  return total;
}

// One block per row; hidden % 8 == 0.
__global__ void RmsNormKernel(const __nv_bfloat16* x, const __nv_bfloat16* weight, int64_t rows,
                              int hidden, float eps, __nv_bfloat16* y, float* rstd) {
  __shared__ float scratch[32];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const __nv_bfloat16* x_row = x + row * hidden;
    float squares = 0;
    for (int col = threadIdx.x * 8; col < hidden; col += blockDim.x * 8) {
      const Bf16x8 v = LoadBf16x8(x_row + col);
      for (int e = 0; e < 8; ++e) squares += v.Get(e) * v.Get(e);
    }
    const float inv = rsqrtf(BlockSum(squares, scratch) / static_cast<float>(hidden) + eps);
    if (threadIdx.x == 0) rstd[row] = inv;
    for (int col = threadIdx.x * 8; col < hidden; col += blockDim.x * 8) {
      const Bf16x8 v = LoadBf16x8(x_row + col);
      const Bf16x8 w = LoadBf16x8(weight + col);
      Bf16x8 out;
      for (int e = 0; e < 8; ++e) out.Set(e, v.Get(e) * inv * w.Get(e));
      StoreBf16x8(y + row * hidden + col, out);
    }
  }
}

// Each block walks a strided set of rows; a thread owns the same columns in every row, so its
// grad_weight partial sums stay in registers and are added to memory once.
constexpr int kMaxVectorsPerThread = 4;  // hidden <= kThreads * 8 * 4 = 8192

__global__ void RmsNormBackwardKernel(const __nv_bfloat16* x, const __nv_bfloat16* weight,
                                      const float* rstd, const __nv_bfloat16* grad_y, int64_t rows,
                                      int hidden, __nv_bfloat16* grad_x, float* grad_weight) {
  __shared__ float scratch[32];
  float partial[kMaxVectorsPerThread][8] = {};
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float inv = rstd[row];
    float dot = 0;  // sum over the row of (grad_y * weight) * x_hat
    for (int col = threadIdx.x * 8; col < hidden; col += blockDim.x * 8) {
      const Bf16x8 v = LoadBf16x8(x + row * hidden + col);
      const Bf16x8 g = LoadBf16x8(grad_y + row * hidden + col);
      const Bf16x8 w = LoadBf16x8(weight + col);
      for (int e = 0; e < 8; ++e) dot += g.Get(e) * w.Get(e) * v.Get(e) * inv;
    }
    const float mean_dot = BlockSum(dot, scratch) / static_cast<float>(hidden);
    int slot = 0;
    for (int col = threadIdx.x * 8; col < hidden; col += blockDim.x * 8, ++slot) {
      const Bf16x8 v = LoadBf16x8(x + row * hidden + col);
      const Bf16x8 g = LoadBf16x8(grad_y + row * hidden + col);
      const Bf16x8 w = LoadBf16x8(weight + col);
      Bf16x8 out;
      for (int e = 0; e < 8; ++e) {
        const float x_hat = v.Get(e) * inv;
        out.Set(e, inv * (g.Get(e) * w.Get(e) - x_hat * mean_dot));
        if (slot < kMaxVectorsPerThread) partial[slot][e] += g.Get(e) * x_hat;
      }
      StoreBf16x8(grad_x + row * hidden + col, out);
    }
  }
  int slot = 0;
  for (int col = threadIdx.x * 8; col < hidden && slot < kMaxVectorsPerThread;
       col += blockDim.x * 8, ++slot) {
    for (int e = 0; e < 8; ++e) atomicAdd(grad_weight + col + e, partial[slot][e]);
  }
}

__global__ void AdamKernel(float* params, const float* grads, float* m, float* v,
                           __nv_bfloat16* params_bf16, int64_t count, float lr, float beta1,
                           float beta2, float eps, float weight_decay, float bias1, float bias2) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    const float g = grads[i];
    const float m_new = beta1 * m[i] + (1.0f - beta1) * g;
    const float v_new = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = m_new;
    v[i] = v_new;
    float p = params[i] * (1.0f - lr * weight_decay);
    p -= lr * (m_new / bias1) / (sqrtf(v_new / bias2) + eps);
    params[i] = p;
    params_bf16[i] = __float2bfloat16(p);
  }
}

}  // namespace

cudaError_t FillRandom(void* data, int64_t count, Fill type, uint32_t seed, float scale,
                       cudaStream_t stream) {
  if (count <= 0) return cudaSuccess;
  FillKernel<<<BlocksFor(count), kThreads, 0, stream>>>(data, count, static_cast<int>(type), seed,
                                                        scale);
  return cudaGetLastError();
}

cudaError_t Swiglu(const void* h, int64_t rows, int width, void* out, cudaStream_t stream) {
  if (width % 8 != 0) return cudaErrorInvalidValue;
  SwigluKernel<<<BlocksFor(rows * (width / 8)), kThreads, 0, stream>>>(
      static_cast<const __nv_bfloat16*>(h), rows, width, static_cast<__nv_bfloat16*>(out));
  return cudaGetLastError();
}

cudaError_t SwigluBackward(const void* h, const void* grad_out, int64_t rows, int width,
                           void* grad_h, cudaStream_t stream) {
  if (width % 8 != 0) return cudaErrorInvalidValue;
  SwigluBackwardKernel<<<BlocksFor(rows * (width / 8)), kThreads, 0, stream>>>(
      static_cast<const __nv_bfloat16*>(h), static_cast<const __nv_bfloat16*>(grad_out), rows,
      width, static_cast<__nv_bfloat16*>(grad_h));
  return cudaGetLastError();
}

cudaError_t RmsNorm(const void* x, const void* weight, int64_t rows, int hidden, float eps, void* y,
                    float* rstd, cudaStream_t stream) {
  if (hidden % 8 != 0) return cudaErrorInvalidValue;
  const int blocks = static_cast<int>(rows < 65535 * 4 ? rows : 65535 * 4);
  RmsNormKernel<<<blocks, kThreads, 0, stream>>>(static_cast<const __nv_bfloat16*>(x),
                                                 static_cast<const __nv_bfloat16*>(weight), rows,
                                                 hidden, eps, static_cast<__nv_bfloat16*>(y), rstd);
  return cudaGetLastError();
}

cudaError_t RmsNormBackward(const void* x, const void* weight, const float* rstd,
                            const void* grad_y, int64_t rows, int hidden, void* grad_x,
                            float* grad_weight, cudaStream_t stream) {
  if (hidden % 8 != 0 || hidden > kThreads * 8 * kMaxVectorsPerThread) {
    return cudaErrorInvalidValue;
  }
  int device = 0;
  int sms = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  const int64_t wanted = int64_t{sms} * 4;
  const int blocks = static_cast<int>(rows < wanted ? rows : wanted);
  RmsNormBackwardKernel<<<blocks, kThreads, 0, stream>>>(
      static_cast<const __nv_bfloat16*>(x), static_cast<const __nv_bfloat16*>(weight), rstd,
      static_cast<const __nv_bfloat16*>(grad_y), rows, hidden, static_cast<__nv_bfloat16*>(grad_x),
      grad_weight);
  return cudaGetLastError();
}

cudaError_t AdamStep(float* params, const float* grads, float* exp_avg, float* exp_avg_sq,
                     void* params_bf16, int64_t count, float lr, float beta1, float beta2,
                     float eps, float weight_decay, int step, cudaStream_t stream) {
  const float bias1 = 1.0f - powf(beta1, static_cast<float>(step));
  const float bias2 = 1.0f - powf(beta2, static_cast<float>(step));
  AdamKernel<<<BlocksFor(count), kThreads, 0, stream>>>(
      params, grads, exp_avg, exp_avg_sq, static_cast<__nv_bfloat16*>(params_bf16), count, lr,
      beta1, beta2, eps, weight_decay, bias1, bias2);
  return cudaGetLastError();
}

}  // namespace moeplan::profiler::kernels
