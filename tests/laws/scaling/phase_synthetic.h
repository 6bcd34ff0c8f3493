//===- tests/laws/scaling/phase_synthetic.h - Synthetic two-phase results -*- C++ -*-===//
/// \file
/// Results of two-phase experiments generated from a known law whose per-budget optima are
/// exact power laws of C, for the fit-phases tests:
///
///   phase 1:  L = L0(C) + a (ln M - ln M*)^2 + b (ln r1 - ln r1*)^2 + c (ln r2 - ln r2*)^2
///                       + g (ln M - ln M*)(ln r1 - ln r1*)
///             r1 = N_a / M, r2 = N / N_a, M* = 0.1715 C^0.5243, r1* = 0.5 C^-0.02,
///             r2* = 0.8 C^0.05, L0 = 1.6 + 30 C^-0.08
///   phase 2:  L = L0(C) + a_d (ln d - ln d*)^2 + a_s (ln s - ln s*)^2
///                       + g_ds (ln d - ln d*)(ln s - ln s*)
///             d* = 0.16 C^0.2, s* = num_layers* = 0.2 C^0.1 (or expert_width* = 40 C^0.05)
///   optionally every curvature times (C / 1e18)^-p (a band that widens with C)
///
/// The loss is a quadratic in the logs, so its minimum over (M, r1, r2) at fixed C is exactly
/// (M*, r1*, r2*) when the quadratic form is positive definite (here a b > g^2 / 4), whatever
/// the cross term: the surface estimator must recover the laws to rounding. D* = C / M*, so
/// D_opt = (1 / 0.1715) C^(1 - 0.5243). Grids are like Wan et al.'s: five budgets a factor
/// ~3 apart, 5 x 3 x 3 runs in phase 1 around (but not centred on) the optimum, a 5 x 5 grid
/// of d (multiples of 64) and depth (integers) in phase 2. Noise: loss x (1 + sigma z), z
/// standard normal from a seeded SplitMix64 + Box-Muller (the same on every platform).
//===----------------------------------------------------------------------===//
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "laws/scaling/phase_results.h"

namespace moeplan::testing {

struct SyntheticLaw {
  double k_m = 0.1715, e_m = 0.5243;  // M* (FLOPs per token)
  double k_r1 = 0.5, e_r1 = -0.02;    // (N_a / M)*
  double k_r2 = 0.8, e_r2 = 0.05;     // (N / N_a)*
  double k_d = 0.16, e_d = 0.2;       // d*
  double k_s = 0.2, e_s = 0.1;        // num_layers* (or expert width*, see expert_width)
  double a = 0.03, b = 0.02, c = 0.01, g = 0.01;  // phase-1 curvatures and M-r1 cross term
  double a_d = 0.02, a_s = 0.015, g_ds = 0.0;     // phase-2 curvatures and cross term
  bool expert_width = false;  // phase 2 varies expert_width (k_s, e_s = 40, 0.05) not depth
  /// Every curvature is multiplied by (C / 1e18)^-curvature_exponent: flatter optima at larger
  /// budgets, the widening band Wan et al. report.
  double curvature_exponent = 0.0;
  double sigma = 0.0;  // relative loss noise
  uint64_t seed = 1;
  std::vector<double> budgets = {1e18, 3e18, 1e19, 3e19, 1e20};

