//===- tests/profiler/gpu_test.cc - Kernels, GEMMs and CUPTI on a real GPU -===//
/// Needs a GPU: every test skips itself with a message when cudaGetDeviceCount finds none.
/// Kernels are checked against plain C++ references on small shapes (bf16 tolerances), the
/// GEMM wrappers against each other and a reference, and the CUPTI session by attributing a
/// kernel to its range.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "profiler/core/grouping.h"
#include "profiler/cupti_session.h"
#include "profiler/gemm.h"
#include "profiler/kernels/kernels.h"
#include "profiler/runner.h"

namespace moeplan::profiler {
namespace {

bool HaveGpu(std::string& why) {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    why = cudaGetErrorString(error);
    cudaGetLastError();
    return false;
  }
  why = "cudaGetDeviceCount found none";
  return count > 0;
}

#define SKIP_WITHOUT_GPU()                                                                  \
  do {                                                                                      \
    std::string why;                                                                        \
    if (!HaveGpu(why)) GTEST_SKIP() << "no CUDA device (" << why << "); skipping GPU test"; \
  } while (0)

uint16_t ToBf16(float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof(bits));
  bits += 0x7FFFu + ((bits >> 16) & 1u);  // round to nearest even
  return static_cast<uint16_t>(bits >> 16);
}

float FromBf16(uint16_t value) {
  const uint32_t bits = uint32_t{value} << 16;
  float result = 0;
  std::memcpy(&result, &bits, sizeof(result));
  return result;
}

// A device copy of host data, freed on scope exit.
template <typename T>
class Device {
 public:
  explicit Device(const std::vector<T>& host) : size_(host.size()) {
    EXPECT_EQ(cudaMalloc(&data_, sizeof(T) * size_), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(data_, host.data(), sizeof(T) * size_, cudaMemcpyHostToDevice),
              cudaSuccess);
  }
  explicit Device(size_t size) : Device(std::vector<T>(size)) {}
  ~Device() { cudaFree(data_); }
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  T* get() const { return static_cast<T*>(data_); }
  std::vector<T> Read() const {
    std::vector<T> host(size_);
    EXPECT_EQ(cudaMemcpy(host.data(), data_, sizeof(T) * size_, cudaMemcpyDeviceToHost),
              cudaSuccess);
    return host;
  }

 private:
  void* data_ = nullptr;
  size_t size_;
};

std::vector<uint16_t> RandomBf16(size_t count, uint32_t seed) {
  std::vector<uint16_t> values(count);
  uint32_t state = seed;
  for (uint16_t& value : values) {
    state = state * 1664525u + 1013904223u;
    value = ToBf16(static_cast<float>(state >> 8) / 16777216.0f * 2.0f - 1.0f);
  }
  return values;
}

TEST(GpuKernelTest, SwigluMatchesReference) {
  SKIP_WITHOUT_GPU();
  const int rows = 3;
  const int width = 16;
  const std::vector<uint16_t> h = RandomBf16(rows * 2 * width, 1);
  Device<uint16_t> h_device(h);
  Device<uint16_t> out(rows * width);
  ASSERT_EQ(kernels::Swiglu(h_device.get(), rows, width, out.get(), nullptr), cudaSuccess);
  const std::vector<uint16_t> result = out.Read();
  for (int row = 0; row < rows; ++row) {
    for (int col = 0; col < width; ++col) {
      const float gate = FromBf16(h[row * 2 * width + col]);
      const float up = FromBf16(h[row * 2 * width + width + col]);
      const float expected = gate / (1.0f + std::exp(-gate)) * up;
      EXPECT_NEAR(FromBf16(result[row * width + col]), expected, 1e-2f);
    }
  }
}

