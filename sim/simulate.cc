//===- sim/simulate.cc - One training step of a model on a fleet ----------===//
#include "sim/simulate.h"

#include "sim/framework_option_table.h"
#include "sim/layout_check.h"
#include "sim/memory_estimate.h"
#include "sim/step_simulation.h"

namespace moeplan::sim {
namespace {

std::string Key(const char* name) {
  std::string key(name);
  for (char& c : key) {
    if (c == ' ' || c == '/' || c == ',' || c == '-' || c == '&') c = '_';
  }
  // Collapse repeated underscores ("norms & elementwise" -> "norms_elementwise").
  std::string out;
  for (char c : key) {
    if (c == '_' && !out.empty() && out.back() == '_') continue;
    out += c;
  }
  return out;
}

nlohmann::ordered_json StepJson(const StepEstimate& step) {
  nlohmann::ordered_json json;
  json["step_time_s"] = step.step_time;
  json["critical_pipeline_rank"] = step.critical_rank;
  json["microbatches"] = step.microbatches;
  json["compute_s"] = step.compute;
  nlohmann::ordered_json by_class;
  for (int c = 0; c < kNumOpClasses; ++c) {
    by_class[Key(ToString(static_cast<OpClass>(c)))] =
        step.compute_by_class[static_cast<size_t>(c)];
  }
  json["compute_by_class_s"] = by_class;
  json["exposed_comm_s"] = step.exposed_comm;
  nlohmann::ordered_json exposed, total;
  for (int k = 0; k < kNumCommKinds; ++k) {
    const std::string key = Key(ToString(static_cast<CommKind>(k)));
    exposed[key] = step.exposed_by_kind[static_cast<size_t>(k)];
    total[key] = step.comm_by_kind[static_cast<size_t>(k)];
  }
  json["exposed_comm_by_kind_s"] = exposed;
  json["comm_by_kind_s"] = total;
  json["bubble_s"] = step.bubble;
  json["optimizer_s"] = step.optimizer;
  json["imbalance_loss_s"] = step.imbalance_loss;
  const Throughput& t = step.throughput;
  nlohmann::ordered_json throughput;
  throughput["tokens_per_s_per_gpu"] = t.tokens_per_second_per_gpu;
  for (int c = 0; c < kNumFlopConventions; ++c) {
    const char* name = ToString(static_cast<FlopConvention>(c));
    throughput["model_tflops_per_gpu"][name] = t.model_tflops_per_gpu[static_cast<size_t>(c)];
    throughput["mfu"][name] = t.mfu[static_cast<size_t>(c)];
  }
  throughput["hfu"] = t.hardware_flops_utilization;
  json["throughput"] = throughput;
  return json;
}

nlohmann::ordered_json MemoryJson(const MemoryBreakdown& memory) {
  nlohmann::ordered_json json;
  json["pipeline_rank"] = memory.pipeline_rank;
  json["weights_bytes"] = memory.weights;
  json["gradients_bytes"] = memory.gradients;
  json["optimizer_states_bytes"] = memory.optimizer_states;
  json["activations_bytes"] = memory.activations;
  json["inflight_microbatches"] = memory.inflight_microbatches;
  json["transient_bytes"] = memory.transient;
  json["workspace_bytes"] = memory.workspaces;
  json["communication_buffers_bytes"] = memory.communication;
  json["framework_reserve_bytes"] = memory.framework;
  json["fragmentation_bytes"] = memory.fragmentation;
  json["total_bytes"] = memory.Total();
  json["required_bytes"] = memory.Required();
  json["capacity_bytes"] = memory.capacity;
  json["fits"] = memory.Fits();
  json["tight"] = memory.Tight();
  return json;
}

nlohmann::ordered_json OptionsJson(const SimOptions& o) {
  nlohmann::ordered_json json;
  json["expert_load"] = o.expert_load.Describe();
  json.update(FrameworkOptionsToJson(o));
  // The model's constants, not framework switches (sim/sim_options.h).
  json["ddp_bucket_params"] = o.ddp_bucket_params;
  json["framework_reserve_bytes"] = o.framework_reserve_bytes;
  json["nccl_bytes_per_group"] = o.nccl_bytes_per_group;
  json["gemm_workspace_bytes"] = o.gemm_workspace_bytes;
  json["gemm_workspaces"] = o.gemm_workspaces;
  json["grouped_gemm_workspaces"] = o.grouped_gemm_workspaces;
  json["fragmentation"] = o.fragmentation;
  return json;
}

}  // namespace

Result<SimReport> Simulate(const SimRequest& request) {
  if (Status status = request.fleet.Validate(); !status.ok()) return status.error();
  Result<ModelProfile> profile = BuildProfile(request.arch, request.seq_len);
  if (!profile) return profile.error();
  Result<Layout> layout = ResolveLayout(request.layout, profile->arch, request.fleet);
  if (!layout) return layout.error();
  SimReport report;
  report.profile = std::move(*profile);
  report.fleet = request.fleet;
  report.layout = *layout;
  report.options = request.options;
  report.lowered = LowerModel(report.profile, report.layout, report.fleet.hardware, report.options,
                              request.collect_ops ? &report.ops : nullptr);
  report.analytic =
      EstimateStep(report.profile, report.lowered, report.layout, report.fleet, report.options);
  // Per rank for the report only: the estimate itself breaks down just the largest (sweeps).
  for (int64_t rank = 0; rank < report.layout.pp; ++rank) {
    report.rank_memory.push_back(
        RankMemory(SumRankStages(report.profile, report.lowered, report.layout, rank), rank,
                   report.layout, report.fleet.hardware, report.options));
  }
  if (request.event_simulation) {
    Result<SimulatedStep> simulated =
        SimulateStep(report.profile, report.lowered, report.layout, report.fleet, report.options,
                     request.collect_timeline);
    if (!simulated) return simulated.error();
    report.simulated = simulated->step;
    report.timeline = std::move(simulated->pipeline.timeline);
  }
  return report;
}

nlohmann::ordered_json SimReportJson(const SimReport& report) {
  nlohmann::ordered_json json;
  json["format"] = "moeplan-sim-report";
  json["version"] = 1;
  const laws::MoeArch& arch = report.profile.arch;
  json["model"] = {{"name", arch.name},
                   {"seq_len", arch.seq_len},
                   {"total_params", report.profile.total_params}};
  json["fleet"] = {{"hardware", report.fleet.hardware.name},
                   {"num_gpus", report.fleet.num_gpus},
                   {"gpus_used", report.layout.World()},
                   {"efficiency_source", report.fleet.hardware.efficiency.source}};
  nlohmann::ordered_json layout = LayoutToJson(report.layout);
  layout["edp"] = report.layout.Edp();
  layout["microbatches"] = report.layout.Microbatches();
  json["layout"] = layout;
  json["options"] = OptionsJson(report.options);
  json["expert_imbalance_factor"] = report.lowered.imbalance_factor;
  for (int c = 0; c < kNumFlopConventions; ++c) {
    const auto convention = static_cast<FlopConvention>(c);
    json["flop_conventions"][ToString(convention)] = {
        {"description", DescribeConvention(convention, arch.seq_len)},
        {"model_flops_per_token", report.profile.model_flops_per_token[static_cast<size_t>(c)]}};
  }
  json["mfu_peak"] = "dense BF16 peak of the device";
  json["analytic"] = StepJson(report.analytic);
  if (report.simulated) json["simulated"] = StepJson(*report.simulated);
  json["memory"] = MemoryJson(report.analytic.memory);
  nlohmann::ordered_json ranks = nlohmann::ordered_json::array();
  for (const MemoryBreakdown& m : report.rank_memory) ranks.push_back(MemoryJson(m));
  json["memory_by_pipeline_rank"] = std::move(ranks);
  return json;
}

}  // namespace moeplan::sim
