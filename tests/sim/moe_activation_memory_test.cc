//===- tests/sim/moe_activation_memory_test.cc - MLA + MoE layer vs Megatron code -===//
/// Bytes a Megatron-Core MLA + MoE decoder layer keeps for its backward, derived by hand from
/// what each module saves (ctx.save_for_backward and autograd-saved inputs) in Megatron-LM and
/// Transformer Engine of 2025-26 (multi_latent_attention.py, moe_layer.py, token_dispatcher.py,
/// experts.py, fused_bias_swiglu.py; TE permutation.py, grouped_linear.py,
/// layernorm_linear.py), for the DeepSeek-V3 proxy of Megatron-LM's CI (moe2.0 dsv3_proxy:
/// h 1024, 32 MLA heads, q_lora 1536, kv_lora 512, rope 64, nope 128, v 128; 32 experts top-4
/// of width 1024, one shared expert of width 1024, first layer dense of width 4096) with the
/// alltoall dispatcher, permute fusion, grouped GEMM, fused attention and no recomputation; and
/// for the suite's Qwen3 proxy (GQA with q/k norms, softmax router) under TP 2 with SP and EP 4.
/// The simulator writes its own lowering; these expected values come from the framework code.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "laws/arch_json.h"
#include "sim/layout_check.h"
#include "sim/lowering.h"
#include "tests/sim/sim_test_support.h"

