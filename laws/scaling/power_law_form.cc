//===- laws/scaling/power_law_form.cc - Allocation laws X = k C^e ---------===//
#include "laws/scaling/power_law_form.h"

namespace moeplan::scaling {

PowerLawForm::PowerLawForm()
    : LawForm(FormType::kPowerLaw, "X = k C^e", {{"C", "training compute"}},
              {{"k", "coefficient (X at C = 1 law unit)", ParameterScale::kLog, {0}, {}},
               {"e", "exponent", ParameterScale::kLinear, {0.5}, {}}}) {}

void PowerLawForm::LogPredict(const Eigen::VectorXd& theta, const Eigen::MatrixXd& features,
                              Eigen::VectorXd& log_pred, Eigen::MatrixXd* jacobian) const {
  log_pred = (theta[0] + theta[1] * features.col(0).array()).matrix();
  if (jacobian == nullptr) return;
  jacobian->resize(features.rows(), 2);
  jacobian->col(0).setOnes();
  jacobian->col(1) = features.col(0);
}

}  // namespace moeplan::scaling
