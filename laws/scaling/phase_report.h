//===- laws/scaling/phase_report.h - Law file and report of a phase fit -*- C++ -*-===//
/// \file
/// What `moeplan fit-phases` writes:
///  - a law file (law_json.h) of power laws X_opt = k C^e, C in FLOPs, with targets exactly
///    M_opt, D_opt, Na_over_M_opt, N_over_Na_opt (phase 1), d_opt and num_layers_opt or
///    expert_width_opt (phase 2); `moeplan recommend --laws FILE` reads it. Each coefficient's
///    std_error is the larger of the bootstrap and the OLS standard errors (the bootstrap sees
///    the noise of each budget's optimum, OLS the scatter of the optima about the line, which
///    also holds any misfit of the power law); its ci is the bootstrap percentile interval;
///    its note gives both numbers.
///  - a report, JSON with "format": "moeplan-fit-phases-report", "version": 1: the options, per
///    phase and budget the optima with their intervals, the best run and the near-optimal band;
///    the power laws with OLS and bootstrap uncertainty; the exponent-sum check; the trends of
///    the band with C; the rank tests of phase 2; and the law file itself. Optional values that
///    are undefined (a p-value below 3 points) are null, never NaN.
//===----------------------------------------------------------------------===//
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "laws/scaling/law.h"
#include "laws/scaling/phase_fit.h"

namespace moeplan::scaling {

inline constexpr std::string_view kPhaseReportFormat = "moeplan-fit-phases-report";
inline constexpr int kPhaseReportVersion = 1;

/// The law file of a fit, named `name`.
LawFile MakePhaseLawFile(const PhaseFit& fit, const PhaseResults& results, std::string name);

/// The full report; `laws` is embedded as written.
nlohmann::json PhaseFitReportJson(const PhaseFit& fit, const PhaseResults& results,
                                  const LawFile& laws);

}  // namespace moeplan::scaling
