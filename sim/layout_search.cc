//===- sim/layout_search.cc - Best parallel layouts for a fleet -----------===//
#include "sim/layout_search.h"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <optional>

#include "sim/lowering.h"

namespace moeplan::sim {
namespace {

struct Key {
  int64_t tp, cp, ep, etp, mbs;
};

struct KeyResult {
  std::vector<Candidate> top;
  std::array<int64_t, kNumLayoutIssues> count{};
  std::array<int64_t, kNumLayoutIssues> first_index{};
  std::array<Layout, kNumLayoutIssues> first_layout{};
  double least_memory = std::numeric_limits<double>::infinity();
  Layout least_memory_layout;
  int64_t estimated = 0;
  bool lowered = false;

  KeyResult() { first_index.fill(-1); }

  void Reject(LayoutIssue issue, int64_t index, const Layout& layout, int64_t count_of = 1) {
    const auto i = static_cast<size_t>(issue);
    count[i] += count_of;
    if (first_index[i] < 0) {
      first_index[i] = index;
      first_layout[i] = layout;
    }
  }
};

bool Better(const Candidate& a, const Candidate& b) {
  if (a.estimate.step_time != b.estimate.step_time) {
    return a.estimate.step_time < b.estimate.step_time;
  }
  return a.index < b.index;
}

void Offer(std::vector<Candidate>& top, size_t k, Candidate&& candidate) {
  if (top.size() >= k && !Better(candidate, top.back())) return;
  const auto at = std::upper_bound(top.begin(), top.end(), candidate, Better);
  top.insert(at, std::move(candidate));
  if (top.size() > k) top.pop_back();
}

std::vector<int64_t> Divisors(int64_t n, int64_t limit) {
  std::vector<int64_t> out;
  for (int64_t d = 1; d <= std::min(n, limit); ++d) {
    if (n % d == 0) out.push_back(d);
  }
  return out;
}

bool KeyLevel(LayoutIssue issue) {
  return issue == LayoutIssue::kPrecision || issue == LayoutIssue::kTensorSplit ||
         issue == LayoutIssue::kExperts || issue == LayoutIssue::kFramework ||
         issue == LayoutIssue::kSequence;
}

struct SearchContext {
  const ModelProfile& profile;
  const hw::Fleet& fleet;
  const SearchSpace& space;
  const SimOptions& options;
  std::vector<int64_t> pp;
  int64_t inner = 0;  // layouts per key: pp x vpp x recompute
};

void EvaluateKey(const SearchContext& ctx, const Key& key, int64_t key_index, KeyResult& out) {
  const SearchSpace& space = ctx.space;
  const laws::MoeArch& arch = ctx.profile.arch;
  Layout base;
  base.tp = key.tp;
  base.sequence_parallel = space.sequence_parallel;
  base.ep = key.ep;
  base.etp = key.etp;
  base.cp = key.cp;
  base.mbs = key.mbs;
  base.gbs = space.gbs;
  base.sharding = space.sharding;
  base.precision = space.precision;
  base.recompute_modules = space.recompute_modules;
  int64_t index = key_index * ctx.inner;
  {
    Layout probe = base;
    const LayoutIssue issue = DiagnoseLayout(probe, arch, ctx.fleet);
    if (KeyLevel(issue)) {
      out.Reject(issue, index, base, ctx.inner);
      return;
    }
  }
  std::optional<LoweredModel> lowered;
  const auto k = static_cast<size_t>(space.top_k);
  for (int64_t pp : ctx.pp) {
    for (int64_t vpp : space.vpp) {
      Layout layout = base;
      layout.pp = pp;
      layout.vpp = vpp;
      const LayoutIssue issue = DiagnoseLayout(layout, arch, ctx.fleet);
      for (Recompute recompute : space.recompute) {
        layout.recompute = recompute;
        const int64_t this_index = index++;
        if (issue != LayoutIssue::kNone) {
          out.Reject(issue, this_index, layout);
          continue;
        }
        if (!lowered) {
          lowered = LowerModel(ctx.profile, layout, ctx.fleet.hardware, ctx.options);
          out.lowered = true;
        }
        StepEstimate estimate = EstimateStep(ctx.profile, *lowered, layout, ctx.fleet, ctx.options);
        ++out.estimated;
        if (!estimate.memory.Fits()) {
          out.Reject(LayoutIssue::kMemory, this_index, layout);
          if (estimate.memory.Required() < out.least_memory) {
            out.least_memory = estimate.memory.Required();
            out.least_memory_layout = layout;
          }
          continue;
        }
        Offer(out.top, k, {layout, estimate, this_index});
      }
    }
  }
}

std::string MemoryMessage(const ModelProfile& profile, const hw::Fleet& fleet,
                          const SimOptions& options, const Layout& layout) {
  const LoweredModel lowered = LowerModel(profile, layout, fleet.hardware, options);
  const MemoryBreakdown m = EstimateStep(profile, lowered, layout, fleet, options).memory;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  return fmt::format(
      "layout: needs {:.1f} GiB on pipeline rank {} (weights {:.1f}, gradients {:.1f}, optimizer "
      "{:.1f}, activations {:.1f}, other {:.1f}) but the GPU has {:.1f} GiB",
      m.Total() / kGiB, m.pipeline_rank, m.weights / kGiB, m.gradients / kGiB,
      m.optimizer_states / kGiB, m.activations / kGiB,
      (m.transient + m.workspaces + m.communication + m.framework + m.fragmentation) / kGiB,
      m.capacity / kGiB);
}

void Merge(SearchResult& result, std::vector<KeyResult>& keys, const SearchContext& ctx) {
  std::array<int64_t, kNumLayoutIssues> first{};
  first.fill(-1);
  double least = std::numeric_limits<double>::infinity();
  for (KeyResult& key : keys) {
    for (Candidate& candidate : key.top) {
      Offer(result.top, static_cast<size_t>(ctx.space.top_k), std::move(candidate));
    }
    for (size_t i = 0; i < kNumLayoutIssues; ++i) {
      RejectionFamily& family = result.rejected[i];
      family.count += key.count[i];
      if (key.first_index[i] >= 0 && (first[i] < 0 || key.first_index[i] < first[i])) {
        first[i] = key.first_index[i];
        family.example_layout = key.first_layout[i];
      }
    }
    if (key.least_memory < least) {
      least = key.least_memory;
      RejectionFamily& memory = result.rejected[static_cast<size_t>(LayoutIssue::kMemory)];
      memory.least_memory = least;
      memory.least_memory_layout = key.least_memory_layout;
    }
    result.estimated += key.estimated;
    result.lowerings += key.lowered ? 1 : 0;
  }
  for (size_t i = 0; i < kNumLayoutIssues; ++i) {
    if (first[i] < 0) continue;
    RejectionFamily& family = result.rejected[i];
    if (static_cast<LayoutIssue>(i) == LayoutIssue::kMemory) {
      family.example = MemoryMessage(ctx.profile, ctx.fleet, ctx.options, family.example_layout);
    } else {
      Layout layout = family.example_layout;
      DiagnoseLayout(layout, ctx.profile.arch, ctx.fleet, &family.example);
    }
  }
}

std::vector<int64_t> OrDefault(const std::vector<int64_t>& values, std::vector<int64_t> fallback) {
  return values.empty() ? fallback : values;
}

}  // namespace

Status SearchSpace::Validate() const {
  if (gbs <= 0)
    return Error{"layout search: a global batch size is needed (gbs=N in --layout or --gbs)"};
  if (top_k < 1) return Error{fmt::format("layout search: top_k must be >= 1, got {}", top_k)};
  if (tp.empty() || cp.empty() || vpp.empty() || mbs.empty() || recompute.empty()) {
    return Error{"layout search: every dimension needs at least one value"};
  }
  for (const auto* list : {&tp, &cp, &ep, &etp, &pp, &vpp, &mbs}) {
    for (int64_t value : *list) {
      if (value < 1) return Error{fmt::format("layout search: sizes must be >= 1, got {}", value)};
    }
  }
  return Status::Ok();
}

Result<SearchResult> SearchLayouts(const ModelProfile& profile, const hw::Fleet& fleet,
                                   const SearchSpace& space, const SimOptions& options) {
  if (Status status = space.Validate(); !status.ok()) return status.error();
  const auto start = std::chrono::steady_clock::now();
  const laws::MoeArch& arch = profile.arch;
  const bool moe = arch.IsMoe();
  const std::vector<int64_t> ep =
      moe ? OrDefault(space.ep, Divisors(arch.moe.num_experts, arch.moe.num_experts))
          : std::vector<int64_t>{1};
  const std::vector<int64_t> etp =
      moe ? OrDefault(space.etp, {1, 2, 4, 8}) : std::vector<int64_t>{1};
  SearchContext ctx{profile,
                    fleet,
                    space,
                    options,
                    OrDefault(space.pp, Divisors(fleet.num_gpus, arch.num_layers + 2)),
                    0};
  ctx.inner = static_cast<int64_t>(ctx.pp.size() * space.vpp.size() * space.recompute.size());
  std::vector<Key> keys;
  for (int64_t tp : space.tp) {
    for (int64_t cp : space.cp) {
      for (int64_t e : ep) {
        for (int64_t et : etp) {
          for (int64_t mbs : space.mbs) keys.push_back({tp, cp, e, et, mbs});
        }
      }
    }
  }
  SearchResult result;
  result.enumerated = static_cast<int64_t>(keys.size()) * ctx.inner;
  std::vector<KeyResult> per_key(keys.size());
  std::unique_ptr<tbb::global_control> limit;
  if (space.threads > 0) {
    limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                  static_cast<size_t>(space.threads));
  }
  tbb::parallel_for(tbb::blocked_range<size_t>(0, keys.size()), [&](const auto& range) {
    for (size_t i = range.begin(); i != range.end(); ++i) {
      EvaluateKey(ctx, keys[i], static_cast<int64_t>(i), per_key[i]);
    }
  });
  Merge(result, per_key, ctx);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace moeplan::sim
