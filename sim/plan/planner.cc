//===- sim/plan/planner.cc - The compute-optimal, hardware-feasible MoE ---===//
#include "sim/plan/planner.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "laws/scaling/chinchilla_optimum.h"
#include "laws/scaling/routed_forms.h"

namespace moeplan::plan {
namespace {

double PowerLawAt(const scaling::LawFile& file, std::string_view target, double c) {
  const scaling::Law* law = scaling::FindLaw(file, target);
  if (law == nullptr) return 0;
  Result<scaling::BoundLaw> bound = scaling::BoundLaw::Bind(*law);
  return bound ? bound->Predict({c}) : 0;
}

// Compute at which the Chinchilla optimum reaches `target` (bisection in log C).
double ComputeForLoss(const LossModel& loss, double target) {
  double lo = 1e15, hi = 1e30;
  for (int i = 0; i < 200; ++i) {
    const double mid = std::sqrt(lo * hi);
    if (scaling::ChinchillaOptimum(loss.chinchilla, mid).loss > target) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

double LawParamsOf(const LossModel& loss, const CandidateResult& c) {
  return loss.params == LawParams::kActive ? static_cast<double>(c.active_params)
                                           : static_cast<double>(c.total_params);
}

// Joint MoE law: delta method over the 11 coefficients (central differences, the coefficients
// taken as independent) when standard errors are known, else no interval.
void JointInterval(const LossModel& loss, const CandidateResult& best, PlanResult& plan) {
  const double n = LawParamsOf(loss, best), e = best.effective_experts;
  double var = 0;
  bool any = false;
  for (size_t i = 0; i < loss.joint.size(); ++i) {
    const double se = loss.joint_std_errors[i];
    if (!(se > 0)) continue;
    any = true;
    JointMoeValues hi = loss.joint, lo = loss.joint;
    const double h = 1e-6 * std::max(std::abs(loss.joint[i]), 1e-3);
    hi[i] += h;
    lo[i] -= h;
    const double grad = (scaling::JointMoeLoss(hi, n, best.tokens, e) -
                         scaling::JointMoeLoss(lo, n, best.tokens, e)) /
                        (2 * h);
    var += grad * grad * se * se;
  }
  if (!any) {
    plan.has_interval = false;
    plan.loss_low = plan.loss_high = best.loss;
    plan.interval_note = "no interval: the law has no standard errors";
    return;
  }
  const double half = 1.96 * std::sqrt(var);
  plan.loss_low = best.loss - half;
  plan.loss_high = best.loss + half;
  plan.interval_note =
      "95% interval, delta method on the coefficient standard errors taken as independent";
}

void Interval(const LossModel& loss, const CandidateResult& best, PlanResult& plan) {
  if (loss.kind == LossModel::Kind::kAllocation) {
    plan.has_interval = false;
    plan.loss_low = plan.loss_high = best.loss;
    plan.interval_note = "allocation law: no loss prediction (value is |ln(M / M_opt(C))|)";
    return;
  }
  if (loss.kind == LossModel::Kind::kJointMoe) return JointInterval(loss, best, plan);
  const scaling::ChinchillaCoefficients& c = loss.chinchilla;
  const double n = LawParamsOf(loss, best);
  const double d = best.tokens;
  const double tn = std::pow(n, -c.alpha), td = std::pow(d, -c.beta);
  const std::array<double, 5> grad = {tn, td, 1.0, -c.A * std::log(n) * tn,
                                      -c.B * std::log(d) * td};
  double var = 0;
  bool any = false;
  for (size_t i = 0; i < 5; ++i) {
    var += grad[i] * grad[i] * loss.std_errors[i] * loss.std_errors[i];
    any = any || loss.std_errors[i] > 0;
  }
  if (any) {
    const double half = 1.96 * std::sqrt(var);
    plan.loss_low = best.loss - half;
    plan.loss_high = best.loss + half;
    plan.interval_note =
        "95% interval, delta method on the coefficient standard errors taken as independent";
  } else {
    plan.loss_low = best.loss * 0.99;
    plan.loss_high = best.loss * 1.01;
    plan.interval_note = "stated +-1% band: the law publishes no standard errors";
  }
}

// The variables of the loss law "L" outside its fitted range at the chosen candidate.
std::vector<Extrapolation> OutOfRange(const scaling::LawFile& file, const LossModel& loss,
                                      const CandidateResult& best) {
  std::vector<Extrapolation> out;
  const scaling::Law* law = scaling::FindLaw(file, "L");
  if (law == nullptr || loss.kind == LossModel::Kind::kAllocation) return out;
  for (const scaling::FittedRange& range : law->fitted_range) {
    double value = 0;
    if (range.symbol == "N") {
      value = LawParamsOf(loss, best);
    } else if (range.symbol == "D") {
      value = best.tokens;
    } else if (range.symbol == "E" && loss.kind == LossModel::Kind::kJointMoe) {
      value = best.effective_experts;
    } else {
      continue;
    }
    if (value < range.min || value > range.max) {
      out.push_back({range.symbol, value, range.min, range.max});
    }
  }
  return out;
}

}  // namespace

int64_t GlobalBatchFor(const scaling::LawFile& hyper_law, double compute, int64_t seq_len) {
  const double b = PowerLawAt(hyper_law, "B_opt", compute);
  if (!(b > 0)) return 1024;
  const double sequences = b / static_cast<double>(seq_len);
  const double p = std::round(std::log2(std::max(1.0, sequences)));
  return int64_t{1} << static_cast<int>(std::clamp(p, 0.0, 24.0));
}

Result<PlanResult> Plan(const PlanRequest& request) {
  Result<LossModel> loss = MakeLossModel(request.law, request.law_params);
  if (!loss) return loss.error();
  PlanResult plan;
  plan.framework = request.sim;
  SweepSpace space = request.space;
  EvalOptions eval;
  eval.objective = request.objective;
  eval.compute = request.compute;
  eval.seconds = request.seconds;
  eval.target_loss = request.target_loss;
  eval.fixed_mfu = request.fixed_mfu;
  eval.sim = request.sim;
  double c_est = request.compute;
  if (request.objective == Objective::kLossInTime) {
    c_est = 0.4 * static_cast<double>(request.fleet.num_gpus) *
            request.fleet.hardware.device.peak_flops_bf16 * request.seconds;
  } else if (request.objective == Objective::kTimeToLoss) {
    if (loss->kind == LossModel::Kind::kAllocation) {
      return Error{"--target-loss needs a loss law (chinchilla or joint_moe form), e.g. epoch2024"};
    }
    // Joint MoE law: the dense (E = 1) law, an upper bound on the compute (only sets the batch).
    c_est = ComputeForLoss(*loss, request.target_loss);
  }
  if (space.layout.gbs == 0) {
    space.layout.gbs =
        GlobalBatchFor(request.hyper_law, c_est, space.values(ArchDim::kSeqLen).front());
  }
  plan.global_batch = space.layout.gbs;
  SweepOptions options;
  options.eval = eval;
  options.reduce.top_k = 1;
  options.reduce.band_eps = request.band_eps;
  options.threads = request.threads;
  Result<SweepResult> sweep = RunSweep(space, request.fleet, *loss, options);
  if (!sweep) return sweep.error();
  plan.stats = sweep->stats;
  plan.seconds = sweep->seconds;
  if (sweep->reducer.top().empty()) {
    return Error{"no feasible candidate: " + ExplainRejects(sweep->stats)};
  }
  Evaluator evaluator(space, request.fleet, *loss, eval);
  const int64_t best_index = sweep->reducer.top().front().index;
  evaluator.Evaluate(best_index, std::numeric_limits<double>::infinity(), plan.best);
  (void)BuildArch(space, plan.best.values, plan.arch);
  plan.arch.name = "moeplan-plan";
  const double c_best = plan.best.compute;
  plan.learning_rate = PowerLawAt(request.hyper_law, "eta_opt", c_best);
  plan.batch_tokens = PowerLawAt(request.hyper_law, "B_opt", c_best);
  Interval(*loss, plan.best, plan);
  plan.extrapolation = OutOfRange(request.law, *loss, plan.best);
  const std::vector<Entry> band = sweep->reducer.Band();
  plan.band_size = static_cast<int64_t>(band.size());
  plan.band_truncated = sweep->reducer.band_truncated();
  for (size_t dim = 0; dim < kNumArchDims; ++dim) {
    DimRange& r = plan.band_ranges[dim];
    r.min = std::numeric_limits<int64_t>::max();
    r.max = std::numeric_limits<int64_t>::min();
  }
  for (const Entry& e : band) {
    const auto values = DecodeArchValues(space, e.index);
    for (size_t dim = 0; dim < kNumArchDims; ++dim) {
      plan.band_ranges[dim].min = std::min(plan.band_ranges[dim].min, values[dim]);
      plan.band_ranges[dim].max = std::max(plan.band_ranges[dim].max, values[dim]);
    }
  }
  if (request.flops_only_comparison && request.fixed_mfu == 0 && plan.best.mfu > 0) {
    SweepOptions flops_only = options;
    flops_only.eval.fixed_mfu = plan.best.mfu;
    flops_only.reduce.band_eps = -1;
    Result<SweepResult> f = RunSweep(space, request.fleet, *loss, flops_only);
    if (f && !f->reducer.top().empty()) {
      plan.has_flops_only = true;
      plan.flops_only_fixed_mfu = plan.best.mfu;
      evaluator.Evaluate(f->reducer.top().front().index, std::numeric_limits<double>::infinity(),
                         plan.flops_only);
    }
  }
  return plan;
}

Result<nlohmann::ordered_json> ExportHfConfig(const laws::MoeArch& a) {
  nlohmann::ordered_json j;
  const laws::AttentionSpec& att = a.attention;
  j["vocab_size"] = a.vocab_size;
  j["hidden_size"] = a.hidden_size;
  j["num_hidden_layers"] = a.num_layers;
  j["num_attention_heads"] = att.num_heads;
  j["tie_word_embeddings"] = a.tied_embeddings;
  j["max_position_embeddings"] = a.seq_len;
  j["rms_norm_eps"] = 1e-6;
  j["torch_dtype"] = "bfloat16";
  if (!a.dense_ffn.gated) return Error{"export: plain (non-gated) FFNs have no HF family here"};
  if (att.type == laws::AttentionType::kMultiLatent) {
    if (!a.IsMoe()) return Error{"export: dense MLA models have no HF family here"};
    j["model_type"] = "deepseek_v3";
    j["architectures"] = {"DeepseekV3ForCausalLM"};
    j["num_key_value_heads"] = att.num_heads;
    j["q_lora_rank"] = att.q_lora_rank;
    j["kv_lora_rank"] = att.kv_lora_rank;
    j["qk_nope_head_dim"] = att.qk_nope_head_dim;
    j["qk_rope_head_dim"] = att.qk_rope_head_dim;
    j["v_head_dim"] = att.v_head_dim;
    j["attention_bias"] = false;
    j["n_routed_experts"] = a.moe.num_experts;
    j["num_experts_per_tok"] = a.moe.top_k;
    j["moe_intermediate_size"] = a.moe.expert.intermediate_size;
    j["n_shared_experts"] = a.moe.num_shared_experts;
    j["first_k_dense_replace"] = a.moe.first_dense_layers;
    j["moe_layer_freq"] = 1;
    j["intermediate_size"] = a.dense_ffn.intermediate_size > 0 ? a.dense_ffn.intermediate_size
                                                               : a.moe.expert.intermediate_size;
    j["num_nextn_predict_layers"] = a.mtp_layers;
    j["topk_method"] = "noaux_tc";
    j["scoring_func"] = "sigmoid";
    return j;
  }
  j["num_key_value_heads"] = att.num_kv_heads;
  j["head_dim"] = att.head_dim;
  j["attention_bias"] = false;
  if (!a.IsMoe()) {
    j["model_type"] = "llama";
    j["architectures"] = {"LlamaForCausalLM"};
    j["intermediate_size"] = a.dense_ffn.intermediate_size;
    return j;
  }
  // GQA MoE with shared experts and leading dense layers: the GLM-4.5 family expresses all of
  // it (qwen3_moe has QK-norm and no shared experts, so it would not round-trip).
  j["model_type"] = "glm4_moe";
  j["architectures"] = {"Glm4MoeForCausalLM"};
  j["use_qk_norm"] = false;
  j["n_routed_experts"] = a.moe.num_experts;
  j["num_experts_per_tok"] = a.moe.top_k;
  j["moe_intermediate_size"] = a.moe.expert.intermediate_size;
  j["n_shared_experts"] = a.moe.num_shared_experts;
  j["first_k_dense_replace"] = a.moe.first_dense_layers;
  j["intermediate_size"] = a.dense_ffn.intermediate_size > 0 ? a.dense_ffn.intermediate_size
                                                             : a.moe.expert.intermediate_size;
  j["num_nextn_predict_layers"] = a.mtp_layers;
  return j;
}

std::string ExportMegatronArgs(const PlanResult& p) {
  const laws::MoeArch& a = p.arch;
  const sim::Layout& l = p.best.layout;
  std::string s;
  auto arg = [&](std::string text) { s += text + "\n"; };
  arg(fmt::format("--num-layers {}", a.num_layers));
  arg(fmt::format("--hidden-size {}", a.hidden_size));
  arg(fmt::format("--num-attention-heads {}", a.attention.num_heads));
  arg(fmt::format("--seq-length {}", a.seq_len));
  arg(fmt::format("--max-position-embeddings {}", a.seq_len));
  arg("--swiglu");
  arg("--normalization RMSNorm");
  arg("--position-embedding-type rope");
  arg("--disable-bias-linear");
  if (!a.tied_embeddings) arg("--untie-embeddings-and-output-weights");
  if (a.attention.type == laws::AttentionType::kMultiLatent) {
    arg("--multi-latent-attention");
    arg(fmt::format("--q-lora-rank {}", a.attention.q_lora_rank));
    arg(fmt::format("--kv-lora-rank {}", a.attention.kv_lora_rank));
    arg(fmt::format("--qk-head-dim {}", a.attention.qk_nope_head_dim));
    arg(fmt::format("--qk-pos-emb-head-dim {}", a.attention.qk_rope_head_dim));
    arg(fmt::format("--v-head-dim {}", a.attention.v_head_dim));
  } else {
    arg("--group-query-attention");
    arg(fmt::format("--num-query-groups {}", a.attention.num_kv_heads));
    arg(fmt::format("--kv-channels {}", a.attention.head_dim));
  }
  if (a.dense_ffn.intermediate_size > 0) {
    arg(fmt::format("--ffn-hidden-size {}", a.dense_ffn.intermediate_size));
  }
  if (a.IsMoe()) {
    arg(fmt::format("--num-experts {}", a.moe.num_experts));
    arg(fmt::format("--moe-router-topk {}", a.moe.top_k));
    arg(fmt::format("--moe-ffn-hidden-size {}", a.moe.expert.intermediate_size));
    if (a.moe.num_shared_experts > 0) {
      arg(fmt::format("--moe-shared-expert-intermediate-size {}",
                      a.moe.num_shared_experts * a.moe.shared_expert.intermediate_size));
    }
    std::string pattern = "([0]*" + std::to_string(a.moe.first_dense_layers) + "+[1]*" +
                          std::to_string(a.num_layers - a.moe.first_dense_layers) + ")";
    arg("--moe-layer-freq \"" + pattern + "\"");
    arg("--moe-router-enable-expert-bias");
    arg("--moe-router-score-function sigmoid");
    if (p.framework.dispatcher == sim::Dispatcher::kDeepEp) {
      arg("--moe-token-dispatcher-type flex");
      arg("--moe-enable-deepep");
    } else if (p.framework.dispatcher == sim::Dispatcher::kHybridEp) {
      arg("--moe-token-dispatcher-type flex");
      arg("--moe-flex-dispatcher-backend hybridep");
    } else {
      arg("--moe-token-dispatcher-type alltoall");
    }
    if (p.framework.moe_a2a_overlap) arg("--overlap-moe-expert-parallel-comm");
    if (p.framework.shared_expert_overlap && a.moe.num_shared_experts > 0) {
      arg("--moe-shared-expert-overlap");
    }
    if (p.framework.capacity_factor > 0) {
      arg(fmt::format("--moe-expert-capacity-factor {:g}", p.framework.capacity_factor));
    }
    arg("--moe-grouped-gemm");
  }
  arg(fmt::format("--vocab-size {}", a.vocab_size));
  if (p.framework.cuda_graphs) arg("--cuda-graph-impl transformer_engine");
  if (p.framework.cuda_graph_scope != 0) {
    std::string scopes;
    for (int i = 0; i < sim::kNumGraphScopes; ++i) {
      const auto scope = static_cast<sim::GraphScope>(i);
      if ((p.framework.cuda_graph_scope & sim::GraphScopeBit(scope)) != 0) {
        scopes += fmt::format(" {}", sim::ToString(scope));
      }
    }
    arg(fmt::format("--cuda-graph-impl transformer_engine --cuda-graph-scope{}", scopes));
  }
  if (p.best.has_layout) {
    arg(fmt::format("--tensor-model-parallel-size {}", l.tp));
    if (l.SequenceParallel()) arg("--sequence-parallel");
    if (l.tp > 1 && p.framework.tp_comm_overlap) arg("--tp-comm-overlap");
    arg(fmt::format("--pipeline-model-parallel-size {}", l.pp));
    if (l.vpp > 1) {
      arg(fmt::format("--num-virtual-stages-per-pipeline-rank {}", l.vpp));
    }
    if (l.VirtualStages() > a.num_layers) {
      // The simulated split: the embedding and the loss fill a stage each (sim/model_profile.h).
      arg("--account-for-embedding-in-pipeline-split");
      arg("--account-for-loss-in-pipeline-split");
    }
    if (a.IsMoe()) {
      arg(fmt::format("--expert-model-parallel-size {}", l.ep));
      arg(fmt::format("--expert-tensor-parallel-size {}", l.etp));
    }
    arg(fmt::format("--context-parallel-size {}", l.cp));
    arg(fmt::format("--micro-batch-size {}", l.mbs));
    arg(fmt::format("--global-batch-size {}", l.gbs));
    if (l.recompute != sim::Recompute::kNone) {
      arg(fmt::format("--recompute-granularity {}", sim::ToString(l.recompute)));
      if (l.recompute == sim::Recompute::kFull) {
        arg("--recompute-method uniform");
        arg("--recompute-num-layers 1");
      } else {
        // Only the modules this model has: Megatron rejects mla_up_proj without MLA, and the
        // MoE modules mean nothing in a dense model.
        std::string modules;
        for (int i = 0; i < sim::kNumRecomputeModules; ++i) {
          const auto m = static_cast<sim::RecomputeModule>(i);
          if ((l.recompute_modules & sim::ModuleBit(m)) == 0) continue;
          const bool applies =
              m == sim::RecomputeModule::kMlaUpProj
                  ? a.attention.type == laws::AttentionType::kMultiLatent
              : m == sim::RecomputeModule::kMoe || m == sim::RecomputeModule::kMoeAct ? a.IsMoe()
              : m == sim::RecomputeModule::kSharedExperts
                  ? a.IsMoe() && a.moe.num_shared_experts > 0
              : m == sim::RecomputeModule::kMlp ? a.dense_ffn.intermediate_size > 0
                                                : true;
          if (applies) modules += std::string(" ") + sim::ToString(m);
        }
        if (!modules.empty()) arg("--recompute-modules" + modules);
      }
    }
    if (l.sharding == sim::Sharding::kOptimizer) arg("--use-distributed-optimizer");
    if (l.precision == hw::Precision::kFp8) arg("--fp8-format hybrid");
    arg("--bf16");
  }
  const double seq = static_cast<double>(a.seq_len);
  const double gbs = static_cast<double>(p.best.has_layout ? l.gbs : p.global_batch);
  arg(fmt::format("--train-iters {}",
                  static_cast<int64_t>(std::ceil(p.best.tokens / (gbs * seq)))));
  arg(fmt::format("--lr {:.4g}", p.learning_rate));
  arg("--lr-decay-style cosine");
  return s;
}

nlohmann::ordered_json PlanToJson(const PlanResult& p, const PlanRequest& request) {
  nlohmann::ordered_json j;
  j["format"] = "moeplan-plan";
  j["version"] = 1;
  j["objective"] = ToString(request.objective);
  j["fleet"] = {{"hardware", request.fleet.hardware.name}, {"gpus", request.fleet.num_gpus}};
  j["law"] = request.law.name;
  nlohmann::ordered_json arch;
  for (size_t i = 0; i < kNumArchDims; ++i)
    arch[ToString(static_cast<ArchDim>(i))] = p.best.values[i];
  arch["attention"] = p.arch.attention.type == laws::AttentionType::kMultiLatent ? "mla" : "gqa";
  j["architecture"] = arch;
  j["params"] = {{"total", p.best.total_params},
                 {"active", p.best.active_params},
                 {"total_nonembedding", p.best.total_params_nonemb},
                 {"active_nonembedding", p.best.active_params_nonemb},
                 {"convention", "total/active include embedding and LM head"}};
  j["flops_per_token"] = {{"M", p.best.flops_per_token},
                          {"convention", "non-embedding, forward+backward, attention full"}};
  j["tokens"] = p.best.tokens;
  j["compute"] = p.best.compute;
  j["learning_rate"] = p.learning_rate;
  j["batch_size_tokens"] = p.batch_tokens;
  j["global_batch_sequences"] = p.global_batch;
  j["experts_effective"] = {
      {"E_eff", p.best.effective_experts},
      {"convention", "total / active FFN parameters (routed + shared experts + dense FFNs)"}};
  j["loss"] = {{"predicted", p.best.loss},
               {"low", p.has_interval ? nlohmann::ordered_json(p.loss_low) : nullptr},
               {"high", p.has_interval ? nlohmann::ordered_json(p.loss_high) : nullptr},
               {"note", p.interval_note}};
  nlohmann::ordered_json outside = nlohmann::ordered_json::array();
  for (const Extrapolation& e : p.extrapolation) {
    outside.push_back({{"variable", e.variable},
                       {"value", e.value},
                       {"fitted_min", e.min},
                       {"fitted_max", e.max}});
  }
  j["extrapolation"] = {{"in_fitted_range", p.extrapolation.empty()}, {"outside", outside}};
  if (p.best.has_layout) {
    j["layout"] = p.best.layout.ToString();
    j["step_time_s"] = p.best.step_time;
    j["memory_per_gpu_bytes"] = p.best.memory_bytes;
  }
  j["mfu"] = p.best.mfu;
  j["days"] = p.best.seconds / 86400.0;
  j["gpu_hours"] = p.best.seconds / 3600.0 * static_cast<double>(request.fleet.num_gpus);
  nlohmann::ordered_json band;
  band["eps"] = request.band_eps;
  band["size"] = p.band_size;
  band["truncated"] = p.band_truncated;
  for (size_t i = 0; i < kNumArchDims; ++i) {
    band["ranges"][ToString(static_cast<ArchDim>(i))] = {p.band_ranges[i].min,
                                                         p.band_ranges[i].max};
  }
  j["band"] = band;
  if (p.has_flops_only) {
    const CandidateResult& f = p.flops_only;
    nlohmann::ordered_json fo;
    for (size_t i = 0; i < kNumArchDims; ++i) fo[ToString(static_cast<ArchDim>(i))] = f.values[i];
    j["flops_only"] = {{"assumed_mfu", p.flops_only_fixed_mfu},
                       {"architecture", fo},
                       {"on_fleet", ToString(f.reject)},
                       {"objective_on_fleet", f.objective},
                       {"mfu_on_fleet", f.mfu}};
  }
  j["stats"] = p.stats.ToJson();
  return j;
}

}  // namespace moeplan::plan