namespace moeplan::sim {
namespace {

using testing::FleetOf;
using testing::IdealHardware;

constexpr const char* kDsv3Proxy = R"({
  "format": "moeplan-arch", "version": 1, "name": "dsv3-proxy", "vocab_size": 51712,
  "seq_len": 4096, "hidden_size": 1024, "num_layers": 16,
  "attention": {"type": "mla", "num_heads": 32, "q_lora_rank": 1536, "kv_lora_rank": 512,
                "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128},
  "dense_ffn": {"intermediate_size": 4096, "gated": true},
  "moe": {"num_experts": 32, "top_k": 4, "expert": {"intermediate_size": 1024, "gated": true},
          "num_shared_experts": 1, "shared_expert": {"intermediate_size": 1024, "gated": true},
          "router_score_correction_bias": true, "first_dense_layers": 1},
  "norm": {"type": "rmsnorm", "per_layer": 2, "final_norm": true},
  "tied_embeddings": false, "mtp_layers": 0})";

// tp 1, ep 8, 4 sequences of 4096 per micro-batch: T = 16384 tokens on the GPU.
constexpr double T = 16384, h = 1024, n = 32, q_lora = 1536, kv_lora = 512, rope = 64;
constexpr double d_qk = 192, d_v = 128, E = 32, k = 4, f = 1024, f_shared = 1024, f_dense = 4096;
constexpr double N = T * k;  // rows the 4 local experts receive under balanced routing (EP 8)

// MLA with Transformer Engine (layer spec: separate input RMSNorm, TELinear q/kv down,
// TELayerNormColumnParallelLinear q/kv up with the q/kv norms fused).
constexpr double kMlaBytes = 2 * T * h + 4 * T           // input RMSNorm: input, rsigma
                             + 2 * T * h                 // its output, saved by q_down and kv_down
                             + 2 * 2 * T * q_lora        // q_up: input and fused-norm output
                             + 2 * T * (kv_lora + rope)  // kv_up: the whole kv_down output
                             + 2 * T * kv_lora           //   (its input is a view) + norm output
                             + 2 * 4 * T                 // rsigma of the two fused norms
                             + 2 * T * n * (2 * d_qk + 2 * d_v)  // fused attention: q, k, v, out
                             + 4 * T * n;                        // softmax statistics (FP32)

// Pre-MLP RMSNorm: input and rsigma, and its output (the router's and shared expert's input).
constexpr double kPreMlpBytes = 2 * T * h + 4 * T + 2 * T * h;

// The routed part: sigmoid router with expert bias (both sigmoid outputs, the top-k index and
// the normalisation operands), the fused permute's row_id_map, the two chunk sorts' index maps,
// the grouped fc1 input, WeightedSwiGLU's input and probabilities, the fc2 input; the shared
// expert's SwiGLU input and fc2 input.
constexpr double kRoutedBytes =
    (8 * T * E + 12 * T * k + 8 * T) + 8 * T * E + 2 * 4 * N + N * (2 * h + 2 * 2 * f + 4 + 2 * f);
constexpr double kSharedBytes = 2 * T * 2 * f_shared + 2 * T * f_shared;

// Dense first layer: its FFN keeps the norm output (fc1 input), SwiGLU input and fc2 input.
constexpr double kDenseFfnBytes = 2 * T * 2 * f_dense + 2 * T * f_dense;

// The proxy `arch_json` lowered on `layout` over `gpus` GPUs.
LoweredModel LowerProxy(const char* arch_json, const Layout& layout, int64_t gpus,
                        const SimOptions& options) {
  Result<laws::MoeArch> arch = laws::ArchFromJson(nlohmann::json::parse(arch_json), "proxy");
  EXPECT_TRUE(arch.ok()) << arch.error().message;
  Result<ModelProfile> profile = BuildProfile(*arch);
  EXPECT_TRUE(profile.ok()) << profile.error().message;
  const hw::Hardware hardware = IdealHardware();
  Result<Layout> resolved = ResolveLayout(layout, *arch, FleetOf(hardware, gpus));
  EXPECT_TRUE(resolved.ok()) << resolved.error().message;
  return LowerModel(*profile, *resolved, hardware, options);
}

// The DeepSeek-V3 proxy at tp 1, ep 8, etp 1, mbs 4.
LoweredModel Lower(const SimOptions& options = {}, Recompute recompute = Recompute::kNone,
                   RecomputeModules modules = kDefaultRecomputeModules) {
  Layout layout;
  layout.ep = 8;
  layout.etp = 1;
  layout.mbs = 4;
  layout.recompute = recompute;
  layout.recompute_modules = modules;
  return LowerProxy(kDsv3Proxy, layout, 8, options);
}

// The simulator leaves out the few-MiB index maps and statistics (rsigma, router indices,
// permutation maps: 0.6% of the layer), so it must agree within 1%.
TEST(MoeActivationMemoryTest, MlaMoeLayerMatchesMegatronCode) {
  const LoweredModel lowered = Lower();
  ASSERT_EQ(lowered.num_kinds, 2);
  const double expected = kMlaBytes + kPreMlpBytes + kRoutedBytes + kSharedBytes;
  const double got = lowered.layers[1].activation_bytes[0];
  EXPECT_NEAR(got / expected, 1.0, 0.01) << got / 1048576 << " vs " << expected / 1048576;
}

TEST(MoeActivationMemoryTest, DenseFirstLayerMatchesMegatronCode) {
  const LoweredModel lowered = Lower();
  const double expected = kMlaBytes + kPreMlpBytes + kDenseFfnBytes;
  const double got = lowered.layers[0].activation_bytes[0];
  EXPECT_NEAR(got / expected, 1.0, 0.01) << got / 1048576 << " vs " << expected / 1048576;
}

// Megatron's --offload-modules expert_fc1 moe_act (Megatron-LM's ModelZoo Qwen3-235B GB200
// recipe): the grouped fc1's input (the N dispatched rows, BF16) and the activation's input (the
// fc1 output, N x 2f) go to host memory after the forward and come back for the layer's
// backward; nothing else moves. With moe_act also recomputed, the fc2 input is dropped as well
// and the recomputed activation reads its reloaded input.
TEST(MoeActivationMemoryTest, OffloadedExpertTensorsWaitOnTheHost) {
  constexpr double kFc1Input = 2 * N * h, kActInput = 2 * N * 2 * f, kFc2Input = 2 * N * f;
  SimOptions offload;
  offload.offload_modules =
      OffloadBit(OffloadModule::kExpertFc1) | OffloadBit(OffloadModule::kMoeAct);
  const BlockCost kept = Lower().layers[1];
  const BlockCost moved = Lower(offload).layers[1];
  const auto none = static_cast<size_t>(Recompute::kNone);
  EXPECT_DOUBLE_EQ(kept.activation_bytes[none] - moved.activation_bytes[none],
                   kFc1Input + kActInput);
  EXPECT_DOUBLE_EQ(moved.transient_bytes[none] - kept.transient_bytes[none], kFc1Input + kActInput);
  // The dense first layer has no experts to offload.
  EXPECT_DOUBLE_EQ(Lower(offload).layers[0].activation_bytes[none],
                   Lower().layers[0].activation_bytes[none]);

  const auto sel = static_cast<size_t>(Recompute::kSelective);
  const RecomputeModules moe_act = ModuleBit(RecomputeModule::kMoeAct);
  const BlockCost both = Lower(offload, Recompute::kSelective, moe_act).layers[1];
  EXPECT_DOUBLE_EQ(kept.activation_bytes[none] - both.activation_bytes[sel],
                   kFc1Input + kActInput + kFc2Input);

  // Full recomputation keeps only the layer input, which no offloaded module holds here; with
  // attn_norm offloaded the checkpoint still keeps it.
  offload.offload_modules |= OffloadBit(OffloadModule::kAttnNorm);
  const auto full = static_cast<size_t>(Recompute::kFull);
  EXPECT_DOUBLE_EQ(Lower(offload, Recompute::kFull).layers[1].activation_bytes[full],
                   Lower({}, Recompute::kFull).layers[1].activation_bytes[full]);
  EXPECT_DOUBLE_EQ(Lower(offload).layers[1].activation_bytes[none],
                   moved.activation_bytes[none] - 2 * T * h);
}

// The Qwen3 proxy of the same CI suite (moe qwen3 proxy: h 1024, 16 query heads and 4 KV heads
// of 128 with per-head q/k RMSNorm, 32 experts top-4 of width 1024 with a softmax router and an
// auxiliary loss, one shared expert of width 1024) at tp 2 with sequence parallelism, ep 4,
// etp 1: the attention runs on all T tokens of a micro-batch with the heads split, the norms and
// the MoE layer on the sequence slice T / 2, and every rank dispatches its own slice.
constexpr const char* kQwen3Proxy = R"({
  "format": "moeplan-arch", "version": 1, "name": "qwen3-proxy", "vocab_size": 51712,
  "seq_len": 4096, "hidden_size": 1024, "num_layers": 16,
  "attention": {"type": "mha", "num_heads": 16, "num_kv_heads": 4, "head_dim": 128,
                "v_head_dim": 128, "qk_norm": "per_head"},
  "moe": {"num_experts": 32, "top_k": 4, "expert": {"intermediate_size": 1024, "gated": true},
          "num_shared_experts": 1, "shared_expert": {"intermediate_size": 1024, "gated": true}},
  "norm": {"type": "rmsnorm", "per_layer": 2, "final_norm": true},
  "tied_embeddings": false, "mtp_layers": 0})";

