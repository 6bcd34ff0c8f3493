//===- laws/scaling/power_sum_form.cc - Sums of power terms ---------------===//
#include "laws/scaling/power_sum_form.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace moeplan::scaling {
namespace {

// Hoffmann et al. 2022, App. D.2: the grid of initialisations of the L-BFGS fits.
std::vector<double> CoefficientGrid() {
  return {0, 5, 10, 15, 20, 25};
}
std::vector<double> ExponentGrid() {
  return {0, 0.5, 1, 1.5, 2};
}
std::vector<double> ConstantGrid() {
  return {-1, -0.5, 0, 0.5, 1};
}

std::string TermText(const PowerTerm& term) {
  if (term.exponents.size() == 1) {
    return fmt::format("{}/{}^{}", term.coefficient, term.exponents[0].first,
                       term.exponents[0].second);
  }
  std::string denominator;
  for (const auto& [variable, exponent] : term.exponents) {
    denominator += fmt::format("{}{}^{}", denominator.empty() ? "" : " ", variable, exponent);
  }
  return fmt::format("{}/({})", term.coefficient, denominator);
}

std::string FormulaText(const FormSpec& spec) {
  std::string text = "L = ";
  if (!spec.constant.empty()) text += spec.constant;
  for (const PowerTerm& term : spec.terms) {
    if (text.size() > 4) text += " + ";
    text += TermText(term);
  }
  return text;
}

// Collects parameter names in a fixed order: coefficients (term order), the constant, then
// exponents in order of first use.
Result<std::vector<ParameterSpec>> CollectParameters(const FormSpec& spec) {
  std::vector<ParameterSpec> parameters;
  std::set<std::string> scale_names;
  auto add_scale = [&](const std::string& name, std::vector<double> grid,
                       const char* meaning) -> Status {
    if (name.empty()) return Error{"power_sum: a coefficient name is empty"};
    if (!scale_names.insert(name).second) {
      return Error{fmt::format("power_sum: coefficient '{}' is used twice", name)};
    }
    parameters.push_back({name, meaning, ParameterScale::kLog, std::move(grid), {}});
    return Status::Ok();
  };
  for (const PowerTerm& term : spec.terms) {
    if (Status s = add_scale(term.coefficient, CoefficientGrid(), "scale of a power term");
        !s.ok()) {
      return s.error();
    }
  }
  if (!spec.constant.empty()) {
    if (Status s = add_scale(spec.constant, ConstantGrid(), "irreducible loss (constant)");
        !s.ok()) {
      return s.error();
    }
  }
  std::set<std::string> exponent_names;
  for (const PowerTerm& term : spec.terms) {
    for (const auto& [variable, exponent] : term.exponents) {
      if (exponent.empty()) return Error{"power_sum: an exponent name is empty"};
      if (scale_names.count(exponent) != 0) {
        return Error{fmt::format("power_sum: '{}' is used both as a coefficient and as an exponent",
                                 exponent)};
      }
      if (exponent_names.insert(exponent).second) {
        parameters.push_back(
            {exponent, "exponent of " + variable, ParameterScale::kLinear, ExponentGrid(), {}});
      }
    }
  }
  return parameters;
}

Status CheckVariables(const FormSpec& spec) {
  if (spec.variables.empty()) return Error{"power_sum: no variables"};
  if (spec.terms.empty()) return Error{"power_sum: no terms"};
  std::set<std::string> symbols;
  for (const QuantitySpec& v : spec.variables) {
    if (v.symbol.empty()) return Error{"power_sum: a variable symbol is empty"};
    if (!symbols.insert(v.symbol).second) {
      return Error{fmt::format("power_sum: variable '{}' is listed twice", v.symbol)};
    }
  }
  std::set<std::string> used;
  for (const PowerTerm& term : spec.terms) {
    if (term.exponents.empty()) {
      return Error{fmt::format("power_sum: term '{}' has no variable", term.coefficient)};
    }
    std::set<std::string> in_term;
    for (const auto& [variable, exponent] : term.exponents) {
      if (symbols.count(variable) == 0) {
        return Error{fmt::format("power_sum: term '{}' uses unknown variable '{}'",
                                 term.coefficient, variable)};
      }
      if (!in_term.insert(variable).second) {
        return Error{fmt::format("power_sum: term '{}' uses variable '{}' twice", term.coefficient,
                                 variable)};
      }
      used.insert(variable);
    }
  }
  for (const QuantitySpec& v : spec.variables) {
    if (used.count(v.symbol) == 0) {
      return Error{fmt::format("power_sum: variable '{}' appears in no term", v.symbol)};
    }
  }
  return Status::Ok();
}

}  // namespace

