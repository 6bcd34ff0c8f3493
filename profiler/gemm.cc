//===- profiler/gemm.cc - Row-major GEMMs on cuBLASLt and cuBLAS ----------===//
#include "profiler/gemm.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <tuple>

namespace moeplan::profiler {
namespace {

// The column-major call for a row-major GEMM (see gemm.h): cuBLAS m' = n, n' = m.
struct ColumnMajor {
  cublasOperation_t trans_a;  // on our B
  cublasOperation_t trans_b;  // on our A
  int64_t rows_a, cols_a, ld_a;
  int64_t rows_b, cols_b, ld_b;
  int64_t rows_c, cols_c, ld_c;
};

ColumnMajor ToColumnMajor(const GemmShape& s) {
  ColumnMajor c{};
  // cuBLAS A = our B: stored [k,n] row-major = [n,k] column-major (no transpose, ld n), or
  // stored [n,k] row-major = [k,n] column-major (transpose, ld k).
  c.trans_a = s.b_transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  c.rows_a = s.b_transposed ? s.k : s.n;
  c.cols_a = s.b_transposed ? s.n : s.k;
  c.ld_a = c.rows_a;
  // cuBLAS B = our A: stored [m,k] row-major = [k,m] column-major (no transpose, ld k), or
  // stored [k,m] row-major = [m,k] column-major (transpose, ld m).
  c.trans_b = s.a_transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  c.rows_b = s.a_transposed ? s.m : s.k;
  c.cols_b = s.a_transposed ? s.k : s.m;
  c.ld_b = c.rows_b;
  c.rows_c = s.n;
  c.cols_c = s.m;
  c.ld_c = s.n;
  return c;
}

std::string ShapeText(const GemmShape& s) {
  return "m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) + " k=" + std::to_string(s.k) +
         (s.a_transposed ? " A^T" : "") + (s.b_transposed ? " B^T" : "");
}

}  // namespace

std::string CublasStatusText(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR:
      return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR:
      return "CUBLAS_STATUS_LICENSE_ERROR";
  }
  return "cuBLAS status " + std::to_string(static_cast<int>(status));
}

Status CheckCublas(cublasStatus_t status, const std::string& what) {
  if (status == CUBLAS_STATUS_SUCCESS) return Status::Ok();
  return Error{what + ": " + CublasStatusText(status)};
}

// ---- LtGemm ----

Result<LtGemm> LtGemm::Create(cublasLtHandle_t handle, const GemmShape& shape, GemmTypes types,
                              size_t workspace_bytes, bool fast_accumulation) {
  const ColumnMajor cm = ToColumnMajor(shape);
  cudaDataType_t a_type = CUDA_R_16BF;  // cuBLAS A (our B)
  cudaDataType_t b_type = CUDA_R_16BF;  // cuBLAS B (our A)
  cudaDataType_t c_type = CUDA_R_16BF;
  switch (types) {
    case GemmTypes::kBf16:
      break;
    case GemmTypes::kBf16ToFp32:
      c_type = CUDA_R_32F;
      break;
    case GemmTypes::kFp8E4M3:
      a_type = b_type = CUDA_R_8F_E4M3;
      break;
    case GemmTypes::kFp8E4M3E5M2:
      a_type = CUDA_R_8F_E4M3;
      b_type = CUDA_R_8F_E5M2;
      break;
  }
  LtGemm gemm;
  const std::string where = "cuBLASLt GEMM " + ShapeText(shape);
  auto check = [&](cublasStatus_t status, const char* call) {
    return CheckCublas(status, where + ": " + call);
  };
  if (Status s = check(cublasLtMatmulDescCreate(&gemm.op_, CUBLAS_COMPUTE_32F, CUDA_R_32F),
                       "cublasLtMatmulDescCreate");
      !s.ok()) {
    return s.error();
  }
  cublasOperation_t trans_a = cm.trans_a;
  cublasOperation_t trans_b = cm.trans_b;
  cublasLtMatmulDescSetAttribute(gemm.op_, CUBLASLT_MATMUL_DESC_TRANSA, &trans_a, sizeof(trans_a));
  cublasLtMatmulDescSetAttribute(gemm.op_, CUBLASLT_MATMUL_DESC_TRANSB, &trans_b, sizeof(trans_b));
  if (types == GemmTypes::kFp8E4M3 || types == GemmTypes::kFp8E4M3E5M2) {
    const int8_t fast = fast_accumulation ? 1 : 0;
    cublasLtMatmulDescSetAttribute(gemm.op_, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast, sizeof(fast));
  }
  if (Status s =
          check(cublasLtMatrixLayoutCreate(&gemm.a_, a_type, static_cast<uint64_t>(cm.rows_a),
                                           static_cast<uint64_t>(cm.cols_a), cm.ld_a),
                "cublasLtMatrixLayoutCreate(A)");
      !s.ok()) {
    return s.error();
  }
  if (Status s =
          check(cublasLtMatrixLayoutCreate(&gemm.b_, b_type, static_cast<uint64_t>(cm.rows_b),
                                           static_cast<uint64_t>(cm.cols_b), cm.ld_b),
                "cublasLtMatrixLayoutCreate(B)");
      !s.ok()) {
    return s.error();
  }
  if (Status s =
          check(cublasLtMatrixLayoutCreate(&gemm.c_, c_type, static_cast<uint64_t>(cm.rows_c),
                                           static_cast<uint64_t>(cm.cols_c), cm.ld_c),
                "cublasLtMatrixLayoutCreate(C)");
      !s.ok()) {
    return s.error();
  }
  cublasLtMatmulPreference_t preference = nullptr;
  cublasLtMatmulPreferenceCreate(&preference);
  cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                       &workspace_bytes, sizeof(workspace_bytes));
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(
      handle, gemm.op_, gemm.a_, gemm.b_, gemm.c_, gemm.c_, preference, 1, &heuristic, &found);
  cublasLtMatmulPreferenceDestroy(preference);
  if (status != CUBLAS_STATUS_SUCCESS || found == 0) {
    return Error{where + ": no cuBLASLt algorithm (" + CublasStatusText(status) + ")"};
  }
  gemm.algo_ = heuristic.algo;
  return gemm;
}

