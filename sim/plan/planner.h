//===- sim/plan/planner.h - The compute-optimal, hardware-feasible MoE -*- C++ -*-===//
/// \file
/// `moeplan plan`: given a fleet and a budget (compute C, a wall-clock time, or a target loss)
/// sweeps a space (sim/sweep/) and returns the best architecture with its training recipe
/// (tokens; learning rate eta_opt(C) and batch size B_opt(C) of DeepSeek LLM 2024,
/// arXiv:2401.02954, Eq. 1, C in FLOPs, B in tokens), predicted loss with an interval, best
/// layout, step time, MFU, days and memory per GPU; the near-optimal band (candidates within
/// eps of the best objective, and the range every dimension spans inside it); and the
/// FLOPs-only optimum (the same sweep at one fixed MFU for every candidate, ignoring memory)
/// re-evaluated on the fleet, to show what hardware-awareness changes.
///
/// The global batch is B_opt(C) / S rounded to a power of two sequences, C being the budget
/// (kLossAtCompute), the fleet at 40% MFU for the time budget (kLossInTime), or the compute at
/// which the law's Chinchilla optimum reaches the target (kTimeToLoss).
///
/// Loss interval: with coefficient standard errors (epoch2024), +-1.96 sigma by the delta
/// method taking the coefficients as independent (conservative when they are correlated);
/// without them a stated +-1% band for a Chinchilla law (hoffmann2022) and no interval at all
/// for a joint MoE law (ludziejewski2025, the default): its 11 coefficients are published
/// without errors and a +-1% band would pretend to a precision nobody measured.
///
/// Extrapolation: the plan lists every variable of the loss law (N, D and, for the joint MoE
/// law, E = E_eff) whose value for the chosen candidate lies outside the law's fitted range
/// (law.fitted_range; ludziejewski2025: N 7.9e7..2.7e9, D 5e8..8e10, E 1..32). At the budgets
/// `moeplan plan` is for (a 1024-GPU month is ~1e24 FLOPs) the joint law is always read far
/// beyond its data. Namespace moeplan::plan (with the sweep).
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hwmodel/hardware.h"
#include "laws/arch.h"
#include "laws/scaling/law.h"
#include "sim/sweep/sweep.h"

namespace moeplan::plan {

struct PlanRequest {
  hw::Fleet fleet;
  Objective objective = Objective::kLossInTime;
  double compute = 0;  ///< FLOPs
  double seconds = 0;  ///< wall-clock budget
  double target_loss = 0;
  scaling::LawFile law;        ///< loss law (or allocation laws, kLossAtCompute only)
  scaling::LawFile hyper_law;  ///< eta_opt and B_opt (deepseek-llm-2024)
  LawParams law_params = LawParams::kActive;
  SweepSpace space;
  double band_eps = 0.0025;
  int threads = 0;
  double fixed_mfu = 0;  ///< > 0: hardware at a fixed MFU, no memory limit (see evaluator.h)
  bool flops_only_comparison = true;
  sim::SimOptions sim;
};

struct DimRange {
  int64_t min = 0, max = 0;
};

/// A variable of the loss law whose value lies outside the law's fitted range.
struct Extrapolation {
  std::string variable;  ///< the law's symbol: N, D or E
  double value = 0;      ///< the chosen candidate's value (E: E_eff)
  double min = 0, max = 0;
};

struct PlanResult {
  CandidateResult best;
  laws::MoeArch arch;
  sim::SimOptions framework;  ///< the request's framework options (dispatcher, overlaps)
  double learning_rate = 0;   ///< eta_opt(C)
  double batch_tokens = 0;    ///< B_opt(C), tokens
  int64_t global_batch = 0;   ///< sequences used by the layouts
  bool has_interval = true;   ///< false: loss_low/high are meaningless (see interval_note)
  double loss_low = 0, loss_high = 0;
  std::string interval_note;
  std::vector<Extrapolation> extrapolation;  ///< empty: inside the fitted range (or none known)
  int64_t band_size = 0;
  bool band_truncated = false;
  std::array<DimRange, kNumArchDims> band_ranges{};
  bool has_flops_only = false;
  CandidateResult flops_only;  ///< the FLOPs-only optimum evaluated on the fleet
  double flops_only_fixed_mfu = 0;
  SweepStats stats;
  double seconds = 0;
};

[[nodiscard]] Result<PlanResult> Plan(const PlanRequest& request);

/// The global batch (sequences) for compute `c`: B_opt(c) / seq_len rounded to a power of 2.
int64_t GlobalBatchFor(const scaling::LawFile& hyper_law, double compute, int64_t seq_len);

/// Hugging Face config.json of `arch`: "deepseek_v3" for MLA, "qwen3_moe" for GQA MoE without
/// shared experts, "llama" for dense GQA models. Errors for shapes no such family expresses.
[[nodiscard]] Result<nlohmann::ordered_json> ExportHfConfig(const laws::MoeArch& arch);
/// Megatron-LM (Megatron-Core) arguments for the model, layout and recipe, one per line.
std::string ExportMegatronArgs(const PlanResult& plan);
/// The plan as JSON ({"format": "moeplan-plan", "version": 1, ...}).
nlohmann::ordered_json PlanToJson(const PlanResult& plan, const PlanRequest& request);

}  // namespace moeplan::plan