PowerSumForm::PowerSumForm(std::string formula, std::vector<QuantitySpec> variables,
                           std::vector<ParameterSpec> parameters, FormSpec spec,
                           std::vector<Term> terms, std::optional<Eigen::Index> constant)
    : LawForm(FormType::kPowerSum, std::move(formula), std::move(variables), std::move(parameters)),
      spec_(std::move(spec)),
      terms_(std::move(terms)),
      constant_(constant) {}

Result<std::unique_ptr<PowerSumForm>> PowerSumForm::Make(const FormSpec& spec) {
  if (Status s = CheckVariables(spec); !s.ok()) return s.error();
  Result<std::vector<ParameterSpec>> parameters = CollectParameters(spec);
  if (!parameters) return parameters.error();
  auto index_of = [&](const std::string& name) {
    auto it = std::find_if(parameters->begin(), parameters->end(),
                           [&](const ParameterSpec& p) { return p.name == name; });
    return static_cast<Eigen::Index>(it - parameters->begin());
  };
  auto variable_of = [&](const std::string& symbol) {
    auto it = std::find_if(spec.variables.begin(), spec.variables.end(),
                           [&](const QuantitySpec& v) { return v.symbol == symbol; });
    return static_cast<Eigen::Index>(it - spec.variables.begin());
  };
  std::vector<Term> terms;
  for (const PowerTerm& term : spec.terms) {
    Term t{index_of(term.coefficient), {}};
    for (const auto& [variable, exponent] : term.exponents) {
      t.factors.push_back({variable_of(variable), index_of(exponent)});
    }
    terms.push_back(std::move(t));
  }
  std::optional<Eigen::Index> constant;
  if (!spec.constant.empty()) constant = index_of(spec.constant);
  FormSpec stored = spec;
  stored.type = FormType::kPowerSum;
  return std::unique_ptr<PowerSumForm>(new PowerSumForm(FormulaText(spec), spec.variables,
                                                        std::move(*parameters), stored,
                                                        std::move(terms), constant));
}

FormSpec PowerSumForm::Spec() const {
  if (type_ != FormType::kPowerSum) return FormSpec{type_, {}, {}, {}};
  return spec_;
}

void PowerSumForm::Name(FormType type, std::vector<QuantitySpec> variables,
                        std::vector<ParameterLabel> labels) {
  type_ = type;
  variables_ = std::move(variables);
  for (size_t i = 0; i < parameters_.size() && i < labels.size(); ++i) {
    parameters_[i].meaning = std::move(labels[i].meaning);
    parameters_[i].start_grid = std::move(labels[i].start_grid);
  }
}

