//===- laws/scaling/law.h - Fitted scaling laws and law files ---*- C++ -*-===//
/// \file
/// A `Law` is a form with coefficients: what a law file stores and what the planner evaluates.
/// Every variable carries its exact meaning and the unit the coefficients assume (Wan et al.
/// 2026 write C in units of 1e18 FLOPs), every coefficient its standard error and confidence
/// interval when known, and the file its provenance. A `LawFile` may hold several laws: an
/// allocation fit such as DeepSeek LLM 2024 (arXiv:2401.02954) is four power laws (M_opt,
/// D_opt, eta_opt, B_opt) of one compute budget.
///
/// `BoundLaw` pairs a law with its form for evaluation in SI units:
///   Result<BoundLaw> law = BoundLaw::Bind(file.laws[0]);
///   double m_opt = law->Predict({1e20});  // FLOPs/token, with the law's own conventions
/// Thread-safe once built.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "laws/accounting.h"
#include "laws/scaling/chinchilla_optimum.h"
#include "laws/scaling/law_form.h"

namespace moeplan::scaling {

/// A variable or the target of a law, as recorded in the law file.
struct LawQuantity {
  std::string symbol;   ///< matches the form's variable symbol; the target's is free (L, M_opt)
  std::string meaning;  ///< exact meaning with its conventions (total/active, embeddings, ...)
  /// SI amount per law unit: the law reads x / unit and its prediction times unit is SI.
  double unit = 1.0;
  /// For FLOP quantities (C, M): forward only or forward + backward (= 3 x forward).
  std::optional<laws::FlopPass> flop_pass;
};

/// One coefficient of a law.
struct Coefficient {
  std::string name;  ///< matches the form's parameter name
  double value = 0;
  std::optional<double> std_error;  ///< bootstrap or published standard error
  std::optional<double> ci_low;     ///< confidence interval at FitSummary::ci_level
  std::optional<double> ci_high;
  std::string note;  ///< e.g. "uncertain: ..." or "held fixed"
};

/// The range of one variable (or C) over the data a law was fitted on.
struct FittedRange {
  std::string symbol;
  double min = 0;
  double max = 0;
};

/// How the coefficients were obtained, for laws fitted by moeplan (or described by a paper).
struct FitSummary {
  std::string method;      ///< e.g. "huber-lbfgs-multistart"
  std::string data;        ///< data set and column mapping
  int64_t num_points = 0;  ///< points used
  double huber_delta = 0;  ///< Huber threshold on log residuals
  double objective = 0;    ///< sum of Huber losses at the optimum
  bool converged = false;
  int64_t num_starts = 0;
  int64_t bootstrap_replicates = 0;
  double ci_level = 0;  ///< e.g. 0.95
  uint64_t seed = 0;
};

struct Law {
  FormSpec form;
  LawQuantity target;
  std::vector<LawQuantity> variables;     ///< in the form's variable order
  std::vector<Coefficient> coefficients;  ///< in the form's parameter order
  std::vector<FittedRange> fitted_range;
  std::optional<FitSummary> fit;
  std::string note;
};

struct Provenance {
  std::string source;  ///< paper or data set, with arXiv id / URL
  std::string method;  ///< how the published numbers were obtained
  std::string notes;   ///< caveats: which values are uncertain and why
};

struct LawFile {
  std::string name;
  std::string description;
  Provenance provenance;
  std::vector<Law> laws;
};

/// The law of `file` whose target symbol is `target`, or nullptr.
const Law* FindLaw(const LawFile& file, std::string_view target);

/// A law with its form, ready to evaluate.
class BoundLaw {
 public:
  /// Checks that the law's variables and coefficients match its form (names, order, count).
  [[nodiscard]] static Result<BoundLaw> Bind(const Law& law);

  const Law& law() const { return *law_; }
  const LawForm& form() const { return *form_; }
  /// Coefficient values in the form's parameter order.
  const Eigen::VectorXd& values() const { return values_; }
  /// The prediction in SI units at `x` (variables in SI units, the form's order).
  double Predict(std::span<const double> x) const;
  double Predict(std::initializer_list<double> x) const {
    return Predict(std::span<const double>(x.begin(), x.size()));
  }

 private:
  std::shared_ptr<const Law> law_;
  std::shared_ptr<const LawForm> form_;
  Eigen::VectorXd values_;
};

/// A law's coefficients as a fresh law of the same form (for fitting results).
std::vector<Coefficient> CoefficientsFromValues(const LawForm& form, const Eigen::VectorXd& values);

/// The Chinchilla coefficients of a law of form chinchilla.
[[nodiscard]] Result<ChinchillaCoefficients> ChinchillaOf(const Law& law);

/// The default meanings of a form's variables as law quantities (unit 1).
std::vector<LawQuantity> DefaultVariables(const LawForm& form);

}  // namespace moeplan::scaling
