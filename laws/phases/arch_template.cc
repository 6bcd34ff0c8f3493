//===- laws/phases/arch_template.cc - Fixed dimensions of planned models --===//
#include "laws/phases/arch_template.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "laws/accounting.h"

namespace moeplan::phases {
namespace {

Status RangeError(const char* field, const IntRange& r, int64_t lowest) {
  if (r.step >= 1 && r.min >= lowest && r.max >= r.min) return Status::Ok();
  return Error{
      fmt::format("template field '{}': expected min >= {}, max >= min, step >= 1, got "
                  "{}..{} step {}",
                  field, lowest, r.min, r.max, r.step)};
}

}  // namespace

Status ArchTemplate::Validate() const {
  const auto positive = [](const char* field, int64_t v) -> Status {
    if (v > 0) return Status::Ok();
    return Error{fmt::format("template field '{}': expected a positive integer, got {}", field, v)};
  };
  for (const auto& [field, value] :
       {std::pair{"vocab_size", vocab_size}, std::pair{"seq_len", seq_len},
        std::pair{"head_dim", head_dim}, std::pair{"kv_group", kv_group},
        std::pair{"width_align", width_align}}) {
    if (Status s = positive(field, value); !s.ok()) return s;
  }
  if (attention == laws::AttentionType::kMultiLatent) {
    for (const auto& [field, value] :
         {std::pair{"kv_lora_rank", kv_lora_rank}, std::pair{"qk_nope_head_dim", qk_nope_head_dim},
          std::pair{"v_head_dim", v_head_dim}}) {
      if (Status s = positive(field, value); !s.ok()) return s;
    }
    if (qk_norm != laws::QkNorm::kNone) {
      return Error{"template field 'qk_norm': expected 'none' for MLA attention"};
    }
  }
  if (Status s = RangeError("top_k", top_k, 1); !s.ok()) return s;
  if (top_k_fallback) {
    if (Status s = RangeError("top_k_fallback", *top_k_fallback, 1); !s.ok()) return s;
  }
  if (Status s = RangeError("num_experts", num_experts, 1); !s.ok()) return s;
  if (Status s = RangeError("shared_experts", shared_experts, 0); !s.ok()) return s;
  if (Status s = RangeError("num_layers", num_layers, 1); !s.ok()) return s;
  if (first_dense_layers < 0 || first_dense_layers >= num_layers.max) {
    return Error{fmt::format(
        "template field 'first_dense_layers': expected an integer in 0..{} (fewer than the most "
        "layers allowed), got {}",
        num_layers.max - 1, first_dense_layers)};
  }
  if (d_align < 0 || mtp_layers < 0) {
    return Error{fmt::format("template fields 'd_align', 'mtp_layers': expected >= 0, got {}, {}",
                             d_align, mtp_layers)};
  }
  if (!std::isfinite(tolerance) || tolerance < 0 || tolerance >= 1) {
    return Error{fmt::format(
        "template field 'tolerance': expected a relative tolerance in [0, 1), got {}", tolerance)};
  }
  return Status::Ok();
}

int64_t ArchTemplate::HiddenStep() const {
  return d_align > 0 ? d_align : head_dim * kv_group;
}

int64_t ArchTemplate::RoundHidden(double d) const {
  const int64_t step = HiddenStep();
  const double rounded = std::round(d / static_cast<double>(step));
  return std::max<int64_t>(1, static_cast<int64_t>(rounded)) * step;
}

laws::MoeArch ArchTemplate::BaseArch(int64_t d) const {
  laws::MoeArch arch;
  arch.name = name;
  arch.vocab_size = vocab_size;
  arch.seq_len = seq_len;
  arch.hidden_size = d;
  arch.num_layers = std::max(num_layers.min, first_dense_layers + 1);
  arch.tied_embeddings = tied_embeddings;
  arch.mtp_layers = mtp_layers;
  laws::AttentionSpec& a = arch.attention;
  a.type = attention;
  a.num_heads = std::max<int64_t>(1, d / head_dim);
  if (attention == laws::AttentionType::kMultiHead) {
    // Whole KV groups: heads a multiple of kv_group.
    a.num_heads = std::max<int64_t>(kv_group, a.num_heads / kv_group * kv_group);
    a.num_kv_heads = a.num_heads / kv_group;
    a.head_dim = head_dim;
    a.v_head_dim = head_dim;
    a.qk_norm = qk_norm;
  } else {
    a.q_lora_rank = q_lora_rank;
    a.kv_lora_rank = kv_lora_rank;
    a.qk_nope_head_dim = qk_nope_head_dim;
    a.qk_rope_head_dim = qk_rope_head_dim;
    a.v_head_dim = v_head_dim;
  }
  a.qkv_bias = attention_bias;
  a.output_bias = attention_bias;
  laws::MoeSpec& moe = arch.moe;
  moe.top_k = top_k.min;
  moe.num_experts = std::max(num_experts.max, top_k.min);
  moe.expert = {width_align, true, false};
  moe.num_shared_experts = shared_experts.min;
  moe.shared_expert = moe.expert;
  moe.first_dense_layers = first_dense_layers;
  moe.router_score_correction_bias = router_score_correction_bias;
  arch.dense_ffn = {(moe.top_k + moe.num_shared_experts) * moe.expert.intermediate_size, true,
                    false};
  return arch;
}

TriadProblem ArchTemplate::Problem(int64_t d, double m, double na, double n) const {
  TriadProblem p;
  p.base = BaseArch(d);
  p.flops_per_token = {m, tolerance};
  p.active_params = {na, tolerance};
  p.total_params = {n, tolerance};
  p.num_layers = num_layers;
  p.num_experts = num_experts;
  p.top_k = top_k;
  p.shared_experts = shared_experts;
  p.width_align = width_align;
  p.shared_width_tied = true;
  p.dense_width_tied = true;
  return p;
}

std::pair<double, double> ArchTemplate::AttentionCost(double d) const {
  // Exact at the multiples of the hidden-size step around d, linear in between, so that the
  // shape rule's equation stays continuous in d.
  const auto exact = [this](int64_t hidden) {
    const laws::MoeArch arch = BaseArch(hidden);
    const laws::Triad triad = laws::CountTriad(arch);
    const laws::ComponentCount& a = triad[laws::Component::kAttention];
    const double layers = static_cast<double>(arch.num_layers);
    return std::pair{static_cast<double>(a.params) / layers, a.flops_per_token / layers};
  };
  const int64_t step = HiddenStep();
  const int64_t low =
      std::max<int64_t>(1, static_cast<int64_t>(std::floor(d / static_cast<double>(step)))) * step;
  const double t = (d - static_cast<double>(low)) / static_cast<double>(step);
  const auto [p0, f0] = exact(low);
  const auto [p1, f1] = exact(low + step);
  return {p0 + t * (p1 - p0), f0 + t * (f1 - f0)};
}

Result<TriadSolution> ArchTemplate::Solve(const TriadProblem& problem) const {
  Result<TriadSolution> first = SolveTriad(problem);
  if (!first || !first->candidates.empty() || !top_k_fallback || !problem.top_k ||
      !problem.top_k->IsFixed()) {
    return first;
  }
  const int64_t preferred = problem.top_k->min;
  TriadProblem wider = problem;
  wider.top_k = *top_k_fallback;
  wider.max_candidates = std::max<size_t>(problem.max_candidates, 64);
  Result<TriadSolution> second = SolveTriad(wider);
  if (!second) return second;
  if (second->candidates.empty()) return first;
  std::stable_sort(second->candidates.begin(), second->candidates.end(),
                   [&](const TriadCandidate& x, const TriadCandidate& y) {
                     return std::llabs(x.arch.moe.top_k - preferred) <
                            std::llabs(y.arch.moe.top_k - preferred);
                   });
  second->candidates.resize(std::min(second->candidates.size(), problem.max_candidates));
  second->nearest = second->candidates.front();
  return second;
}

Result<ArchTemplate> ArchTemplate::FromModel(const laws::MoeArch& arch) {
  if (!arch.IsMoe()) {
    return Error{fmt::format("template '{}': expected an MoE model, got a dense one", arch.name)};
  }
  if (!arch.layer_attention.empty() || !arch.moe.dense_layers.empty() ||
      arch.moe.layer_period != 1) {
    return Error{fmt::format(
        "template '{}': per-layer attention kinds, interleaved MoE layers and dense-layer lists "
        "are not supported (the planned models use global attention and leading dense layers)",
        arch.name)};
  }
  ArchTemplate t;
  t.name = arch.name + "-like";
  t.vocab_size = arch.vocab_size;
  t.seq_len = arch.seq_len;
  const laws::AttentionSpec& a = arch.attention;
  t.attention = a.type;
  t.qk_norm = a.qk_norm;
  t.attention_bias = a.qkv_bias;
  if (a.type == laws::AttentionType::kMultiHead) {
    t.head_dim = a.head_dim;
    t.kv_group = a.num_heads / a.num_kv_heads;
  } else {
    if (arch.hidden_size % a.num_heads != 0) {
      return Error{fmt::format("template '{}': hidden size {} is not a multiple of the {} heads",
                               arch.name, arch.hidden_size, a.num_heads)};
    }
    t.head_dim = arch.hidden_size / a.num_heads;
    t.q_lora_rank = a.q_lora_rank;
    t.kv_lora_rank = a.kv_lora_rank;
    t.qk_nope_head_dim = a.qk_nope_head_dim;
    t.qk_rope_head_dim = a.qk_rope_head_dim;
    t.v_head_dim = a.v_head_dim;
  }
  t.top_k = IntRange::Fixed(arch.moe.top_k);
  t.shared_experts = IntRange::Fixed(arch.moe.num_shared_experts);
  t.first_dense_layers = arch.moe.first_dense_layers;
  t.router_score_correction_bias = arch.moe.router_score_correction_bias;
  t.tied_embeddings = arch.tied_embeddings;
  t.mtp_layers = arch.mtp_layers;
  t.num_layers.max = std::max<int64_t>(t.num_layers.max, 2 * arch.num_layers);
  return t;
}

}  // namespace moeplan::phases
