//===- laws/scaling/routed_forms.cc - MoE laws in the number of experts ---===//
#include "laws/scaling/routed_forms.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <numbers>

namespace moeplan::scaling {
namespace {

// ln Ê and its derivatives with respect to s = ln E_start and m = ln E_max.
//   K = (1/E_s - 1/E_m)^-1, u = E - 1 + K, 1/Ê = 1/u + 1/E_m
//   d ln Ê / dK = Ê/u^2;  dK/ds = K^2/E_s;  d ln Ê / dm = Ê/E_m (1 - K^2/u^2)
struct Saturation {
  Eigen::ArrayXd log_e_hat;
  Eigen::ArrayXd d_log_start;
  Eigen::ArrayXd d_log_max;
};

Saturation Saturate(const Eigen::ArrayXd& experts, double log_start, double log_max,
                    bool with_gradient) {
  const double e_start = std::exp(log_start);
  const double e_max = std::exp(log_max);
  const double k = 1.0 / (1.0 / e_start - 1.0 / e_max);
  Saturation out;
  if (!(k > 0) || !std::isfinite(k)) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    out.log_e_hat = Eigen::ArrayXd::Constant(experts.size(), nan);
    out.d_log_start = out.d_log_max = out.log_e_hat;
    return out;
  }
  const Eigen::ArrayXd u = experts - 1.0 + k;
  const Eigen::ArrayXd e_hat = 1.0 / (1.0 / u + 1.0 / e_max);
  out.log_e_hat = e_hat.log();
  if (with_gradient) {
    const Eigen::ArrayXd d_k = e_hat / u.square();
    out.d_log_start = d_k * (k * k / e_start);
    out.d_log_max = e_hat / e_max * (1.0 - k * k / u.square());
  }
  return out;
}

constexpr double kLn10 = std::numbers::ln10;

ParameterSpec Linear(std::string name, std::string meaning, std::vector<double> grid) {
  return {std::move(name), std::move(meaning), ParameterScale::kLinear, std::move(grid), {}};
}
ParameterSpec Log(std::string name, std::string meaning, std::vector<double> grid,
                  std::optional<double> fixed = std::nullopt) {
  return {std::move(name), std::move(meaning), ParameterScale::kLog, std::move(grid), fixed};
}

}  // namespace

double SaturatedExperts(double experts, double e_start, double e_max) {
  // Saturate's closed form for one E, without its arrays.
  const double k = 1.0 / (1.0 / e_start - 1.0 / e_max);
  const double u = experts - 1.0 + k;
  if (!(k > 0) || !std::isfinite(k) || !(u > 0)) return std::numeric_limits<double>::quiet_NaN();
  return 1.0 / (1.0 / u + 1.0 / e_max);
}

ClarkRoutedForm::ClarkRoutedForm()
    : LawForm(
          FormType::kClarkRouted,
          "log10 L = a log10 N + b log10 Ê + c log10 N log10 Ê + d, "
          "1/Ê = 1/(E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max",
          {{"N", "parameters of the dense model the routed model is built from"},
           {"E", "experts per routed layer (1: dense)"}},
          {Linear("a", "parameter exponent (log10 L per log10 N)", {-0.1}),
           Linear("b", "expert exponent (log10 L per log10 Ê)", {-0.1}),
           Linear("c", "interaction of N and Ê", {0, 0.01}),
           Linear("d", "intercept (log10 L at N = 1, Ê = 1)", {0.5, 1.5}),
           Log("E_start", "Ê of a dense model (E = 1)", {std::log(1.5), std::log(4.0)}),
           Log("E_max", "saturation: Ê -> E_max as E grows", {std::log(64.0), std::log(512.0)})}) {}

Eigen::MatrixXd ClarkRoutedForm::Features(const Eigen::MatrixXd& x) const {
  Eigen::MatrixXd f(x.rows(), 2);
  f.col(0) = x.col(0).array().log();
  f.col(1) = x.col(1);
  return f;
}

void ClarkRoutedForm::LogPredict(const Eigen::VectorXd& theta, const Eigen::MatrixXd& features,
                                 Eigen::VectorXd& log_pred, Eigen::MatrixXd* jacobian) const {
  const double a = theta[0], b = theta[1], c = theta[2], d = theta[3];
  const Saturation sat = Saturate(features.col(1).array(), theta[4], theta[5], jacobian != nullptr);
  const Eigen::ArrayXd log_n = features.col(0).array();
  // ln L = ln10 (a n + b h + c n h + d) with n = ln N / ln10, h = ln Ê / ln10.
  log_pred =
      (a * log_n + b * sat.log_e_hat + c * log_n * sat.log_e_hat / kLn10 + d * kLn10).matrix();
  if (jacobian == nullptr) return;
  jacobian->resize(features.rows(), 6);
  jacobian->col(0) = log_n.matrix();
  jacobian->col(1) = sat.log_e_hat.matrix();
  jacobian->col(2) = (log_n * sat.log_e_hat / kLn10).matrix();
  jacobian->col(3).setConstant(kLn10);
  const Eigen::ArrayXd d_log_e_hat = b + c * log_n / kLn10;
  jacobian->col(4) = (d_log_e_hat * sat.d_log_start).matrix();
  jacobian->col(5) = (d_log_e_hat * sat.d_log_max).matrix();
}