  double L0(double c_flops) const { return 1.6 + 30 * std::pow(c_flops, -0.08); }
  double Flatness(double c_flops) const { return std::pow(c_flops / 1e18, -curvature_exponent); }
  double MStar(double c_flops) const { return k_m * std::pow(c_flops, e_m); }
  double R1Star(double c_flops) const { return k_r1 * std::pow(c_flops, e_r1); }
  double R2Star(double c_flops) const { return k_r2 * std::pow(c_flops, e_r2); }
  double DStar(double c_flops) const { return k_d * std::pow(c_flops, e_d); }
  double SStar(double c_flops) const { return k_s * std::pow(c_flops, e_s); }
};

class NormalNoise {
 public:
  explicit NormalNoise(uint64_t seed) : state_(seed) {}
  double Next() {
    // Box-Muller on two uniforms in (0, 1].
    const double u1 = (static_cast<double>(Bits() >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = static_cast<double>(Bits() >> 11) * 0x1.0p-53;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t Bits() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

/// Phase 1 and phase 2 runs of `law` as PhaseRun rows (row numbers 1..n).
inline scaling::PhaseResults MakeSyntheticResults(const SyntheticLaw& law, bool phase1 = true,
                                                  bool phase2 = true) {
  scaling::PhaseResults results;
  results.source = "synthetic.csv";
  results.has_num_layers = true;
  results.has_expert_width = true;
  NormalNoise noise(law.seed);
  auto add = [&](scaling::PhaseRun run, double loss) {
    run.row = static_cast<int64_t>(results.runs.size()) + 1;
    run.run_id = "run-" + std::to_string(run.row);
    run.loss = loss * (1.0 + law.sigma * noise.Next());
    results.runs.push_back(run);
  };
  for (double c : law.budgets) {
    if (!phase1) break;
    for (int i = -2; i <= 2; ++i) {
      for (int j = -1; j <= 1; ++j) {
        for (int k = -1; k <= 1; ++k) {
          // Offsets in ln units keep the optimum inside but off the grid's centre.
          const double dm = 0.3 + i * std::log(2.0), dr1 = -0.2 + j * std::log(2.0),
                       dr2 = 0.15 + k * std::log(3.0);
          scaling::PhaseRun run;
          run.phase = 1;
          run.compute = c;
          run.flops_per_token = law.MStar(c) * std::exp(dm);
          run.active_params = law.R1Star(c) * std::exp(dr1) * run.flops_per_token;
          run.total_params = law.R2Star(c) * std::exp(dr2) * run.active_params;
          run.tokens = c / run.flops_per_token;
          run.hidden_size = 1024;
          run.num_layers = 16;
          run.expert_width = 512;
          add(run, law.L0(c) + law.Flatness(c) * (law.a * dm * dm + law.b * dr1 * dr1 +
                                                  law.c * dr2 * dr2 + law.g * dm * dr1));
        }
      }
    }
  }
  for (double c : law.budgets) {
    if (!phase2) break;
    const double d_star = law.DStar(c), s_star = law.SStar(c);
    for (int i = -2; i <= 2; ++i) {
      const double d = 64.0 * std::round(d_star * std::exp(0.1 + 0.35 * i) / 64.0);
      for (double factor : {0.5, 0.7, 1.0, 1.4, 2.0}) {
        const double s = law.expert_width ? 64.0 * std::round(s_star * factor * 1.1 / 64.0)
                                          : std::round(s_star * factor * 1.1);
        const double dd = std::log(d / d_star), ds = std::log(s / s_star);
        scaling::PhaseRun run;
        run.phase = 2;
        run.compute = c;
        run.hidden_size = d;
        // The other variable follows from the triad: vary it with d so it forms no grid.
        run.num_layers = law.expert_width ? std::round(24 * 1024 / d) : s;
        run.expert_width = law.expert_width ? s : 64 * std::max(1.0, std::round(d * 8 / s / 64));
        run.flops_per_token = law.MStar(c);
        run.active_params = law.R1Star(c) * run.flops_per_token;
        run.total_params = law.R2Star(c) * run.active_params;
        run.tokens = c / run.flops_per_token;
        add(run, law.L0(c) + law.Flatness(c) *
                                 (law.a_d * dd * dd + law.a_s * ds * ds + law.g_ds * dd * ds));
      }
    }
  }
  return results;
}

/// The same runs as a results CSV in the manifest's column order plus loss.
inline std::string ToResultsCsv(const scaling::PhaseResults& results) {
  std::ostringstream out;
  out.precision(17);
  out << "run_id,phase,compute,hidden_size,num_layers,num_experts,top_k,expert_width,"
         "shared_experts,first_dense_layers,num_heads,num_kv_heads,head_dim,vocab_size,seq_len,"
         "flops_per_token,active_params,total_params,tokens,active_over_flops,total_over_active,"
         "learning_rate,batch_tokens,loss\n";
  for (const scaling::PhaseRun& r : results.runs) {
    out << r.run_id << "," << r.phase << "," << r.compute << "," << r.hidden_size << ","
        << r.num_layers << ",64,8," << r.expert_width << ",1,1,16,4,64,65536,4096,"
        << r.flops_per_token << "," << r.active_params << "," << r.total_params << "," << r.tokens
        << "," << r.active_params / r.flops_per_token << "," << r.total_params / r.active_params
        << ",0.001,1048576," << r.loss << "\n";
  }
  return out.str();
}

}  // namespace moeplan::testing
