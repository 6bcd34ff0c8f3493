//===- laws/phases/triad_explain.cc - Why no architecture meets a triad ---===//
/// \file
/// The one-line explanation of a triad search without candidates, in order of how basic the
/// obstacle is: N below N_a; M not above 6 N_a, or an attention share M - 6 N_a that needs more
/// (or fewer) layers than N_a allows; an N/N_a the expert counts cannot reach; and otherwise the
/// rounding of depth and width, with the nearest architecture and its errors.
#include <fmt/format.h>

#include <algorithm>

#include "laws/phases/internal/triad_search.h"

namespace moeplan::phases::internal {

std::string RangeText(const char* name, const IntRange& range) {
  if (range.IsFixed()) return fmt::format("{} = {}", name, range.min);
  return fmt::format("{} in {}..{}", name, range.min, range.max);
}

namespace {

std::string ExplainRatio(const SearchOutcome& o, const Evaluated& nearest, const laws::Triad& t) {
  // Everything but the experts is fixed by d, L and the attention: the experts must carry
  // the rest of N and N_a, in the ratio (N_e + s) / (K + s).
  const laws::ComponentCount& routed = t[laws::Component::kRoutedExperts];
  const laws::ComponentCount& shared = t[laws::Component::kSharedExperts];
  const double expert_n = static_cast<double>(routed.params + shared.params);
  const double expert_na = static_cast<double>(routed.active_params + shared.active_params);
  const double rest_n = static_cast<double>(t.total_params) - expert_n;
  const double rest_na = static_cast<double>(t.active_params) - expert_na;
  const double needed = (o.targets[2] - rest_n) / (o.targets[1] - rest_na);
  const double k_min = static_cast<double>(o.top_k.min), k_max = static_cast<double>(o.top_k.max);
  const double s_min = static_cast<double>(o.shared.min), s_max = static_cast<double>(o.shared.max);
  const double most = (static_cast<double>(o.experts.max) + s_min) / (k_min + s_min);
  const double least =
      (std::max(static_cast<double>(o.experts.min), k_max) + s_max) / (k_max + s_max);
  const std::string choices = fmt::format("{}, {}, {}", RangeText("N_e", o.experts),
                                          RangeText("K", o.top_k), RangeText("s", o.shared));
  const double ratio = o.targets[2] / o.targets[1];
  const std::string where =
      fmt::format("at L = {}, d = {}", nearest.dims.layers, o.problem->base.hidden_size);
  if (needed > most * (1.0 + o.tolerances[2])) {
    return fmt::format(
        "N/N_a = {:.4g} needs (N_e + s)/(K + s) >= {:.4g} (the experts' share of N over their "
        "share of N_a {}), but {} gives at most {:.4g}",
        ratio, needed, where, choices, most);
  }
  if (!(needed > 0) || needed < least / (1.0 + o.tolerances[2])) {
    return fmt::format(
        "N/N_a = {:.4g} needs (N_e + s)/(K + s) <= {:.4g} (the experts' share of N over their "
        "share of N_a {}), but {} gives at least {:.4g}",
        ratio, std::max(needed, 0.0), where, choices, least);
  }
  return "";
}

}  // namespace

std::string ExplainNoCandidate(const SearchOutcome& o, const Evaluated& nearest,
                               const laws::Triad& nearest_triad) {
  const laws::MoeArch& base = o.problem->base;
  if (o.targets[2] < o.targets[1] * (1.0 - o.tolerances[2])) {
    return fmt::format("N = {:.4g} is below N_a = {:.4g}: total parameters include the active ones",
                       o.targets[2], o.targets[1]);
  }
  const ShapeDiagnosis* diagnosis = nullptr;
  for (const ShapeDiagnosis& d : (*o.diagnoses)) {
    if (d.dims.heads == nearest.dims.heads && d.dims.top_k == nearest.dims.top_k &&
        d.dims.shared == nearest.dims.shared) {
      diagnosis = &d;
    }
  }
  const bool all_depth_bound =
      !(*o.diagnoses).empty() &&
      std::all_of((*o.diagnoses).begin(), (*o.diagnoses).end(),
                  [](const auto& d) { return d.issue != DepthIssue::kNone; });
  if (diagnosis != nullptr && all_depth_bound) {
    const std::string share = fmt::format(
        "M - 6 N_a = {:.4g} FLOPs is the attention share (score products, {:.4g} FLOPs per layer "
        "at d = {}, S = {}, {} heads)",
        diagnosis->share_target, diagnosis->share_per_layer, base.hidden_size, base.seq_len,
        diagnosis->dims.heads);
    if (diagnosis->share_target <= 0) {
      return fmt::format(
          "M = {:.4g} is not above 6 N_a = {:.4g}: M must exceed 6 N_a by the attention score "
          "products ({:.4g} FLOPs per layer at d = {}, S = {})",
          o.targets[0], 6.0 * o.targets[1], diagnosis->share_per_layer, base.hidden_size,
          base.seq_len);
    }
    if (diagnosis->issue == DepthIssue::kAttentionTooLarge) {
      return fmt::format("{}, which needs L ~= {:.2f} layers, but at least {} are required", share,
                         diagnosis->layers_needed, diagnosis->layers_allowed);
    }
    return fmt::format(
        "{}, which needs L ~= {:.2f} layers, but N_a = {:.4g} allows at most {} (each MoE layer "
        "holds at least {:.4g} active parameters with K + s = {} experts of width {})",
        share, diagnosis->layers_needed, o.targets[1], diagnosis->layers_allowed,
        diagnosis->active_per_layer, diagnosis->dims.top_k + diagnosis->dims.shared,
        o.problem->width_align);
  }
  if (std::string ratio = ExplainRatio(o, nearest, nearest_triad); !ratio.empty()) {
    return ratio;
  }
  return fmt::format(
      "no architecture within tolerance (M {:g}%, N_a {:g}%, N {:g}%): the nearest, L = {}, "
      "expert width {}, N_e = {}, K = {}, s = {}, heads = {}, misses by {}; depth is an integer "
      "and the expert width a multiple of {}: widen the tolerances, free more dimensions (top_k, "
      "shared experts) or use a finer width alignment",
      100 * o.tolerances[0], 100 * o.tolerances[1], 100 * o.tolerances[2], nearest.dims.layers,
      nearest.dims.width, nearest.dims.experts, nearest.dims.top_k, nearest.dims.shared,
      nearest.dims.heads,
      fmt::format("M {:+.2f}%, N_a {:+.2f}%, N {:+.2f}%", 100 * nearest.error[0],
                  100 * nearest.error[1], 100 * nearest.error[2]),
      o.problem->width_align);
}

}  // namespace moeplan::phases::internal