JointMoeForm::JointMoeForm()
    : LawForm(FormType::kJointMoe,
              "L = c + a Ê^delta N^(alpha + gamma ln Ê) + b Ê^omega D^(beta + zeta ln Ê), "
              "1/Ê = 1/(E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max",
              {{"N",
                "active parameters per token, embedding and unembedding included "
                "(Ludziejewski et al. 2025, App. A.1)"},
               {"D", "training tokens (C = 6 N D)"},
               {"E",
                "experts per MoE layer of a top-1 MoE with experts as large as the dense FFN "
                "(1: dense)"}},
              {Log("a", "scale of the parameter term", {2, 5}),
               Linear("alpha", "parameter exponent (signed, < 0)", {-0.1, -0.3}),
               Linear("gamma", "change of the parameter exponent per ln Ê", {0}),
               Linear("delta", "expert exponent of the parameter term", {0}),
               Log("b", "scale of the data term", {2, 5}),
               Linear("beta", "data exponent (signed, < 0)", {-0.1, -0.3}),
               Linear("zeta", "change of the data exponent per ln Ê", {0}),
               Linear("omega", "expert exponent of the data term", {0}),
               Log("c", "irreducible loss", {0, 0.5}),
               Log("E_start", "Ê of a dense model (fits hold it at 1 unless freed)", {0}, 1.0),
               Log("E_max", "saturation: Ê -> E_max as E grows",
                   {std::log(100.0), std::log(1000.0)})}) {}

Eigen::MatrixXd JointMoeForm::Features(const Eigen::MatrixXd& x) const {
  Eigen::MatrixXd f(x.rows(), 3);
  f.col(0) = x.col(0).array().log();
  f.col(1) = x.col(1).array().log();
  f.col(2) = x.col(2);
  return f;
}

void JointMoeForm::LogPredict(const Eigen::VectorXd& theta, const Eigen::MatrixXd& features,
                              Eigen::VectorXd& log_pred, Eigen::MatrixXd* jacobian) const {
  const double la = theta[0], alpha = theta[1], gamma = theta[2], delta = theta[3];
  const double lb = theta[4], beta = theta[5], zeta = theta[6], omega = theta[7];
  const double lc = theta[8];
  const Saturation sat =
      Saturate(features.col(2).array(), theta[9], theta[10], jacobian != nullptr);
  const Eigen::ArrayXd log_n = features.col(0).array();
  const Eigen::ArrayXd log_d = features.col(1).array();
  const Eigen::ArrayXd& h = sat.log_e_hat;
  const Eigen::ArrayXd z1 = la + delta * h + (alpha + gamma * h) * log_n;
  const Eigen::ArrayXd z2 = lb + omega * h + (beta + zeta * h) * log_d;
  const Eigen::ArrayXd top = z1.max(z2).max(lc);
  const Eigen::ArrayXd e1 = (z1 - top).exp(), e2 = (z2 - top).exp(), e0 = (lc - top).exp();
  const Eigen::ArrayXd sum = e0 + e1 + e2;
  log_pred = (top + sum.log()).matrix();
  if (jacobian == nullptr) return;
  const Eigen::ArrayXd w1 = e1 / sum, w2 = e2 / sum, w0 = e0 / sum;
  jacobian->resize(features.rows(), 11);
  jacobian->col(0) = w1.matrix();
  jacobian->col(1) = (w1 * log_n).matrix();
  jacobian->col(2) = (w1 * h * log_n).matrix();
  jacobian->col(3) = (w1 * h).matrix();
  jacobian->col(4) = w2.matrix();
  jacobian->col(5) = (w2 * log_d).matrix();
  jacobian->col(6) = (w2 * h * log_d).matrix();
  jacobian->col(7) = (w2 * h).matrix();
  jacobian->col(8) = w0.matrix();
  const Eigen::ArrayXd d_h = w1 * (delta + gamma * log_n) + w2 * (omega + zeta * log_d);
  jacobian->col(9) = (d_h * sat.d_log_start).matrix();
  jacobian->col(10) = (d_h * sat.d_log_max).matrix();
}

Result<ChinchillaCoefficients> JointMoeAtExperts(const Eigen::VectorXd& values, double experts) {
  if (values.size() != 11) {
    return Error{fmt::format("joint_moe: {} coefficients given, the form has 11", values.size())};
  }
  const double e_hat = SaturatedExperts(experts, values[9], values[10]);
  if (!(e_hat > 0) || !std::isfinite(e_hat)) {
    return Error{fmt::format("joint_moe: Ê is undefined at E = {} (E_start {}, E_max {})", experts,
                             values[9], values[10])};
  }
  ChinchillaCoefficients out;
  ReduceJointMoe(std::span<const double, 11>(values.data(), 11), experts, out);
  if (Status s = out.Validate(); !s.ok()) {
    return Error{fmt::format("joint_moe at E = {}: {}", experts, s.error().message)};
  }
  return out;
}

bool ReduceJointMoe(std::span<const double, 11> v, double experts, ChinchillaCoefficients& out) {
  const double e_hat = SaturatedExperts(experts, v[9], v[10]);
  if (!(e_hat > 0) || !std::isfinite(e_hat)) return false;
  const double h = std::log(e_hat);
  // L = c + a Ê^delta N^(alpha + gamma h) + b Ê^omega D^(beta + zeta h), h = ln Ê.
  out.A = v[0] * std::exp(v[3] * h);
  out.alpha = -(v[1] + v[2] * h);
  out.B = v[4] * std::exp(v[7] * h);
  out.beta = -(v[5] + v[6] * h);
  out.E = v[8];
  auto positive = [](double x) { return x > 0 && std::isfinite(x); };
  return positive(out.A) && positive(out.alpha) && positive(out.B) && positive(out.beta) &&
         positive(out.E);
}

double JointMoeLoss(std::span<const double, 11> v, double params, double tokens, double experts) {
  const double h = std::log(SaturatedExperts(experts, v[9], v[10]));
  return v[8] + v[0] * std::exp(v[3] * h) * std::pow(params, v[1] + v[2] * h) +
         v[4] * std::exp(v[7] * h) * std::pow(tokens, v[5] + v[6] * h);
}

}  // namespace moeplan::scaling
