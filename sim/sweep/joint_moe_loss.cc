//===- sim/sweep/joint_moe_loss.cc - The joint MoE law inside the sweep ---===//
#include "sim/sweep/joint_moe_loss.h"

#include <cmath>
#include <limits>

namespace moeplan::plan {

double JointSaturatedExperts(const JointMoeValues& v, double experts) {
  const double e_start = v[kJointEStart], e_max = v[kJointEMax];
  const double k = 1.0 / (1.0 / e_start - 1.0 / e_max);
  const double u = experts - 1.0 + k;
  if (!(k > 0) || !std::isfinite(k) || !(u > 0)) return std::numeric_limits<double>::quiet_NaN();
  return 1.0 / (1.0 / u + 1.0 / e_max);
}

bool JointMoeAtExpertsInline(const JointMoeValues& v, double experts,
                             scaling::ChinchillaCoefficients& out) {
  const double e_hat = JointSaturatedExperts(v, experts);
  if (!(e_hat > 0) || !std::isfinite(e_hat)) return false;
  const double h = std::log(e_hat);
  out.A = v[0] * std::exp(v[3] * h);
  out.alpha = -(v[1] + v[2] * h);
  out.B = v[4] * std::exp(v[7] * h);
  out.beta = -(v[5] + v[6] * h);
  out.E = v[8];
  auto positive = [](double x) { return x > 0 && std::isfinite(x); };
  return positive(out.A) && positive(out.alpha) && positive(out.B) && positive(out.beta) &&
         positive(out.E);
}

double JointMoeLoss(const JointMoeValues& v, double params, double tokens, double experts) {
  const double h = std::log(JointSaturatedExperts(v, experts));
  return v[8] + v[0] * std::exp(v[3] * h) * std::pow(params, v[1] + v[2] * h) +
         v[4] * std::exp(v[7] * h) * std::pow(tokens, v[5] + v[6] * h);
}

double EffectiveExperts(const laws::Triad& triad) {
  int64_t total = 0, active = 0;
  for (laws::Component c : {laws::Component::kRoutedExperts, laws::Component::kSharedExperts,
                            laws::Component::kDenseFfn}) {
    total += triad[c].params;
    active += triad[c].active_params;
  }
  if (active <= 0) return 1.0;
  return static_cast<double>(total) / static_cast<double>(active);
}

}  // namespace moeplan::plan
