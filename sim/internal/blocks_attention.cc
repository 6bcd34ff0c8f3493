//===- sim/internal/blocks_attention.cc - Attention and dense FFN blocks --===//
#include <algorithm>

#include "sim/internal/blocks.h"

namespace moeplan::sim::internal {
namespace {

using hw::Collective;
using hw::MemoryKernel;

double D(int64_t value) {
  return static_cast<double>(value);
}

int64_t NormParams(const laws::MoeArch& arch, int64_t width) {
  return arch.norm.type == laws::NormType::kLayerNorm ? 2 * width : width;
}

// --tp-comm-overlap (Transformer Engine userbuffers) pipelines a TP collective with its GEMM in
// tp chunks (Emitter::Comm); without it a collective runs alone.
int64_t OverlapChunks(const LowerContext& c) {
  return c.options->tp_comm_overlap ? c.tp : 1;
}

}  // namespace

// A norm over the sequence-parallel slice: forward reads x, writes y; backward reads x and dy,
// writes dx.
void Norm(Emitter& e, const char* name, OpClass op_class) {
  const LowerContext& c = e.ctx();
  const double elements = D(c.tokens_sp) * D(c.hidden);
  e.Memory(name, op_class, Phase::kForward, MemoryKernel::kNorm, 2.0 * kActivationBytes * elements);
  e.Memory(name, op_class, Phase::kBackwardInput, MemoryKernel::kNorm,
           3.0 * kActivationBytes * elements);
}

// Residual add (bias-dropout-add) over the sequence-parallel slice, and its dropout mask.
void ResidualAdd(Emitter& e) {
  const LowerContext& c = e.ctx();
  const double elements = D(c.tokens_sp) * D(c.hidden);
  e.Memory("residual_add", OpClass::kNormsElementwise, Phase::kForward, MemoryKernel::kElementwise,
           3.0 * kActivationBytes * elements);
  e.Memory("residual_add", OpClass::kNormsElementwise, Phase::kBackwardInput,
           MemoryKernel::kElementwise, 3.0 * kActivationBytes * elements);
  if (c.options->dropout) e.Save(Saved::kInternal, elements);  // 1-byte mask
}

namespace {

// What the first linear of a block keeps of its input (a norm's output): the SP slice
// (re-gathered in backward) or all rows; FP8 keeps the quantised copy.
double LinearInputBytes(const LowerContext& c) {
  return LinearInputElementBytes(c) * D(c.sp ? c.tokens_sp : c.tokens) * D(c.hidden);
}

// Attention without a fused kernel (Transformer Engine's UnfusedDotProductAttention): the
// score matrix of every head is materialised in full, masks included (a sliding window or a
// causal mask saves nothing), as two batched GEMMs forward (Q K^T, P V) and four backward
// (dQ, dK from dS; dP, dV from dO), plus the memory-bound softmax: forward reads the scores
// and writes the probabilities (4 bytes per score, BF16), backward reads P and dP and writes
// dS (6 bytes). The batched GEMMs are priced as one GEMM over all (sequence, head) rows.
void UnfusedAttention(Emitter& e, int64_t rows, int64_t keys, int64_t d_qk, int64_t d_v) {
  e.Linear("attention_scores", OpClass::kAttentionCore, rows, keys, d_qk, hw::Precision::kBf16);
  const double scores = D(rows) * D(keys);
  e.Memory("attention_softmax", OpClass::kAttentionCore, Phase::kForward,
           MemoryKernel::kElementwise, 2.0 * kActivationBytes * scores);
  e.Memory("attention_softmax", OpClass::kAttentionCore, Phase::kBackwardInput,
           MemoryKernel::kElementwise, 3.0 * kActivationBytes * scores);
  e.Linear("attention_values", OpClass::kAttentionCore, rows, d_v, keys, hw::Precision::kBf16);
}

// The attention kernel (forward and backward) for one layer kind, its ring-attention traffic
// under context parallelism, and what it keeps.
void CoreAttention(Emitter& e, laws::LayerAttention kind, int64_t heads, int64_t kv_heads,
                   int64_t d_qk, int64_t d_v) {
  const LowerContext& c = e.ctx();
  const laws::AttentionSpec& a = c.arch->attention;
  const int64_t s = c.arch->seq_len;
  const int64_t mbs = c.layout->mbs;
  hw::AttentionShape shape{mbs, heads, kv_heads, s, s, d_qk, d_v, true, hw::Precision::kBf16};
  int64_t keys = s;
  if (kind == laws::LayerAttention::kSlidingWindow && a.sliding_window < s) {
    // Every query sees the last w keys: blocks of w queries against w keys.
    keys = a.sliding_window;
    shape = {mbs * ((s + keys - 1) / keys), heads, kv_heads, keys, keys, d_qk, d_v, false,
             hw::Precision::kBf16};
  } else if (kind == laws::LayerAttention::kChunked && a.chunk_size < s) {
    keys = a.chunk_size;
    shape = {mbs * ((s + keys - 1) / keys), heads, kv_heads, keys, keys, d_qk, d_v, true,
             hw::Precision::kBf16};
  }
  const int64_t cp = c.layout->cp;
  const Emitter::ModuleScope module(e, kModCoreAttn);
  const Emitter::OffloadScope offload(e, OffloadModule::kCoreAttn);
  double forward = 0.0, backward = 0.0;
  if (c.options->flash_attention) {
    forward = e.Attention("core_attention", shape, hw::Pass::kForward, cp);
    backward = e.Attention("core_attention", shape, hw::Pass::kBackward, cp);
  } else {
    keys = s;  // the full score matrix, whatever the mask
    UnfusedAttention(e, mbs * heads * c.seq_local, keys, d_qk, d_v);
  }
  if (cp > 1) {
    const double kv_bytes = kActivationBytes * D(c.tokens) * D(kv_heads) * D(d_qk + d_v);
    const int steps = static_cast<int>(cp - 1);
    e.Comm("cp_ring_kv", CommKind::kContextParallel, Phase::kForward, Collective::kSendRecv,
           kv_bytes, c.cp_link, forward, steps);
    e.Comm("cp_ring_kv_grad", CommKind::kContextParallel, Phase::kBackwardInput,
           Collective::kSendRecv, 2.0 * kv_bytes, c.cp_link, backward, steps);
  }
  const double queries = D(mbs) * D(heads) * D(c.seq_local);
  if (c.options->flash_attention) {
    e.Save(Saved::kCoreAttention, 4.0 * queries);  // FP32 log-sum-exp
  } else {
    // Softmax output (2 bytes), and with dropout its mask (1) and output (2), per score.
    const double per_score = c.options->dropout ? 5.0 : 2.0;
    e.Save(Saved::kCoreAttention, per_score * queries * D(keys));
  }
}

void MultiHeadProjections(Emitter& e, laws::LayerAttention kind) {
  const LowerContext& c = e.ctx();
  const laws::AttentionSpec& a = c.arch->attention;
  const int64_t t = c.tp, h = c.hidden, T = c.tokens;
  const int64_t heads = a.num_heads / t, kv_heads = a.num_kv_heads / t;
  const int64_t qkv_width = heads * a.head_dim + kv_heads * (a.head_dim + a.v_head_dim);
  const LinearTimes qkv =
      e.Linear("qkv_proj", OpClass::kAttentionProj, T, qkv_width, h, c.precision);
  ColumnInputComm(e, "qkv_input", qkv, kActivationBytes * D(T) * D(h));
  e.Params(h * qkv_width + (a.qkv_bias ? qkv_width : 0), 0);
  {
    const Emitter::ModuleScope norm_output(e, kModLayerNorm);
    const Emitter::OffloadScope qkv_linear(e, OffloadModule::kQkvLinear);
    e.Save(Saved::kInternal, LinearInputBytes(c));
  }
  {
    // Core attention's inputs, which it saves itself.
    const Emitter::OffloadScope core_attn(e, OffloadModule::kCoreAttn);
    e.Save(Saved::kInternal, kActivationBytes * D(T) * D(qkv_width));  // Q, K, V
  }
  const double qk_elements = D(T) * D(heads + kv_heads) * D(a.head_dim);
  if (a.qk_norm != laws::QkNorm::kNone) {
    // Megatron's q_layernorm / k_layernorm (Transformer Engine RMSNorm) keep their inputs, the
    // pre-norm q and k, and one FP32 rsigma per normalised vector; RoPE and the attention keep
    // their own outputs (Q, K above), so q and k are held twice.
    const double vectors = a.qk_norm == laws::QkNorm::kPerHead
                               ? D(T) * D(heads + kv_heads)  // one per head and token
                               : 2.0 * D(T);                 // one for q, one for k per token
    e.Save(Saved::kInternal, kActivationBytes * qk_elements + 4.0 * vectors);
    e.Memory("qk_norm", OpClass::kNormsElementwise, Phase::kForward, MemoryKernel::kNorm,
             2.0 * kActivationBytes * qk_elements);
    e.Memory("qk_norm", OpClass::kNormsElementwise, Phase::kBackwardInput, MemoryKernel::kNorm,
             3.0 * kActivationBytes * qk_elements);
    e.Params(a.qk_norm == laws::QkNorm::kPerHead ? 2 * a.head_dim : (heads + kv_heads) * a.head_dim,
             0);
  }
  e.Memory("rope", OpClass::kNormsElementwise, Phase::kForward, MemoryKernel::kElementwise,
           2.0 * kActivationBytes * qk_elements);
  e.Memory("rope", OpClass::kNormsElementwise, Phase::kBackwardInput, MemoryKernel::kElementwise,
           2.0 * kActivationBytes * qk_elements);
  CoreAttention(e, kind, heads, kv_heads, a.head_dim, a.v_head_dim);
  if (a.sinks) e.Params(heads, 0);
}

// MLA (DeepSeek-V2/V3) as Megatron-Core's MLASelfAttention: the down-projections are replicated
// over TP and run on the sequence-parallel slice; their low-rank outputs are all-gathered.
void LatentProjections(Emitter& e, laws::LayerAttention kind) {
  const LowerContext& c = e.ctx();
  const laws::AttentionSpec& a = c.arch->attention;
  const int64_t t = c.tp, h = c.hidden, T = c.tokens, rows = c.tokens_sp;
  const int64_t heads = a.num_heads / t;
  const int64_t d_qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
  const int64_t norm_q = NormParams(*c.arch, a.q_lora_rank);
  const int64_t norm_kv = NormParams(*c.arch, a.kv_lora_rank);
  {
    const Emitter::ModuleScope norm_output(e, kModLayerNorm);
    // Down-projection input (the norm's output, on the SP slice).
    e.Save(Saved::kInternal, LinearInputElementBytes(c) * D(rows) * D(h));
  }
  int64_t latent = a.kv_lora_rank + a.qk_rope_head_dim;
  const int64_t kv_down_width = latent;
  if (a.q_lora_rank > 0) {
    e.Linear("q_down_proj", OpClass::kAttentionProj, rows, a.q_lora_rank, h, c.precision);
    e.Params(h * a.q_lora_rank + (a.qkv_bias ? a.q_lora_rank : 0) + norm_q, 0);
    latent += a.q_lora_rank;
  }
  e.Linear("kv_down_proj", OpClass::kAttentionProj, rows, kv_down_width, h, c.precision);
  e.Params(h * kv_down_width + (a.qkv_bias ? kv_down_width : 0) + norm_kv, 0);
  const double latent_bytes = kActivationBytes * D(T) * D(latent);
  if (c.sp) {
    e.Comm("mla_latent_all_gather", CommKind::kTensorParallel, Phase::kForward,
           Collective::kAllGather, latent_bytes, c.tp_group);
    e.Comm("mla_latent_reduce_scatter", CommKind::kTensorParallel, Phase::kBackwardInput,
           Collective::kReduceScatter, latent_bytes, c.tp_group);
  }
  // Latent norms: inputs kept (BF16), outputs kept as the up-projections' inputs.
  const double norm_elements = D(T) * D(latent);
  e.Memory("latent_norms", OpClass::kNormsElementwise, Phase::kForward, MemoryKernel::kNorm,
           2.0 * kActivationBytes * norm_elements);
  e.Memory("latent_norms", OpClass::kNormsElementwise, Phase::kBackwardInput, MemoryKernel::kNorm,
           3.0 * kActivationBytes * norm_elements);
  e.Save(Saved::kInternal, (kActivationBytes + LinearInputElementBytes(c)) * norm_elements);
  const int64_t q_width = heads * d_qk;
  // Megatron's mla_up_proj recomputes the up-projections and RoPE, dropping Q, K and V.
  {
    const Emitter::ModuleScope up_proj(e, kModMlaUpProj);
    if (a.q_lora_rank > 0) {
      e.Linear("q_up_proj", OpClass::kAttentionProj, T, q_width, a.q_lora_rank, c.precision);
      e.Params(a.q_lora_rank * q_width, 0);
    } else {
      const LinearTimes q = e.Linear("q_proj", OpClass::kAttentionProj, T, q_width, h, c.precision);
      ColumnInputComm(e, "q_input", q, kActivationBytes * D(T) * D(h));
      e.Params(h * q_width, 0);
    }
    const int64_t kv_width = heads * (a.qk_nope_head_dim + a.v_head_dim);
    e.Linear("kv_up_proj", OpClass::kAttentionProj, T, kv_width, a.kv_lora_rank, c.precision);
    e.Params(a.kv_lora_rank * kv_width, 0);
    // Q and K per head (d_qk each), V per head: core attention's inputs, which it saves.
    const Emitter::OffloadScope core_attn(e, OffloadModule::kCoreAttn);
    e.Save(Saved::kInternal, kActivationBytes * D(T) * D(heads) * D(2 * d_qk + a.v_head_dim));
    const double rope_elements = D(T) * D(heads + 1) * D(a.qk_rope_head_dim);
    e.Memory("rope", OpClass::kNormsElementwise, Phase::kForward, MemoryKernel::kElementwise,
             2.0 * kActivationBytes * rope_elements);
    e.Memory("rope", OpClass::kNormsElementwise, Phase::kBackwardInput, MemoryKernel::kElementwise,
             2.0 * kActivationBytes * rope_elements);
  }
  CoreAttention(e, kind, heads, heads, d_qk, a.v_head_dim);
}

}  // namespace

void ColumnInputComm(Emitter& e, const char* name, const LinearTimes& linear, double bytes) {
  const LowerContext& c = e.ctx();
  if (c.tp <= 1) return;
  const bool overlap = c.options->tp_comm_overlap;
  if (c.sp) {
    e.Comm(name, CommKind::kTensorParallel, Phase::kForward, Collective::kAllGather, bytes,
           c.tp_group, overlap ? linear.forward : 0.0, 1, OverlapChunks(c));
    // Megatron's own backward overlap (no userbuffers): the input all-gather for the weight
    // gradient runs asynchronously during the data-gradient GEMM, and the data gradient's
    // reduce-scatter during the weight-gradient GEMM, each hidden whole.
    e.Comm(name, CommKind::kTensorParallel, Phase::kBackwardWeight, Collective::kAllGather, bytes,
           c.tp_group, linear.backward_input);
    e.Comm(name, CommKind::kTensorParallel, Phase::kBackwardInput, Collective::kReduceScatter,
           bytes, c.tp_group, linear.backward_weight);
  } else {
    e.Comm(name, CommKind::kTensorParallel, Phase::kBackwardInput, Collective::kAllReduce, bytes,
           c.tp_group, linear.backward_weight);
  }
}

void RowOutputComm(Emitter& e, const char* name, const LinearTimes& linear, double bytes) {
  const LowerContext& c = e.ctx();
  if (c.tp <= 1) return;
  const bool overlap = c.options->tp_comm_overlap;
  if (c.sp) {
    e.Comm(name, CommKind::kTensorParallel, Phase::kForward, Collective::kReduceScatter, bytes,
           c.tp_group, overlap ? linear.forward : 0.0, 1, OverlapChunks(c));
    e.Comm(name, CommKind::kTensorParallel, Phase::kBackwardInput, Collective::kAllGather, bytes,
           c.tp_group, overlap ? linear.backward_input : 0.0, 1, OverlapChunks(c));
  } else {
    e.Comm(name, CommKind::kTensorParallel, Phase::kForward, Collective::kAllReduce, bytes,
           c.tp_group, overlap ? linear.forward : 0.0, 1, OverlapChunks(c));
  }
}

void EmitAttention(Emitter& e, laws::LayerAttention kind) {
  const LowerContext& c = e.ctx();
  const laws::AttentionSpec& a = c.arch->attention;
  const Emitter::GraphRegion graph(e, GraphScope::kAttn);
  {
    const Emitter::OffloadScope attn_norm(e, OffloadModule::kAttnNorm);
    e.Save(Saved::kLayerInput, kActivationBytes * D(c.tokens_sp) * D(c.hidden));
  }
  {
    const Emitter::ModuleScope norm(e, kModLayerNorm);
    Norm(e, "attention_norm", OpClass::kNormsElementwise);
  }
  if (a.type == laws::AttentionType::kMultiHead) {
    MultiHeadProjections(e, kind);
  } else {
    LatentProjections(e, kind);
  }
  const int64_t out_width = a.num_heads / c.tp * a.v_head_dim;
  const LinearTimes out =
      e.Linear("out_proj", OpClass::kAttentionProj, c.tokens, c.hidden, out_width, c.precision);
  RowOutputComm(e, "out_proj_output", out, kActivationBytes * D(c.tokens) * D(c.hidden));
  e.Params(out_width * c.hidden + (a.output_bias ? c.hidden : 0), 0);
  // The attention output: kept in BF16 for the attention backward, which doubles as the output
  // projection's input; under FP8 that linear keeps its quantised copy as well.
  const double out_elements = D(c.tokens) * D(out_width);
  {
    const Emitter::OffloadScope attn_proj(e, OffloadModule::kAttnProj);
    e.Save(Saved::kInternal, kActivationBytes * out_elements);
    if (c.precision == hw::Precision::kFp8) e.Save(Saved::kInternal, out_elements);
  }
  ResidualAdd(e);
}

void EmitFfn(Emitter& e, const laws::FfnSpec& ffn, int64_t copies, OpClass op_class,
             const char* fc1_name, const char* fc2_name, RecomputeModules module,
             bool input_shared) {
  const LowerContext& c = e.ctx();
  const int64_t width = ffn.intermediate_size * copies / c.tp;
  const int64_t up = ffn.gated ? 2 * width : width;
  const double full_rows = kActivationBytes * D(c.tokens) * D(c.hidden);
  if (!input_shared) {
    const Emitter::ModuleScope norm_output(e, kModLayerNorm);
    e.Save(Saved::kInternal, LinearInputBytes(c));
  } else if (c.precision == hw::Precision::kFp8) {
    const Emitter::ModuleScope ffn_module(e, module);
    e.Save(Saved::kInternal, LinearInputBytes(c));  // the FP8 copy of the shared BF16 input
  }
  const Emitter::ModuleScope ffn_module(e, module);
  const LinearTimes fc1 = e.Linear(fc1_name, op_class, c.tokens, up, c.hidden, c.precision);
  ColumnInputComm(e, fc1_name, fc1, full_rows);
  e.Save(Saved::kInternal, kActivationBytes * D(c.tokens) * D(up));  // activation input
  const double act = D(c.tokens) * D(width) * kActivationBytes;
  e.Memory("activation", op_class, Phase::kForward, MemoryKernel::kElementwise,
           (ffn.gated ? 3.0 : 2.0) * act);
  e.Memory("activation", op_class, Phase::kBackwardInput, MemoryKernel::kElementwise,
           (ffn.gated ? 5.0 : 3.0) * act);
  e.Save(Saved::kInternal, act / kActivationBytes * LinearInputElementBytes(c));  // fc2 input
  const LinearTimes fc2 = e.Linear(fc2_name, op_class, c.tokens, c.hidden, width, c.precision);
  RowOutputComm(e, fc2_name, fc2, full_rows);
  const int64_t biases = ffn.bias ? up + c.hidden : 0;
  e.Params(up * c.hidden + width * c.hidden + biases, 0);
}

void EmitDenseFfn(Emitter& e) {
  const LowerContext& c = e.ctx();
  const Emitter::GraphRegion graph(e, GraphScope::kMlp);
  {
    const Emitter::OffloadScope mlp_norm(e, OffloadModule::kMlpNorm);
    e.Save(Saved::kInternal, kActivationBytes * D(c.tokens_sp) * D(c.hidden));  // norm input
  }
  {
    const Emitter::ModuleScope norm(e, kModLayerNorm);
    Norm(e, "ffn_norm", OpClass::kNormsElementwise);
  }
  EmitFfn(e, c.arch->dense_ffn, 1, OpClass::kDenseFfn, "fc1", "fc2", kModMlp, false);
  ResidualAdd(e);
}

double EmitDecoderLayer(Emitter& e, const LayerKind& kind, const ExpertLoad& load) {
  const laws::MoeArch& arch = *e.ctx().arch;
  EmitAttention(e, kind.attention);
  double factor = 1.0;
  if (kind.is_moe) {
    factor = EmitMoe(e, load);
  } else {
    EmitDenseFfn(e);
  }
  e.Params(arch.norm.per_layer * NormParams(arch, arch.hidden_size), 0);
  return factor;
}

}  // namespace moeplan::sim::internal
