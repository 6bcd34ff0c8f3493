//===- sim/sweep/joint_moe_loss.cc - The joint MoE law inside the sweep ---===//
#include "sim/sweep/joint_moe_loss.h"

namespace moeplan::plan {

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
