//===- cli/sweep_command.cc - `moeplan sweep` and `moeplan sweep-merge` ---===//
/// \file
/// `moeplan sweep [SPACE] [--configs LIST.csv|LIST.jsonl] --fleet F
///                (--compute C | --days D | --target-loss L) [--out FILE] [--json]
///                [--law NAME|FILE] [--threads N] [--top-k K] [--pareto] [--band EPS]
///                [--resume] [--shard i/n] [--fixed-mfu X] [--gbs N] [--chunk-size N]`
/// streams every candidate to FILE (CSV), or writes only the top-k / Pareto front / band;
/// with --configs it evaluates the listed architectures (sim/sweep/config_list.h) with the
/// space's layouts and constraints. Ctrl-C (or SIGTERM) stops at a clean point (exit 130) and
/// `--resume` continues; with --shard, a reduced sweep also writes FILE.state.json for
/// `moeplan sweep-merge --out FILE STATE...`. Under `mpirun -np N` (a build with MPI) the
/// ranks split the range and rank 0 writes the same output as one process
/// (sim/sweep/distributed_sweep.h); only rank 0 prints. The engine is sim/sweep/; this file
/// parses, prints progress and the summary (sim/sweep/sweep_report.h), and handles signals.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>
#include <tuple>

#include "cli/commands.h"
#include "cli/framework_options.h"
#include "hwmodel/fleet_source.h"
#include "laws/arch_json.h"
#include "laws/scaling/law_presets.h"
#include "laws/support/atomic_file.h"
#include "laws/support/json_reader.h"
#include "sim/framework_option_table.h"
#include "sim/plan/planner.h"
#include "sim/sweep/config_list.h"
#include "sim/sweep/distributed_sweep.h"
#include "sim/sweep/process_group.h"
#include "sim/sweep/sweep.h"
#include "sim/sweep/sweep_report.h"

namespace moeplan::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) {
  g_stop.store(true);
}

// Entries the summary shows when every candidate streams (no --top-k asked).
constexpr int64_t kSummaryTopK = 10;

struct SweepArgs {
  std::string space;
  std::string configs;
  bool json = false;
  std::string fleet = "1024xH100";
  std::string law = "ludziejewski2025";
  std::string hyper_law = "deepseek-llm-2024";
  double compute = 0, days = 0, target_loss = 0;
  std::string out;
  int threads = 0;
  int64_t top_k = 0;
  bool pareto = false;
  double band = -1;
  bool resume = false;
  std::string shard;
  double fixed_mfu = 0;
  int64_t gbs = 0;
  int64_t chunk_size = 1024;
  sim::SimOptions framework;  ///< the framework flags (cli/framework_options.h)
};

struct MergeArgs {
  std::string out;
  std::vector<std::string> states;
};

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(Clock::now()) {}
  void operator()(int64_t done, int64_t total) {
    if (!enabled_) return;
    const double s = std::chrono::duration<double>(Clock::now() - start_).count();
    const double rate = s > 0 ? static_cast<double>(done) / s : 0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    const int width = 30;
    const int fill = total > 0 ? static_cast<int>(width * done / total) : width;
    std::fprintf(stderr, "\r[%s%s] %5.1f%% %.3g cand/s ETA %02d:%02d:%02d ",
                 std::string(static_cast<size_t>(fill), '#').c_str(),
                 std::string(static_cast<size_t>(width - fill), ' ').c_str(),
                 total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
                 rate, static_cast<int>(eta) / 3600, static_cast<int>(eta) / 60 % 60,
                 static_cast<int>(eta) % 60);
    if (done == total) std::fprintf(stderr, "\n");
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  Clock::time_point start_;
};

Result<std::pair<int64_t, int64_t>> ParseShard(const std::string& text) {
  int64_t i = 0, n = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%ld/%ld%c", &i, &n, &extra) != 2 || n < 1 || i < 0 || i >= n) {
    return Error{fmt::format("--shard '{}': expected i/n with 0 <= i < n", text)};
  }
  return std::pair{i, n};
}

