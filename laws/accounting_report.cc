//===- laws/accounting_report.cc - Machine-readable triad report ----------===//
#include "laws/accounting_report.h"

#include "laws/arch_json.h"

namespace moeplan::laws {

std::vector<LayerRun> MergeLayerRuns(const std::vector<LayerCount>& layers) {
  std::vector<LayerRun> runs;
  for (const LayerCount& layer : layers) {
    if (!runs.empty()) {
      const LayerCount& prev = runs.back().layer;
      const bool same = prev.is_moe == layer.is_moe && prev.is_mtp == layer.is_mtp &&
                        prev.attention == layer.attention && prev.params == layer.params &&
                        prev.active_params == layer.active_params &&
                        prev.flops_per_token == layer.flops_per_token &&
                        runs.back().last + 1 == layer.index;
      if (same) {
        runs.back().last = layer.index;
        continue;
      }
    }
    runs.push_back({layer.index, layer.index, layer});
  }
  return runs;
}

nlohmann::ordered_json AccountingReportJson(const MoeArch& arch, const CountingOptions& options,
                                            const Triad& triad,
                                            const std::vector<LayerCount>& layers,
                                            const std::vector<std::string>& notes) {
  nlohmann::ordered_json j;
  j["format"] = "moeplan-eval";
  j["version"] = 1;
  j["model"] = arch.name;
  j["convention"] = {
      {"description", options.Describe(triad.seq_len)},
      {"include_embedding", options.include_embedding},
      {"include_lm_head", options.include_lm_head},
      {"include_mtp", options.include_mtp},
      {"pass", options.pass == FlopPass::kForward ? "forward" : "forward_backward"},
      {"attention", options.attention == AttentionCounting::kFull ? "full" : "causal"},
      {"seq_len", triad.seq_len}};
  j["triad"] = {{"total_params", triad.total_params},
                {"active_params", triad.active_params},
                {"flops_per_token", triad.flops_per_token}};
  nlohmann::ordered_json components = nlohmann::ordered_json::array();
  for (size_t c = 0; c < kNumComponents; ++c) {
    const ComponentCount& count = triad.by_component[c];
    components.push_back({{"component", ToString(static_cast<Component>(c))},
                          {"params", count.params},
                          {"active_params", count.active_params},
                          {"flops_per_token", count.flops_per_token}});
  }
  j["components"] = components;
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  for (const LayerRun& run : MergeLayerRuns(layers)) {
    runs.push_back({{"first_layer", run.first},
                    {"last_layer", run.last},
                    {"kind", run.layer.is_mtp ? "mtp" : (run.layer.is_moe ? "moe" : "dense")},
                    {"block", run.layer.is_moe ? "moe" : "dense"},
                    {"attention", ToString(run.layer.attention)},
                    {"params_per_layer", run.layer.params},
                    {"active_params_per_layer", run.layer.active_params},
                    {"flops_per_token_per_layer", run.layer.flops_per_token}});
  }
  j["layers"] = runs;
  j["notes"] = notes;
  j["architecture"] = ArchToJson(arch);
  return j;
}

}  // namespace moeplan::laws