namespace qwen3 {
constexpr double T = 16384, Ts = T / 2;  // tokens of a micro-batch, and the SP slice of tp 2
constexpr double h = 1024, n = 16 / 2, g = 4 / 2, hd = 128, E = 32, k = 4, f = 1024;
constexpr double N = Ts * k;  // rows a rank's 8 experts receive under balanced routing

// Attention (Megatron-Core GQA with Transformer Engine): linear_qkv is a
// TELayerNormColumnParallelLinear that keeps its local input, its local norm output (gathered
// again in the backward) and rsigma; q_layernorm / k_layernorm (TE RMSNorm) keep the pre-norm q
// and k and an FP32 rsigma per head and token; fused RoPE keeps only the frequencies; the fused
// attention keeps q, k, v after RoPE, its output (linear_proj's input, the same storage) and an
// FP32 log-sum-exp per head and query.
constexpr double kAttentionBytes = 2 * 2 * Ts * h + 4 * Ts                   // fused input norm
                                   + 2 * T * (n + g) * hd + 4 * T * (n + g)  // q/k norms
                                   + 2 * T * (2 * n * hd + 2 * g * hd)       // q, k, v, out
                                   + 4 * T * n;                              // log-sum-exp

// Pre-MLP RMSNorm: input, rsigma and its output (the router's, dispatcher's and shared expert's
// input, saved once).
constexpr double kPreMlpBytes = 2 * Ts * h + 4 * Ts + 2 * Ts * h;

// Router (moe_utils.topk_routing_with_score_function, softmax after top-k): the top-k indices
// (int64, also the scatter's), the FP32 softmax of the k scores and the auxiliary loss's FP32
// softmax over all experts; the fused permute's row_id_map and the two chunk sorts' index maps
// as in the DeepSeek-V3 proxy above; the grouped fc1 input, WeightedSwiGLU's input and
// probabilities, and the fc2 input.
constexpr double kRoutedBytes = 8 * Ts * k + 4 * Ts * k + 4 * Ts * E + 8 * Ts * E + 2 * 4 * N +
                                N * (2 * h + 2 * 2 * f + 4 + 2 * f);

// Shared expert, split over tp 2 (fc1 column-, fc2 row-parallel): its fc1 input is the pre-MLP
// output above; SwiGLU keeps its input (2 x f / 2 wide, all T tokens) and fc2 its input.
constexpr double kSharedBytes = 2 * T * 2 * f / 2 + 2 * T * f / 2;
}  // namespace qwen3

TEST(MoeActivationMemoryTest, GqaQkNormMoeLayerMatchesMegatronCode) {
  Layout layout;
  layout.tp = 2;
  layout.ep = 4;
  layout.etp = 1;
  layout.mbs = 4;
  const LoweredModel lowered = LowerProxy(kQwen3Proxy, layout, 4, SimOptions{});
  ASSERT_EQ(lowered.num_kinds, 1);
  const double expected =
      qwen3::kAttentionBytes + qwen3::kPreMlpBytes + qwen3::kRoutedBytes + qwen3::kSharedBytes;
  const double got = lowered.layers[0].activation_bytes[0];
  EXPECT_NEAR(got / expected, 1.0, 0.01) << got / 1048576 << " vs " << expected / 1048576;
}

}  // namespace
}  // namespace moeplan::sim