// Everything a sweep needs, read and checked on every rank.
struct Prepared {
  plan::SweepSpace space;
  hw::Fleet fleet;
  plan::LossModel loss;
  std::vector<laws::MoeArch> archs;  // --configs
  plan::SweepOptions options;        // options.archs is set by the caller
  int64_t total = 0;                 // candidates in the space or list
};

// Identifies the listed architectures in the --resume fingerprint.
size_t ListHash(const std::vector<laws::MoeArch>& archs) {
  size_t h = archs.size();
  for (const laws::MoeArch& a : archs) {
    h = h * 1000003u ^ std::hash<std::string>{}(laws::ArchToJson(a).dump());
  }
  return h;
}

Result<Prepared> Prepare(const SweepArgs& args) {
  Prepared p;
  if (args.space.empty() && args.configs.empty()) {
    return Error{"give a space (file or built-in name: default, deepseek, dense) or --configs"};
  }
  const std::string space_name = args.space.empty() ? "default" : args.space;
  Result<plan::SweepSpace> space = plan::ResolveSpace(space_name);
  if (!space) return space.error();
  p.space = std::move(*space);
  Result<hw::Fleet> fleet = hw::LoadFleet(args.fleet);
  if (!fleet) return fleet.error();
  p.fleet = std::move(*fleet);
  Result<scaling::LawFile> law = scaling::LoadLaw(args.law);
  if (!law) return law.error();
  Result<scaling::LawFile> hyper = scaling::LoadLaw(args.hyper_law);
  if (!hyper) return hyper.error();
  Result<plan::LossModel> loss = plan::MakeLossModel(*law);
  if (!loss) return loss.error();
  p.loss = std::move(*loss);
  const int budgets = (args.compute > 0) + (args.days > 0) + (args.target_loss > 0);
  if (budgets != 1) return Error{"give exactly one of --compute, --days, --target-loss"};
  if (args.resume && args.out.empty()) {
    return Error{"--resume needs --out (the output of the interrupted sweep)"};
  }
  if (!args.configs.empty()) {
    Result<std::vector<laws::MoeArch>> archs = plan::ReadConfigList(args.configs, p.space);
    if (!archs) return archs.error();
    p.archs = std::move(*archs);
  }
  plan::SweepOptions& o = p.options;
  o.eval.objective = args.compute > 0 ? plan::Objective::kLossAtCompute
                     : args.days > 0  ? plan::Objective::kLossInTime
                                      : plan::Objective::kTimeToLoss;
  o.eval.compute = args.compute;
  o.eval.seconds = args.days * 86400.0;
  o.eval.target_loss = args.target_loss;
  o.eval.fixed_mfu = args.fixed_mfu;
  if (args.gbs > 0) p.space.layout.gbs = args.gbs;
  if (p.space.layout.gbs == 0) {
    const double c = args.compute > 0 ? args.compute
                                      : 0.4 * static_cast<double>(p.fleet.num_gpus) *
                                            p.fleet.hardware.device.peak_flops_bf16 *
                                            std::max(args.days, 1.0) * 86400.0;
    p.space.layout.gbs =
        plan::GlobalBatchFor(*hyper, c, p.space.values(plan::ArchDim::kSeqLen).front());
  }
  o.reduce.top_k = args.top_k;
  o.reduce.pareto = args.pareto;
  o.reduce.band_eps = args.band;
  o.summary_top_k = kSummaryTopK;
  o.threads = args.threads;
  o.chunk_size = args.chunk_size;
  o.out = args.out;
  o.resume = args.resume;
  p.total = p.archs.empty() ? p.space.NumArchCandidates() : static_cast<int64_t>(p.archs.size());
  if (!args.shard.empty()) {
    Result<std::pair<int64_t, int64_t>> shard = ParseShard(args.shard);
    if (!shard) return shard.error();
    std::tie(o.begin, o.end) = plan::ShardRange(0, p.total, shard->first, shard->second);
  }
  o.eval.sim = args.framework;
  o.fingerprint = fmt::format(
      "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", plan::SpaceToJson(p.space).dump(),
      args.fleet, args.law, args.compute, args.days, args.target_loss, args.fixed_mfu, args.top_k,
      args.pareto, args.band, o.begin, o.end, args.chunk_size, args.configs,
      p.archs.empty() ? 0 : ListHash(p.archs), sim::FrameworkOptionsToJson(args.framework).dump());
  if (const char* delay = std::getenv("MOEPLAN_SWEEP_BATCH_DELAY_MS")) {
    o.batch_delay_ms = std::atoi(delay);
    o.chunks_per_batch = 1;
    o.checkpoint_seconds = 0;
  }
  return p;
}

