//===- sim/model_profile.cc - What sim/ needs to know of a model ----------===//
#include "sim/model_profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

#include "laws/accounting.h"

namespace moeplan::sim {
namespace {

int FindOrAddKind(ModelProfile& profile, const LayerKind& kind) {
  for (int k = 0; k < profile.num_kinds; ++k) {
    if (profile.kinds[static_cast<size_t>(k)] == kind) return k;
  }
  profile.kinds[static_cast<size_t>(profile.num_kinds)] = kind;
  return profile.num_kinds++;
}

laws::CountingOptions ConventionOptions(FlopConvention convention, int64_t seq_len) {
  laws::CountingOptions options = laws::CountingOptions::ModelCard();
  options.include_mtp = true;
  options.attention = convention == FlopConvention::kCausal ? laws::AttentionCounting::kCausal
                                                            : laws::AttentionCounting::kFull;
  options.seq_len = seq_len;
  return options;
}

}  // namespace

std::string ToString(const LayerKind& kind) {
  std::string out = kind.is_moe ? "moe" : "dense";
  if (kind.attention != laws::LayerAttention::kGlobal) {
    out += kind.attention == laws::LayerAttention::kSlidingWindow ? "/sliding" : "/chunked";
  }
  return out;
}

const char* ToString(FlopConvention convention) {
  return convention == FlopConvention::kCausal ? "causal" : "full";
}

std::string DescribeConvention(FlopConvention convention, int64_t seq_len) {
  return ConventionOptions(convention, seq_len).Describe(seq_len);
}

StageSpan StageLayers(int64_t num_layers, int64_t stages, int64_t stage, int64_t reserve_first,
                      int64_t reserve_last) {
  assert(stages <= num_layers + 2 && "StageLayers: at most one stage per layer, embedding, loss");
  if (stages <= 1) return {0, num_layers};
  // More stages than layers: the embedding and the loss are one unit each (Megatron-LM's
  // --account-for-embedding/loss-in-pipeline-split), whatever their cost.
  const bool ends_are_units = stages > num_layers;
  const int64_t cap = num_layers / (stages - 1);
  const int64_t first = ends_are_units ? 1 : std::clamp<int64_t>(reserve_first, 0, cap);
  const int64_t last = ends_are_units ? 1 : std::clamp<int64_t>(reserve_last, 0, cap);
  const int64_t units = num_layers + first + last;
  const int64_t base = units / stages;
  const int64_t extra = units % stages;
  const int64_t middle = std::min(extra, stages - 2);
  const int64_t first_extra = extra - middle;  // 0 or 1: stage 0 gets one only when needed
  // Units before stage s, then layers = units shifted by stage 0's reserve.
  auto units_before = [&](int64_t s) {
    if (s == 0) return int64_t{0};
    return s * base + first_extra + std::min(s - 1, middle);
  };
  const int64_t begin = stage == 0 ? 0 : units_before(stage) - first;
  const int64_t end = stage == stages - 1 ? num_layers : units_before(stage + 1) - first;
  return {begin, end};
}

Result<ModelProfile> BuildProfile(const laws::MoeArch& arch, int64_t seq_len) {
  ModelProfile profile;
  profile.arch = arch;
  if (seq_len > 0) profile.arch.seq_len = seq_len;
  if (Status status = laws::Validate(profile.arch, profile.arch.name); !status.ok()) {
    return status.error();
  }
  const laws::MoeArch& a = profile.arch;
  std::vector<int> kind_of_layer(static_cast<size_t>(a.num_layers));
  for (int64_t layer = 0; layer < a.num_layers; ++layer) {
    kind_of_layer[static_cast<size_t>(layer)] =
        FindOrAddKind(profile, {a.IsMoeLayer(layer), a.AttentionOfLayer(layer)});
  }
  for (int64_t m = 0; m < a.mtp_layers; ++m) {
    profile.mtp_kind.push_back(
        FindOrAddKind(profile, {a.IsMoeLayer(a.num_layers + m), laws::LayerAttention::kGlobal}));
  }
  const auto kinds = static_cast<size_t>(profile.num_kinds);
  profile.prefix.assign((static_cast<size_t>(a.num_layers) + 1) * kinds, 0);
  for (size_t layer = 0; layer < static_cast<size_t>(a.num_layers); ++layer) {
    for (size_t k = 0; k < kinds; ++k) {
      profile.prefix[(layer + 1) * kinds + k] =
          profile.prefix[layer * kinds + k] + (kind_of_layer[layer] == static_cast<int>(k) ? 1 : 0);
    }
  }
  for (int c = 0; c < kNumFlopConventions; ++c) {
    const laws::Triad triad =
        laws::CountTriad(a, ConventionOptions(static_cast<FlopConvention>(c), a.seq_len));
    profile.model_flops_per_token[static_cast<size_t>(c)] = triad.flops_per_token;
    profile.total_params = triad.total_params;
  }
  return profile;
}

}  // namespace moeplan::sim