TEST(GpuKernelTest, RmsNormMatchesReference) {
  SKIP_WITHOUT_GPU();
  const int rows = 4;
  const int hidden = 64;
  const std::vector<uint16_t> x = RandomBf16(rows * hidden, 2);
  const std::vector<uint16_t> w = RandomBf16(hidden, 3);
  Device<uint16_t> x_device(x);
  Device<uint16_t> w_device(w);
  Device<uint16_t> y(rows * hidden);
  Device<float> rstd(rows);
  ASSERT_EQ(kernels::RmsNorm(x_device.get(), w_device.get(), rows, hidden, 1e-6f, y.get(),
                             rstd.get(), nullptr),
            cudaSuccess);
  const std::vector<uint16_t> result = y.Read();
  for (int row = 0; row < rows; ++row) {
    float squares = 0;
    for (int col = 0; col < hidden; ++col) {
      squares += FromBf16(x[row * hidden + col]) * FromBf16(x[row * hidden + col]);
    }
    const float inv = 1.0f / std::sqrt(squares / hidden + 1e-6f);
    for (int col = 0; col < hidden; ++col) {
      const float expected = FromBf16(x[row * hidden + col]) * inv * FromBf16(w[col]);
      EXPECT_NEAR(FromBf16(result[row * hidden + col]), expected, 2e-2f);
    }
  }
}

TEST(GpuKernelTest, RouterPicksTheLargestSoftmaxScores) {
  SKIP_WITHOUT_GPU();
  const int tokens = 2;
  const int experts = 40;  // more than one warp's worth
  const int top_k = 3;
  std::vector<float> logits(tokens * experts, 0.0f);
  logits[5] = 3;
  logits[33] = 2;
  logits[17] = 1;
  logits[experts + 39] = 5;
  logits[experts + 0] = 4;
  logits[experts + 20] = 3;
  Device<float> logits_device(logits);
  Device<float> scores(tokens * experts);
  Device<float> weights(tokens * top_k);
  Device<int32_t> indices(tokens * top_k);
  ASSERT_EQ(kernels::RouterTopK(logits_device.get(), tokens, experts, top_k, false, scores.get(),
                                weights.get(), indices.get(), nullptr),
            cudaSuccess);
  EXPECT_EQ(indices.Read(), (std::vector<int32_t>{5, 33, 17, 39, 0, 20}));
  const std::vector<float> probabilities = scores.Read();
  EXPECT_NEAR(std::accumulate(probabilities.begin(), probabilities.begin() + experts, 0.0f), 1.0f,
              1e-5f);
  EXPECT_FLOAT_EQ(weights.Read()[0], probabilities[5]);
}

TEST(GpuKernelTest, PermuteThenUnpermuteSumsTheCopies) {
  SKIP_WITHOUT_GPU();
  const int tokens = 5;
  const int hidden = 16;
  const int top_k = 2;
  const int experts = 3;
  const std::vector<int32_t> expert_of = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0};
  const std::vector<uint16_t> x = RandomBf16(tokens * hidden, 4);
  Device<uint16_t> x_device(x);
  Device<int32_t> expert_device(expert_of);
  Device<int32_t> counts(experts);
  Device<int32_t> cursor(experts);
  Device<int32_t> row_of(tokens * top_k);
  Device<uint16_t> permuted(tokens * top_k * hidden);
  Device<uint16_t> combined(tokens * hidden);
  ASSERT_EQ(kernels::Permute(x_device.get(), expert_device.get(), tokens, hidden, top_k, experts,
                             counts.get(), cursor.get(), row_of.get(), permuted.get(), nullptr),
            cudaSuccess);
  EXPECT_EQ(counts.Read(), (std::vector<int32_t>{4, 3, 3}));
  ASSERT_EQ(kernels::Unpermute(permuted.get(), row_of.get(), nullptr, tokens, hidden, top_k,
                               combined.get(), nullptr),
            cudaSuccess);
  const std::vector<uint16_t> result = combined.Read();
  for (size_t element = 0; element < x.size(); ++element) {
    EXPECT_NEAR(FromBf16(result[element]), 2 * FromBf16(x[element]), 1e-2f);
  }
  // Rows are grouped by expert: expert 0's four rows first.
  const std::vector<int32_t> rows = row_of.Read();
  for (size_t assignment = 0; assignment < rows.size(); ++assignment) {
    EXPECT_EQ(rows[assignment] < 4, expert_of[assignment] == 0);
  }
}

