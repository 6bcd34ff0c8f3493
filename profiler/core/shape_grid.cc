//===- profiler/core/shape_grid.cc - Which shapes a profile measures ------===//
#include "profiler/core/shape_grid.h"

#include <algorithm>
#include <string>

#include "profiler/core/op_cost.h"

namespace moeplan::profiler {
namespace {

using Shape = std::vector<std::pair<std::string, int64_t>>;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr Pass kLinearPasses[] = {Pass::kForward, Pass::kBackwardData, Pass::kBackwardWeight};
constexpr Pass kForwardBackward[] = {Pass::kForward, Pass::kBackward};

BenchCase Make(OpKind op, Pass pass, Precision precision, std::string implementation, Shape shape,
               Params params = {}) {
  BenchCase bench_case;
  bench_case.op = op;
  bench_case.pass = pass;
  bench_case.precision = precision;
  bench_case.implementation = std::move(implementation);
  bench_case.shape = std::move(shape);
  bench_case.params = std::move(params);
  return bench_case;
}

// An expert/FFN width near 8/3 d rounded up to a multiple of 256 (the Llama convention).
int64_t FfnWidth(int64_t hidden) {
  return (hidden * 8 / 3 + 255) / 256 * 256;
}

void AddGemms(const GridOptions& options, std::vector<BenchCase>& grid) {
  const bool full = options.size == GridSize::kFull;
  std::vector<Precision> precisions = {Precision::kBf16};
  if (options.caps.fp8) precisions.push_back(Precision::kFp8);
  // (tokens, in, out): square shapes for the peak, then the linear layers of a transformer.
  std::vector<Shape> shapes;
  const std::vector<int64_t> squares =
      full ? std::vector<int64_t>{256, 512, 1024, 2048, 4096, 8192, 16384}
           : std::vector<int64_t>{2048, 8192};
  for (int64_t size : squares) shapes.push_back({{"tokens", size}, {"in", size}, {"out", size}});
  const std::vector<int64_t> hiddens =
      full ? std::vector<int64_t>{1024, 2048, 4096, 7168, 8192} : std::vector<int64_t>{4096};
  const std::vector<int64_t> token_counts =
      full ? std::vector<int64_t>{4096, 16384} : std::vector<int64_t>{8192};
  for (int64_t hidden : hiddens) {
    const int64_t ffn = FfnWidth(hidden);
    const std::vector<std::pair<int64_t, int64_t>> layers =
        full ? std::vector<std::pair<int64_t, int64_t>>{{hidden, hidden},
                                                        {hidden, 3 * hidden},
                                                        {hidden, 2 * ffn},
                                                        {ffn, hidden}}
             : std::vector<std::pair<int64_t, int64_t>>{{hidden, 2 * ffn}};
    for (int64_t tokens : token_counts) {
      for (const auto& [in, out] : layers) {
        Shape shape = {{"tokens", tokens}, {"in", in}, {"out", out}};
        // A layer shape may coincide with a square one (tokens = in = out = 4096).
        if (std::find(shapes.begin(), shapes.end(), shape) == shapes.end()) {
          shapes.push_back(std::move(shape));
        }
      }
    }
  }
  for (Precision precision : precisions) {
    for (const Shape& shape : shapes) {
      for (Pass pass : kLinearPasses) {
        grid.push_back(Make(OpKind::kGemm, pass, precision, "cublaslt", shape));
      }
    }
  }
}

struct ExpertConfig {
  int64_t hidden;
  int64_t width;
  int64_t experts;  // local experts on one GPU
};

void AddGroupedGemms(const GridOptions& options, std::vector<BenchCase>& grid) {
  const bool full = options.size == GridSize::kFull;
  // DeepSeek-V2-Lite-like (64 experts / EP 4), Mixtral-8x7B (8 / EP 2), DeepSeek-V3 (256 / EP 8).
  const std::vector<ExpertConfig> configs =
      full ? std::vector<ExpertConfig>{{2048, 1408, 16}, {4096, 14336, 4}, {7168, 2048, 32}}
           : std::vector<ExpertConfig>{{7168, 2048, 32}};
  const std::vector<int64_t> per_expert =
      full ? std::vector<int64_t>{4, 16, 64, 256, 1024, 4096} : std::vector<int64_t>{16, 256, 2048};
  for (const ExpertConfig& config : configs) {
    std::vector<std::pair<int64_t, int64_t>> layers = {{config.hidden, 2 * config.width}};
    if (full) layers.emplace_back(config.width, config.hidden);
    for (const auto& [in, out] : layers) {
      for (int64_t tokens : per_expert) {
        const Shape shape = {
            {"experts", config.experts}, {"tokens_per_expert", tokens}, {"in", in}, {"out", out}};
        for (Pass pass : kLinearPasses) {
          for (const char* distribution : {"balanced", "skewed"}) {
            if (!full && pass != Pass::kForward && std::string(distribution) == "skewed") continue;
            grid.push_back(Make(OpKind::kGroupedGemm, pass, Precision::kBf16, "cublas_grouped",
                                shape, {{"distribution", distribution}}));
          }
        }
        // The per-expert loop, for comparison with the grouped kernel.
        grid.push_back(Make(OpKind::kGroupedGemm, Pass::kForward, Precision::kBf16, "loop", shape,
                            {{"distribution", "balanced"}}));
      }
    }
  }
}

struct RoutingConfig {
  int64_t hidden;
  int64_t experts;
  int64_t top_k;
};

std::vector<RoutingConfig> RoutingConfigs(bool full) {
  if (!full) return {{7168, 256, 8}};
  return {{2048, 64, 6}, {4096, 8, 2}, {7168, 256, 8}};
}

void AddRouting(const GridOptions& options, OpKind op, std::vector<BenchCase>& grid) {
  const bool full = options.size == GridSize::kFull;
  const std::vector<int64_t> token_counts =
      full ? std::vector<int64_t>{4096, 16384} : std::vector<int64_t>{8192};
  for (int64_t tokens : token_counts) {
    for (const RoutingConfig& config : RoutingConfigs(full)) {
      const Shape shape = {{"tokens", tokens},
                           {"hidden", config.hidden},
                           {"experts", config.experts},
                           {"top_k", config.top_k}};
      for (Pass pass : kForwardBackward) {
        if (op != OpKind::kRouter) {
          grid.push_back(
              Make(op, pass, Precision::kBf16, "moeplan", shape, {{"distribution", "balanced"}}));
          continue;
        }
        for (const char* score : {"softmax", "sigmoid"}) {
          grid.push_back(Make(op, pass, Precision::kBf16, "moeplan", shape, {{"score", score}}));
        }
      }
    }
  }
}

void AddElementwise(const GridOptions& options, std::vector<BenchCase>& grid) {
  const bool full = options.size == GridSize::kFull;
  const bool swiglu =
      std::find(options.ops.begin(), options.ops.end(), OpKind::kSwiglu) != options.ops.end();
  const std::vector<int64_t> token_counts =
      full ? std::vector<int64_t>{4096, 32768} : std::vector<int64_t>{32768};
  if (swiglu) {
    const std::vector<int64_t> widths =
        full ? std::vector<int64_t>{1408, 2048, 14336} : std::vector<int64_t>{2048};
    for (int64_t tokens : token_counts) {
      for (int64_t width : widths) {
        for (Pass pass : kForwardBackward) {
          grid.push_back(Make(OpKind::kSwiglu, pass, Precision::kBf16, "moeplan",
                              {{"tokens", tokens}, {"width", width}}));
        }
      }
    }
    return;
  }
  const std::vector<int64_t> hiddens =
      full ? std::vector<int64_t>{2048, 4096, 7168, 8192} : std::vector<int64_t>{7168};
  for (int64_t tokens : token_counts) {
    for (int64_t hidden : hiddens) {
      for (Pass pass : kForwardBackward) {
        grid.push_back(Make(OpKind::kRmsnorm, pass, Precision::kBf16, "moeplan",
                            {{"tokens", tokens}, {"hidden", hidden}}));
      }
    }
  }
}

void AddAttention(const GridOptions& options, std::vector<BenchCase>& grid) {
  const bool full = options.size == GridSize::kFull;
  // (batch, seq) pairs hold 16384 tokens per micro-batch.
  const std::vector<std::pair<int64_t, int64_t>> batches =
      full ? std::vector<std::pair<int64_t, int64_t>>{{8, 2048}, {4, 4096}, {2, 8192}, {1, 16384}}
           : std::vector<std::pair<int64_t, int64_t>>{{4, 4096}};
  const std::vector<int64_t> head_counts =
      full ? std::vector<int64_t>{16, 32} : std::vector<int64_t>{32};
  for (const auto& [batch, seq] : batches) {
    for (int64_t heads : head_counts) {
      for (Pass pass : kForwardBackward) {
        grid.push_back(Make(OpKind::kAttention, pass, Precision::kBf16, "cudnn",
                            {{"batch", batch}, {"heads", heads}, {"seq", seq}, {"head_dim", 128}},
                            {{"mask", "causal"}}));
      }
    }
  }
}

void AddAdamAndCopy(const GridOptions& options, OpKind op, std::vector<BenchCase>& grid) {
  const bool full = options.size == GridSize::kFull;
  if (op == OpKind::kAdam) {
    const std::vector<int64_t> sizes =
        full ? std::vector<int64_t>{1 << 20, 1 << 24, 1 << 27, 1 << 29}
             : std::vector<int64_t>{1 << 24, 1 << 27};
    for (int64_t params : sizes) {
      grid.push_back(
          Make(OpKind::kAdam, Pass::kStep, Precision::kFp32, "moeplan", {{"params", params}}));
    }
    return;
  }
  std::vector<int64_t> sizes;
  if (full) {
    for (int64_t bytes = int64_t{1} << 20; bytes <= int64_t{1} << 32; bytes *= 4) {
      sizes.push_back(bytes);
    }
  } else {
    sizes = {int64_t{1} << 24, int64_t{1} << 30};
  }
  for (int64_t bytes : sizes) {
    grid.push_back(
        Make(OpKind::kCopy, Pass::kNone, Precision::kBf16, "cuda_memcpy", {{"bytes", bytes}}));
  }
}

void AddMoeLayers(const GridOptions& options, std::vector<BenchCase>& grid) {
  const bool full = options.size == GridSize::kFull;
  struct LayerConfig {
    int64_t tokens, hidden, width, experts, top_k;
  };
  const std::vector<LayerConfig> configs =
      full ? std::vector<LayerConfig>{{8192, 2048, 1408, 16, 6},
                                      {8192, 4096, 14336, 4, 2},
                                      {8192, 7168, 2048, 32, 8}}
           : std::vector<LayerConfig>{{8192, 7168, 2048, 32, 8}};
  const std::vector<const char*> distributions =
      full ? std::vector<const char*>{"balanced", "skewed"} : std::vector<const char*>{"balanced"};
  std::vector<BenchCase> layers;
  for (const LayerConfig& config : configs) {
    for (const char* distribution : distributions) {
      for (Pass pass : kForwardBackward) {
        layers.push_back(Make(OpKind::kMoeLayer, pass, Precision::kBf16, "cublas_grouped",
                              {{"tokens", config.tokens},
                               {"hidden", config.hidden},
                               {"width", config.width},
                               {"experts", config.experts},
                               {"top_k", config.top_k}},
                              {{"score", "sigmoid"}, {"distribution", distribution}}));
      }
    }
  }
  // Each layer's pieces are measured on their own too, so that the profile can compare the sum
  // of the parts with the layer (cases already in the grid are not repeated).
  for (const BenchCase& layer : layers) {
    for (const BenchCase& part : MoeLayerParts(layer)) {
      if (std::find(grid.begin(), grid.end(), part) == grid.end()) grid.push_back(part);
    }
    grid.push_back(layer);
  }
}

}  // namespace

const char* ToString(GridSize size) {
  return size == GridSize::kFull ? "full" : "quick";
}

std::vector<BenchCase> MakeGrid(const GridOptions& options) {
  std::vector<OpKind> ops = options.ops;
  if (ops.empty()) ops.assign(std::begin(kAllOpKinds), std::end(kAllOpKinds));
  std::vector<BenchCase> grid;
  for (OpKind op : ops) {
    GridOptions single = options;
    single.ops = {op};
    switch (op) {
      case OpKind::kGemm:
        AddGemms(single, grid);
        break;
      case OpKind::kGroupedGemm:
        AddGroupedGemms(single, grid);
        break;
      case OpKind::kRouter:
      case OpKind::kPermute:
      case OpKind::kUnpermute:
        AddRouting(single, op, grid);
        break;
      case OpKind::kSwiglu:
      case OpKind::kRmsnorm:
        AddElementwise(single, grid);
        break;
      case OpKind::kAttention:
        if (options.caps.attention) AddAttention(single, grid);
        break;
      case OpKind::kAdam:
      case OpKind::kCopy:
        AddAdamAndCopy(single, op, grid);
        break;
      case OpKind::kMoeLayer:
        AddMoeLayers(single, grid);
        break;
    }
  }
  return grid;
}

Result<std::vector<OpKind>> ParseOpList(std::string_view text) {
  std::vector<OpKind> ops;
  if (text.empty() || text == "all") return ops;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find(',', begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view name = text.substr(begin, end - begin);
    const std::optional<OpKind> op = ParseOpKind(name);
    if (!op) {
      return Error{"--ops: unknown op '" + std::string(name) + "' (known: " + OpKindList() + ")"};
    }
    if (std::find(ops.begin(), ops.end(), *op) == ops.end()) ops.push_back(*op);
    begin = end + 1;
  }
  return ops;
}

}  // namespace moeplan::profiler
