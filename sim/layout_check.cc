//===- sim/layout_check.cc - Is a layout valid for a model and fleet ------===//
#include "sim/layout_check.h"

#include <fmt/format.h>

namespace moeplan::sim {
namespace {

// Records `issue` with its message (formatted only when asked for) and returns it.
template <typename... Args>
LayoutIssue Report(LayoutIssue issue, std::string* message, fmt::format_string<Args...> format,
                   Args&&... args) {
  if (message != nullptr) {
    *message = "layout: " + fmt::format(format, std::forward<Args>(args)...);
  }
  return issue;
}

bool Divides(int64_t divisor, int64_t value) {
  return divisor > 0 && value % divisor == 0;
}

LayoutIssue CheckSizes(const Layout& l, std::string* message) {
  const std::pair<const char*, int64_t> required[] = {{"tp", l.tp}, {"pp", l.pp}, {"vpp", l.vpp},
                                                      {"ep", l.ep}, {"cp", l.cp}, {"mbs", l.mbs}};
  for (const auto& [name, value] : required) {
    if (value < 1)
      return Report(LayoutIssue::kFleet, message, "{} must be >= 1, got {}", name, value);
  }
  // 0 means "derived" for these.
  const std::pair<const char*, int64_t> derived[] = {{"etp", l.etp}, {"dp", l.dp}, {"gbs", l.gbs}};
  for (const auto& [name, value] : derived) {
    if (value < 0)
      return Report(LayoutIssue::kFleet, message, "{} must be >= 0, got {}", name, value);
  }
  return LayoutIssue::kNone;
}

LayoutIssue CheckTensorSplit(const Layout& l, const laws::MoeArch& arch, std::string* message) {
  const laws::AttentionSpec& a = arch.attention;
  if (!Divides(l.tp, a.num_heads)) {
    return Report(LayoutIssue::kTensorSplit, message,
                  "tp={} does not divide the {} attention heads", l.tp, a.num_heads);
  }
  if (a.type == laws::AttentionType::kMultiHead && !Divides(l.tp, a.num_kv_heads)) {
    return Report(LayoutIssue::kTensorSplit, message,
                  "tp={} does not divide the {} key/value heads", l.tp, a.num_kv_heads);
  }
  const int64_t dense_width = arch.dense_ffn.intermediate_size;
  if (dense_width > 0 && !Divides(l.tp, dense_width)) {
    return Report(LayoutIssue::kTensorSplit, message,
                  "tp={} does not divide the dense FFN width {}", l.tp, dense_width);
  }
  if (!arch.IsMoe()) return LayoutIssue::kNone;
  const int64_t shared_width =
      arch.moe.num_shared_experts * arch.moe.shared_expert.intermediate_size;
  if (shared_width > 0 && !Divides(l.tp, shared_width)) {
    return Report(LayoutIssue::kTensorSplit, message,
                  "tp={} does not divide the shared-expert FFN width {}", l.tp, shared_width);
  }
  if (!Divides(l.etp, arch.moe.expert.intermediate_size)) {
    return Report(LayoutIssue::kTensorSplit, message,
                  "etp={} does not divide the expert FFN width {}", l.etp,
                  arch.moe.expert.intermediate_size);
  }
  return LayoutIssue::kNone;
}

LayoutIssue CheckExperts(const Layout& l, const laws::MoeArch& arch, std::string* message) {
  if (!arch.IsMoe()) {
    if (l.ep > 1) {
      return Report(LayoutIssue::kExperts, message, "ep={} needs routed experts, but {} is dense",
                    l.ep, arch.name);
    }
    return LayoutIssue::kNone;
  }
  if (!Divides(l.ep, arch.moe.num_experts)) {
    return Report(LayoutIssue::kExperts, message, "ep={} does not divide the {} routed experts",
                  l.ep, arch.moe.num_experts);
  }
  if (l.tp > 1 && !l.sequence_parallel) {
    return Report(LayoutIssue::kFramework, message,
                  "tp={} on an MoE model needs sequence parallelism (sp=on), as Megatron-Core "
                  "requires",
                  l.tp);
  }
  return LayoutIssue::kNone;
}

LayoutIssue CheckSequence(const Layout& l, const laws::MoeArch& arch, std::string* message) {
  const int64_t s = arch.seq_len;
  if (l.cp > 1 && !Divides(2 * l.cp, s)) {
    return Report(LayoutIssue::kSequence, message,
                  "the {}-token sequence is not divisible into 2 x cp = {} chunks (load-balanced "
                  "context parallelism)",
                  s, 2 * l.cp);
  }
  if (l.SequenceParallel() && !Divides(l.tp, s / l.cp)) {
    return Report(LayoutIssue::kSequence, message,
                  "sequence parallelism needs the {} tokens per context-parallel rank to be "
                  "divisible by tp={}",
                  s / l.cp, l.tp);
  }
  return LayoutIssue::kNone;
}

LayoutIssue ResolveFleet(Layout& l, const hw::Fleet& fleet, std::string* message) {
  const int64_t gpus = fleet.num_gpus;
  const int64_t model = l.tp * l.pp * l.cp;
  if (l.dp == 0) {
    if (model > gpus) {
      return Report(LayoutIssue::kFleet, message,
                    "tp x pp x cp = {} x {} x {} = {} GPUs exceed the fleet's {}", l.tp, l.pp, l.cp,
                    model, gpus);
    }
    if (gpus % model != 0) {
      return Report(LayoutIssue::kFleet, message,
                    "the fleet's {} GPUs are not divisible by tp x pp x cp = {} (dp must be whole)",
                    gpus, model);
    }
    l.dp = gpus / model;
  }
  if (l.World() > gpus) {
    return Report(LayoutIssue::kFleet, message,
                  "needs {} GPUs (tp={} x cp={} x dp={} x pp={}) but the fleet has {}", l.World(),
                  l.tp, l.cp, l.dp, l.pp, gpus);
  }
  return LayoutIssue::kNone;
}

LayoutIssue CheckPipelineAndBatch(Layout& l, const laws::MoeArch& arch, std::string* message) {
  if (l.vpp > 1 && l.pp == 1) {
    return Report(LayoutIssue::kPipeline, message,
                  "vpp={} needs pp > 1 (virtual stages interleave the layers of a pipeline rank)",
                  l.vpp);
  }
  // Up to two stages more than layers: the embedding and the loss fill one stage each, as
  // Megatron-LM's --account-for-embedding/loss-in-pipeline-split count them.
  if (l.VirtualStages() > arch.num_layers + 2) {
    return Report(LayoutIssue::kPipeline, message,
                  "pp x vpp = {} x {} = {} virtual stages exceed the limit of {}: the {} "
                  "decoder layers + 2 (every stage needs a decoder layer, except that the "
                  "embedding and the loss can fill one stage each)",
                  l.pp, l.vpp, l.VirtualStages(), arch.num_layers + 2, arch.num_layers);
  }
  if (l.gbs == 0) l.gbs = l.mbs * l.dp;
  if (!Divides(l.mbs * l.dp, l.gbs)) {
    return Report(LayoutIssue::kBatch, message, "gbs={} is not divisible by mbs x dp = {} x {}",
                  l.gbs, l.mbs, l.dp);
  }
  if (l.vpp > 1 && !Divides(l.pp, l.Microbatches())) {
    return Report(LayoutIssue::kPipeline, message,
                  "the interleaved schedule needs the {} micro-batches (gbs / (mbs x dp)) to be a "
                  "multiple of pp={}, as Megatron-LM does",
                  l.Microbatches(), l.pp);
  }
  return LayoutIssue::kNone;
}

}  // namespace

const char* ToString(LayoutIssue issue) {
  switch (issue) {
    case LayoutIssue::kNone:
      return "ok";
    case LayoutIssue::kPrecision:
      return "precision";
    case LayoutIssue::kTensorSplit:
      return "tensor split";
    case LayoutIssue::kExperts:
      return "experts";
    case LayoutIssue::kFramework:
      return "framework rule";
    case LayoutIssue::kSequence:
      return "sequence";
    case LayoutIssue::kFleet:
      return "fleet";
    case LayoutIssue::kExpertGrid:
      return "expert grid";
    case LayoutIssue::kPipeline:
      return "pipeline";
    case LayoutIssue::kBatch:
      return "batch";
    case LayoutIssue::kMemory:
      return "memory";
  }
  return "ok";
}

LayoutIssue DiagnoseLayout(Layout& l, const laws::MoeArch& arch, const hw::Fleet& fleet,
                           std::string* message) {
  if (LayoutIssue issue = CheckSizes(l, message); issue != LayoutIssue::kNone) return issue;
  if (l.etp == 0) l.etp = l.tp;
  if (!fleet.hardware.device.Supports(l.precision)) {
    return Report(LayoutIssue::kPrecision, message, "precision {} is not supported by {}",
                  hw::ToString(l.precision), fleet.hardware.device.name);
  }
  if (LayoutIssue issue = CheckTensorSplit(l, arch, message); issue != LayoutIssue::kNone) {
    return issue;
  }
  if (LayoutIssue issue = CheckExperts(l, arch, message); issue != LayoutIssue::kNone) return issue;
  if (LayoutIssue issue = CheckSequence(l, arch, message); issue != LayoutIssue::kNone) {
    return issue;
  }
  if (LayoutIssue issue = ResolveFleet(l, fleet, message); issue != LayoutIssue::kNone)
    return issue;
  if (!Divides(l.etp * l.ep, l.StageGpus())) {
    return Report(
        LayoutIssue::kExpertGrid, message,
        "etp x ep = {} does not divide tp x cp x dp = {} (MoE parallel folding needs etp x "
        "ep x edp = tp x cp x dp)",
        l.etp * l.ep, l.StageGpus());
  }
  return CheckPipelineAndBatch(l, arch, message);
}

Result<Layout> ResolveLayout(const Layout& layout, const laws::MoeArch& arch,
                             const hw::Fleet& fleet) {
  Layout resolved = layout;
  std::string message;
  if (DiagnoseLayout(resolved, arch, fleet, &message) != LayoutIssue::kNone) {
    return Error{message};
  }
  return resolved;
}

}  // namespace moeplan::sim
