//===- cli/sim_command.cc - `moeplan sim`: one training step on a fleet ---===//
/// \file
/// `moeplan sim [MODEL] --fleet 64xH100 --layout tp=1,pp=4,vpp=8,ep=8,mbs=1,gbs=256
///              [--precision bf16|fp8] [--seq N] [--gbs N] [--imbalance SKEW |
///              --expert-histogram FILE] [--capacity-factor C]
///              [--dispatcher alltoall|deepep|hybridep] [--tp-comm-overlap]
///              [--moe-a2a-overlap] [--shared-expert-overlap] [--analytic-only] [--ops]
///              [--json] [--out FILE] [--trace TRACE.json]`
/// `moeplan sim [MODEL] --fleet 1024xH100 --best-layout [--layout gbs=...] [--top N]
///              [--threads N]`
/// Prints step time (analytic and event-simulated), throughput, MFU under both FLOP
/// conventions, the time breakdown of the slowest pipeline rank, and memory per GPU with an
/// out-of-memory verdict; or the best layouts and why the others were rejected. The model
/// lives in sim/ (sim/simulate.h, sim/layout_search.h); this file parses and prints.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "cli/framework_options.h"
#include "cli/text_table.h"
#include "hwmodel/fleet_source.h"
#include "laws/model_source.h"
#include "laws/presets.h"
#include "sim/chrome_trace.h"
#include "sim/framework_option_table.h"
#include "sim/layout_search.h"
#include "sim/simulate.h"

