//===- calibration/collective_fit.h - Fit alpha-beta parameters to nccl-tests -*- C++ -*-===//
/// \file
/// Fits hwmodel's collective parameters (hwmodel/collective_cost.h) to nccl-tests results
/// (nccl_log.h), per placement, with each row's out-of-place time predicted by
/// hw::CollectiveTime for the same collective, buffer size and group:
///
///   scale-up   logs from one host (one NVLink domain): efficiency.collective.call_overhead,
///              scale_up.latency (alpha per step), and the size-dependent efficiency curve
///              eff(S) = max_efficiency * S / (S + half_efficiency_bytes) of the scale-up tier
///   scale-out  logs across hosts (one GPU per host, or several: hierarchical, which also uses
///              the scale-up fit): scale_out.latency and the scale-out efficiency curve (and
///              call_overhead when there is no scale-up log)
///
/// Placement: on HGX-style hardware (domain_size <= gpus_per_node) hosts are the scale-up
/// domains, so a test with r ranks on each of m hosts is PlaceGroup(r * m, r). On rack-scale
/// domains (GB200 NVL72) the hosts of one job are assumed to share domains in order.
/// Rows with size 0 or #wrong > 0, and tests hwmodel does not model (broadcast, ...), are left
/// out with a note. Use logs run with NCCL_ALGO=Ring where possible: hwmodel models rings, and
/// NVLink SHARP (NVLS) all-reduce beats the ring bound (the fit then pins max_efficiency at 1).
//===----------------------------------------------------------------------===//
#pragma once

#include <span>
#include <string>
#include <vector>

#include "calibration/fit_stage.h"
#include "calibration/nccl_log.h"
#include "hwmodel/collective_cost.h"
#include "hwmodel/hardware.h"
#include "laws/support/result.h"

namespace moeplan::calibration {

/// One nccl-tests row prepared for fitting.
struct CollectivePoint {
  std::string source;  ///< log file
  int line = 0;        ///< line of the row
  std::string test_name;
  hw::Collective collective = hw::Collective::kAllReduce;
  hw::CollectiveGroup group;
  int num_hosts = 1;
  double bytes = 0.0;     ///< nccl-tests "size"
  double measured = 0.0;  ///< out-of-place time, seconds
  std::string fold_key;   ///< test and size: cross-validation keeps a size of a test together

  bool scale_up() const { return group.placement == hw::Placement::kScaleUp; }
};

/// Points from parsed logs under `hardware`'s topology. Errors name the log and line when a
/// test does not fit the hardware, e.g. "ar.log: line 2: 16 ranks per host, but 'h100-sxm' has
/// 8 GPUs per node: choose the matching --base".
[[nodiscard]] Result<std::vector<CollectivePoint>> CollectivePoints(
    std::span<const NcclTest> tests, const hw::Hardware& hardware, std::vector<std::string>& notes);

struct CollectiveFit {
  hw::Hardware hardware;
  std::vector<FittedParam> params;
  std::vector<StageSummary> stages;
  std::vector<std::string> notes;
};

struct CollectiveFitOptions {
  SolverOptions solver;
  bool strict = true;  ///< too few rows is an error (else: keep starting values)
};

/// Fits the scale-up then the scale-out parameters, starting from `start`.
[[nodiscard]] Result<CollectiveFit> FitCollectives(std::span<const CollectivePoint> points,
                                                   const hw::Hardware& start,
                                                   const CollectiveFitOptions& options);

/// hw::CollectiveTime of the point under `hardware`.
double PredictCollective(const CollectivePoint& point, const hw::Hardware& hardware);

}  // namespace moeplan::calibration
