//===- calibration/synthetic.h - Profiles and nccl-tests logs from known parameters -*- C++ -*-===//
/// \file
/// Synthetic inputs for the calibration round trip: a profile whose times are hwmodel's own
/// predictions under known ("true") parameters times seeded log-normal noise, and nccl-tests
/// logs in the exact text format of nccl_log.h generated the same way. Fitting them back must
/// recover the parameters the data determine (tests/calibration/synthetic_roundtrip_test.cc);
/// docs/validation.md reports the numbers, labelled synthetic. These are not measurements.
///
/// Profile: the shape grid of profiler::MakeGrid (full or quick, attention and FP8 included
/// when the hardware has FP8), each case lowered as lowering.h does. A case of k primitives
/// gets k kernels; its busy time is the sum of the primitives' times without launch overhead,
/// times exp(noise * z) (z standard normal from splitmix64 + Box-Muller: the same numbers on
/// every platform), and its span adds (k - 1) launch gaps. An `outlier_fraction` of the
/// measurements is multiplied by `outlier_factor` to exercise the robust loss.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hwmodel/collective_cost.h"
#include "hwmodel/hardware.h"
#include "profiler/core/profile.h"
#include "profiler/core/shape_grid.h"

namespace moeplan::calibration {

struct SyntheticOptions {
  double noise = 0.02;  ///< log-normal sigma of the multiplicative noise (0.02 ~ 2%)
  uint64_t seed = 7;
  profiler::GridSize grid = profiler::GridSize::kFull;
  double copy_efficiency = 0.90;  ///< true fraction of HBM bandwidth a device copy reaches
  double outlier_fraction = 0.0;  ///< share of measurements made outliers
  double outlier_factor = 1.5;    ///< their time is multiplied by this
};

/// A profile of `truth` (mode "full"/"quick", tool "moeplan synthetic").
profiler::Profile MakeSyntheticProfile(const hw::Hardware& truth, const SyntheticOptions& options);

/// The nccl-tests output of one test: `hosts` hosts with `ranks_per_host` GPUs each, buffer
/// sizes `sizes` (bytes), out-of-place and in-place times from hw::CollectiveTime under
/// `truth` with log-normal noise.
std::string MakeSyntheticNcclLog(const hw::Hardware& truth, hw::Collective collective,
                                 int ranks_per_host, int hosts, const std::vector<int64_t>& sizes,
                                 double noise, uint64_t seed);

}  // namespace moeplan::calibration
