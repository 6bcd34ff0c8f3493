//===- laws/scaling/power_sum_form.h - Sums of power terms ------*- C++ -*-===//
/// \file
/// Laws of the form L = [E] + sum_i A_i prod_j x_j^(-alpha_ij): a positive constant plus
/// positive power terms, fitted like Hoffmann et al. 2022 (arXiv:2203.15556, App. D.2) with
/// log L = LSE(e, a_1 - sum_j alpha_1j log x_j, ...), where e = log E and a_i = log A_i.
///
/// Three laws share this shape:
///  - Chinchilla (Hoffmann et al. 2022, Eq. 2): L(N, D) = E + A/N^alpha + B/D^beta, where N is
///    the number of parameters and D the number of training tokens. Hoffmann et al. count all
///    parameters, embeddings included (Pearce & Song 2024, arXiv:2406.12907, Sec. 2), and use
///    C = 6 N D. Start grid: Hoffmann's 4,500 points, alpha, beta in {0, 0.5, .., 2},
///    e in {-1, -0.5, .., 1}, a, b in {0, 5, .., 25}.
///  - Fine-grained MoE (Krajewski et al. 2024, arXiv:2402.07871, Eq. 4):
///    L(N, D, G) = c + (g/G^gamma + a)/N^alpha + b/D^beta = c + a/N^alpha + g/(G^gamma N^alpha)
///    + b/D^beta, with G the expert granularity (dense FFN width / expert width) and the
///    exponent alpha shared by two terms.
///  - power_sum: any such sum defined in a law file, so users can fit their own variants.
///
/// Thread-safe (immutable).
//===----------------------------------------------------------------------===//
#pragma once

#include <memory>

#include "laws/scaling/law_form.h"

namespace moeplan::scaling {

class PowerSumForm final : public LawForm {
 public:
  /// Validates a power_sum spec: at least one term, every variable used, no parameter both a
  /// coefficient and an exponent, no duplicate names. Parameter order: the terms'
  /// coefficients (in term order), the constant, then exponents in order of first use.
  [[nodiscard]] static Result<std::unique_ptr<PowerSumForm>> Make(const FormSpec& spec);

  FormSpec Spec() const override;
  void LogPredict(const Eigen::VectorXd& theta, const Eigen::MatrixXd& features,
                  Eigen::VectorXd& log_pred, Eigen::MatrixXd* jacobian) const override;

  /// Meaning and start grid of one parameter of a named form.
  struct ParameterLabel {
    std::string meaning;
    std::vector<double> start_grid;
  };
  /// Re-labels a validated power_sum as one of the named forms (chinchilla, fine_grained)
  /// with their variables' meanings and parameters' labels (in parameter order).
  void Name(FormType type, std::vector<QuantitySpec> variables, std::vector<ParameterLabel> labels);

 private:
  struct Factor {
    Eigen::Index variable;  // column of the features (log x_j)
    Eigen::Index exponent;  // parameter index of alpha_ij
  };
  struct Term {
    Eigen::Index coefficient;  // parameter index of a_i = log A_i
    std::vector<Factor> factors;
  };

  PowerSumForm(std::string formula, std::vector<QuantitySpec> variables,
               std::vector<ParameterSpec> parameters, FormSpec spec, std::vector<Term> terms,
               std::optional<Eigen::Index> constant);

  FormSpec spec_;
  FormType named_type_ = FormType::kPowerSum;
  std::vector<Term> terms_;
  std::optional<Eigen::Index> constant_;
};

/// Chinchilla: parameters A, B, E, alpha, beta (in that order); variables N, D.
std::unique_ptr<PowerSumForm> MakeChinchillaForm();
/// Krajewski et al. 2024: parameters a, g, b, c, alpha, gamma, beta; variables N, D, G.
std::unique_ptr<PowerSumForm> MakeFineGrainedForm();

}  // namespace moeplan::scaling
