//===- calibration/hardware_params.cc - The hwmodel fields calibration fits -===//
#include "calibration/hardware_params.h"

namespace moeplan::calibration {
namespace {

constexpr double kMinEfficiency = 0.01;

}  // namespace

const std::vector<HardwareParam>& HardwareParams() {
  using hw::Hardware;
  static const std::vector<HardwareParam> params = {
      {"efficiency.gemm.compute_efficiency", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.gemm.compute_efficiency; }},
      {"efficiency.gemm.grouped_compute_efficiency", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.gemm.grouped_compute_efficiency; }},
      {"efficiency.gemm.k_half", 1.0, 1e5, true,
       [](Hardware& h) -> double& { return h.efficiency.gemm.k_half; }},
      {"efficiency.gemm.memory_efficiency", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.gemm.memory_efficiency; }},
      {"efficiency.attention.forward_efficiency", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.attention.forward_efficiency; }},
      {"efficiency.attention.backward_efficiency", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.attention.backward_efficiency; }},
      {"efficiency.attention.seq_half", 1.0, 1e6, true,
       [](Hardware& h) -> double& { return h.efficiency.attention.seq_half; }},
      {"efficiency.attention.memory_efficiency", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.attention.memory_efficiency; }},
      {"efficiency.memory.elementwise", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.memory.elementwise; }},
      {"efficiency.memory.norm", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.memory.norm; }},
      {"efficiency.memory.router", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.memory.router; }},
      {"efficiency.memory.permute", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.memory.permute; }},
      {"efficiency.memory.optimizer", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.memory.optimizer; }},
      {"efficiency.memory.half_bandwidth_bytes", 1e3, 1e10, true,
       [](Hardware& h) -> double& { return h.efficiency.memory.half_bandwidth_bytes; }},
      {"efficiency.collective.call_overhead", 1e-8, 1e-3, true,
       [](Hardware& h) -> double& { return h.efficiency.collective.call_overhead; }},
      {"efficiency.collective.scale_up.max_efficiency", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.collective.scale_up.max_efficiency; }},
      {"efficiency.collective.scale_up.half_efficiency_bytes", 1.0, 1e11, true,
       [](Hardware& h) -> double& {
         return h.efficiency.collective.scale_up.half_efficiency_bytes;
       }},
      {"efficiency.collective.scale_out.max_efficiency", kMinEfficiency, 1.0, false,
       [](Hardware& h) -> double& { return h.efficiency.collective.scale_out.max_efficiency; }},
      {"efficiency.collective.scale_out.half_efficiency_bytes", 1.0, 1e11, true,
       [](Hardware& h) -> double& {
         return h.efficiency.collective.scale_out.half_efficiency_bytes;
       }},
      {"scale_up.latency", 1e-9, 1e-3, true,
       [](Hardware& h) -> double& { return h.scale_up.latency; }},
      {"scale_out.latency", 1e-9, 1e-3, true,
       [](Hardware& h) -> double& { return h.scale_out.latency; }},
  };
  return params;
}

const HardwareParam* FindHardwareParam(std::string_view path) {
  for (const HardwareParam& param : HardwareParams()) {
    if (param.path == path) return &param;
  }
  return nullptr;
}

double ValueOf(const HardwareParam& param, const hw::Hardware& hardware) {
  // The accessor returns a mutable reference; it is only read here.
  return param.field(const_cast<hw::Hardware&>(hardware));
}

std::vector<BoundedParam> ToBoundedParams(const std::vector<const HardwareParam*>& params,
                                          const hw::Hardware& start) {
  std::vector<BoundedParam> bounded;
  for (const HardwareParam* param : params) {
    bounded.push_back({std::string(param->path), param->lower, param->upper, param->log_scale,
                       ValueOf(*param, start)});
  }
  return bounded;
}

void ApplyValues(const std::vector<const HardwareParam*>& params, std::span<const double> values,
                 hw::Hardware& hardware) {
  for (size_t param_idx = 0; param_idx < params.size() && param_idx < values.size(); ++param_idx) {
    params[param_idx]->field(hardware) = values[param_idx];
  }
}

}  // namespace moeplan::calibration
