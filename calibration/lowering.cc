//===- calibration/lowering.cc - Profile cases as hwmodel primitives ------===//
#include "calibration/lowering.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>

#include "hwmodel/gemm_cost.h"
#include "profiler/core/op_cost.h"

namespace moeplan::calibration {
namespace {

using profiler::BenchCase;
using profiler::OpKind;

constexpr double kFp32Bytes = 4.0;
constexpr double kIndexBytes = 4.0;

// Every named dimension is present and positive.
Status RequireDims(const BenchCase& c, std::initializer_list<const char*> names) {
  std::string all;
  for (const char* name : names) all += (all.empty() ? "" : ", ") + std::string(name);
  for (const char* name : names) {
    const auto it = std::find_if(c.shape.begin(), c.shape.end(),
                                 [&](const auto& dim) { return dim.first == name; });
    if (it == c.shape.end()) {
      return Error{fmt::format("{}: shape has no '{}' (needs {})", c.Label(), name, all)};
    }
    if (it->second <= 0) {
      return Error{
          fmt::format("{}: shape '{}' must be positive, got {}", c.Label(), name, it->second)};
    }
  }
  return Status::Ok();
}

Primitive GemmPrimitive(int64_t m, int64_t n, int64_t k, hw::Precision precision) {
  Primitive p;
  p.kind = Primitive::Kind::kGemm;
  p.gemm = {m, n, k, precision};
  return p;
}

Primitive MemoryPrimitive(hw::MemoryKernel kind, double bytes) {
  Primitive p;
  p.kind = Primitive::Kind::kMemory;
  p.memory_kind = kind;
  p.bytes = bytes;
  return p;
}

std::vector<int64_t> ExpertCounts(const BenchCase& c) {
  const int64_t experts = c.Dim("experts");
  std::string distribution = c.Param("distribution");
  if (distribution.empty()) distribution = "balanced";
  return profiler::ExpertTokenCounts(experts * c.Dim("tokens_per_expert"), experts, distribution);
}

Result<LoweredCase> LowerGroupedGemm(const BenchCase& c) {
  if (Status s = RequireDims(c, {"experts", "tokens_per_expert", "in", "out"}); !s.ok()) {
    return s.error();
  }
  const int64_t in = c.Dim("in");
  const int64_t out = c.Dim("out");
  const hw::Precision precision = ToHwPrecision(c.precision);
  std::vector<int64_t> counts = ExpertCounts(c);
  LoweredCase lowered;
  if (c.implementation == "loop") {
    lowered.op_class = OpClass::kGroupedGemmLoop;
    for (const int64_t tokens : counts) {
      if (tokens <= 0) continue;
      const profiler::GemmDims d = profiler::LinearLayerGemm(c.pass, tokens, in, out);
      lowered.primitives.push_back(GemmPrimitive(d.m, d.n, d.k, precision));
    }
    return lowered;
  }
  lowered.op_class = OpClass::kGroupedGemm;
  Primitive p;
  p.kind = Primitive::Kind::kGroupedGemm;
  p.precision = precision;
  switch (c.pass) {
    case profiler::Pass::kBackwardData:  // dX_e[M_e, in] = dY_e[M_e, out] W_e[out, in]
      p.tokens_per_expert = std::move(counts);
      p.n = in;
      p.k = out;
      break;
    case profiler::Pass::kBackwardWeight: {  // dW_e[out, in] = dY_e^T X_e: K varies by expert
      int64_t active = 0;
      int64_t total = 0;
      for (const int64_t tokens : counts) {
        if (tokens <= 0) continue;
        ++active;
        total += tokens;
      }
      p.tokens_per_expert.assign(static_cast<size_t>(active), out);
      p.n = in;
      p.k = active > 0 ? (total + active / 2) / active : 0;
      break;
    }
    default:  // Y_e[M_e, out] = X_e[M_e, in] W_e^T
      p.tokens_per_expert = std::move(counts);
      p.n = out;
      p.k = in;
      break;
  }
  lowered.primitives.push_back(std::move(p));
  return lowered;
}

Result<LoweredCase> LowerAttention(const BenchCase& c) {
  if (Status s = RequireDims(c, {"batch", "heads", "seq", "head_dim"}); !s.ok()) {
    return s.error();
  }
  if (c.pass != profiler::Pass::kForward && c.pass != profiler::Pass::kBackward) {
    return Error{fmt::format("{}: attention pass must be forward or backward", c.Label())};
  }
  Primitive p;
  p.kind = Primitive::Kind::kAttention;
  p.attention.batch = c.Dim("batch");
  p.attention.num_heads = c.Dim("heads");
  p.attention.num_kv_heads = c.Dim("heads");
  p.attention.seq_q = c.Dim("seq");
  p.attention.seq_kv = c.Dim("seq");
  p.attention.head_dim_qk = c.Dim("head_dim");
  p.attention.head_dim_v = c.Dim("head_dim");
  p.attention.causal = c.Param("mask") == "causal";
  p.attention.precision = ToHwPrecision(c.precision);
  const bool forward = c.pass == profiler::Pass::kForward;
  p.pass = forward ? hw::Pass::kForward : hw::Pass::kBackward;
  return LoweredCase{forward ? OpClass::kAttentionForward : OpClass::kAttentionBackward, {p}};
}

Result<LoweredCase> LowerRouter(const BenchCase& c) {
  if (Status s = RequireDims(c, {"tokens", "hidden", "experts", "top_k"}); !s.ok()) {
    return s.error();
  }
  const int64_t tokens = c.Dim("tokens");
  const int64_t hidden = c.Dim("hidden");
  const int64_t experts = c.Dim("experts");
  const double scores = static_cast<double>(tokens) * static_cast<double>(experts) * kFp32Bytes;
  const double top_k = static_cast<double>(tokens) * static_cast<double>(c.Dim("top_k"));
  const hw::Precision precision = ToHwPrecision(c.precision);
  LoweredCase lowered{OpClass::kRouter, {}};
  if (c.pass == profiler::Pass::kBackward) {
    lowered.primitives.push_back(GemmPrimitive(tokens, hidden, experts, precision));  // dX
    lowered.primitives.push_back(GemmPrimitive(experts, hidden, tokens, precision));  // dW
    lowered.primitives.push_back(
        MemoryPrimitive(hw::MemoryKernel::kRouter, 2.0 * scores + top_k * kFp32Bytes));
  } else {
    lowered.primitives.push_back(GemmPrimitive(tokens, experts, hidden, precision));
    lowered.primitives.push_back(MemoryPrimitive(
        hw::MemoryKernel::kRouter, 2.0 * scores + top_k * (kFp32Bytes + kIndexBytes)));
  }
  return lowered;
}

// One memory-bound kernel over the profile's compulsory bytes.
Result<LoweredCase> LowerMemoryBound(const BenchCase& c, OpClass op_class,
                                     std::initializer_list<const char*> dims) {
  if (Status s = RequireDims(c, dims); !s.ok()) return s.error();
  const double bytes = profiler::CostOf(c).bytes;
  Primitive p;
  switch (op_class) {
    case OpClass::kCopy:
      p.kind = Primitive::Kind::kCopy;
      p.bytes = bytes;
      return LoweredCase{op_class, {p}};
    case OpClass::kNorm:
      return LoweredCase{op_class, {MemoryPrimitive(hw::MemoryKernel::kNorm, bytes)}};
    case OpClass::kPermute:
      return LoweredCase{op_class, {MemoryPrimitive(hw::MemoryKernel::kPermute, bytes)}};
    case OpClass::kOptimizer:
      return LoweredCase{op_class, {MemoryPrimitive(hw::MemoryKernel::kOptimizer, bytes)}};
    default:
      return LoweredCase{op_class, {MemoryPrimitive(hw::MemoryKernel::kElementwise, bytes)}};
  }
}

Result<LoweredCase> LowerMoeLayer(const BenchCase& c) {
  if (Status s = RequireDims(c, {"tokens", "hidden", "width", "experts", "top_k"}); !s.ok()) {
    return s.error();
  }
  LoweredCase lowered{OpClass::kMoeLayer, {}};
  for (const BenchCase& part : profiler::MoeLayerParts(c)) {
    Result<LoweredCase> part_lowered = LowerCase(part);
    if (!part_lowered) return part_lowered.error();
    for (Primitive& p : part_lowered->primitives) lowered.primitives.push_back(std::move(p));
  }
  return lowered;
}

}  // namespace

const char* ToString(OpClass op_class) {
  switch (op_class) {
    case OpClass::kGemm:
      return "gemm";
    case OpClass::kGroupedGemm:
      return "grouped_gemm";
    case OpClass::kGroupedGemmLoop:
      return "grouped_gemm_loop";
    case OpClass::kAttentionForward:
      return "attention_forward";
    case OpClass::kAttentionBackward:
      return "attention_backward";
    case OpClass::kElementwise:
      return "elementwise";
    case OpClass::kNorm:
      return "norm";
    case OpClass::kRouter:
      return "router";
    case OpClass::kPermute:
      return "permute";
    case OpClass::kOptimizer:
      return "optimizer";
    case OpClass::kCopy:
      return "copy";
    case OpClass::kMoeLayer:
      return "moe_layer";
  }
  return "gemm";
}

hw::Precision ToHwPrecision(profiler::Precision precision) {
  switch (precision) {
    case profiler::Precision::kBf16:
      return hw::Precision::kBf16;
    case profiler::Precision::kFp8:
      return hw::Precision::kFp8;
    case profiler::Precision::kFp32:
      return hw::Precision::kTf32;
  }
  return hw::Precision::kBf16;
}

Result<LoweredCase> LowerCase(const BenchCase& c) {
  switch (c.op) {
    case OpKind::kGemm: {
      if (Status s = RequireDims(c, {"tokens", "in", "out"}); !s.ok()) return s.error();
      const profiler::GemmDims d =
          profiler::LinearLayerGemm(c.pass, c.Dim("tokens"), c.Dim("in"), c.Dim("out"));
      return LoweredCase{OpClass::kGemm,
                         {GemmPrimitive(d.m, d.n, d.k, ToHwPrecision(c.precision))}};
    }
    case OpKind::kGroupedGemm:
      return LowerGroupedGemm(c);
    case OpKind::kAttention:
      return LowerAttention(c);
    case OpKind::kRouter:
      return LowerRouter(c);
    case OpKind::kPermute:
    case OpKind::kUnpermute:
      return LowerMemoryBound(c, OpClass::kPermute, {"tokens", "hidden", "experts", "top_k"});
    case OpKind::kSwiglu:
      return LowerMemoryBound(c, OpClass::kElementwise, {"tokens", "width"});
    case OpKind::kRmsnorm:
      return LowerMemoryBound(c, OpClass::kNorm, {"tokens", "hidden"});
    case OpKind::kAdam:
      return LowerMemoryBound(c, OpClass::kOptimizer, {"params"});
    case OpKind::kCopy:
      return LowerMemoryBound(c, OpClass::kCopy, {"bytes"});
    case OpKind::kMoeLayer:
      return LowerMoeLayer(c);
  }
  return Error{fmt::format("{}: unsupported op", c.Label())};
}

double PrimitiveTime(const Primitive& p, const hw::Hardware& hardware, double copy_efficiency) {
  switch (p.kind) {
    case Primitive::Kind::kGemm:
      return hw::GemmTime(p.gemm, hardware);
    case Primitive::Kind::kGroupedGemm:
      return hw::GroupedGemmTime(p.tokens_per_expert, p.n, p.k, p.precision, hardware);
    case Primitive::Kind::kAttention:
      return hw::AttentionTime(p.attention, p.pass, hardware);
    case Primitive::Kind::kMemory:
      return hw::MemoryBoundTime(p.memory_kind, p.bytes, hardware);
    case Primitive::Kind::kCopy: {
      if (!(p.bytes > 0.0)) return 0.0;
      const hw::EfficiencyParams& e = hardware.efficiency;
      return e.launch_overhead + (p.bytes + e.memory.half_bandwidth_bytes) /
                                     (hardware.device.hbm_bandwidth * copy_efficiency);
    }
  }
  return 0.0;
}

double PredictTime(const LoweredCase& lowered, const hw::Hardware& hardware,
                   double copy_efficiency) {
  double total = 0.0;
  for (const Primitive& p : lowered.primitives) {
    total += PrimitiveTime(p, hardware, copy_efficiency);
  }
  return total;
}

}  // namespace moeplan::calibration
