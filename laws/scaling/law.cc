//===- laws/scaling/law.cc - Fitted scaling laws and law files ------------===//
#include "laws/scaling/law.h"

#include <fmt/format.h>

namespace moeplan::scaling {

const Law* FindLaw(const LawFile& file, std::string_view target) {
  for (const Law& law : file.laws) {
    if (law.target.symbol == target) return &law;
  }
  return nullptr;
}

Result<BoundLaw> BoundLaw::Bind(const Law& law) {
  Result<std::unique_ptr<const LawForm>> form = MakeForm(law.form);
  if (!form) return form.error();
  const LawForm& f = **form;
  if (law.variables.size() != f.variables().size()) {
    return Error{fmt::format("law '{}' ({}): {} variables given, the form has {}",
                             law.target.symbol, ToString(f.type()), law.variables.size(),
                             f.variables().size())};
  }
  for (size_t i = 0; i < law.variables.size(); ++i) {
    if (law.variables[i].symbol != f.variables()[i].symbol) {
      return Error{fmt::format("law '{}': variable {} is '{}', the form expects '{}'",
                               law.target.symbol, i, law.variables[i].symbol,
                               f.variables()[i].symbol)};
    }
    if (!(law.variables[i].unit > 0)) {
      return Error{fmt::format("law '{}': variable '{}' has a non-positive unit", law.target.symbol,
                               law.variables[i].symbol)};
    }
  }
  if (law.coefficients.size() != f.num_parameters()) {
    return Error{fmt::format("law '{}' ({}): {} coefficients given, the form has {}",
                             law.target.symbol, ToString(f.type()), law.coefficients.size(),
                             f.num_parameters())};
  }
  BoundLaw bound;
  bound.values_.resize(static_cast<Eigen::Index>(f.num_parameters()));
  for (size_t i = 0; i < f.num_parameters(); ++i) {
    const ParameterSpec& p = f.parameters()[i];
    const Coefficient& c = law.coefficients[i];
    if (c.name != p.name) {
      return Error{fmt::format("law '{}': coefficient {} is '{}', the form expects '{}'",
                               law.target.symbol, i, c.name, p.name)};
    }
    if (p.scale == ParameterScale::kLog && !(c.value > 0)) {
      return Error{fmt::format("law '{}': coefficient '{}' must be positive, got {}",
                               law.target.symbol, c.name, c.value)};
    }
    bound.values_[static_cast<Eigen::Index>(i)] = c.value;
  }
  bound.law_ = std::make_shared<const Law>(law);
  bound.form_ = std::shared_ptr<const LawForm>(std::move(*form));
  return bound;
}

double BoundLaw::Predict(std::span<const double> x) const {
  std::vector<double> scaled(x.begin(), x.end());
  for (size_t i = 0; i < scaled.size() && i < law_->variables.size(); ++i) {
    scaled[i] /= law_->variables[i].unit;
  }
  return form_->Predict(values_, scaled) * law_->target.unit;
}

std::vector<Coefficient> CoefficientsFromValues(const LawForm& form,
                                                const Eigen::VectorXd& values) {
  std::vector<Coefficient> out;
  for (size_t i = 0; i < form.num_parameters(); ++i) {
    Coefficient c;
    c.name = form.parameters()[i].name;
    c.value = values[static_cast<Eigen::Index>(i)];
    out.push_back(std::move(c));
  }
  return out;
}

Result<ChinchillaCoefficients> ChinchillaOf(const Law& law) {
  if (law.form.type != FormType::kChinchilla) {
    return Error{fmt::format("law '{}' has form {}, expected chinchilla", law.target.symbol,
                             ToString(law.form.type))};
  }
  for (const LawQuantity& v : law.variables) {
    if (v.unit != 1.0) {
      return Error{
          fmt::format("law '{}': variable '{}' has unit {}; the closed-form optimum "
                      "needs N and D in units of 1",
                      law.target.symbol, v.symbol, v.unit)};
    }
  }
  Result<BoundLaw> bound = BoundLaw::Bind(law);
  if (!bound) return bound.error();
  const Eigen::VectorXd& v = bound->values();
  ChinchillaCoefficients c{v[0], v[1], v[2], v[3], v[4]};
  if (Status s = c.Validate(); !s.ok()) return s.error();
  return c;
}

std::vector<LawQuantity> DefaultVariables(const LawForm& form) {
  std::vector<LawQuantity> out;
  for (const QuantitySpec& v : form.variables()) out.push_back({v.symbol, v.meaning, 1.0, {}});
  return out;
}

}  // namespace moeplan::scaling