LtGemm::LtGemm(LtGemm&& other) noexcept
    : op_(std::exchange(other.op_, nullptr)),
      a_(std::exchange(other.a_, nullptr)),
      b_(std::exchange(other.b_, nullptr)),
      c_(std::exchange(other.c_, nullptr)),
      algo_(other.algo_) {}

LtGemm::~LtGemm() {
  if (c_ != nullptr) cublasLtMatrixLayoutDestroy(c_);
  if (b_ != nullptr) cublasLtMatrixLayoutDestroy(b_);
  if (a_ != nullptr) cublasLtMatrixLayoutDestroy(a_);
  if (op_ != nullptr) cublasLtMatmulDescDestroy(op_);
}

Status LtGemm::Run(cublasLtHandle_t handle, const void* a, const void* b, void* c, void* workspace,
                   size_t workspace_bytes, cudaStream_t stream) const {
  const float alpha = 1.0f;
  const float beta = 0.0f;
  // cuBLAS's A is our B and vice versa.
  return CheckCublas(cublasLtMatmul(handle, op_, &alpha, b, a_, a, b_, &beta, c, c_, c, c_, &algo_,
                                    workspace, workspace_bytes, stream),
                     "cublasLtMatmul");
}

// ---- GroupedGemm ----

Result<GroupedGemm> GroupedGemm::Create(std::vector<ExpertGemm> problems, Method method,
                                        cudaStream_t stream) {
  GroupedGemm grouped;
  grouped.method_ = method;
  std::erase_if(problems, [](const ExpertGemm& p) {
    return p.shape.m == 0 || p.shape.n == 0 || p.shape.k == 0;  // experts without tokens
  });
  auto key = [](const ExpertGemm& p) {
    return std::make_tuple(p.shape.m, p.shape.n, p.shape.k, p.shape.a_transposed,
                           p.shape.b_transposed);
  };
  std::stable_sort(problems.begin(), problems.end(),
                   [&](const ExpertGemm& x, const ExpertGemm& y) { return key(x) < key(y); });
  grouped.problems_ = std::move(problems);
  if (method == Method::kLoop || grouped.problems_.empty()) return grouped;

  std::vector<void*> pointers;  // cuBLAS A (our B), then B (our A), then C
  const size_t count = grouped.problems_.size();
  pointers.resize(3 * count);
  for (size_t problem_idx = 0; problem_idx < count; ++problem_idx) {
    const ExpertGemm& p = grouped.problems_[problem_idx];
    pointers[problem_idx] = const_cast<void*>(p.b);
    pointers[count + problem_idx] = const_cast<void*>(p.a);
    pointers[2 * count + problem_idx] = p.c;
    if (problem_idx > 0 && key(p) == key(grouped.problems_[problem_idx - 1])) {
      ++grouped.group_size_.back();
      continue;
    }
    const ColumnMajor cm = ToColumnMajor(p.shape);
    grouped.trans_a_.push_back(cm.trans_a);
    grouped.trans_b_.push_back(cm.trans_b);
    grouped.m_.push_back(static_cast<int>(p.shape.n));
    grouped.n_.push_back(static_cast<int>(p.shape.m));
    grouped.k_.push_back(static_cast<int>(p.shape.k));
    grouped.lda_.push_back(static_cast<int>(cm.ld_a));
    grouped.ldb_.push_back(static_cast<int>(cm.ld_b));
    grouped.ldc_.push_back(static_cast<int>(cm.ld_c));
    grouped.alpha_.push_back(1.0f);
    grouped.beta_.push_back(0.0f);
    grouped.group_size_.push_back(1);
  }
  const size_t bytes = pointers.size() * sizeof(void*);
  if (cudaError_t error = cudaMalloc(reinterpret_cast<void**>(&grouped.device_pointers_), bytes)) {
    return Error{std::string("cudaMalloc of grouped GEMM pointers: ") + cudaGetErrorString(error)};
  }
  if (cudaError_t error = cudaMemcpyAsync(grouped.device_pointers_, pointers.data(), bytes,
                                          cudaMemcpyHostToDevice, stream)) {
    return Error{std::string("upload of grouped GEMM pointers: ") + cudaGetErrorString(error)};
  }
  if (cudaError_t error = cudaStreamSynchronize(stream)) {
    return Error{std::string("upload of grouped GEMM pointers: ") + cudaGetErrorString(error)};
  }
  return grouped;
}