namespace moeplan::cli {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

struct SimArgs {
  std::string model = std::string(laws::kDefaultPreset);
  std::string fleet;
  std::string layout;
  std::string precision;
  int64_t seq_len = 0;
  int64_t gbs = 0;
  double imbalance = -1.0;
  std::string histogram;
  sim::SimOptions framework;  ///< the framework flags (cli/framework_options.h)
  bool analytic_only = false;
  bool ops = false;
  bool json = false;
  std::string out = "-";
  std::string trace;
  bool best_layout = false;
  int top = 10;
  int threads = 0;
};

std::string Seconds(double s) {
  if (s >= 1.0) return fmt::format("{:.3f} s", s);
  if (s >= 1e-3) return fmt::format("{:.2f} ms", s * 1e3);
  return fmt::format("{:.1f} us", s * 1e6);
}

std::string Percent(double part, double whole) {
  return whole > 0 ? fmt::format("{:.1f}%", 100.0 * part / whole) : "-";
}

std::string GiB(double bytes) {
  return fmt::format("{:.2f}", bytes / kGiB);
}

std::string Header(const sim::SimReport& r) {
  const laws::MoeArch& a = r.profile.arch;
  const sim::Layout& l = r.layout;
  std::string out =
      fmt::format("model:   {} (S={}, {} parameters with embedding, head and MTP)\n", a.name,
                  a.seq_len, Human(static_cast<double>(r.profile.total_params)));
  out += fmt::format("fleet:   {} x {} ({}); efficiencies: {}\n", r.fleet.num_gpus,
                     r.fleet.hardware.name, r.fleet.hardware.device.name,
                     r.fleet.hardware.efficiency.source);
  if (std::string note = hw::CalibrationNote(r.fleet.hardware); !note.empty()) {
    out += fmt::format("         {}\n", note);
  }
  out += fmt::format("layout:  {}\n", l.ToString());
  out += fmt::format(
      "         {} GPUs used, edp={}, {} micro-batches of {} sequences, {} schedule\n", l.World(),
      l.Edp(), l.Microbatches(), l.mbs, l.vpp > 1 ? "interleaved 1F1B" : "1F1B");
  if (a.IsMoe()) {
    out += fmt::format("experts: {}; busiest EP rank {:.3f}x the mean\n",
                       r.options.expert_load.Describe(), r.lowered.imbalance_factor);
  }
  return out + "\n";
}

void AddThroughputRows(TextTable& table, const sim::SimReport& r) {
  const sim::StepEstimate& a = r.analytic;
  const sim::StepEstimate* s = r.simulated ? &*r.simulated : nullptr;
  auto row = [&](const std::string& name, auto value) {
    table.AddRow({name, value(a), s != nullptr ? value(*s) : "-"});
  };
  row("step time", [](const sim::StepEstimate& e) { return Seconds(e.step_time); });
  row("tokens/s/GPU", [](const sim::StepEstimate& e) {
    return fmt::format("{:.0f}", e.throughput.tokens_per_second_per_gpu);
  });
  for (int c = 0; c < sim::kNumFlopConventions; ++c) {
    const auto i = static_cast<size_t>(c);
    const char* name = sim::ToString(static_cast<sim::FlopConvention>(c));
    row(fmt::format("model TFLOP/s/GPU ({})", name), [i](const sim::StepEstimate& e) {
      return fmt::format("{:.1f}", e.throughput.model_tflops_per_gpu[i]);
    });
    row(fmt::format("MFU ({})", name), [i](const sim::StepEstimate& e) {
      return fmt::format("{:.1f}%", 100 * e.throughput.mfu[i]);
    });
  }
  row("HFU (executed FLOPs)", [](const sim::StepEstimate& e) {
    return fmt::format("{:.1f}%", 100 * e.throughput.hardware_flops_utilization);
  });
}

std::string RenderSummary(const sim::SimReport& r) {
  TextTable table({"", "analytic", "simulated"}, {Align::kLeft, Align::kRight, Align::kRight});
  AddThroughputRows(table, r);
  std::string out = table.Render();
  for (int c = 0; c < sim::kNumFlopConventions; ++c) {
    const auto convention = static_cast<sim::FlopConvention>(c);
    out += fmt::format("  {}: {:.4e} FLOPs/token ({})\n", sim::ToString(convention),
                       r.profile.model_flops_per_token[static_cast<size_t>(c)],
                       sim::DescribeConvention(convention, r.profile.arch.seq_len));
  }
  return out + "  MFU is relative to the dense BF16 peak; HFU to the layout precision's peak.\n\n";
}

std::string RenderBreakdown(const sim::SimReport& r) {
  const sim::StepEstimate& a = r.analytic;
  const sim::StepEstimate* s = r.simulated ? &*r.simulated : nullptr;
  TextTable table(
      {"time per step (slowest pipeline rank)", "analytic", "share", "simulated", "share"},
      {Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight});
  auto row = [&](const std::string& name, double av, double sv) {
    if (av == 0.0 && (s == nullptr || sv == 0.0)) return;
    table.AddRow({name, Seconds(av), Percent(av, a.step_time), s ? Seconds(sv) : "-",
                  s ? Percent(sv, s->step_time) : "-"});
  };
  for (int c = 0; c < sim::kNumOpClasses; ++c) {
    const auto i = static_cast<size_t>(c);
    row(fmt::format("compute: {}", sim::ToString(static_cast<sim::OpClass>(c))),
        a.compute_by_class[i], s ? s->compute_by_class[i] : 0.0);
  }
  for (int k = 0; k < sim::kNumCommKinds; ++k) {
    const auto i = static_cast<size_t>(k);
    row(fmt::format("exposed comm: {}", sim::ToString(static_cast<sim::CommKind>(k))),
        a.exposed_by_kind[i], s ? s->exposed_by_kind[i] : 0.0);
  }
  row("pipeline bubble", a.bubble, s ? s->bubble : 0.0);
  table.AddRule();
  row("step", a.step_time, s ? s->step_time : 0.0);
  table.AddRow({"  of which expert imbalance loss", Seconds(a.imbalance_loss),
                Percent(a.imbalance_loss, a.step_time), s ? Seconds(s->imbalance_loss) : "-",
                s ? Percent(s->imbalance_loss, s->step_time) : "-"});
  std::string out = table.Render();
  out += fmt::format("  critical pipeline rank: {} (analytic){}\n\n", a.critical_rank,
                     s ? fmt::format(", {} (simulated)", s->critical_rank) : "");
  return out;
}

std::string RenderMemory(const sim::MemoryBreakdown& m, const sim::SimOptions& options) {
  TextTable table({fmt::format("memory per GPU (pipeline rank {}, the largest)", m.pipeline_rank),
                   "GiB", "share"},
                  {Align::kLeft, Align::kRight, Align::kRight});
  const double total = m.Total();
  auto row = [&](const std::string& name, double bytes) {
    table.AddRow({name, GiB(bytes), Percent(bytes, total)});
  };
  row("weights", m.weights);
  // FSDP's unsharded FP32 accumulators replace the gradient shards when they apply.
  const std::string accumulators =
      options.fsdp_unsharded_grad_accumulation ? " or fp32 unsharded accumulators" : "";
  const char* grads = options.grad_reduce_in_bf16 ? "bf16" : "fp32";
  const char* moments = options.bf16_adam_moments ? "bf16" : "fp32";
  switch (options.state_precision) {
    case sim::StatePrecision::kMixed:
      row(fmt::format("gradients ({} main grads)", grads), m.gradients);
      row(fmt::format("optimizer states (fp32 master + {} Adam)", moments), m.optimizer_states);
      break;
    case sim::StatePrecision::kBf16:
      row("gradients (bf16" + accumulators + ")", m.gradients);
      row("optimizer states (bf16 Adam moments)", m.optimizer_states);
      break;
    case sim::StatePrecision::kFp32:
      row(fmt::format("gradients ({}{})", grads, accumulators), m.gradients);
      row(fmt::format("optimizer states ({} Adam moments)", moments), m.optimizer_states);
      break;
  }
  std::string offloaded =
      options.offload_activation_layers > 0
          ? fmt::format(", {} layers offloaded to host", options.offload_activation_layers)
          : "";
  if (options.offload_modules != 0) {
    const nlohmann::ordered_json names = sim::FrameworkOptionsToJson(options)["offload_modules"];
    std::string list;
    for (const auto& name : names) list += (list.empty() ? "" : "+") + name.get<std::string>();
    offloaded += fmt::format(", {} offloaded", list);
  }
  row(fmt::format("activations ({:.2f} micro-batches in flight{})", m.inflight_microbatches,
                  offloaded),
      m.activations);
  row("transient (MoE dispatch, gathers, logits)", m.transient);
  row("GEMM workspaces (cuBLAS)", m.workspaces);
  row("communication buffers", m.communication);
  row("framework reserve", m.framework);
  row("allocator fragmentation", m.fragmentation);
  table.AddRule();
  row("total", total);
  table.AddRow({"HBM capacity", GiB(m.capacity), ""});
  std::string out = table.Render();
  const double required = m.Required();
  if (m.Tight()) {
    out += fmt::format(
        "verdict: fits, tight: needs {} GiB without the allocator's cache ({} GiB free), {} GiB "
        "with it; the cache gives way under pressure, fragmentation inside segments may not "
        "(PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True helps)\n",
        GiB(required), GiB(m.capacity - required), GiB(total));
  } else if (m.Fits()) {
    out += fmt::format("verdict: fits ({} GiB free)\n", GiB(m.capacity - total));
  } else {
    out += fmt::format(
        "verdict: OUT OF MEMORY: needs {} GiB without the allocator's cache, the GPU has {} GiB "
        "(short by {} GiB)\n",
        GiB(required), GiB(m.capacity), GiB(required - m.capacity));
  }
  return out;
}

// One line per pipeline rank, so that a layout's memory can be seen along the pipeline (the
// first rank keeps the most micro-batches in flight, the last the LM head and loss).
std::string RenderRankMemory(const std::vector<sim::MemoryBreakdown>& ranks) {
  if (ranks.size() < 2) return "";
  TextTable table({"memory per pipeline rank (GiB)", "states", "activations", "in flight", "other",
                   "total", "verdict"},
                  {Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                   Align::kRight, Align::kLeft});
  for (const sim::MemoryBreakdown& m : ranks) {
    const double states = m.weights + m.gradients + m.optimizer_states;
    const double other = m.Total() - states - m.activations;
    table.AddRow({fmt::format("rank {}", m.pipeline_rank), GiB(states), GiB(m.activations),
                  fmt::format("{:.2f}", m.inflight_microbatches), GiB(other), GiB(m.Total()),
                  m.Tight() ? "fits, tight" : (m.Fits() ? "fits" : "OUT OF MEMORY")});
  }
  return "\n" + table.Render();
}

std::string RenderOps(const std::vector<sim::OpRecord>& ops) {
  TextTable table({"block", "op", "pass", "shape", "GFLOP", "time", "exposed"},
                  {Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft, Align::kRight,
                   Align::kRight, Align::kRight});
  for (const sim::OpRecord& op : ops) {
    table.AddRow({op.block, op.name, sim::ToString(op.phase), op.shape,
                  op.flops > 0 ? fmt::format("{:.1f}", op.flops / 1e9) : "", Seconds(op.time),
                  Seconds(op.exposed)});
  }
  return "lowered operations (one micro-batch, one GPU):\n" + table.Render() + "\n";
}

Result<sim::SimOptions> OptionsFrom(const SimArgs& args, const laws::MoeArch& arch) {
  sim::SimOptions options = args.framework;
  if (args.imbalance >= 0.0) options.expert_load = sim::ExpertLoad::Skew(args.imbalance);
  if (!args.histogram.empty()) {
    if (!arch.IsMoe()) return Error{fmt::format("--expert-histogram: {} is dense", arch.name)};
    Result<sim::ExpertLoad> load = sim::LoadExpertHistogram(args.histogram, arch.moe.num_experts);
    if (!load) return load.error();
    options.expert_load = std::move(*load);
  }
  return options;
}

Result<sim::Layout> LayoutFrom(const SimArgs& args) {
  sim::Layout layout;
  if (!args.layout.empty()) {
    Result<sim::Layout> parsed = sim::LoadLayout(args.layout);
    if (!parsed) return parsed.error();
    layout = *parsed;
  }
  if (!args.precision.empty()) {
    Result<sim::Layout> with = sim::ParseLayout("precision=" + args.precision);
    if (!with) return Error{"--precision: " + with.error().message};
    layout.precision = with->precision;
  }
  if (args.gbs > 0) layout.gbs = args.gbs;
  return layout;
}

std::string RenderSearch(const sim::SearchResult& result, const sim::SimReport* best) {
  TextTable table({"#", "layout", "step", "tokens/s/GPU", "MFU (causal)", "memory GiB", "bubble",
                   "exposed comm"},
                  {Align::kRight, Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
                   Align::kRight, Align::kRight, Align::kRight});
  int rank = 0;
  for (const sim::Candidate& c : result.top) {
    const sim::StepEstimate& e = c.estimate;
    const sim::Layout& l = c.layout;
    table.AddRow(
        {std::to_string(++rank),
         fmt::format("tp={} pp={} vpp={} ep={} etp={} cp={} dp={} mbs={} rc={}", l.tp, l.pp, l.vpp,
                     l.ep, l.etp, l.cp, l.dp, l.mbs, sim::ToString(l.recompute)),
         Seconds(e.step_time), fmt::format("{:.0f}", e.throughput.tokens_per_second_per_gpu),
         fmt::format("{:.1f}%", 100 * e.throughput.mfu[0]), GiB(e.memory.Total()),
         Percent(e.bubble, e.step_time), Percent(e.exposed_comm, e.step_time)});
  }
  std::string out = fmt::format(
      "best layouts (analytic estimate; {} layouts enumerated, {} estimated, {} lowerings, "
      "{:.3f} s):\n",
      result.enumerated, result.estimated, result.lowerings, result.seconds);
  out += result.top.empty() ? "  none fits\n" : table.Render();
  TextTable rejected({"rejected family", "layouts", "first example"},
                     {Align::kLeft, Align::kRight, Align::kLeft});
  for (int i = 1; i < sim::kNumLayoutIssues; ++i) {
    const sim::RejectionFamily& family = result.rejected[static_cast<size_t>(i)];
    if (family.count == 0) continue;
    rejected.AddRow({sim::ToString(static_cast<sim::LayoutIssue>(i)), WithThousands(family.count),
                     family.example});
  }
  out += "\n" + rejected.Render();
  const sim::RejectionFamily& memory =
      result.rejected[static_cast<size_t>(sim::LayoutIssue::kMemory)];
  if (memory.count > 0) {
    out += fmt::format("  closest out-of-memory layout: {} needs {} GiB\n",
                       memory.least_memory_layout.ToString(), GiB(memory.least_memory));
  }
  if (best != nullptr) {
    out += "\nthe best layout in detail:\n\n" + Header(*best) + RenderSummary(*best) +
           RenderBreakdown(*best) + RenderMemory(best->analytic.memory, best->options);
  }
  return out;
}

nlohmann::ordered_json SearchJson(const sim::SearchResult& result) {
  nlohmann::ordered_json json;
  json["format"] = "moeplan-layout-search";
  json["version"] = 1;
  json["enumerated"] = result.enumerated;
  json["estimated"] = result.estimated;
  json["lowerings"] = result.lowerings;
  json["seconds"] = result.seconds;
  json["top"] = nlohmann::ordered_json::array();
  for (const sim::Candidate& c : result.top) {
    json["top"].push_back(
        {{"layout", sim::LayoutToJson(c.layout)},
         {"step_time_s", c.estimate.step_time},
         {"tokens_per_s_per_gpu", c.estimate.throughput.tokens_per_second_per_gpu},
         {"mfu_causal", c.estimate.throughput.mfu[0]},
         {"mfu_full", c.estimate.throughput.mfu[1]},
         {"memory_bytes", c.estimate.memory.Total()}});
  }
  for (int i = 1; i < sim::kNumLayoutIssues; ++i) {
    const sim::RejectionFamily& family = result.rejected[static_cast<size_t>(i)];
    if (family.count == 0) continue;
    json["rejected"][sim::ToString(static_cast<sim::LayoutIssue>(i))] = {
        {"count", family.count}, {"example", family.example}};
  }
  return json;
}

int RunBestLayout(const SimArgs& args, const laws::LoadedModel& model, const hw::Fleet& fleet,
                  const sim::Layout& layout, const sim::SimOptions& options) {
  Result<sim::ModelProfile> profile = sim::BuildProfile(model.arch, args.seq_len);
  if (!profile) return Fail(profile.error());
  sim::SearchSpace space;
  space.gbs = layout.gbs;
  space.sharding = layout.sharding;
  space.precision = layout.precision;
  // A layout that names its modules fixes what "selective" means; otherwise the search's default.
  if (layout.recompute_modules != sim::kDefaultRecomputeModules) {
    space.recompute_modules = layout.recompute_modules;
  }
  space.sequence_parallel = layout.sequence_parallel;
  space.top_k = args.top;
  space.threads = args.threads;
  Result<sim::SearchResult> result = sim::SearchLayouts(*profile, fleet, space, options);
  if (!result) return Fail(result.error());
  if (args.json) return WriteOutput(args.out, SearchJson(*result).dump(2) + "\n");
  std::optional<sim::SimReport> best;
  if (!result->top.empty()) {
    sim::SimRequest request{model.arch, fleet, result->top.front().layout, options, args.seq_len};
    Result<sim::SimReport> report = sim::Simulate(request);
    if (!report) return Fail(report.error());
    best = std::move(*report);
  }
  return WriteOutput(args.out, RenderSearch(*result, best ? &*best : nullptr));
}

int RunSim(const SimArgs& args) {
  Result<laws::LoadedModel> model = laws::LoadModel(args.model, {args.seq_len});
  if (!model) return Fail(model.error());
  Result<hw::Fleet> fleet = hw::LoadFleet(args.fleet);
  if (!fleet) return Fail(fleet.error());
  Result<sim::SimOptions> options = OptionsFrom(args, model->arch);
  if (!options) return Fail(options.error());
  Result<sim::Layout> layout = LayoutFrom(args);
  if (!layout) return Fail(layout.error());
  if (args.best_layout) return RunBestLayout(args, *model, *fleet, *layout, *options);
  if (args.layout.empty()) return Fail("--layout is required (or use --best-layout)");

  sim::SimRequest request{model->arch, *fleet, *layout, *options, args.seq_len};
  request.event_simulation = !args.analytic_only;
  request.collect_timeline = !args.trace.empty();
  request.collect_ops = args.ops;
  Result<sim::SimReport> report = sim::Simulate(request);
  if (!report) return Fail(report.error());
  if (!args.trace.empty()) {
    if (args.analytic_only)
      return Fail("--trace needs the event simulation (drop --analytic-only)");
    if (Status status = sim::WriteChromeTrace(args.trace, report->timeline); !status.ok()) {
      return Fail(status.error());
    }
  }
  if (args.json) return WriteOutput(args.out, sim::SimReportJson(*report).dump(2) + "\n");
  std::string text = Header(*report);
  if (args.ops) text += RenderOps(report->ops);
  text += RenderSummary(*report) + RenderBreakdown(*report) +
          RenderMemory(report->analytic.memory, report->options) +
          RenderRankMemory(report->rank_memory);
  return WriteOutput(args.out, text);
}

}  // namespace

