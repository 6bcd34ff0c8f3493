//===- cli/phases_cli.cc - Options shared by design and recommend ---------===//
#include "cli/phases_cli.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>

#include "laws/model_source.h"

namespace moeplan::cli {
namespace {

Result<int64_t> ParseInt(const std::string& text, const char* option) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0) {
    return Error{fmt::format("{} '{}': expected an integer or a range A-B", option, text)};
  }
  return static_cast<int64_t>(v);
}

}  // namespace

Result<phases::IntRange> ParseIntRange(const std::string& text, const char* option) {
  const size_t dash = text.find('-', 1);
  if (dash == std::string::npos) {
    Result<int64_t> v = ParseInt(text, option);
    if (!v) return v.error();
    return phases::IntRange::Fixed(*v);
  }
  Result<int64_t> lo = ParseInt(text.substr(0, dash), option);
  Result<int64_t> hi = ParseInt(text.substr(dash + 1), option);
  if (!lo) return lo.error();
  if (!hi) return hi.error();
  if (*hi < *lo) return Error{fmt::format("{} '{}': expected A <= B", option, text)};
  return phases::IntRange{*lo, *hi, 1};
}

void AddTemplateOptions(CLI::App* cmd, TemplateArgs& a) {
  cmd->add_option("--template", a.model,
                  "take the fixed dimensions (attention, head width, K, shared experts, leading "
                  "dense layers, vocab, seq len) from a preset, moeplan-arch file or config.json");
  cmd->add_option("--attention", a.attention, "mha (default) or mla");
  cmd->add_option("--head-dim", a.head_dim,
                  "MHA head width (heads = d / head_dim); MLA: hidden units per head (128)");
  cmd->add_option("--kv-group", a.kv_group, "query heads per KV head (1 = MHA, the default)");
  cmd->add_option("--qk-norm", a.qk_norm, "none or per_head (default per_head, as Qwen3)");
  cmd->add_option("--vocab", a.vocab, "vocabulary size (151936)");
  cmd->add_option("--seq-len", a.seq_len, "training sequence length S (4096)");
  cmd->add_option("--top-k", a.top_k, "active experts K: N or A-B (8)");
  cmd->add_option("--top-k-fallback", a.top_k_fallback,
                  "K range tried when K cannot realise a triad: A-B, or 'none' (4-16)");
  cmd->add_option("--num-experts", a.num_experts, "routed experts N_e: N or A-B (1-4096, free)");
  cmd->add_option("--shared-experts", a.shared_experts, "shared experts: N or A-B (0)");
  cmd->add_option("--num-layers", a.num_layers, "allowed depths: A-B (1-512)");
  cmd->add_option("--first-dense", a.first_dense, "leading dense layers (0)");
  cmd->add_option("--align", a.align, "expert width multiple (64; 128 for larger GEMM tiles)");
  cmd->add_option("--d-align", a.d_align, "hidden size multiple (head_dim x kv_group)");
  cmd->add_option("--tolerance", a.tolerance, "relative tolerance on each of M, N_a, N (0.03)");
  cmd->add_flag("--correction-bias", a.correction_bias,
                "routers with DeepSeek-V3's balancing biases (N_e per MoE layer)");
}

void AddAllocationOptions(CLI::App* cmd, AllocationArgs& a) {
  cmd->add_option("--laws", a.laws,
                  "allocation laws: a law file (e.g. from fit-phases) or preset with M_opt, "
                  "D_opt, Na_over_M_opt, N_over_Na_opt, d_opt, ... (default: wan2026 + moeplan "
                  "defaults)");
  cmd->add_option("--hyper-laws", a.hyper_laws, "eta_opt and B_opt when --laws has none")
      ->capture_default_str();
  cmd->add_option("--na-over-m", a.na_over_m, "override N_a/M (below 1/6)");
  cmd->add_option("--n-over-na", a.n_over_na, "override N/N_a (>= 1)");
  cmd->add_option("--hidden-size", a.hidden_size, "override d");
  cmd->add_option("--aspect-ratio", a.aspect_ratio, "default shape rule: d/L (64)");
  cmd->add_option("--ffn-ratio", a.ffn_ratio,
                  "default shape rule: active FFN parameters per layer / d^2 (8)");
}

Result<phases::ArchTemplate> MakeTemplate(const TemplateArgs& a) {
  phases::ArchTemplate t;
  if (!a.model.empty()) {
    Result<laws::LoadedModel> model = laws::LoadModel(a.model);
    if (!model) return Error{fmt::format("--template: {}", model.error().message)};
    Result<phases::ArchTemplate> from = phases::ArchTemplate::FromModel(model->arch);
    if (!from) return from.error();
    t = *from;
  }
  if (!a.attention.empty()) {
    if (a.attention == "mha") {
      t.attention = laws::AttentionType::kMultiHead;
    } else if (a.attention == "mla") {
      t.attention = laws::AttentionType::kMultiLatent;
      if (a.qk_norm.empty()) t.qk_norm = laws::QkNorm::kNone;
    } else {
      return Error{fmt::format("--attention '{}': expected mha or mla", a.attention)};
    }
  }
  if (!a.qk_norm.empty()) {
    Result<laws::QkNorm> norm = laws::ParseQkNorm(a.qk_norm);
    if (!norm) return Error{fmt::format("--qk-norm: {}", norm.error().message)};
    t.qk_norm = *norm;
  }
  if (a.head_dim) t.head_dim = *a.head_dim;
  if (a.kv_group) t.kv_group = *a.kv_group;
  if (a.vocab) t.vocab_size = *a.vocab;
  if (a.seq_len) t.seq_len = *a.seq_len;
  if (a.first_dense) t.first_dense_layers = *a.first_dense;
  if (a.align) t.width_align = *a.align;
  if (a.d_align) t.d_align = *a.d_align;
  if (a.tolerance) t.tolerance = *a.tolerance;
  if (a.correction_bias) t.router_score_correction_bias = true;
  const std::pair<const std::string*, std::pair<phases::IntRange*, const char*>> ranges[] = {
      {&a.top_k, {&t.top_k, "--top-k"}},
      {&a.num_experts, {&t.num_experts, "--num-experts"}},
      {&a.shared_experts, {&t.shared_experts, "--shared-experts"}},
      {&a.num_layers, {&t.num_layers, "--num-layers"}}};
  for (const auto& [text, target] : ranges) {
    if (text->empty()) continue;
    Result<phases::IntRange> r = ParseIntRange(*text, target.second);
    if (!r) return r.error();
    *target.first = *r;
  }
  if (a.top_k_fallback == "none") {
    t.top_k_fallback.reset();
  } else if (!a.top_k_fallback.empty()) {
    Result<phases::IntRange> r = ParseIntRange(a.top_k_fallback, "--top-k-fallback");
    if (!r) return r.error();
    t.top_k_fallback = *r;
  }
  if (Status s = t.Validate(); !s.ok()) return s.error();
  return t;
}

Result<phases::AllocationOptions> MakeAllocation(const AllocationArgs& a) {
  phases::AllocationOptions o;
  o.laws = a.laws;
  o.hyper_laws = a.hyper_laws;
  o.na_over_m = a.na_over_m;
  o.n_over_na = a.n_over_na;
  o.hidden_size = a.hidden_size;
  if (a.aspect_ratio) o.aspect_ratio = *a.aspect_ratio;
  if (a.ffn_ratio) o.ffn_ratio = *a.ffn_ratio;
  if (Status s = o.Validate(); !s.ok()) return s.error();
  return o;
}

}  // namespace moeplan::cli
