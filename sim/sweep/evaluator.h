//===- sim/sweep/evaluator.h - Evaluate one architecture candidate -*- C++ -*-===//
/// \file
/// The evaluation pipeline of one candidate of a sweep (issue 6): decode the architecture from
/// its index (sim/sweep/space.h), count its exact triad (laws::CountTriad), check the
/// constraints, predict its loss from a law, then search its layouts with sim's analytic model
/// (sim/step_estimate.h) for the fastest one that fits in memory, and score the objective:
///
///   kLossAtCompute  minimise L(N, D) at fixed training compute C: D = C / M
///   kLossInTime     minimise L(N, D) within a wall-clock budget T on the fleet: D = T x
///                   tokens/s of the candidate's best layout, hence C = M D depends on its MFU
///   kTimeToLoss     minimise the wall-clock time (= GPU-hours / fleet size) to reach a target
///                   loss: D* solves L(N, D*) = target, time = D* / tokens/s
///
/// M is non-embedding forward+backward training FLOPs per token with attention counted full
/// (moeplan's convention, DESIGN.md); the loss law's N is the law's own convention (Chinchilla
/// laws: all parameters, embeddings included; for MoE the ACTIVE parameters N_a by default, see
/// LossModel::params). A joint MoE law L(N_act, D, E) (Ludziejewski et al. 2025, the default of
/// `moeplan plan`) is reduced per candidate to a Chinchilla law at the candidate's effective
/// expert count E_eff = total / active FFN parameters (sim/sweep/joint_moe_loss.h says why this
/// mapping and what it extrapolates); the paper's C = 6 N_act D is not used: D = C / M as for
/// every law. The prune bounds below stay valid because each candidate's bound uses its own
/// reduced law, which decreases in N and D (candidates where it does not are rejected,
/// kLawDomain). An allocation-only law (power laws M_opt(C), D_opt(C), e.g. DeepSeek
/// LLM 2024) has no loss: its "loss" is the allocation distance |ln(M / M_opt(C))|, which is
/// minimised by the M closest to M_opt(C) (then D = C/M is D_opt(C) up to k_M k_D ~ 1);
/// allocation laws support kLossAtCompute only.
///
/// Work is shared: one profile per architecture, one lowering per (tp, cp, ep, etp, mbs) group,
/// then one allocation-free EstimateStep per layout. Before any layout work, a bound prunes the
/// candidate when even a perfect layout (MFU 1 on the dense peak) could not reach the caller's
/// threshold. `fixed_mfu > 0` replaces the simulator by a fleet running at that MFU with no
/// memory limit (the FLOPs-only view, and hardware simple enough to solve by hand).
///
/// One Evaluator per thread (it keeps scratch); Evaluate is allocation-free except for the
/// model profile built once per architecture (sim::BuildProfile).
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "hwmodel/hardware.h"
#include "laws/arch.h"
#include "laws/scaling/chinchilla_optimum.h"
#include "laws/scaling/law.h"
#include "sim/layout.h"
#include "sim/sim_options.h"
#include "sim/sweep/joint_moe_loss.h"
#include "sim/sweep/space.h"

namespace moeplan::plan {

enum class Objective : uint8_t { kLossAtCompute, kLossInTime, kTimeToLoss };
const char* ToString(Objective objective);

/// Which parameter count a Chinchilla-form law reads as N.
enum class LawParams : uint8_t {
  kActive,  ///< N_a with embedding and LM head (default: C = 6 N_a D like a dense model)
  kTotal,   ///< N with embedding and LM head
};

/// The loss side of the evaluation, built from a law file.
///  - kChinchilla: L(N, D) = E + A/N^alpha + B/D^beta, the same for every candidate.
///  - kJointMoe: L(N_act, D, E) of Ludziejewski et al. 2025 (JointMoeForm); each candidate
///    reads it at its E_eff (AtExperts), which gives it Chinchilla coefficients of its own.
///  - kAllocation: power laws M_opt(C), D_opt(C), no loss.
struct LossModel {
  enum class Kind : uint8_t { kChinchilla, kJointMoe, kAllocation } kind = Kind::kChinchilla;
  std::string law_name;  ///< preset or file the law came from
  /// kChinchilla: the law. kJointMoe: the law at E = 1 (dense), used only where no candidate
  /// is at hand (the planner's compute estimate for a target loss).
  scaling::ChinchillaCoefficients chinchilla;
  /// Standard errors of A, B, E, alpha, beta (0 = unknown), for the predicted-loss interval.
  std::array<double, 5> std_errors{};
  /// kJointMoe: the 11 coefficients and their standard errors (0 = unknown).
  JointMoeValues joint{};
  JointMoeValues joint_std_errors{};
  LawParams params = LawParams::kActive;
  /// Allocation laws: M_opt(C) and D_opt(C) bound to SI units (M converted to fwd+bwd).
  std::optional<scaling::BoundLaw> m_opt, d_opt;
  double m_opt_pass_factor = 1.0;  ///< 3 when the law's M is forward-only (Ling 2025)

