//===- laws/phases/triad_problem.cc - Checks of a triad problem -----------===//
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "laws/phases/triad_solver.h"

namespace moeplan::phases {
namespace {

Status CheckGoal(const TriadGoal& goal, const char* name) {
  if (!std::isfinite(goal.target) || goal.target <= 0) {
    return Error{
        fmt::format("triad target {}: expected a positive number, got {}", name, goal.target)};
  }
  if (!std::isfinite(goal.tolerance) || goal.tolerance < 0 || goal.tolerance >= 1) {
    return Error{
        fmt::format("triad tolerance of {}: expected a relative tolerance in [0, 1), got {}", name,
                    goal.tolerance)};
  }
  return Status::Ok();
}

Status CheckRange(const IntRange& range, const char* name, int64_t lowest) {
  if (range.step < 1 || range.min < lowest || range.max < range.min) {
    return Error{fmt::format(
        "triad solver: range of {}: expected min >= {}, max >= min and step >= 1, got {}..{} "
        "step {}",
        name, lowest, range.min, range.max, range.step)};
  }
  return Status::Ok();
}

}  // namespace

Status TriadProblem::Validate() const {
  for (const auto& [goal, name] :
       {std::pair{&flops_per_token, "M"}, std::pair{&active_params, "N_a"},
        std::pair{&total_params, "N"}}) {
    if (Status s = CheckGoal(*goal, name); !s.ok()) return s;
  }
  if (Status s = CheckRange(num_layers, "num_layers", 1); !s.ok()) return s;
  if (num_experts) {
    if (Status s = CheckRange(*num_experts, "num_experts", 1); !s.ok()) return s;
  }
  if (top_k) {
    if (Status s = CheckRange(*top_k, "top_k", 1); !s.ok()) return s;
  }
  if (shared_experts) {
    if (Status s = CheckRange(*shared_experts, "shared_experts", 0); !s.ok()) return s;
  }
  if (num_heads) {
    if (Status s = CheckRange(*num_heads, "num_heads", 1); !s.ok()) return s;
  }
  if (width_align < 1 || max_expert_width < width_align) {
    return Error{fmt::format(
        "triad solver: expected width_align >= 1 and max_expert_width >= width_align, got {} and "
        "{}",
        width_align, max_expert_width)};
  }
  if (num_layers.max <= base.moe.first_dense_layers) {
    return Error{fmt::format(
        "triad solver: num_layers at most {} leaves no MoE layer after {} leading dense layers",
        num_layers.max, base.moe.first_dense_layers)};
  }
  if (!base.layer_attention.empty() || !base.moe.dense_layers.empty()) {
    return Error{
        "triad solver: the base architecture has per-layer attention kinds or an explicit "
        "dense-layer list; the solver builds models whose layers all use global attention and "
        "whose dense layers lead"};
  }
  // The base must be a valid MoE once the free dimensions are filled in.
  laws::MoeArch probe = base;
  probe.num_layers = std::max(num_layers.min, base.moe.first_dense_layers + 1);
  if (num_experts) probe.moe.num_experts = num_experts->max;
  if (top_k) probe.moe.top_k = top_k->min;
  if (shared_experts) probe.moe.num_shared_experts = shared_experts->min;
  if (num_heads) {
    probe.attention.num_heads = base.attention.num_heads > 0 ? base.attention.num_heads : 1;
  }
  probe.moe.expert.intermediate_size = width_align;
  if (shared_width_tied || probe.moe.shared_expert.intermediate_size == 0) {
    probe.moe.shared_expert = probe.moe.expert;
  }
  if (dense_width_tied) probe.dense_ffn.intermediate_size = width_align;
  if (probe.moe.num_experts <= 0) {
    return Error{"triad solver: base.moe.num_experts is 0 and no range of N_e was given"};
  }
  return laws::Validate(probe, "triad solver base");
}

std::string DescribeErrors(const TriadCandidate& candidate) {
  return fmt::format("M {:+.2f}%, N_a {:+.2f}%, N {:+.2f}%", 100 * candidate.error_m,
                     100 * candidate.error_na, 100 * candidate.error_n);
}

}  // namespace moeplan::phases
