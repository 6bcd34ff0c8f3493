//===- laws/scaling/routed_forms.h - MoE laws in the number of experts -*- C++ -*-===//
/// \file
/// Two laws in which the number of experts E enters through the saturating transform Ê of
/// Clark et al. 2022 ("Unified Scaling Laws for Routed Language Models", arXiv:2202.01169):
///
///   1/Ê = 1 / (E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max
///
/// Ê(1) = E_start, Ê grows like E - 1 + E_start while E << E_max, and Ê -> E_max as E -> inf.
/// This is Eq. 4 of Ludziejewski et al. 2025 (arXiv:2502.05172, who attribute it to Clark et
/// al.) and Eq. 4 of Yun et al. 2024 (arXiv:2404.02852), character for character; Clark et
/// al.'s own text could not be retrieved to compare. With Ludziejewski et al.'s fit (E_start
/// 2.0732, E_max 290.4521) a dense model (E = 1) has Ê = 2.0732, not 1: E_start is a fitted
/// coefficient, never an assumed 1.
///
///  - ClarkRoutedForm (Clark et al. 2022, Eq. 1 with Ê):
///      log10 L = a log10 N + b log10 Ê + c log10 N log10 Ê + d
///    N: parameters of the dense model the routed model is built from (its per-token
///    parameters); E: experts per routed layer. moeplan reads the paper's log as log10; another
///    base only rescales c and d (c_ln = c_10 / ln 10, d_ln = d_10 ln 10). No preset: Clark et
///    al.'s fitted coefficients could not be retrieved from their text.
///  - JointMoeForm (Ludziejewski et al. 2025, "Joint MoE Scaling Laws", Eq. 6):
///      L = c + a Ê^delta N_act^(alpha + gamma ln Ê) + b Ê^omega D^(beta + zeta ln Ê)
///    N_act: active parameters, embedding and unembedding INCLUDED (their App. A.1); D:
///    training tokens, C = 6 N_act D (App. A.2); E: experts of a top-1 (Switch) MoE whose
///    experts are as large as the dense FFN (granularity 1), 1 for dense. Exponents are signed
///    as in the paper (a decreasing law has alpha + gamma ln Ê < 0). Preset: ludziejewski2025
///    (law_presets.h). Fits hold E_start at 1 unless freed (`--free E_start`), which suits small
///    data sets; the paper fitted it.
///
/// At a fixed E the joint law is a Chinchilla law in (N_act, D) (the paper's Eq. 5 and Table
/// 4), so its compute-optimal allocation at that E is chinchilla_optimum.h's closed form:
///   Result<ChinchillaCoefficients> c = JointMoeAtExperts(bound.values(), 8);
///   ChinchillaAllocation opt = ChinchillaOptimum(*c, 1e21);  // N_act 3.79e9, D 4.40e10
///
/// Both forms are thread-safe (immutable); the functions are pure.
//===----------------------------------------------------------------------===//
#pragma once

#include <span>

#include "laws/scaling/chinchilla_optimum.h"
#include "laws/scaling/law_form.h"

namespace moeplan::scaling {

/// Ê for each E (Clark et al. 2022); NaN where E_start >= E_max or E - 1 + (1/E_start -
/// 1/E_max)^-1 <= 0. Allocation-free.
double SaturatedExperts(double experts, double e_start, double e_max);

class ClarkRoutedForm final : public LawForm {
 public:
  /// Parameters a, b, c, d, E_start, E_max; variables N, E.
  ClarkRoutedForm();
  FormSpec Spec() const override { return FormSpec{FormType::kClarkRouted, {}, {}, {}}; }
  /// Features: ln N and E itself.
  Eigen::MatrixXd Features(const Eigen::MatrixXd& x) const override;
  void LogPredict(const Eigen::VectorXd& theta, const Eigen::MatrixXd& features,
                  Eigen::VectorXd& log_pred, Eigen::MatrixXd* jacobian) const override;
};

class JointMoeForm final : public LawForm {
 public:
  /// Parameters a, alpha, gamma, delta, b, beta, zeta, omega, c, E_start, E_max;
  /// variables N, D, E.
  JointMoeForm();
  FormSpec Spec() const override { return FormSpec{FormType::kJointMoe, {}, {}, {}}; }
  /// Features: ln N, ln D and E itself.
  Eigen::MatrixXd Features(const Eigen::MatrixXd& x) const override;
  void LogPredict(const Eigen::VectorXd& theta, const Eigen::MatrixXd& features,
                  Eigen::VectorXd& log_pred, Eigen::MatrixXd* jacobian) const override;
};

/// The joint law of `values` (JointMoeForm's parameter order, natural units) at `experts`
/// reduced to a Chinchilla law in (N_act, D): A = a Ê^delta, alpha = -(alpha + gamma ln Ê),
/// B = b Ê^omega, beta = -(beta + zeta ln Ê), E = c. Errors when Ê is undefined or a reduced
/// coefficient is not positive (the law does not decrease in N_act or D at that E).
[[nodiscard]] Result<ChinchillaCoefficients> JointMoeAtExperts(const Eigen::VectorXd& values,
                                                               double experts);

/// The same reduction without allocation or messages, for hot loops (the planner's sweep):
/// `values` holds the 11 coefficients in JointMoeForm's order. False (`out` unspecified) where
/// Ê is undefined or a reduced coefficient is not positive and finite.
bool ReduceJointMoe(std::span<const double, 11> values, double experts,
                    ChinchillaCoefficients& out);

/// L(N_act, D, E) of Eq. 6 for the 11 coefficients (NaN where Ê is undefined).
double JointMoeLoss(std::span<const double, 11> values, double params, double tokens,
                    double experts);

}  // namespace moeplan::scaling
