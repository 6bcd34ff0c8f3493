//===- sim/sweep/evaluator.cc - Evaluate one architecture candidate -------===//
#include "sim/sweep/evaluator.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <optional>

#include "laws/accounting.h"
#include "laws/scaling/routed_forms.h"
#include "sim/layout_check.h"
#include "sim/lowering.h"
#include "sim/model_profile.h"
#include "sim/step_estimate.h"

namespace moeplan::plan {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool OffTarget(const TriadTarget& t, double value) {
  return t.target > 0 && std::abs(value / t.target - 1.0) > t.tolerance;
}

Result<scaling::BoundLaw> BindTarget(const scaling::LawFile& file, std::string_view target) {
  const scaling::Law* law = scaling::FindLaw(file, target);
  if (law == nullptr) return Error{fmt::format("law file '{}' has no '{}' law", file.name, target)};
  return scaling::BoundLaw::Bind(*law);
}

// The joint MoE law "L" of `file` (JointMoeForm): its 11 coefficients, their standard errors,
// and the law at E = 1 as `chinchilla`.
Result<LossModel> MakeJointMoeModel(const scaling::LawFile& file, const scaling::Law& law,
                                    LossModel model) {
  if (model.params != LawParams::kActive) {
    return Error{fmt::format(
        "law file '{}': the joint_moe law reads N as active parameters (embedding included); "
        "expected --law-params active, got total",
        file.name)};
  }
  for (const scaling::LawQuantity& v : law.variables) {
    if (v.unit != 1.0) {
      return Error{
          fmt::format("law file '{}': law 'L' variable '{}' has unit {}; the planner "
                      "needs N, D and E in units of 1",
                      file.name, v.symbol, v.unit)};
    }
  }
  Result<scaling::BoundLaw> bound = scaling::BoundLaw::Bind(law);
  if (!bound) return Error{fmt::format("law file '{}': {}", file.name, bound.error().message)};
  const Eigen::VectorXd& values = bound->values();
  for (size_t i = 0; i < model.joint.size(); ++i) {
    model.joint[i] = values[static_cast<Eigen::Index>(i)];
    const scaling::Coefficient& coef = law.coefficients[i];
    if (coef.std_error) model.joint_std_errors[i] = *coef.std_error;
  }
  model.kind = LossModel::Kind::kJointMoe;
  if (!scaling::ReduceJointMoe(model.joint, 1.0, model.chinchilla)) {
    return Error{fmt::format(
        "law file '{}': the joint_moe law is undefined or does not decrease in N and D at "
        "E = 1 (expected E_start < E_max and alpha + gamma ln E_start < 0, beta + zeta ln "
        "E_start < 0)",
        file.name)};
  }
  return model;
}

}  // namespace

const char* ToString(Objective objective) {
  switch (objective) {
    case Objective::kLossAtCompute:
      return "loss-at-compute";
    case Objective::kLossInTime:
      return "loss-in-time";
    case Objective::kTimeToLoss:
      return "time-to-loss";
  }
  return "?";
}

const char* ToString(Reject reject) {
  static constexpr std::array<const char*, kNumRejects> kNames = {
      "feasible",   "invalid-arch",    "max-total-params", "max-active-params",
      "triad-M",    "triad-N_a",       "triad-N",          "loss-unreachable",
      "law-domain", "no-valid-layout", "out-of-memory",    "pruned"};
  return kNames[static_cast<size_t>(reject)];
}

const char* Describe(Reject reject) {
  static constexpr std::array<const char*, kNumRejects> kText = {
      "feasible",
      "the dimensions do not make a model (K > N_e, kv heads not dividing heads, ...)",
      "total parameters above constraints.max_total_params",
      "active parameters above constraints.max_active_params",
      "M outside constraints.triad.M (target and tolerance)",
      "N_a outside constraints.triad.N_a (target and tolerance)",
      "N outside constraints.triad.N (target and tolerance)",
      "the loss law never reaches the target loss at this model size",
      "the joint MoE law is undefined or does not decrease in N and D at this E_eff",
      "no layout of the space is valid for this model on this fleet (divisibility)",
      "every valid layout needs more memory than the GPU has (minus the headroom)",
      "provably worse than the results kept (bound), not evaluated further"};
  return kText[static_cast<size_t>(reject)];
}

bool LossModel::AtExperts(double experts, scaling::ChinchillaCoefficients& out) const {
  if (kind != Kind::kJointMoe) {
    out = chinchilla;
    return true;
  }
  return scaling::ReduceJointMoe(joint, experts, out);
}