int RunSweepCommand(const SweepArgs& args) {
  Result<std::unique_ptr<plan::ProcessGroup>> world = plan::WorldGroup();
  if (!world) return plan::LauncherRank() == 0 ? Fail(world.error()) : kExitBadInput;
  plan::ProcessGroup& group = **world;  // MPI_Finalize when `world` goes out of scope
  const bool root = group.rank() == 0;
  auto fail = [&](const Error& e) { return root ? Fail(e) : kExitBadInput; };
  Result<Prepared> prepared = Prepare(args);
  if (Status s = plan::AgreeOnStatus(group, prepared ? Status::Ok() : Status(prepared.error()));
      !s.ok()) {
    return fail(s.error());
  }
  Prepared& p = *prepared;
  plan::SweepOptions& o = p.options;
  if (!p.archs.empty()) o.archs = &p.archs;
  if (o.threads == 0 && group.size() > 1) {
    // The node's cores shared among the ranks on it (oneTBB would take all of them per rank).
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    o.threads = std::max(1, cores / std::max(1, group.local_size()));
  }
  o.stop = &g_stop;
  Progress progress(root && !args.json && ::isatty(STDERR_FILENO) != 0);
  o.progress = [&](int64_t done, int64_t total) { progress(done, total); };
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  Result<plan::SweepResult> result = plan::RunDistributedSweep(p.space, p.fleet, p.loss, o, group);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!result) return fail(result.error());
  if (result->interrupted) {
    if (!root) return 130;
    if (args.out.empty()) {
      std::cerr << "moeplan: interrupted\n";
    } else if (group.size() > 1) {
      std::cerr << fmt::format(
          "moeplan: interrupted; the parts {}.rank*-of-{}.part are consistent, continue with "
          "--resume and -np {}\n",
          args.out, group.size(), group.size());
    } else {
      std::cerr << fmt::format("moeplan: interrupted; {} is consistent, continue with --resume\n",
                               args.out);
    }
    return 130;
  }
  if (!root) return 0;
  if (!args.shard.empty() && o.reduce.Any()) {
    nlohmann::json state = {{"format", "moeplan-sweep-state"},
                            {"version", 1},
                            {"top_k", o.reduce.top_k},
                            {"pareto", o.reduce.pareto},
                            {"band_eps", o.reduce.band_eps},
                            {"stats", result->stats.ToJson()},
                            {"reducer", result->reducer.ToJson()}};
    if (Status s = WriteFileAtomically(args.out + ".state.json", state.dump()); !s.ok()) {
      return Fail(s.error());
    }
  }
  plan::SweepReportInfo info;
  info.space = p.space.name;
  info.configs = args.configs;
  info.objective = o.eval.objective;
  info.fleet = args.fleet;
  info.law = p.loss.law_name;
  info.candidates_total = p.total;
  info.ranks = group.size();
  info.out = args.out;
  info.reduce = o.reduce;
  if (args.json) {
    std::cout << plan::SweepReportToJson(*result, info).dump(2) << "\n";
  } else {
    std::cout << plan::SweepReportText(*result, info);
  }
  return 0;
}