  /// The law a candidate of effective expert count `experts` sees, as Chinchilla coefficients
  /// (kChinchilla: `chinchilla` whatever `experts`). False where the joint law is undefined or
  /// not decreasing in N and D at `experts`. Allocation-free.
  bool AtExperts(double experts, scaling::ChinchillaCoefficients& out) const;
  /// L(N, D) at `experts` (ignored by kChinchilla); NaN where AtExperts fails.
  double Loss(double params_for_law, double tokens, double experts = 1.0) const;
  /// Tokens at which L(N, D) = target; +inf when the law never gets there at this N.
  double TokensForLoss(double params_for_law, double target, double experts = 1.0) const;
};
/// Tokens at which the Chinchilla law `c` reaches `target` at N; +inf when it never does.
double ChinchillaTokensForLoss(const scaling::ChinchillaCoefficients& c, double params,
                               double target);
/// A loss model from a law file: a law "L" of Chinchilla or joint MoE form, or the allocation
/// laws "M_opt" and "D_opt". Errors name the law and what is missing; a joint MoE law reads N
/// as active parameters, so `params` kTotal is an error for it.
[[nodiscard]] Result<LossModel> MakeLossModel(const scaling::LawFile& file,
                                              LawParams params = LawParams::kActive);

struct EvalOptions {
  Objective objective = Objective::kLossAtCompute;
  double compute = 0;      ///< C, FLOPs (kLossAtCompute)
  double seconds = 0;      ///< wall-clock budget (kLossInTime)
  double target_loss = 0;  ///< kTimeToLoss
  /// > 0: skip the simulator, the fleet runs at this MFU (of the BF16 dense peak, model FLOPs
  /// = M plus the LM head) with no memory limit and no layout.
  double fixed_mfu = 0;
  sim::SimOptions sim;
  [[nodiscard]] Status Validate() const;
};

/// Why a candidate was dropped (counted per sweep; the report explains empty results).
enum class Reject : uint8_t {
  kNone,
  kInvalidArch,  ///< the decoded dimensions do not make a model (e.g. K > N_e)
  kMaxTotalParams,
  kMaxActiveParams,
  kTriadM,
  kTriadActive,
  kTriadTotal,
  kLossUnreachable,  ///< the law never reaches the target loss at this size
  kLawDomain,        ///< the joint MoE law is undefined or not decreasing at this E_eff
  kNoValidLayout,    ///< no layout of the space divides this model on this fleet
  kMemory,           ///< valid layouts exist but none fits in memory (with the headroom)
  kPruned,           ///< cannot beat the kept results (bound), not evaluated further
};
inline constexpr size_t kNumRejects = 12;
const char* ToString(Reject reject);
/// One line: what the constraint is, for "no feasible candidate" reports.
const char* Describe(Reject reject);

struct CandidateResult {
  int64_t index = 0;
  Reject reject = Reject::kNone;
  std::array<int64_t, kNumArchDims> values{};
  int64_t total_params = 0;          ///< N, embedding and LM head included
  int64_t active_params = 0;         ///< N_a, embedding and LM head included
  int64_t total_params_nonemb = 0;   ///< N without embedding and LM head
  int64_t active_params_nonemb = 0;  ///< N_a without embedding and LM head
  double flops_per_token = 0;        ///< M: non-embedding, fwd+bwd, attention full
  double model_flops_per_token = 0;  ///< M plus the LM head (what the fleet executes)
  /// E_eff = total / active FFN parameters (routed + shared experts + dense FFNs): 1 for a
  /// dense model, N_e / K for an MoE in every layer without shared experts (joint_moe_loss.h)
  double effective_experts = 1;
  double loss = 0;       ///< predicted loss (or allocation distance)
  double tokens = 0;     ///< D
  double compute = 0;    ///< C = M D
  double objective = 0;  ///< what is minimised
  bool has_layout = false;
  sim::Layout layout;
  double step_time = 0;          ///< seconds
  double tokens_per_second = 0;  ///< whole fleet
  double mfu = 0;                ///< model FLOPs (full attention) over the dense BF16 peak
  double seconds = 0;            ///< training wall-clock time
  double memory_bytes = 0;       ///< per GPU, busiest rank
  int64_t layouts_estimated = 0;
};

class Evaluator {
 public:
  Evaluator(const SweepSpace& space, const hw::Fleet& fleet, const LossModel& loss,
            const EvalOptions& options);
  /// Evaluates candidate `index`; stops early (reject kPruned) when its objective is provably
  /// above `prune_above` (pass +inf to evaluate fully).
  void Evaluate(int64_t index, double prune_above, CandidateResult& out);
  /// Evaluates an explicit architecture (user lists, the planner's final report).
  void EvaluateArch(const laws::MoeArch& arch, int64_t index, double prune_above,
                    CandidateResult& out);

 private:
  void Score(const laws::MoeArch& arch, double prune_above, CandidateResult& out);
  void SearchLayouts(const laws::MoeArch& arch, CandidateResult& out);
  double ObjectiveFor(CandidateResult& out, double tokens_per_second) const;

  const SweepSpace& space_;
  const hw::Fleet& fleet_;
  const LossModel& loss_;
  const EvalOptions& options_;
  laws::MoeArch arch_;  // scratch, reused
  // The loss law at the current candidate's E_eff (set once per architecture in Score).
  scaling::ChinchillaCoefficients law_at_arch_;
  double peak_ = 0;   // dense peak of the layout precision, FLOP/s per GPU
  double m_opt_ = 0;  // allocation laws at fixed C
};

}  // namespace moeplan::plan
