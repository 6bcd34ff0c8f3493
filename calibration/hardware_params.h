//===- calibration/hardware_params.h - The hwmodel fields calibration fits -*- C++ -*-===//
/// \file
/// Every hwmodel field that calibration can fit, named by its JSON path in the hardware file,
/// with the physical range the solver keeps it in and an accessor into `hw::Hardware`:
///
///   efficiency.gemm.{compute_efficiency, grouped_compute_efficiency, memory_efficiency}
///                                                    fractions in [0.01, 1]
///   efficiency.gemm.k_half                           [1, 1e5] elements, log scale
///   efficiency.attention.{forward,backward,memory}_efficiency   [0.01, 1]
///   efficiency.attention.seq_half                    [1, 1e6] tokens, log scale
///   efficiency.memory.{elementwise,norm,router,permute,optimizer}   [0.01, 1]
///   efficiency.memory.half_bandwidth_bytes           [1e3, 1e10] bytes, log scale
///   efficiency.collective.call_overhead              [1e-8, 1e-3] s, log scale
///   efficiency.collective.scale_{up,out}.max_efficiency          [0.01, 1]
///   efficiency.collective.scale_{up,out}.half_efficiency_bytes   [1, 1e11] bytes, log scale
///   scale_up.latency, scale_out.latency              [1e-9, 1e-3] s, log scale
///   efficiency.launch_overhead                       (fitted directly, see kernel_fit.h)
///
/// Tile sizes are integers and stay as the base has them. Thread-safe (constant tables).
//===----------------------------------------------------------------------===//
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "calibration/robust_lm.h"
#include "hwmodel/hardware.h"

namespace moeplan::calibration {

/// One fittable field.
struct HardwareParam {
  std::string_view path;
  double lower;
  double upper;
  bool log_scale;
  double& (*field)(hw::Hardware& hardware);
};

/// The field at `path`, or nullptr.
const HardwareParam* FindHardwareParam(std::string_view path);

/// All fittable fields, in the order above.
const std::vector<HardwareParam>& HardwareParams();

/// The solver's view of `params`, starting from their values in `start`.
std::vector<BoundedParam> ToBoundedParams(const std::vector<const HardwareParam*>& params,
                                          const hw::Hardware& start);

/// Writes `values` (physical, in the order of `params`) into `hardware`.
void ApplyValues(const std::vector<const HardwareParam*>& params, std::span<const double> values,
                 hw::Hardware& hardware);

/// Reads the current value of `param` from `hardware`.
double ValueOf(const HardwareParam& param, const hw::Hardware& hardware);

}  // namespace moeplan::calibration
