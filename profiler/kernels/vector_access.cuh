//===- profiler/kernels/vector_access.cuh - 16-byte bf16 vectors -*- CUDA -*-===//
/// \file
/// Eight bf16 values loaded and stored as one 16-byte transaction (the widest global access),
/// converted to fp32 for arithmetic. Pointers must be 16-byte aligned: rows of a multiple of 8
/// elements in buffers from cudaMalloc are.
//===----------------------------------------------------------------------===//
#pragma once

#include <cuda_bf16.h>

namespace moeplan::profiler::kernels {

struct Bf16x8 {
  uint4 raw = {0, 0, 0, 0};

  __device__ float Get(int e) const {
    const __nv_bfloat16* values = reinterpret_cast<const __nv_bfloat16*>(&raw);
    return __bfloat162float(values[e]);
  }
  __device__ void Set(int e, float value) {
    reinterpret_cast<__nv_bfloat16*>(&raw)[e] = __float2bfloat16(value);
  }
};

__device__ inline Bf16x8 LoadBf16x8(const __nv_bfloat16* source) {
  Bf16x8 v;
  v.raw = *reinterpret_cast<const uint4*>(source);
  return v;
}

__device__ inline void StoreBf16x8(__nv_bfloat16* target, const Bf16x8& v) {
  *reinterpret_cast<uint4*>(target) = v.raw;
}

}  // namespace moeplan::profiler::kernels
