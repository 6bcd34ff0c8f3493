//===- laws/scaling/routed_forms.h - MoE laws in the number of experts -*- C++ -*-===//
/// \file
/// Two laws in which the number of experts E enters through the saturating transform Ê of
/// Clark et al. 2022 ("Unified Scaling Laws for Routed Language Models", arXiv:2202.01169):
///
///   1/Ê = 1 / (E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max
///
/// Ê(1) = E_start, Ê grows like E - 1 + E_start while E << E_max, and Ê -> E_max as E -> inf
/// (with E_start = 1, Ê(1) = 1: a dense model). This is the form as moeplan reads the paper;
/// it could not be checked against the paper's text while writing this file (see the README
/// of laws/scaling), so E_start and E_max are fitted or set explicitly, never assumed.
///
///  - ClarkRoutedForm (Clark et al. 2022, Eq. 1 with Ê):
///      log10 L = a log10 N + b log10 Ê + c log10 N log10 Ê + d
///    N: parameters of the dense model the routed model is built from (its per-token
///    parameters); E: experts per routed layer. moeplan reads the paper's log as log10; another
///    base only rescales c and d (c_ln = c_10 / ln 10, d_ln = d_10 ln 10).
///  - JointMoeForm (Ludziejewski et al. 2025, "Joint MoE Scaling Laws", arXiv:2502.05172):
///      L = c + a Ê^delta N_act^(alpha + gamma ln Ê) + b Ê^omega D^(beta + zeta ln Ê)
///    N_act: active non-embedding parameters; D: training tokens; E: routed experts (dense: 1).
///    Exponents are signed as in the paper's equation (a decreasing law has alpha, beta < 0).
///    The form is taken from the paper's abstract page (sciencestack.ai/paper/2502.05172);
///    its fitted coefficients are not shipped as a preset because their signs could not be
///    confirmed. E_start is held at 1 unless a fit frees it, so that Ê(1) = 1.
///
/// Both are thread-safe (immutable).
//===----------------------------------------------------------------------===//
#pragma once

#include "laws/scaling/law_form.h"

namespace moeplan::scaling {

/// Ê for each E (Clark et al. 2022); NaN where E_start >= E_max.
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

}  // namespace moeplan::scaling