int RunMergeCommand(const MergeArgs& args) {
  std::optional<plan::Reducer> merged;
  plan::SweepStats stats;
  for (const std::string& path : args.states) {
    Result<nlohmann::json> state = ReadJsonFile(path);
    if (!state) return Fail(state.error());
    try {
      plan::ReduceOptions r;
      r.top_k = state->at("top_k").get<int64_t>();
      r.pareto = state->at("pareto").get<bool>();
      r.band_eps = state->at("band_eps").get<double>();
      Result<plan::Reducer> reducer = plan::Reducer::FromJson(state->at("reducer"), r);
      if (!reducer) return Fail(fmt::format("{}: {}", path, reducer.error().message));
      if (!merged) {
        merged = plan::Reducer(r);
      } else if (merged->options().top_k != r.top_k || merged->options().pareto != r.pareto ||
                 merged->options().band_eps != r.band_eps) {
        return Fail(fmt::format("{}: shard was run with other --top-k/--pareto/--band", path));
      }
      merged->Merge(*reducer);
      stats.Add(plan::SweepStats::FromJson(state->at("stats")));
    } catch (const nlohmann::json::exception& e) {
      return Fail(fmt::format("{}: not a sweep state file: {}", path, e.what()));
    }
  }
  if (!merged) return Fail("sweep-merge: no state files given");
  if (Status s = plan::WriteReducedCsv(args.out, *merged); !s.ok()) return Fail(s.error());
  std::cout << plan::ExplainRejects(stats) << "\nwrote " << args.out << "\n";
  return 0;
}

}  // namespace

void RegisterSweepCommand(CLI::App& app, CommandBody& run) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Evaluate every candidate of a search space (laws x hardware) in parallel");
  cmd->add_option("space", args->space,
                  "space file (moeplan-space JSON) or built-in name (default with --configs)");
  cmd->add_option("--configs", args->configs,
                  "evaluate the architectures listed in this .csv or .jsonl file");
  cmd->add_flag("--json", args->json, "print the summary as JSON (moeplan-sweep-summary)");
  cmd->add_option("--fleet", args->fleet, "fleet: 1024xH100, or a fleet/hardware file");
  cmd->add_option("--law", args->law, "loss law preset or file (default ludziejewski2025)");
  cmd->add_option("--compute", args->compute, "objective: min loss at this compute (FLOPs)");
  cmd->add_option("--days", args->days, "objective: min loss within this wall-clock time");
  cmd->add_option("--target-loss", args->target_loss, "objective: min time to this loss");
  cmd->add_option("--out", args->out, "output CSV (streamed, or the kept sets)");
  cmd->add_option("--threads", args->threads,
                  "worker threads (0: all cores, split among the MPI ranks of a node)");
  cmd->add_option("--top-k", args->top_k, "keep only the K best");
  cmd->add_flag("--pareto", args->pareto, "keep the (objective, total params) Pareto front");
  cmd->add_option("--band", args->band, "keep candidates within EPS (relative) of the best");
  cmd->add_flag("--resume", args->resume, "continue an interrupted sweep of the same --out");
  cmd->add_option("--shard", args->shard, "i/n: run the i-th of n index ranges");
  cmd->add_option("--fixed-mfu", args->fixed_mfu, "skip the simulator: fleet at this MFU");
  cmd->add_option("--gbs", args->gbs, "global batch (sequences); default from B_opt(C)");
  cmd->add_option("--chunk-size", args->chunk_size, "candidates per chunk (default 1024)");
  AddFrameworkOptions(cmd, args->framework);
  cmd->callback([args, &run] { run = [args] { return RunSweepCommand(*args); }; });

  auto merge = std::make_shared<MergeArgs>();
  CLI::App* m = app.add_subcommand("sweep-merge", "Merge the state files of sharded sweeps");
  m->add_option("--out", merge->out, "merged CSV")->required();
  m->add_option("states", merge->states, "FILE.state.json of each shard")->required();
  m->callback([merge, &run] { run = [merge] { return RunMergeCommand(*merge); }; });
}

}  // namespace moeplan::cli