TEST(GpuGemmTest, GroupedAndLoopAgreeWithTheReference) {
  SKIP_WITHOUT_GPU();
  cublasHandle_t handle = nullptr;
  ASSERT_EQ(cublasCreate(&handle), CUBLAS_STATUS_SUCCESS);
  const int in = 32;
  const int out = 16;
  const std::vector<int64_t> counts = {8, 0, 24};
  const int rows = 32;
  const std::vector<uint16_t> x = RandomBf16(rows * in, 5);
  const std::vector<uint16_t> w = RandomBf16(3 * out * in, 6);
  Device<uint16_t> x_device(x);
  Device<uint16_t> w_device(w);
  std::vector<std::vector<uint16_t>> results;
  for (GroupedGemm::Method method :
       {GroupedGemm::Method::kGroupedBatched, GroupedGemm::Method::kLoop}) {
    Device<uint16_t> y(rows * out);
    std::vector<ExpertGemm> problems;
    int64_t row = 0;
    for (size_t expert = 0; expert < counts.size(); ++expert) {
      problems.push_back({{counts[expert], out, in, false, true},
                          x_device.get() + row * in,
                          w_device.get() + expert * out * in,
                          y.get() + row * out});
      row += counts[expert];
    }
    Result<GroupedGemm> gemm = GroupedGemm::Create(problems, method, nullptr);
    ASSERT_TRUE(gemm.ok()) << gemm.error().message;
    Status status = gemm->Run(handle, nullptr);
    ASSERT_TRUE(status.ok()) << status.message();
    results.push_back(y.Read());
  }
  cublasDestroy(handle);
  int64_t row = 0;
  for (size_t expert = 0; expert < counts.size(); ++expert) {
    for (int64_t r = row; r < row + counts[expert]; ++r) {
      for (int o = 0; o < out; ++o) {
        float expected = 0;
        for (int i = 0; i < in; ++i) {
          expected += FromBf16(x[r * in + i]) * FromBf16(w[(expert * out + o) * in + i]);
        }
        EXPECT_NEAR(FromBf16(results[0][r * out + o]), expected, 5e-2f);
        EXPECT_NEAR(FromBf16(results[1][r * out + o]), expected, 5e-2f);
      }
    }
    row += counts[expert];
  }
}

TEST(GpuCuptiTest, KernelsLandInTheirRange) {
  SKIP_WITHOUT_GPU();
  Result<std::unique_ptr<CuptiSession>> session = CuptiSession::Start();
  if (!session) GTEST_SKIP() << session.error().message;
  void* buffer = nullptr;
  ASSERT_EQ(cudaMalloc(&buffer, 1 << 20), cudaSuccess);
  ASSERT_EQ(kernels::FillRandom(buffer, 1 << 18, kernels::Fill::kFp32, 1, 1.0f, nullptr),
            cudaSuccess);  // outside any range
  (*session)->BeginRange("fill", 0);
  ASSERT_EQ(kernels::FillRandom(buffer, 1 << 18, kernels::Fill::kFp32, 2, 1.0f, nullptr),
            cudaSuccess);
  (*session)->EndRange(0);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  const ActivityTrace trace = (*session)->Collect();
  cudaFree(buffer);
  EXPECT_GE(trace.kernels.size(), 2u);
  const std::vector<RangeActivity> ranges = GroupByExternalRange(trace);
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].label, "fill");
  ASSERT_EQ(ranges[0].kernels.size(), 1u);
  EXPECT_NE(ranges[0].kernels[0].name.find("FillKernel"), std::string::npos);
  EXPECT_GT(BusySeconds(ranges[0].intervals), 0);
}

TEST(GpuProfileTest, QuickCopyProfileMeasuresBandwidth) {
  SKIP_WITHOUT_GPU();
  ProfileOptions options;
  options.ops = {OpKind::kCopy};
  options.repetitions = 5;
  Result<Profile> profile = RunProfile(options);
  ASSERT_TRUE(profile.ok()) << profile.error().message;
  ASSERT_FALSE(profile->measurements.empty());
  for (const Measurement& m : profile->measurements) {
    EXPECT_GT(m.time_s.median, 0);
    EXPECT_GT(m.achieved_bytes_per_s, 1e9) << m.bench_case.Label();
  }
  EXPECT_GE(profile->device.compute_major, 8);
}

}  // namespace
}  // namespace moeplan::profiler