void RegisterSimCommand(CLI::App& app, CommandBody& run) {
  auto args = std::make_shared<SimArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sim", "Step time, throughput, MFU and memory per GPU of a model on a fleet and layout");
  cmd->add_option("model", args->model,
                  "Preset name, moeplan-arch file or Hugging Face config.json")
      ->capture_default_str();
  cmd->add_option("--fleet", args->fleet, "Fleet: '<N>x<preset>' (e.g. 64xH100) or a fleet file")
      ->required();
  cmd->add_option("--layout", args->layout,
                  "Layout 'tp=1,pp=4,vpp=8,ep=8,mbs=1,gbs=256' (keys: tp sp pp vpp ep etp cp dp "
                  "mbs gbs recompute sharding precision) or a moeplan-layout JSON file");
  cmd->add_option("--precision", args->precision, "GEMM precision, overrides the layout's")
      ->check(CLI::IsMember({"bf16", "fp8"}));
  cmd->add_option("--seq", args->seq_len, "Training sequence length (default: the model's own)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  cmd->add_option("--gbs", args->gbs, "Global batch size in sequences, overrides the layout's")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  auto* skew = cmd->add_option("--imbalance", args->imbalance,
                               "Expert load skew: coefficient of variation of tokens per expert "
                               "(0 = balanced, the default)")
                   ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--expert-histogram", args->histogram,
                  "Measured tokens per expert (JSON or text, one list per MoE layer)")
      ->excludes(skew);
  AddFrameworkOptions(cmd, args->framework);
  cmd->add_flag("--analytic-only", args->analytic_only, "Skip the event-driven simulation");
  cmd->add_flag("--ops", args->ops, "Print the lowered operations of each block");
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->add_option("--out", args->out, "Write the report to FILE (atomically) instead of stdout");
  cmd->add_option("--trace", args->trace,
                  "Write a Chrome-trace timeline of one step (opens in Perfetto)");
  cmd->add_flag("--best-layout", args->best_layout,
                "Search every valid layout for the fleet (gbs from --layout or --gbs)");
  cmd->add_option("--top", args->top, "Layouts to list with --best-layout")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads for --best-layout (0 = all)")
      ->check(CLI::Range(0, 4096));
  cmd->callback([args, &run] { run = [args] { return RunSim(*args); }; });
}

}  // namespace moeplan::cli
