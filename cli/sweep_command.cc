//===- cli/sweep_command.cc - `moeplan sweep` and `moeplan sweep-merge` ---===//
/// \file
/// `moeplan sweep SPACE --fleet F (--compute C | --days D | --target-loss L) --out FILE
///                [--law NAME|FILE] [--threads N] [--top-k K] [--pareto] [--band EPS]
///                [--resume] [--shard i/n] [--fixed-mfu X] [--gbs N] [--chunk-size N]`
/// streams every candidate to FILE (CSV), or writes only the top-k / Pareto front / band.
/// Ctrl-C stops at a clean point (exit 130) and `--resume` continues; with --shard, a reduced
/// sweep also writes FILE.state.json for `moeplan sweep-merge --out FILE STATE...`.
/// The engine is sim/sweep/sweep.h; this file parses, prints progress and handles SIGINT.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "hwmodel/fleet_source.h"
#include "laws/scaling/law_presets.h"
#include "laws/support/atomic_file.h"
#include "laws/support/json_reader.h"
#include "sim/plan/planner.h"
#include "sim/sweep/sweep.h"

namespace moeplan::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnSigint(int) {
  g_stop.store(true);
}

struct SweepArgs {
  std::string space;
  std::string fleet = "1024xH100";
  std::string law = "epoch2024";
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

int RunSweepCommand(const SweepArgs& args) {
  Result<plan::SweepSpace> space = plan::ResolveSpace(args.space);
  if (!space) return Fail(space.error());
  Result<hw::Fleet> fleet = hw::LoadFleet(args.fleet);
  if (!fleet) return Fail(fleet.error());
  Result<scaling::LawFile> law = scaling::LoadLaw(args.law);
  if (!law) return Fail(law.error());
  Result<scaling::LawFile> hyper = scaling::LoadLaw(args.hyper_law);
  if (!hyper) return Fail(hyper.error());
  Result<plan::LossModel> loss = plan::MakeLossModel(*law);
  if (!loss) return Fail(loss.error());
  const int budgets = (args.compute > 0) + (args.days > 0) + (args.target_loss > 0);
  if (budgets != 1) return Fail("give exactly one of --compute, --days, --target-loss");
  plan::SweepOptions o;
  o.eval.objective = args.compute > 0 ? plan::Objective::kLossAtCompute
                     : args.days > 0  ? plan::Objective::kLossInTime
                                      : plan::Objective::kTimeToLoss;
  o.eval.compute = args.compute;
  o.eval.seconds = args.days * 86400.0;
  o.eval.target_loss = args.target_loss;
  o.eval.fixed_mfu = args.fixed_mfu;
  if (args.gbs > 0) space->layout.gbs = args.gbs;
  if (space->layout.gbs == 0) {
    const double c = args.compute > 0 ? args.compute
                                      : 0.4 * static_cast<double>(fleet->num_gpus) *
                                            fleet->hardware.device.peak_flops_bf16 *
                                            std::max(args.days, 1.0) * 86400.0;
    space->layout.gbs =
        plan::GlobalBatchFor(*hyper, c, space->values(plan::ArchDim::kSeqLen).front());
  }
  o.reduce.top_k = args.top_k;
  o.reduce.pareto = args.pareto;
  o.reduce.band_eps = args.band;
  o.threads = args.threads;
  o.chunk_size = args.chunk_size;
  o.out = args.out;
  o.resume = args.resume;
  const int64_t n = space->NumArchCandidates();
  if (!args.shard.empty()) {
    Result<std::pair<int64_t, int64_t>> shard = ParseShard(args.shard);
    if (!shard) return Fail(shard.error());
    const auto [i, count] = *shard;
    // n / count * i + (n % count) * i / count: no overflow for any space size.
    auto split = [&](int64_t k) { return n / count * k + n % count * k / count; };
    o.begin = split(i);
    o.end = split(i + 1);
  }
  o.fingerprint =
      fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", plan::SpaceToJson(*space).dump(),
                  args.fleet, args.law, args.compute, args.days, args.target_loss, args.fixed_mfu,
                  args.top_k, args.pareto, args.band, o.begin, o.end, args.chunk_size);
  o.stop = &g_stop;
  if (const char* delay = std::getenv("MOEPLAN_SWEEP_BATCH_DELAY_MS")) {
    o.batch_delay_ms = std::atoi(delay);
    o.chunks_per_batch = 1;
    o.checkpoint_seconds = 0;
  }
  Progress progress(::isatty(STDERR_FILENO) != 0);
  o.progress = [&](int64_t done, int64_t total) { progress(done, total); };
  std::signal(SIGINT, OnSigint);
  Result<plan::SweepResult> result = plan::RunSweep(*space, *fleet, *loss, o);
  std::signal(SIGINT, SIG_DFL);
  if (!result) return Fail(result.error());
  if (result->interrupted) {
    std::cerr << fmt::format("moeplan: interrupted; {} is consistent, continue with --resume\n",
                             args.out);
    return 130;
  }
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
  std::cout << fmt::format(
      "swept candidates [{}, {}) of {} in {:.2f} s ({:.3g} candidates/s, "
      "{} layout estimates)\n",
      result->begin, result->end, n, result->seconds,
      static_cast<double>(result->stats.candidates) / std::max(result->seconds, 1e-9),
      result->stats.layouts_estimated);
  std::cout << plan::ExplainRejects(result->stats) << "\n";
  if (!args.out.empty()) std::cout << "wrote " << args.out << "\n";
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
      const plan::SweepStats s = plan::SweepStats::FromJson(state->at("stats"));
      stats.candidates += s.candidates;
      stats.feasible += s.feasible;
      stats.layouts_estimated += s.layouts_estimated;
      for (size_t i = 0; i < plan::kNumRejects; ++i) stats.rejects[i] += s.rejects[i];
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
  cmd->add_option("space", args->space, "space file (moeplan-space JSON) or built-in name")
      ->required();
  cmd->add_option("--fleet", args->fleet, "fleet: 1024xH100, or a fleet/hardware file");
  cmd->add_option("--law", args->law, "loss law preset or file (default epoch2024)");
  cmd->add_option("--compute", args->compute, "objective: min loss at this compute (FLOPs)");
  cmd->add_option("--days", args->days, "objective: min loss within this wall-clock time");
  cmd->add_option("--target-loss", args->target_loss, "objective: min time to this loss");
  cmd->add_option("--out", args->out, "output CSV (streamed, or the kept sets)");
  cmd->add_option("--threads", args->threads, "worker threads (0: all cores)");
  cmd->add_option("--top-k", args->top_k, "keep only the K best");
  cmd->add_flag("--pareto", args->pareto, "keep the (objective, total params) Pareto front");
  cmd->add_option("--band", args->band, "keep candidates within EPS (relative) of the best");
  cmd->add_flag("--resume", args->resume, "continue an interrupted sweep of the same --out");
  cmd->add_option("--shard", args->shard, "i/n: run the i-th of n index ranges");
  cmd->add_option("--fixed-mfu", args->fixed_mfu, "skip the simulator: fleet at this MFU");
  cmd->add_option("--gbs", args->gbs, "global batch (sequences); default from B_opt(C)");
  cmd->add_option("--chunk-size", args->chunk_size, "candidates per chunk (default 1024)");
  cmd->callback([args, &run] { run = [args] { return RunSweepCommand(*args); }; });

  auto merge = std::make_shared<MergeArgs>();
  CLI::App* m = app.add_subcommand("sweep-merge", "Merge the state files of sharded sweeps");
  m->add_option("--out", merge->out, "merged CSV")->required();
  m->add_option("states", merge->states, "FILE.state.json of each shard")->required();
  m->callback([merge, &run] { run = [merge] { return RunMergeCommand(*merge); }; });
}

}  // namespace moeplan::cli
