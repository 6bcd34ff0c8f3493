//===- laws/scaling/special_functions.h - Tail probabilities for tests -*- C++ -*-===//
/// \file
/// The few special functions the significance tests of fit-phases need (rank_correlation.h,
/// near_optimal_band.h), implemented here because no maintained C++ statistics library is
/// installed (Debian's Boost.Math headers are not a dependency of moeplan):
///
///  - the regularized incomplete beta function I_x(a, b), by the continued fraction of
///    Numerical Recipes (3rd ed., Sec. 6.4) evaluated with the modified Lentz method, using the
///    symmetry I_x(a, b) = 1 - I_{1-x}(b, a) on the side where the fraction converges fast;
///  - the two-sided tail of Student's t: P(|T| >= |t|) = I_{dof/(dof+t^2)}(dof/2, 1/2)
///    (Abramowitz & Stegun 26.5.27 with 26.7.1);
///  - the two-sided p-value of a correlation coefficient r of n pairs under the null of no
///    correlation, t = r sqrt((n-2)/(1-r^2)) with n-2 degrees of freedom, which simplifies to
///    I_{1-r^2}((n-2)/2, 1/2) (no division by 1 - r^2, exact 0 at |r| = 1);
///  - the two-sided normal tail erfc(|z| / sqrt 2).
/// Relative accuracy about 1e-13 for the arguments these tests produce (checked against
/// scipy.special in tests/laws/scaling/rank_correlation_test.cc). Pure functions, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

namespace moeplan::scaling {

/// I_x(a, b) for a > 0, b > 0; x is clamped to [0, 1].
double RegularizedIncompleteBeta(double a, double b, double x);

/// P(|T| >= |t|) for T ~ Student t with `dof` > 0 degrees of freedom (1 at t = 0, 0 at inf).
double StudentTTwoSidedP(double t, double dof);

/// Two-sided p-value of a correlation r in [-1, 1] of n >= 3 pairs (t test, n - 2 dof).
double CorrelationTwoSidedP(double r, double n);

/// P(|Z| >= |z|) for a standard normal Z.
double NormalTwoSidedP(double z);

}  // namespace moeplan::scaling
