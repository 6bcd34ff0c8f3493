//===- laws/scaling/law_presets.cc - Published scaling-law fits -----------===//
#include "laws/scaling/law_presets.h"

#include <fmt/format.h>

#include <filesystem>

#include "laws/scaling/law_json.h"

namespace moeplan::scaling {
namespace {

using laws::FlopPass;

Coefficient Coef(std::string name, double value, std::optional<double> std_error = {},
                 std::string note = "") {
  return {std::move(name), value, std_error, {}, {}, std::move(note)};
}

// A loss law of Chinchilla form with N = all parameters and D = tokens, C = 6 N D.
Law ChinchillaLaw(std::vector<Coefficient> coefficients, std::vector<FittedRange> range,
                  std::string note) {
  Law law;
  law.form = FormSpec{FormType::kChinchilla, {}, {}, {}};
  law.target = {"L", "final training loss, nats per token (MassiveText, Hoffmann et al.)", 1.0, {}};
  law.variables = {{"N",
                    "model parameters, all counted (embeddings included; Pearce & Song 2024, "
                    "arXiv:2406.12907)",
                    1.0,
                    {}},
                   {"D", "training tokens (C = 6 N D FLOPs)", 1.0, {}}};
  law.coefficients = std::move(coefficients);
  law.fitted_range = std::move(range);
  law.note = std::move(note);
  return law;
}

// X_opt = k (C / c_unit)^e * x_unit.
Law PowerLaw(LawQuantity target, LawQuantity compute, double k, double e,
             std::vector<FittedRange> range, std::string note = "") {
  Law law;
  law.form = FormSpec{FormType::kPowerLaw, {}, {}, {}};
  law.target = std::move(target);
  law.variables = {std::move(compute)};
  law.coefficients = {Coef("k", k), Coef("e", e)};
  law.fitted_range = std::move(range);
  law.note = std::move(note);
  return law;
}

LawFile Hoffmann2022() {
  LawFile file;
  file.name = "hoffmann2022";
  file.description = "Chinchilla loss law L(N, D), Hoffmann et al. 2022, Approach 3";
  file.provenance.source =
      "Hoffmann et al. 2022, Training Compute-Optimal Large Language Models, arXiv:2203.15556, "
      "Sec. 3.3 (Approach 3)";
  file.provenance.method =
      "Huber loss (delta 1e-3) on log-loss residuals, L-BFGS from a grid of starting points, "
      "on the paper's own runs (over 400 models, 70M to 16B parameters, 5B to 500B tokens)";
  file.provenance.notes =
      "Published to 2-4 significant digits without standard errors. Besiroglu et al. 2024 "
      "(arXiv:2404.10102) refit the paper's Figure 4 data and could not reproduce these "
      "values (their fit: E 1.82, A 482, B 2085, alpha 0.348, beta 0.366); treat E, A and B as "
      "uncertain and prefer epoch2024 for extrapolation";
  file.laws.push_back(
      ChinchillaLaw({Coef("A", 406.4, {}, "uncertain: not reproducible from the published data"),
                     Coef("B", 410.7, {}, "uncertain: not reproducible from the published data"),
                     Coef("E", 1.69, {}, "uncertain: rounded; Epoch's refit gives 1.82"),
                     Coef("alpha", 0.34), Coef("beta", 0.28)},
                    {{"N", 7e7, 1.6e10}, {"D", 5e9, 5e11}},
                    "N_opt ~ C^0.45 and D_opt ~ C^0.55 by the closed form beta/(alpha+beta)"));
  return file;
}

LawFile Epoch2024() {
  LawFile file;
  file.name = "epoch2024";
  file.description = "Chinchilla loss law L(N, D), Epoch replication (Besiroglu et al. 2024)";
  file.provenance.source =
      "Besiroglu, Erdil, Barnett & You 2024, Chinchilla Scaling: A Replication Attempt, "
      "arXiv:2404.10102; data: epoch-research/analyzing-chinchilla, "
      "data/svg_extracted_data.csv (245 runs digitised from Hoffmann et al.'s Figure 4)";
  file.provenance.method =
      "240 points (the 5 highest losses dropped); Huber loss on log-loss residuals with a "
      "fitted scale, BFGS; standard errors from a bootstrap";
  file.provenance.notes =
      "Coefficients and standard errors as published; the data are digitised from a figure, "
      "so N and C carry digitisation error. A plain Huber fit (delta 1e-3) on the same points "
      "gives A 477.84, B 2143.86, E 1.81724, alpha 0.347313, beta 0.367183";
  Law law = ChinchillaLaw(
      {Coef("A", 482.01, 124.5), Coef("B", 2085.43, 1293.3), Coef("E", 1.8169, 0.0257),
       Coef("alpha", 0.3478, 0.0154), Coef("beta", 0.3658, 0.0206)},
      {{"N", 5.73e7, 1.62e10}, {"D", 8.19e8, 3.18e11}, {"C", 1.40e18, 1.30e22}},
      "fitted range: the 240 points of the reconstruction");
  file.laws.push_back(std::move(law));
  return file;
}

LawFile DeepseekLlm2024() {
  const LawQuantity compute{"C",
                            "training compute C = M D, FLOPs (M: non-embedding forward+backward "
                            "FLOPs per token)",
                            1.0, FlopPass::kForwardBackward};
  LawFile file;
  file.name = "deepseek-llm-2024";
  file.description = "Compute-optimal M, D, learning rate and batch size of DeepSeek LLM";
  file.provenance.source =
      "DeepSeek-AI 2024, DeepSeek LLM: Scaling Open-Source Language Models with Longtermism, "
      "arXiv:2401.02954, Eq. 1 (eta_opt, B_opt) and Eq. 4 (M_opt, D_opt)";
  file.provenance.method =
      "IsoFLOP profiles and hyper-parameter grid searches on small budgets, power-law fits of "
      "the optima against C";
  file.provenance.notes =
      "M = 72 n_layer d_model^2 + 12 n_layer d_model l_seq: non-embedding, forward+backward, "
      "attention counted full (moeplan's default convention). Fitted ranges as read from the "
      "paper's text: 1e17-3e20 FLOPs for M and D; the hyper-parameter laws were fitted on "
      "budgets up to about 2e19 (uncertain)";
  file.laws.push_back(
      PowerLaw({"M_opt", "compute-optimal non-embedding FLOPs per token, forward+backward", 1.0,
                FlopPass::kForwardBackward},
               compute, 0.1715, 0.5243, {{"C", 1e17, 3e20}}));
  file.laws.push_back(PowerLaw({"D_opt", "compute-optimal training tokens", 1.0, {}}, compute,
                               5.8316, 0.4757, {{"C", 1e17, 3e20}}));
  file.laws.push_back(PowerLaw({"eta_opt", "optimal peak learning rate", 1.0, {}}, compute, 0.3118,
                               -0.1250, {{"C", 1e17, 2e19}},
                               "fitted range uncertain (small-budget grid search)"));
  file.laws.push_back(PowerLaw({"B_opt", "optimal batch size, tokens", 1.0, {}}, compute, 0.2920,
                               0.3271, {{"C", 1e17, 2e19}},
                               "fitted range uncertain (small-budget grid search)"));
  return file;
}

LawFile Ling2025() {
  const LawQuantity compute{
      "C",
      "compute C = M D with M forward-only, hence forward FLOPs (a third of training FLOPs); "
      "inferred from k_M k_D = 0.1915 x 5.2232 = 1.0002, not stated by the source",
      1.0, FlopPass::kForward};
  LawFile file;
  file.name = "ling2025";
  file.description = "Compute-optimal M and D for MoE models of the Ling team (Tian et al.)";
  file.provenance.source =
      "Tian, Chen, Liu, Liu, Zhang & Zhou 2025, Towards Greater Leverage: Scaling Laws for "
      "Efficient Mixture-of-Experts Language Models, arXiv:2507.17702";
  file.provenance.method = "IsoFLOP-style fits of the optima of MoE runs against compute";
  file.provenance.notes =
      "M is FORWARD-ONLY non-embedding FLOPs per token, unlike DeepSeek and moeplan (forward + "
      "backward = 3 x forward): multiply M_opt by 3 before comparing. Coefficients as quoted in "
      "moeplan issue 3, not re-checked against the paper's text; the meaning of C is inferred";
  file.laws.push_back(
      PowerLaw({"M_opt", "compute-optimal non-embedding FLOPs per token, FORWARD ONLY", 1.0,
                FlopPass::kForward},
               compute, 0.1915, 0.5095, {}));
  file.laws.push_back(
      PowerLaw({"D_opt", "compute-optimal training tokens", 1.0, {}}, compute, 5.2232, 0.4905, {}));
  return file;
}

LawFile Wan2026() {
  const LawQuantity compute{"C", "training compute C = M D, in units of 1e18 FLOPs", 1e18,
                            FlopPass::kForwardBackward};
  LawFile file;
  file.name = "wan2026";
  file.description = "Holistic compute-optimal M and D of Wan et al. for MoE models";
  file.provenance.source =
      "Wan, Han, Zhang & Jin 2026, Holistic Scaling Laws for Optimal Mixture-of-Experts "
      "Architecture Optimization, arXiv:2603.21862";
  file.provenance.method = "phase-1 fits of the optima of MoE runs against compute";
  file.provenance.notes =
      "The source gives C in units of 1e18 FLOPs but does not state the units of M and D. "
      "moeplan reads M in 1e10 FLOPs/token and D in 1e8 tokens: then M_opt D_opt = "
      "0.0437 x 22.89 x 1e18 C = 1.0003 C, and at C = 1e20 M_opt = 5.34e9 and D_opt = 1.87e10, "
      "close to DeepSeek LLM's independent fit (5.25e9, 1.90e10); over 1e18-1e22 FLOPs M_opt "
      "stays within 0.93-1.11x and D_opt within 0.90-1.07x of DeepSeek's. The other reading "
      "consistent with C = M D (1e9 and 1e9) implies about 10x more "
      "tokens than every neighbouring law. M is assumed non-embedding forward+backward like "
      "DeepSeek's (the agreement supports it; not stated)";
  file.laws.push_back(
      PowerLaw({"M_opt",
                "compute-optimal non-embedding FLOPs per token (assumed forward+backward), "
                "in units of 1e10 (unit inferred, see provenance)",
                1e10, FlopPass::kForwardBackward},
               compute, 0.0437, 0.5437, {}, "unit of M inferred (1e10 FLOPs/token)"));
  file.laws.push_back(PowerLaw(
      {"D_opt", "compute-optimal training tokens, in units of 1e8 (unit inferred)", 1e8, {}},
      compute, 22.89, 0.4563, {}, "unit of D inferred (1e8 tokens)"));
  return file;
}

LawFile Ludziejewski2025() {
  LawFile file;
  file.name = "ludziejewski2025";
  file.description =
      "Joint MoE loss law L(N_act, D, E) of Ludziejewski et al. 2025 (dense and top-1 MoE)";
  file.provenance.source =
      "Ludziejewski, Pioro, Krajewski, Stefaniak, Krutul, Malasnicki, Cygan, Sankowski, "
      "Adamczewski, Milos & Jaszczur 2025, Joint MoE Scaling Laws: Mixture of Experts Can Be "
      "Memory Efficient, ICML 2025 (PMLR 267), arXiv:2502.05172, "
      "https://arxiv.org/abs/2502.05172: form Eq. 6, E transform Eq. 4, coefficients App. B "
      "Table 3, per-E Chinchilla reduction Table 4, compute-optimal examples Sec. 4.1 Table 1, "
      "parameter and FLOP counting App. A";
  file.provenance.method =
      "L-BFGS (lr 1e-4, weight decay 1e-5) on a Huber loss (delta 0.01) of log L, a, b and c "
      "fitted in log, from a grid of starts; outliers down-weighted in proportion to their "
      "loss; the fit with the lowest train + held-out RMSE kept (RMSE 0.0062 on the training "
      "runs, 0.0039 on the 30 lowest-loss held-out runs). Over 280 runs: decoder-only "
      "Transformers on FineWeb-Edu, GPT-2 tokenizer (vocab 50,257), SwiGLU FFN of width "
      "3 d_model, Switch top-1 MoE in every block with experts of the dense FFN's size, "
      "n_blocks = n_heads = d_model/64, trapezoidal learning-rate schedule";
  file.provenance.notes =
      "Point estimates as published (4 decimals), no standard errors. N_act counts active "
      "parameters WITH embedding and unembedding (App. A.1: N_act = 2 d_model d_vocab + 13 "
      "n_blocks d_model^2, N_total = 2 d_model d_vocab + (4 + 9E) n_blocks d_model^2); their "
      "36% and 61% fewer FLOPs/token of the E = 2 and E = 4 1.1B-total models hold only with "
      "embeddings counted. FLOPs: C = 6 N_act D (App. A.2, routing neglected). E: number of "
      "experts of a top-1 MoE with experts as large as the dense FFN (granularity 1), E = 1 "
      "dense; a dense model has Ê = E_start = 2.0732. Fine-grained, top-k > 1 and shared "
      "experts are outside the fit (Sec. 6): mapping them to an E is an extrapolation. L is "
      "the final training loss on FineWeb-Edu with the GPT-2 tokenizer, not comparable in "
      "level to other data or tokenizers. Their Table 4 agrees with these coefficients to 1e-4 "
      "in the exponents but differs by up to 0.3% in the scales m(E), n(E), and their Table 1 "
      "optima agree within 2.1%: the paper computed them from unrounded coefficients. The "
      "authors trust the law only for moderate tokens-per-parameter ratios (a ratio of 414 is "
      "beyond their data, App. C) and state their rule of thumb for E <= 8 only";
  Law law;
  law.form = FormSpec{FormType::kJointMoe, {}, {}, {}};
  law.target = {"L",
                "final training loss, nats per token (FineWeb-Edu, GPT-2 tokenizer; "
                "Ludziejewski et al. 2025)",
                1.0,
                {}};
  law.variables = {{"N",
                    "active parameters per token, embedding and unembedding included (N_act of "
                    "Ludziejewski et al. 2025, App. A.1)",
                    1.0,
                    {}},
                   {"D", "training tokens (C = 6 N_act D FLOPs)", 1.0, {}},
                   {"E",
                    "experts per MoE layer of a top-1 MoE with experts as large as the dense FFN "
                    "(1: dense)",
                    1.0,
                    {}}};
  // App. B, Table 3, in the form's order: a, alpha, gamma, delta, b, beta, zeta, omega, c,
  // E_start, E_max.
  law.coefficients = {Coef("a", 35.91),
                      Coef("alpha", -0.1889),
                      Coef("gamma", 0.0098),
                      Coef("delta", -0.2285),
                      Coef("b", 35.98),
                      Coef("beta", -0.1775),
                      Coef("zeta", -0.0259),
                      Coef("omega", 0.5529),
                      Coef("c", 1.3637, {}, "irreducible loss of FineWeb-Edu (GPT-2 tokenizer)"),
                      Coef("E_start", 2.0732, {}, "fitted: Ê of a dense model"),
                      Coef("E_max", 290.4521, {}, "fitted; far beyond the largest E (32) fitted")};
  // App. E: 79M..2.7B active parameters (embeddings included), 0.5B..80B tokens, E 1..32,
  // total parameters up to 5.0B.
  law.fitted_range = {{"N", 7.9e7, 2.7e9}, {"D", 5e8, 8e10}, {"E", 1, 32}};
  law.note =
      "at fixed E a Chinchilla law in (N_act, D): JointMoeAtExperts (routed_forms.h) and "
      "chinchilla_optimum.h give the compute-optimal N_act and D";
  file.laws.push_back(std::move(law));
  return file;
}

}  // namespace

const std::vector<LawFile>& LawPresets() {
  static const std::vector<LawFile> presets = {Hoffmann2022(), Epoch2024(), DeepseekLlm2024(),
                                               Ling2025(),     Wan2026(),   Ludziejewski2025()};
  return presets;
}

const LawFile* FindLawPreset(std::string_view name) {
  for (const LawFile& preset : LawPresets()) {
    if (preset.name == name) return &preset;
  }
  return nullptr;
}

Result<LawFile> LoadLaw(std::string_view preset_or_path) {
  if (const LawFile* preset = FindLawPreset(preset_or_path)) return *preset;
  const std::filesystem::path path(preset_or_path);
  if (!std::filesystem::exists(path)) {
    std::string names;
    for (const LawFile& preset : LawPresets()) names += (names.empty() ? "" : ", ") + preset.name;
    return Error{fmt::format("'{}' is neither a law preset ({}) nor an existing file",
                             preset_or_path, names)};
  }
  return ReadLawFile(path);
}

}  // namespace moeplan::scaling
