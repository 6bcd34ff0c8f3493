//===- laws/scaling/law_form.h - The functional shape of a scaling law -*- C++ -*-===//
/// \file
/// A `LawForm` is the shape of a scaling law: the variables it reads (each with its exact
/// meaning), its coefficients, and how it predicts the target from them. Coefficients are
/// fitted in "fit space", as in Hoffmann et al. 2022 (arXiv:2203.15556, App. D.2): a positive
/// scale coefficient A is represented by a = log A, an exponent by itself. Forms predict the
/// natural log of the target, so every fit minimises a robust loss of log residuals.
///
/// The forms (see `FormType`):
///  - chinchilla     L = E + A/N^alpha + B/D^beta               (Hoffmann et al. 2022)
///  - fine_grained   L = c + (g/G^gamma + a)/N^alpha + b/D^beta (Krajewski et al. 2024)
///  - clark_routed   log10 L = a log10 N + b log10 Ê + c log10 N log10 Ê + d (Clark et al. 2022)
///  - joint_moe      L = c + a Ê^delta N^(alpha + gamma ln Ê) + b Ê^omega D^(beta + zeta ln Ê)
///                   (Ludziejewski et al. 2025)
///  - power_law      X = k C^e                                  (allocation laws)
///  - power_sum      L = [E] + sum_i A_i prod_j x_j^(-alpha_ij) (user-defined, in the law file)
///
/// Forms are immutable after construction and thread-safe. Example:
///   Result<std::unique_ptr<const LawForm>> form = MakeForm(FormSpec{FormType::kChinchilla});
///   Eigen::VectorXd values(5);
///   values << 406.4, 410.7, 1.69, 0.34, 0.28;  // A, B, E, alpha, beta
///   double loss = (*form)->Predict(values, std::vector<double>{70e9, 1.4e12});  // 1.9366
//===----------------------------------------------------------------------===//
#pragma once

#include <Eigen/Core>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::scaling {

enum class FormType { kChinchilla, kFineGrained, kClarkRouted, kJointMoe, kPowerLaw, kPowerSum };
const char* ToString(FormType type);
Result<FormType> ParseFormType(std::string_view text);

/// One variable (or the target) of a law: its symbol and exact meaning, conventions included.
struct QuantitySpec {
  std::string symbol;   ///< e.g. "N", "D", "C", "E", "G", "M_opt"
  std::string meaning;  ///< e.g. "total parameters, embeddings included"
};

/// How a coefficient is represented while fitting.
enum class ParameterScale {
  kLinear,  ///< fitted as itself (exponents, Clark's a..d)
  kLog,     ///< fitted as its natural log; the value must be positive (A, B, E, k)
};

/// One coefficient of a form.
struct ParameterSpec {
  std::string name;     ///< e.g. "A", "alpha"
  std::string meaning;  ///< one line
  ParameterScale scale = ParameterScale::kLinear;
  /// Fit-space starting values (logs for kLog) that the start grid combines.
  std::vector<double> start_grid;
  /// When set, fits hold the parameter at this value (natural units) unless told to free it.
  std::optional<double> default_fixed;
};

/// A term A * prod_j x_j^(-alpha_j) of a power_sum form.
struct PowerTerm {
  std::string coefficient;  ///< parameter name of A (positive, fitted as log A)
  /// (variable symbol, exponent parameter name); an exponent may be shared by several terms.
  std::vector<std::pair<std::string, std::string>> exponents;
};

/// The definition of a form as stored in a law file.
struct FormSpec {
  FormType type = FormType::kChinchilla;
  /// power_sum only: the variables, the constant's parameter name (empty: no constant) and
  /// the terms.
  std::vector<QuantitySpec> variables;
  std::string constant;
  std::vector<PowerTerm> terms;
};

class LawForm {
 public:
  virtual ~LawForm() = default;

  FormType type() const { return type_; }
  /// The formula in one line, e.g. "L = E + A/N^alpha + B/D^beta".
  const std::string& formula() const { return formula_; }
  const std::vector<QuantitySpec>& variables() const { return variables_; }
  const std::vector<ParameterSpec>& parameters() const { return parameters_; }
  size_t num_parameters() const { return parameters_.size(); }
  std::optional<size_t> ParameterIndex(std::string_view name) const;
  std::optional<size_t> VariableIndex(std::string_view symbol) const;
  /// The definition to store in a law file.
  virtual FormSpec Spec() const = 0;

  /// Columns the form reads per point, from variables in law units (rows = points, columns =
  /// variables()). Default: the natural log of every variable. Computed once per data set.
  virtual Eigen::MatrixXd Features(const Eigen::MatrixXd& x) const;
  /// Whether a variable's values must be positive (default: all, since the default features
  /// take logs).
  virtual bool RequiresPositive(size_t variable_idx) const;

  /// log(prediction) for every row of `features`; when `jacobian` is given it receives
  /// d log(prediction) / d theta (rows = points, columns = parameters). `theta` is in fit space.
  virtual void LogPredict(const Eigen::VectorXd& theta, const Eigen::MatrixXd& features,
                          Eigen::VectorXd& log_pred, Eigen::MatrixXd* jacobian) const = 0;

  Eigen::VectorXd ToFitSpace(const Eigen::VectorXd& values) const;
  Eigen::VectorXd FromFitSpace(const Eigen::VectorXd& theta) const;

  /// The prediction at one point `x` (variables in law units) for coefficient `values`.
  double Predict(const Eigen::VectorXd& values, std::span<const double> x) const;

 protected:
  LawForm(FormType type, std::string formula, std::vector<QuantitySpec> variables,
          std::vector<ParameterSpec> parameters);

  // Protected so that a named form built on a generic one can relabel itself.
  FormType type_;
  std::string formula_;
  std::vector<QuantitySpec> variables_;
  std::vector<ParameterSpec> parameters_;
};

/// Builds the form a spec describes; errors name what is inconsistent (unknown variable in a
/// term, a parameter used both as a coefficient and an exponent, ...).
[[nodiscard]] Result<std::unique_ptr<const LawForm>> MakeForm(const FormSpec& spec);

}  // namespace moeplan::scaling
