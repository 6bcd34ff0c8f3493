//===- laws/scaling/power_law_form.h - Allocation laws X = k C^e -*- C++ -*-===//
/// \file
/// Power laws of one variable, X_opt(C) = k C^e, the shape of every compute-optimal
/// allocation law: Hoffmann et al. 2022 (N_opt, D_opt), DeepSeek LLM 2024 (arXiv:2401.02954,
/// Eqs. 1 and 4: M_opt, D_opt, eta_opt, B_opt), Ling/Tian et al. 2025 and Wan et al. 2026
/// (arXiv:2603.21862). The law file names the target (M_opt, D_opt, ...) and the units of C
/// and X; this form only knows "X" and "C". Fitted as ln X = ln k + e ln C, which is convex
/// under the Huber loss, so one start suffices. Thread-safe (immutable).
/// Example: DeepSeek's M_opt at C = 1e20 is 0.1715 * (1e20)^0.5243 = 5.25e9 FLOPs/token.
//===----------------------------------------------------------------------===//
#pragma once

#include "laws/scaling/law_form.h"

namespace moeplan::scaling {

class PowerLawForm final : public LawForm {
 public:
  /// Parameters k (positive, fitted as ln k) and e; variable C.
  PowerLawForm();
  FormSpec Spec() const override { return FormSpec{FormType::kPowerLaw, {}, {}, {}}; }
  void LogPredict(const Eigen::VectorXd& theta, const Eigen::MatrixXd& features,
                  Eigen::VectorXd& log_pred, Eigen::MatrixXd* jacobian) const override;
};

}  // namespace moeplan::scaling