double LossModel::Loss(double n, double d, double experts) const {
  scaling::ChinchillaCoefficients c;
  if (!AtExperts(experts, c)) return std::numeric_limits<double>::quiet_NaN();
  return scaling::ChinchillaLoss(c, n, d);
}

double LossModel::TokensForLoss(double n, double target, double experts) const {
  scaling::ChinchillaCoefficients c;
  if (!AtExperts(experts, c)) return kInf;
  return ChinchillaTokensForLoss(c, n, target);
}

double ChinchillaTokensForLoss(const scaling::ChinchillaCoefficients& c, double n, double target) {
  const double room = target - c.E - c.A / std::pow(n, c.alpha);
  if (room <= 0) return kInf;
  return std::pow(c.B / room, 1.0 / c.beta);
}

Result<LossModel> MakeLossModel(const scaling::LawFile& file, LawParams params) {
  LossModel model;
  model.law_name = file.name;
  model.params = params;
  if (const scaling::Law* law = scaling::FindLaw(file, "L")) {
    if (law->form.type == scaling::FormType::kJointMoe) return MakeJointMoeModel(file, *law, model);
    Result<scaling::ChinchillaCoefficients> c = scaling::ChinchillaOf(*law);
    if (!c) return c.error();
    model.kind = LossModel::Kind::kChinchilla;
    model.chinchilla = *c;
    const char* names[] = {"A", "B", "E", "alpha", "beta"};
    for (size_t i = 0; i < 5; ++i) {
      for (const scaling::Coefficient& coef : law->coefficients) {
        if (coef.name == names[i] && coef.std_error) model.std_errors[i] = *coef.std_error;
      }
    }
    return model;
  }
  Result<scaling::BoundLaw> m_opt = BindTarget(file, "M_opt");
  Result<scaling::BoundLaw> d_opt = BindTarget(file, "D_opt");
  if (!m_opt || !d_opt) {
    return Error{
        fmt::format("law file '{}' has neither a loss law 'L' (chinchilla or joint_moe form) nor "
                    "the allocation laws 'M_opt' and 'D_opt'",
                    file.name)};
  }
  model.kind = LossModel::Kind::kAllocation;
  const scaling::Law& m_law = m_opt->law();
  if (m_law.target.flop_pass == laws::FlopPass::kForward) model.m_opt_pass_factor = 3.0;
  model.m_opt = std::move(*m_opt);
  model.d_opt = std::move(*d_opt);
  return model;
}

Status EvalOptions::Validate() const {
  switch (objective) {
    case Objective::kLossAtCompute:
      if (!(compute > 0)) return Error{"objective loss-at-compute needs a compute budget > 0"};
      break;
    case Objective::kLossInTime:
      if (!(seconds > 0)) return Error{"objective loss-in-time needs a wall-clock budget > 0"};
      break;
    case Objective::kTimeToLoss:
      if (!(target_loss > 0)) return Error{"objective time-to-loss needs a target loss > 0"};
      break;
  }
  if (fixed_mfu < 0 || fixed_mfu > 1) {
    return Error{fmt::format("fixed MFU must lie in (0, 1], got {}", fixed_mfu)};
  }
  return Status::Ok();
}

Evaluator::Evaluator(const SweepSpace& space, const hw::Fleet& fleet, const LossModel& loss,
                     const EvalOptions& options)
    : space_(space), fleet_(fleet), loss_(loss), options_(options) {
  peak_ = fleet.hardware.device.PeakFlops(options.fixed_mfu > 0 ? hw::Precision::kBf16
                                                                : space.layout.precision);
  if (loss.kind == LossModel::Kind::kAllocation && options.compute > 0) {
    // M_opt in the law's pass convention: C is read in the same convention.
    const double c_law = options.compute / loss.m_opt_pass_factor;
    m_opt_ = loss.m_opt->Predict({c_law}) * loss.m_opt_pass_factor;
  }
}

void Evaluator::Evaluate(int64_t index, double prune_above, CandidateResult& out) {
  out = CandidateResult{};
  out.index = index;
  out.values = DecodeArchValues(space_, index);
  if (BuildArch(space_, out.values, arch_) != nullptr) {
    out.reject = Reject::kInvalidArch;
    return;
  }
  Score(arch_, prune_above, out);
}

