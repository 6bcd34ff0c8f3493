//===- profiler/core/op_cost.cc - Nominal FLOPs and bytes of each op ------===//
#include "profiler/core/op_cost.h"

#include <algorithm>
#include <numeric>

namespace moeplan::profiler {
namespace {

constexpr double kBf16 = 2;
constexpr double kFp32 = 4;
constexpr double kIndex = 4;  // int32 token/expert indices

double D(int64_t value) {
  return static_cast<double>(value);
}

// A GEMM reads both inputs and writes its bf16 output once.
OpCost GemmCost(const GemmDims& dims, Precision precision) {
  const double in_bytes = ElementBytes(precision);
  return {
      2 * D(dims.m) * D(dims.n) * D(dims.k),
      (D(dims.m) * D(dims.k) + D(dims.k) * D(dims.n)) * in_bytes + D(dims.m) * D(dims.n) * kBf16};
}

OpCost GroupedGemmCost(const BenchCase& c) {
  const int64_t experts = c.Dim("experts");
  const int64_t rows = experts * c.Dim("tokens_per_expert");
  const int64_t in = c.Dim("in");
  const int64_t out = c.Dim("out");
  const double element = ElementBytes(c.precision);
  const double weights = D(experts) * D(in) * D(out);
  const double flops = 2 * D(rows) * D(in) * D(out);
  switch (c.pass) {
    case Pass::kBackwardData:  // dX[rows,in] = dY[rows,out] W
      return {flops, (D(rows) * D(out) + weights) * element + D(rows) * D(in) * kBf16};
    case Pass::kBackwardWeight:  // dW[out,in] = dY^T X
      return {flops, (D(rows) * D(out) + D(rows) * D(in)) * element + weights * kBf16};
    default:  // Y[rows,out] = X W^T
      return {flops, (D(rows) * D(in) + weights) * element + D(rows) * D(out) * kBf16};
  }
}

OpCost RouterCost(const BenchCase& c) {
  const double tokens = D(c.Dim("tokens"));
  const double hidden = D(c.Dim("hidden"));
  const double experts = D(c.Dim("experts"));
  const double top_k = D(c.Dim("top_k"));
  const double gemm = 2 * tokens * hidden * experts;
  const double routing = tokens * top_k * (kFp32 + kIndex);
  if (c.pass == Pass::kBackward) {
    // dlogits from the top-k weight gradients, then dX = dlogits W and dW = dlogits^T X.
    return {2 * gemm + 4 * tokens * experts,
            tokens * experts * kFp32 * 2 + tokens * top_k * kFp32 + 2 * tokens * hidden * kBf16 +
                2 * experts * hidden * kBf16 + tokens * hidden * kBf16};
  }
  return {gemm + 4 * tokens * experts, tokens * hidden * kBf16 + experts * hidden * kBf16 +
                                           2 * tokens * experts * kFp32 + routing};
}

OpCost PermuteCost(const BenchCase& c, bool unpermute) {
  const double tokens = D(c.Dim("tokens"));
  const double hidden = D(c.Dim("hidden"));
  const double top_k = D(c.Dim("top_k"));
  const double rows = tokens * hidden * kBf16;
  const double routed_rows = tokens * top_k * hidden * kBf16;
  const double maps = tokens * top_k * kIndex * 2;
  const bool gather_sum = unpermute != (c.pass == Pass::kBackward);
  if (!gather_sum) {
    // Scatter every token to its top_k experts (permute forward; unpermute backward, which also
    // reads the expert outputs to form the combine-weight gradients).
    if (unpermute) {
      return {4 * tokens * top_k * hidden,
              rows + 2 * routed_rows + tokens * top_k * kFp32 * 2 + maps};
    }
    return {0, rows + routed_rows + maps};
  }
  // Gather the top_k expert rows of each token and add them (weighted for unpermute forward).
  return {2 * tokens * top_k * hidden, routed_rows + rows + tokens * top_k * kFp32 + maps};
}

OpCost SwigluCost(const BenchCase& c) {
  const double elements = D(c.Dim("tokens")) * D(c.Dim("width"));
  if (c.pass == Pass::kBackward) return {8 * elements, (2 + 1 + 2) * elements * kBf16};
  return {4 * elements, (2 + 1) * elements * kBf16};
}

OpCost RmsnormCost(const BenchCase& c) {
  const double tokens = D(c.Dim("tokens"));
  const double hidden = D(c.Dim("hidden"));
  const double elements = tokens * hidden;
  if (c.pass == Pass::kBackward) {
    return {8 * elements, 3 * elements * kBf16 + hidden * (kBf16 + kFp32)};
  }
  return {4 * elements, 2 * elements * kBf16 + hidden * kBf16};
}

OpCost AttentionCost(const BenchCase& c) {
  const double batch = D(c.Dim("batch"));
  const double heads = D(c.Dim("heads"));
  const double seq = D(c.Dim("seq"));
  const double head_dim = D(c.Dim("head_dim"));
  double forward = 4 * batch * heads * seq * seq * head_dim;
  if (c.Param("mask") == "causal") forward /= 2;
  const double tensor = batch * heads * seq * head_dim * kBf16;
  if (c.pass == Pass::kBackward) return {2.5 * forward, 8 * tensor + batch * heads * seq * kFp32};
  return {forward, 4 * tensor + batch * heads * seq * kFp32};
}

OpCost Sum(const std::vector<BenchCase>& parts) {
  OpCost total;
  for (const BenchCase& part : parts) {
    const OpCost cost = CostOf(part);
    total.flops += cost.flops;
    total.bytes += cost.bytes;
  }
  return total;
}

}  // namespace

GemmDims LinearLayerGemm(Pass pass, int64_t tokens, int64_t in, int64_t out) {
  switch (pass) {
    case Pass::kBackwardData:
      return {tokens, in, out};
    case Pass::kBackwardWeight:
      return {out, in, tokens};
    default:
      return {tokens, out, in};
  }
}

double ElementBytes(Precision precision) {
  switch (precision) {
    case Precision::kFp8:
      return 1;
    case Precision::kFp32:
      return 4;
    case Precision::kBf16:
      return 2;
  }
  return 2;
}

std::vector<int64_t> ExpertTokenCounts(int64_t total, int64_t experts,
                                       std::string_view distribution) {
  std::vector<int64_t> counts(static_cast<size_t>(std::max<int64_t>(experts, 0)), 0);
  if (experts <= 0 || total <= 0) return counts;
  if (distribution != "skewed") {
    for (int64_t expert_idx = 0; expert_idx < experts; ++expert_idx) {
      counts[expert_idx] = total / experts + (expert_idx < total % experts ? 1 : 0);
    }
    return counts;
  }
  std::vector<double> shares(counts.size());
  for (int64_t expert_idx = 0; expert_idx < experts; ++expert_idx) {
    shares[expert_idx] = 1.0 / D(expert_idx + 1);
  }
  const double norm = std::accumulate(shares.begin(), shares.end(), 0.0);
  std::vector<std::pair<double, int64_t>> remainders;  // (fraction, expert) for largest remainder
  int64_t assigned = 0;
  for (int64_t expert_idx = 0; expert_idx < experts; ++expert_idx) {
    const double exact = D(total) * shares[expert_idx] / norm;
    counts[expert_idx] = static_cast<int64_t>(exact);
    assigned += counts[expert_idx];
    remainders.emplace_back(exact - D(counts[expert_idx]), expert_idx);
  }
  // Largest fraction first; ties to the lower expert index, so the result is deterministic.
  std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (int64_t extra_idx = 0; assigned < total; ++extra_idx, ++assigned) {
    ++counts[remainders[static_cast<size_t>(extra_idx) % remainders.size()].second];
  }
  return counts;
}

std::vector<int32_t> SyntheticRouting(const std::vector<int64_t>& counts, uint64_t seed) {
  std::vector<int32_t> expert_of;
  for (size_t expert_idx = 0; expert_idx < counts.size(); ++expert_idx) {
    expert_of.insert(expert_of.end(), static_cast<size_t>(counts[expert_idx]),
                     static_cast<int32_t>(expert_idx));
  }
  // Fisher-Yates with splitmix64: the same order on every platform (std::shuffle's is not).
  uint64_t state = seed;
  for (size_t slot = expert_of.size(); slot > 1; --slot) {
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    std::swap(expert_of[slot - 1], expert_of[z % slot]);
  }
  return expert_of;
}

std::vector<BenchCase> MoeLayerParts(const BenchCase& layer) {
  const int64_t tokens = layer.Dim("tokens");
  const int64_t hidden = layer.Dim("hidden");
  const int64_t width = layer.Dim("width");
  const int64_t experts = layer.Dim("experts");
  const int64_t top_k = layer.Dim("top_k");
  const std::string distribution = layer.Param("distribution");
  const int64_t per_expert = experts > 0 ? tokens * top_k / experts : 0;
  const bool backward = layer.pass == Pass::kBackward;
  const Pass pass = backward ? Pass::kBackward : Pass::kForward;
  auto make = [&](OpKind op, Pass part_pass, std::vector<std::pair<std::string, int64_t>> shape,
                  std::vector<std::pair<std::string, std::string>> params,
                  std::string implementation) {
    BenchCase part;
    part.op = op;
    part.pass = part_pass;
    part.precision = layer.precision;
    part.implementation = std::move(implementation);
    part.shape = std::move(shape);
    part.params = std::move(params);
    return part;
  };
  const std::vector<std::pair<std::string, int64_t>> routing = {
      {"tokens", tokens}, {"hidden", hidden}, {"experts", experts}, {"top_k", top_k}};
  BenchCase router =
      make(OpKind::kRouter, pass, routing, {{"score", layer.Param("score")}}, "moeplan");
  router.precision = Precision::kBf16;
  BenchCase permute =
      make(OpKind::kPermute, pass, routing, {{"distribution", distribution}}, "moeplan");
  BenchCase unpermute =
      make(OpKind::kUnpermute, pass, routing, {{"distribution", distribution}}, "moeplan");
  permute.precision = unpermute.precision = Precision::kBf16;
  BenchCase swiglu =
      make(OpKind::kSwiglu, pass, {{"tokens", tokens * top_k}, {"width", width}}, {}, "moeplan");
  swiglu.precision = Precision::kBf16;
  auto grouped = [&](Pass part_pass, int64_t in, int64_t out) {
    return make(OpKind::kGroupedGemm, part_pass,
                {{"experts", experts}, {"tokens_per_expert", per_expert}, {"in", in}, {"out", out}},
                {{"distribution", distribution}}, layer.implementation);
  };
  if (!backward) {
    return {router,
            permute,
            grouped(Pass::kForward, hidden, 2 * width),
            swiglu,
            grouped(Pass::kForward, width, hidden),
            unpermute};
  }
  return {unpermute,
          grouped(Pass::kBackwardData, width, hidden),
          grouped(Pass::kBackwardWeight, width, hidden),
          swiglu,
          grouped(Pass::kBackwardData, hidden, 2 * width),
          grouped(Pass::kBackwardWeight, hidden, 2 * width),
          permute,
          router};
}

OpCost CostOf(const BenchCase& c) {
  switch (c.op) {
    case OpKind::kGemm:
      return GemmCost(LinearLayerGemm(c.pass, c.Dim("tokens"), c.Dim("in"), c.Dim("out")),
                      c.precision);
    case OpKind::kGroupedGemm:
      return GroupedGemmCost(c);
    case OpKind::kRouter:
      return RouterCost(c);
    case OpKind::kPermute:
      return PermuteCost(c, /*unpermute=*/false);
    case OpKind::kUnpermute:
      return PermuteCost(c, /*unpermute=*/true);
    case OpKind::kSwiglu:
      return SwigluCost(c);
    case OpKind::kRmsnorm:
      return RmsnormCost(c);
    case OpKind::kAttention:
      return AttentionCost(c);
    case OpKind::kAdam:
      return {12 * D(c.Dim("params")), 30 * D(c.Dim("params"))};
    case OpKind::kCopy:
      return {0, 2 * D(c.Dim("bytes"))};
    case OpKind::kMoeLayer:
      return Sum(MoeLayerParts(c));
  }
  return {};
}

}  // namespace moeplan::profiler
