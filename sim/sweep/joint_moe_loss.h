//===- sim/sweep/joint_moe_loss.h - The joint MoE law inside the sweep -*- C++ -*-===//
/// \file
/// The joint MoE loss law of Ludziejewski et al. 2025 ("Joint MoE Scaling Laws",
/// arXiv:2502.05172, Eq. 6; form JointMoeForm of laws/scaling/routed_forms.h) in the sweep:
///
///   1/Ê = 1 / (E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max
///   L   = c + a Ê^delta N^(alpha + gamma ln Ê) + b Ê^omega D^(beta + zeta ln Ê)
///
/// N: active parameters, embedding and LM head included (their App. A.1); D: training tokens.
///
/// What E is for a moeplan candidate. The paper fits top-1 ("Switch") MoEs whose experts are
/// as large as the dense FFN (granularity 1), with an MoE layer in every block and no shared
/// experts; E is then both the expert count and the ratio of total to active FFN parameters.
/// Fine-grained experts, top-k > 1, shared experts and leading dense layers are outside the
/// fit (their Sec. 6 names granularity as future work), so moeplan maps every candidate to the
/// top-1 model with the same sparsity:
///
///   E_eff = (total FFN parameters) / (active FFN parameters), over all decoder layers,
///
/// FFN parameters being routed experts + shared experts + dense-layer FFNs (router and
/// attention excluded). E_eff is exactly E for the paper's models and exactly 1 for a dense
/// model; for N_e = 256, K = 8 it is 32 (a 32-fold sparse model), so a fine-grained MoE is
/// read as the top-1 MoE of equal sparsity. This is an extrapolation: the gain of finer
/// granularity at equal sparsity (Krajewski et al. 2024, arXiv:2402.07871) is not in the law,
/// and the plan reports when E_eff (or N, D) leaves the fitted range.
///
/// Compute convention: the paper writes C = 6 N_act D (App. A.2); moeplan's evaluator sets
/// D = C / M with M its own non-embedding forward+backward FLOPs per token with attention
/// counted full (DESIGN.md), so the same C buys slightly different D than in the paper (M
/// omits the embedding's 6 x 2 V d and adds the attention score/value products). The law only
/// ever sees (N_act, D, E), never C.
///
/// The law itself (Ê, the per-E Chinchilla reduction, L) is laws/scaling/routed_forms.h's
/// allocation-free ReduceJointMoe / JointMoeLoss; this file adds what E is for a candidate.
/// Pure functions on values, thread-safe.
/// Example: the preset at N = 1e9, D = 2e10, E = 8 gives L = 2.50878 (hand derivation in
/// tests/laws/scaling/law_presets_test.cc).
//===----------------------------------------------------------------------===//
#pragma once

#include <array>

#include "laws/accounting.h"

namespace moeplan::plan {

/// JointMoeForm's coefficients in its parameter order: a, alpha, gamma, delta, b, beta, zeta,
/// omega, c, E_start, E_max (natural units, exponents signed as in the paper).
using JointMoeValues = std::array<double, 11>;

/// E_eff = (routed + shared + dense FFN parameters) / (their active parameters), from a triad's
/// breakdown; 1 when the model has no FFN parameters at all.
double EffectiveExperts(const laws::Triad& triad);

}  // namespace moeplan::plan