void Evaluator::EvaluateArch(const laws::MoeArch& arch, int64_t index, double prune_above,
                             CandidateResult& out) {
  out = CandidateResult{};
  out.index = index;
  auto& v = out.values;
  v[static_cast<size_t>(ArchDim::kHiddenSize)] = arch.hidden_size;
  v[static_cast<size_t>(ArchDim::kNumLayers)] = arch.num_layers;
  v[static_cast<size_t>(ArchDim::kNumExperts)] = arch.moe.num_experts;
  v[static_cast<size_t>(ArchDim::kTopK)] = arch.moe.top_k;
  v[static_cast<size_t>(ArchDim::kExpertWidth)] = arch.moe.expert.intermediate_size;
  v[static_cast<size_t>(ArchDim::kSharedExperts)] = arch.moe.num_shared_experts;
  v[static_cast<size_t>(ArchDim::kFirstDenseLayers)] = arch.moe.first_dense_layers;
  v[static_cast<size_t>(ArchDim::kNumHeads)] = arch.attention.num_heads;
  v[static_cast<size_t>(ArchDim::kNumKvHeads)] = arch.attention.num_kv_heads;
  v[static_cast<size_t>(ArchDim::kHeadDim)] = arch.attention.QkHeadDim();
  v[static_cast<size_t>(ArchDim::kDenseFfnWidth)] = arch.dense_ffn.intermediate_size;
  v[static_cast<size_t>(ArchDim::kVocabSize)] = arch.vocab_size;
  v[static_cast<size_t>(ArchDim::kSeqLen)] = arch.seq_len;
  if (!laws::Validate(arch, "candidate").ok()) {
    out.reject = Reject::kInvalidArch;
    return;
  }
  Score(arch, prune_above, out);
}

double Evaluator::ObjectiveFor(CandidateResult& out, double tokens_per_second) const {
  out.tokens_per_second = tokens_per_second;
  const double n = loss_.params == LawParams::kActive ? static_cast<double>(out.active_params)
                                                      : static_cast<double>(out.total_params);
  switch (options_.objective) {
    case Objective::kLossAtCompute:
      out.seconds = out.tokens / tokens_per_second;
      return out.loss;
    case Objective::kLossInTime:
      out.tokens = tokens_per_second * options_.seconds;
      out.compute = out.tokens * out.flops_per_token;
      out.loss = scaling::ChinchillaLoss(law_at_arch_, n, out.tokens);
      out.seconds = options_.seconds;
      return out.loss;
    case Objective::kTimeToLoss:
      out.seconds = out.tokens / tokens_per_second;
      return out.seconds;
  }
  return kInf;
}

void Evaluator::Score(const laws::MoeArch& arch, double prune_above, CandidateResult& out) {
  laws::CountingOptions counting;
  counting.include_embedding = true;
  counting.include_lm_head = true;
  const laws::Triad triad = laws::CountTriad(arch, counting);
  const laws::ComponentCount& emb = triad[laws::Component::kEmbedding];
  const laws::ComponentCount& head = triad[laws::Component::kLmHead];
  out.total_params = triad.total_params;
  out.active_params = triad.active_params;
  out.total_params_nonemb = triad.total_params - emb.params - head.params;
  out.active_params_nonemb = triad.active_params - emb.active_params - head.active_params;
  out.model_flops_per_token = triad.flops_per_token;
  out.flops_per_token = triad.flops_per_token - head.flops_per_token;
  out.effective_experts = EffectiveExperts(triad);
  const Constraints& c = space_.constraints;
  auto reject = [&](Reject r) { out.reject = r; };
  if (c.max_total_params > 0 && static_cast<double>(out.total_params) > c.max_total_params) {
    return reject(Reject::kMaxTotalParams);
  }
  if (c.max_active_params > 0 && static_cast<double>(out.active_params) > c.max_active_params) {
    return reject(Reject::kMaxActiveParams);
  }
  if (OffTarget(c.flops_per_token, out.flops_per_token)) return reject(Reject::kTriadM);
  if (OffTarget(c.active_params, static_cast<double>(out.active_params_nonemb))) {
    return reject(Reject::kTriadActive);
  }
  if (OffTarget(c.total_params, static_cast<double>(out.total_params_nonemb))) {
    return reject(Reject::kTriadTotal);
  }
  const double n = loss_.params == LawParams::kActive ? static_cast<double>(out.active_params)
                                                      : static_cast<double>(out.total_params);
  // The law this architecture sees (joint MoE law: at its E_eff), once per architecture.
  if (loss_.kind != LossModel::Kind::kAllocation &&
      !loss_.AtExperts(out.effective_experts, law_at_arch_)) {
    return reject(Reject::kLawDomain);
  }
  // Arch-level part of the objective and its bound over every possible layout.
  const double max_tps = static_cast<double>(fleet_.num_gpus) * peak_ / out.flops_per_token;
  double bound = 0;
  switch (options_.objective) {
    case Objective::kLossAtCompute:
      out.compute = options_.compute;
      out.tokens = options_.compute / out.flops_per_token;
      out.loss = loss_.kind == LossModel::Kind::kAllocation
                     ? std::abs(std::log(out.flops_per_token / m_opt_))
                     : scaling::ChinchillaLoss(law_at_arch_, n, out.tokens);
      bound = out.loss;
      break;
    case Objective::kLossInTime:
      // No layout beats max_tps and the law decreases in D: a lower bound on the loss.
      bound = scaling::ChinchillaLoss(law_at_arch_, n, max_tps * options_.seconds);
      break;
    case Objective::kTimeToLoss:
      out.tokens = ChinchillaTokensForLoss(law_at_arch_, n, options_.target_loss);
      if (!std::isfinite(out.tokens)) return reject(Reject::kLossUnreachable);
      out.compute = out.tokens * out.flops_per_token;
      out.loss = scaling::ChinchillaLoss(law_at_arch_, n, out.tokens);  // the target
      bound = out.tokens / max_tps;
      break;
  }
  if (bound > prune_above) {
    out.objective = bound;
    return reject(Reject::kPruned);
  }
  if (options_.fixed_mfu > 0) {
    const double tps = static_cast<double>(fleet_.num_gpus) *
                       fleet_.hardware.device.peak_flops_bf16 * options_.fixed_mfu /
                       out.model_flops_per_token;
    out.mfu = options_.fixed_mfu;
    out.objective = ObjectiveFor(out, tps);
    return;
  }
  SearchLayouts(arch, out);
}

