//===- laws/scaling/law_form.cc - The functional shape of a scaling law ---===//
#include "laws/scaling/law_form.h"

#include <fmt/format.h>

#include <array>
#include <cmath>

#include "laws/scaling/power_law_form.h"
#include "laws/scaling/power_sum_form.h"
#include "laws/scaling/routed_forms.h"

namespace moeplan::scaling {
namespace {

constexpr std::array<std::pair<FormType, const char*>, 6> kFormNames{{
    {FormType::kChinchilla, "chinchilla"},
    {FormType::kFineGrained, "fine_grained"},
    {FormType::kClarkRouted, "clark_routed"},
    {FormType::kJointMoe, "joint_moe"},
    {FormType::kPowerLaw, "power_law"},
    {FormType::kPowerSum, "power_sum"},
}};

}  // namespace

const char* ToString(FormType type) {
  for (const auto& [value, name] : kFormNames) {
    if (value == type) return name;
  }
  return "?";
}

Result<FormType> ParseFormType(std::string_view text) {
  std::string choices;
  for (const auto& [value, name] : kFormNames) {
    if (text == name) return value;
    choices += (choices.empty() ? "" : ", ") + std::string(name);
  }
  return Error{fmt::format("unknown law form '{}' (known forms: {})", text, choices)};
}

LawForm::LawForm(FormType type, std::string formula, std::vector<QuantitySpec> variables,
                 std::vector<ParameterSpec> parameters)
    : type_(type),
      formula_(std::move(formula)),
      variables_(std::move(variables)),
      parameters_(std::move(parameters)) {}

std::optional<size_t> LawForm::ParameterIndex(std::string_view name) const {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (parameters_[i].name == name) return i;
  }
  return std::nullopt;
}

std::optional<size_t> LawForm::VariableIndex(std::string_view symbol) const {
  for (size_t i = 0; i < variables_.size(); ++i) {
    if (variables_[i].symbol == symbol) return i;
  }
  return std::nullopt;
}

Eigen::MatrixXd LawForm::Features(const Eigen::MatrixXd& x) const {
  return x.array().log();
}

bool LawForm::RequiresPositive(size_t /*variable_idx*/) const {
  return true;
}

Eigen::VectorXd LawForm::ToFitSpace(const Eigen::VectorXd& values) const {
  Eigen::VectorXd theta = values;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (parameters_[i].scale == ParameterScale::kLog) theta[i] = std::log(values[i]);
  }
  return theta;
}

Eigen::VectorXd LawForm::FromFitSpace(const Eigen::VectorXd& theta) const {
  Eigen::VectorXd values = theta;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (parameters_[i].scale == ParameterScale::kLog) values[i] = std::exp(theta[i]);
  }
  return values;
}

double LawForm::Predict(const Eigen::VectorXd& values, std::span<const double> x) const {
  Eigen::MatrixXd row(1, static_cast<Eigen::Index>(x.size()));
  for (size_t j = 0; j < x.size(); ++j) row(0, static_cast<Eigen::Index>(j)) = x[j];
  Eigen::VectorXd log_pred;
  LogPredict(ToFitSpace(values), Features(row), log_pred, nullptr);
  return std::exp(log_pred[0]);
}

Result<std::unique_ptr<const LawForm>> MakeForm(const FormSpec& spec) {
  switch (spec.type) {
    case FormType::kChinchilla:
      return std::unique_ptr<const LawForm>(MakeChinchillaForm());
    case FormType::kFineGrained:
      return std::unique_ptr<const LawForm>(MakeFineGrainedForm());
    case FormType::kClarkRouted:
      return std::unique_ptr<const LawForm>(std::make_unique<ClarkRoutedForm>());
    case FormType::kJointMoe:
      return std::unique_ptr<const LawForm>(std::make_unique<JointMoeForm>());
    case FormType::kPowerLaw:
      return std::unique_ptr<const LawForm>(std::make_unique<PowerLawForm>());
    case FormType::kPowerSum: {
      Result<std::unique_ptr<PowerSumForm>> form = PowerSumForm::Make(spec);
      if (!form) return form.error();
      return std::unique_ptr<const LawForm>(std::move(*form));
    }
  }
  return Error{"unknown law form"};
}

}  // namespace moeplan::scaling