GroupedGemm::GroupedGemm(GroupedGemm&& other) noexcept
    : method_(other.method_),
      problems_(std::move(other.problems_)),
      trans_a_(std::move(other.trans_a_)),
      trans_b_(std::move(other.trans_b_)),
      m_(std::move(other.m_)),
      n_(std::move(other.n_)),
      k_(std::move(other.k_)),
      lda_(std::move(other.lda_)),
      ldb_(std::move(other.ldb_)),
      ldc_(std::move(other.ldc_)),
      group_size_(std::move(other.group_size_)),
      alpha_(std::move(other.alpha_)),
      beta_(std::move(other.beta_)),
      device_pointers_(std::exchange(other.device_pointers_, nullptr)) {}

GroupedGemm::~GroupedGemm() {
  if (device_pointers_ != nullptr) cudaFree(device_pointers_);
}

Status GroupedGemm::Run(cublasHandle_t handle, cudaStream_t stream) const {
  if (Status s = CheckCublas(cublasSetStream(handle, stream), "cublasSetStream"); !s.ok()) return s;
  if (problems_.empty()) return Status::Ok();
  if (method_ == Method::kGroupedBatched) {
    const size_t count = problems_.size();
    return CheckCublas(
        cublasGemmGroupedBatchedEx(
            handle, trans_a_.data(), trans_b_.data(), m_.data(), n_.data(), k_.data(),
            alpha_.data(), const_cast<const void* const*>(device_pointers_), CUDA_R_16BF,
            lda_.data(), const_cast<const void* const*>(device_pointers_ + count), CUDA_R_16BF,
            ldb_.data(), beta_.data(), device_pointers_ + 2 * count, CUDA_R_16BF, ldc_.data(),
            static_cast<int>(group_size_.size()), group_size_.data(), CUBLAS_COMPUTE_32F),
        "cublasGemmGroupedBatchedEx");
  }
  const float alpha = 1.0f;
  const float beta = 0.0f;
  for (const ExpertGemm& p : problems_) {
    const ColumnMajor cm = ToColumnMajor(p.shape);
    if (Status s = CheckCublas(
            cublasGemmEx(handle, cm.trans_a, cm.trans_b, static_cast<int>(p.shape.n),
                         static_cast<int>(p.shape.m), static_cast<int>(p.shape.k), &alpha, p.b,
                         CUDA_R_16BF, static_cast<int>(cm.ld_a), p.a, CUDA_R_16BF,
                         static_cast<int>(cm.ld_b), &beta, p.c, CUDA_R_16BF,
                         static_cast<int>(cm.ld_c), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
            "cublasGemmEx");
        !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace moeplan::profiler