void Evaluator::SearchLayouts(const laws::MoeArch& arch, CandidateResult& out) {
  Result<sim::ModelProfile> profile = sim::BuildProfile(arch);
  if (!profile) {
    out.reject = Reject::kInvalidArch;
    return;
  }
  const LayoutDims& dims = space_.layout;
  const double capacity_limit = static_cast<double>(fleet_.hardware.device.hbm_bytes) *
                                (1.0 - space_.constraints.memory_headroom);
  const bool moe = arch.IsMoe();
  bool any_valid = false;
  double best_tps = 0;
  sim::StepEstimate best_estimate;
  for (int64_t tp : dims.tp) {
    for (int64_t cp : dims.cp) {
      for (int64_t ep : dims.ep) {
        if (!moe && ep != 1) continue;
        for (int64_t etp : dims.etp) {
          for (int64_t mbs : dims.mbs) {
            sim::Layout base;
            base.tp = tp;
            base.cp = cp;
            base.ep = ep;
            base.etp = moe ? etp : 0;
            base.mbs = mbs;
            base.gbs = dims.gbs;
            base.sharding = dims.sharding;
            base.precision = dims.precision;
            base.recompute_modules = dims.recompute_modules;
            std::optional<sim::LoweredModel> lowered;
            for (int64_t pp : dims.pp) {
              for (int64_t vpp : dims.vpp) {
                sim::Layout layout = base;
                layout.pp = pp;
                layout.vpp = vpp;
                if (sim::DiagnoseLayout(layout, arch, fleet_) != sim::LayoutIssue::kNone) continue;
                any_valid = true;
                if (!lowered) {
                  lowered = sim::LowerModel(*profile, layout, fleet_.hardware, options_.sim);
                }
                for (sim::Recompute recompute : dims.recompute) {
                  layout.recompute = recompute;
                  const sim::StepEstimate e =
                      sim::EstimateStep(*profile, *lowered, layout, fleet_, options_.sim);
                  ++out.layouts_estimated;
                  if (e.memory.Required() > capacity_limit) continue;
                  const double tps = static_cast<double>(layout.gbs) *
                                     static_cast<double>(arch.seq_len) / e.step_time;
                  if (tps > best_tps) {
                    best_tps = tps;
                    best_estimate = e;
                    out.layout = layout;
                    out.has_layout = true;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  if (!out.has_layout) {
    out.reject = any_valid ? Reject::kMemory : Reject::kNoValidLayout;
    return;
  }
  out.step_time = best_estimate.step_time;
  out.mfu = best_estimate.throughput.mfu[static_cast<size_t>(sim::FlopConvention::kFull)];
  out.memory_bytes = best_estimate.memory.Required();
  out.objective = ObjectiveFor(out, best_tps);
}

}  // namespace moeplan::plan