void PowerSumForm::LogPredict(const Eigen::VectorXd& theta, const Eigen::MatrixXd& features,
                              Eigen::VectorXd& log_pred, Eigen::MatrixXd* jacobian) const {
  const Eigen::Index num_points = features.rows();
  const Eigen::Index num_terms = static_cast<Eigen::Index>(terms_.size()) + (constant_ ? 1 : 0);
  // z(:, t) = a_t - sum_j alpha_tj log x_j; the constant (if any) is the last column.
  Eigen::MatrixXd z(num_points, num_terms);
  for (size_t t = 0; t < terms_.size(); ++t) {
    auto column = z.col(static_cast<Eigen::Index>(t));
    column.setConstant(theta[terms_[t].coefficient]);
    for (const Factor& f : terms_[t].factors)
      column -= theta[f.exponent] * features.col(f.variable);
  }
  if (constant_) z.col(num_terms - 1).setConstant(theta[*constant_]);
  // log-sum-exp per row, stable: max + log(sum(exp(z - max))).
  const Eigen::VectorXd row_max = z.rowwise().maxCoeff();
  z.colwise() -= row_max;
  z = z.array().exp().matrix();
  const Eigen::VectorXd sum = z.rowwise().sum();
  log_pred = row_max.array() + sum.array().log();
  if (jacobian == nullptr) return;
  // d log L / d a_t = w_t (the softmax weight of term t); d / d alpha_tj = -w_t log x_j.
  z.array().colwise() /= sum.array();
  jacobian->setZero(num_points, static_cast<Eigen::Index>(num_parameters()));
  for (size_t t = 0; t < terms_.size(); ++t) {
    const auto weight = z.col(static_cast<Eigen::Index>(t));
    jacobian->col(terms_[t].coefficient) += weight;
    for (const Factor& f : terms_[t].factors) {
      jacobian->col(f.exponent).array() -= weight.array() * features.col(f.variable).array();
    }
  }
  if (constant_) jacobian->col(*constant_) += z.col(num_terms - 1);
}

std::unique_ptr<PowerSumForm> MakeChinchillaForm() {
  const FormSpec spec{FormType::kPowerSum,
                      {{"N", ""}, {"D", ""}},
                      "E",
                      {{"A", {{"N", "alpha"}}}, {"B", {{"D", "beta"}}}}};
  std::unique_ptr<PowerSumForm> form = PowerSumForm::Make(spec).value();
  // Parameter order A, B, E, alpha, beta; Hoffmann et al.'s grid (6 x 6 x 5 x 5 x 5 = 4,500).
  form->Name(FormType::kChinchilla,
             {{"N",
               "model parameters (Hoffmann et al. count all parameters, embeddings "
               "included)"},
              {"D", "training tokens"}},
             {{"scale of the parameter term", CoefficientGrid()},
              {"scale of the data term", CoefficientGrid()},
              {"irreducible loss", ConstantGrid()},
              {"parameter exponent", ExponentGrid()},
              {"data exponent", ExponentGrid()}});
  return form;
}

std::unique_ptr<PowerSumForm> MakeFineGrainedForm() {
  const FormSpec spec{
      FormType::kPowerSum,
      {{"N", ""}, {"D", ""}, {"G", ""}},
      "c",
      {{"a", {{"N", "alpha"}}}, {"g", {{"G", "gamma"}, {"N", "alpha"}}}, {"b", {{"D", "beta"}}}}};
  std::unique_ptr<PowerSumForm> form = PowerSumForm::Make(spec).value();
  // Parameter order a, g, b, c, alpha, gamma, beta. Hoffmann's grid for 7 parameters would
  // have 6^3 x 5^4 = 135,000 starts; this one has 3 x 2 x 3 x 3 x 3 x 2 x 3 = 972, covering
  // scales e^0..e^8 and exponents 0.1..1.
  form->Name(FormType::kFineGrained,
             {{"N",
               "model parameters as Krajewski et al. 2024 count them (non-embedding); "
               "state your own convention in the law file"},
              {"D", "training tokens"},
              {"G", "granularity: dense FFN width / expert width"}},
             {{"scale of the parameter term", {0, 4, 8}},
              {"scale of the granularity term", {-2, 2}},
              {"scale of the data term", {0, 4, 8}},
              {"irreducible loss", {-1, 0, 0.5}},
              {"parameter exponent (shared by two terms)", {0.1, 0.5, 1}},
              {"granularity exponent", {0.2, 0.8}},
              {"data exponent", {0.1, 0.5, 1}}});
  return form;
}

}  // namespace moeplan::scaling
