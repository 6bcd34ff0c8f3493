//===- profiler/internal/device_buffer.h - Owned device memory --*- C++ -*-===//
/// \file
/// Private to profiler/. RAII device allocations for workloads, CUDA error -> Error helpers and
/// the synthetic routing tables shared by the routing and MoE-layer workloads.
//===----------------------------------------------------------------------===//
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "laws/support/result.h"
#include "profiler/kernels/kernels.h"

namespace moeplan::profiler::internal {

/// Error{"<what>: <cudaGetErrorString>"} unless success.
inline Status CheckCuda(cudaError_t error, const std::string& what) {
  if (error == cudaSuccess) return Status::Ok();
  return Error{what + ": " + cudaGetErrorString(error)};
}

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), bytes_(other.bytes_) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(bytes_, other.bytes_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (data_ != nullptr) cudaFree(data_);
  }

  /// Allocates `bytes` (at least 16) and fills them per `fill` (kInt32Zero: zeros).
  [[nodiscard]] Status Allocate(size_t bytes, kernels::Fill fill, uint32_t seed,
                                cudaStream_t stream, float scale = 1.0f) {
    bytes_ = bytes < 16 ? 16 : bytes;
    if (cudaError_t error = cudaMalloc(&data_, bytes_)) {
      data_ = nullptr;
      cudaGetLastError();  // clear the (non-sticky) allocation error
      return Error{"out of device memory allocating " + std::to_string(bytes_) + " bytes (" +
                   cudaGetErrorString(error) + ")"};
    }
    if (fill == kernels::Fill::kInt32Zero) {
      return CheckCuda(cudaMemsetAsync(data_, 0, bytes_, stream), "cudaMemsetAsync");
    }
    int64_t count = static_cast<int64_t>(bytes);
    if (fill == kernels::Fill::kBf16) count /= 2;
    if (fill == kernels::Fill::kFp32) count /= 4;
    return CheckCuda(kernels::FillRandom(data_, count, fill, seed, scale, stream), "fill");
  }

  template <typename T = void>
  T* get() const {
    return static_cast<T*>(data_);
  }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

/// Uploads host data into a new buffer (synchronous with respect to `stream`).
template <typename T>
Status Upload(const std::vector<T>& host, DeviceBuffer& buffer, cudaStream_t stream) {
  const size_t bytes = host.size() * sizeof(T);
  if (Status s = buffer.Allocate(bytes, kernels::Fill::kInt32Zero, 0, stream); !s.ok()) return s;
  if (Status s = CheckCuda(
          cudaMemcpyAsync(buffer.get(), host.data(), bytes, cudaMemcpyHostToDevice, stream),
          "upload");
      !s.ok()) {
    return s;
  }
  return CheckCuda(cudaStreamSynchronize(stream), "upload");
}

}  // namespace moeplan::profiler::internal
