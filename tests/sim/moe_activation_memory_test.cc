//===- tests/sim/moe_activation_memory_test.cc - MLA + MoE layer vs Megatron code -===//
/// Bytes a Megatron-Core MLA + MoE decoder layer keeps for its backward, derived by hand from
/// what each module saves (ctx.save_for_backward and autograd-saved inputs) in Megatron-LM and
/// Transformer Engine of 2025-26 (multi_latent_attention.py, moe_layer.py, token_dispatcher.py,
/// experts.py, fused_bias_swiglu.py; TE permutation.py, grouped_linear.py,
/// layernorm_linear.py), for the DeepSeek-V3 proxy of Megatron-LM's CI (moe2.0 dsv3_proxy:
/// h 1024, 32 MLA heads, q_lora 1536, kv_lora 512, rope 64, nope 128, v 128; 32 experts top-4
/// of width 1024, one shared expert of width 1024, first layer dense of width 4096) with the
/// alltoall dispatcher, permute fusion, grouped GEMM, fused attention and no recomputation.
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

LoweredModel Lower() {
  Result<laws::MoeArch> arch = laws::ArchFromJson(nlohmann::json::parse(kDsv3Proxy), "proxy");
  EXPECT_TRUE(arch.ok()) << arch.error().message;
  Result<ModelProfile> profile = BuildProfile(*arch);
  EXPECT_TRUE(profile.ok()) << profile.error().message;
  Layout layout;
  layout.ep = 8;
  layout.etp = 1;
  layout.mbs = 4;
  const hw::Hardware hardware = IdealHardware();
  Result<Layout> resolved = ResolveLayout(layout, *arch, FleetOf(hardware, 8));
  EXPECT_TRUE(resolved.ok()) << resolved.error().message;
  return LowerModel(*profile, *resolved, hardware, SimOptions{});
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

}  // namespace
}  // namespace moeplan::sim
