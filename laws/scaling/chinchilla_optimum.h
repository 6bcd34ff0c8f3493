//===- laws/scaling/chinchilla_optimum.h - Compute-optimal N and D -*- C++ -*-===//
/// \file
/// The closed-form compute-optimal allocation of the Chinchilla law (Hoffmann et al. 2022,
/// arXiv:2203.15556, Eq. 4). For L(N, D) = E + A/N^alpha + B/D^beta under C = k N D (k = 6
/// FLOPs per parameter per token: forward + backward), setting dL/dN = 0 along D = C/(k N):
///
///   N_opt(C) = G (C/k)^a,   D_opt(C) = G^-1 (C/k)^b,
///   G = (alpha A / (beta B))^(1/(alpha+beta)),  a = beta/(alpha+beta),  b = alpha/(alpha+beta)
///
/// so a + b = 1 and N_opt D_opt = C/k exactly. N and D carry the conventions of the law's
/// fit (Hoffmann et al.: all parameters, embeddings included). Pure functions, thread-safe.
/// Example: Hoffmann et al.'s own fit gives a = 0.28/0.62 = 0.4516.
//===----------------------------------------------------------------------===//
#pragma once

#include "laws/support/result.h"

namespace moeplan::scaling {

struct ChinchillaCoefficients {
  double A = 0;      ///< scale of the parameter term
  double B = 0;      ///< scale of the data term
  double E = 0;      ///< irreducible loss
  double alpha = 0;  ///< parameter exponent
  double beta = 0;   ///< data exponent
  /// All positive and finite.
  [[nodiscard]] Status Validate() const;
};

struct ChinchillaAllocation {
  double compute = 0;           ///< C, FLOPs
  double params = 0;            ///< N_opt
  double tokens = 0;            ///< D_opt
  double loss = 0;              ///< L(N_opt, D_opt)
  double tokens_per_param = 0;  ///< D_opt / N_opt
};

/// L(N, D).
double ChinchillaLoss(const ChinchillaCoefficients& c, double params, double tokens);
/// G = (alpha A / (beta B))^(1/(alpha+beta)).
double ChinchillaScale(const ChinchillaCoefficients& c);
/// a = beta/(alpha+beta): N_opt grows as C^a.
double ChinchillaParamsExponent(const ChinchillaCoefficients& c);
/// b = alpha/(alpha+beta): D_opt grows as C^b.
double ChinchillaTokensExponent(const ChinchillaCoefficients& c);
/// The optimum at compute C = flops_per_param_token * N * D.
ChinchillaAllocation ChinchillaOptimum(const ChinchillaCoefficients& c, double compute,
                                       double flops_per_param_token = 6.0);

}  // namespace moeplan::scaling
