//===- hwmodel/hardware.h - Device, node, fabric and fleet ------*- C++ -*-===//
/// \file
/// What the hardware is, with no knowledge of any model: one GPU (`DeviceSpec`: peak dense
/// FLOP/s per precision, HBM, SMs, L2), the node that holds it (`NodeSpec`), the two network
/// tiers (`ScaleUpSpec`: NVLink/NVSwitch, xGMI or an NVL72 rack; `ScaleOutSpec`: InfiniBand or
/// RoCE), the fittable efficiencies (`EfficiencyParams`), and a `Fleet` of N such GPUs.
///
/// Units are SI throughout: FLOP/s, bytes, bytes/s, seconds. Bandwidths are per GPU and per
/// direction (a vendor's "900 GB/s bidirectional NVLink" is 450e9 here). Peaks are dense (no
/// 2:4 sparsity). Presets live in hwmodel/presets.h, the JSON format in hwmodel/hardware_json.h.
///
/// Two tiers, not three: the fast tier is the scale-up domain. On HGX/DGX systems it is the
/// 8-GPU node; on GB200 NVL72 it is the 72-GPU rack spanning 18 four-GPU trays. Nodes matter for
/// fleet sizing (whole nodes), domains for communication cost (hwmodel/collective_cost.h).
///
/// A calibrated hardware file also says what it was fitted on and how well it predicts what it
/// did not see (`CalibrationRecord`): plain data that hwmodel reads, checks and writes, and that
/// no cost model uses.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hwmodel/efficiency.h"
#include "hwmodel/precision.h"
#include "laws/support/result.h"

namespace moeplan::hw {

/// One accelerator. All peaks are dense tensor-core rates.
struct DeviceSpec {
  std::string name;              ///< marketing name, e.g. "NVIDIA H100 SXM5 80GB"
  double peak_flops_bf16 = 0.0;  ///< FLOP/s, BF16/FP16 inputs with FP32 accumulation
  double peak_flops_fp8 = 0.0;   ///< FLOP/s; 0 means FP8 is not supported (A100)
  double peak_flops_tf32 = 0.0;  ///< FLOP/s
  int64_t hbm_bytes = 0;         ///< HBM capacity in bytes
  double hbm_bandwidth = 0.0;    ///< HBM bandwidth, bytes/s
  int64_t num_sms = 0;           ///< streaming multiprocessors (compute units on AMD)
  int64_t l2_bytes = 0;          ///< last-level on-chip cache shared by the SMs (L2), bytes
  /// Exponentials per second of the special-function units (MUFU.EX2 on NVIDIA), the second
  /// limit of fused attention besides the tensor cores: every attention score needs one in
  /// the forward pass and one again in the backward (see attention_cost.h). 0: not modelled.
  double exp_rate = 0.0;

  /// Peak of `precision` in FLOP/s (0 when unsupported).
  double PeakFlops(Precision precision) const {
    switch (precision) {
      case Precision::kBf16:
        return peak_flops_bf16;
      case Precision::kFp8:
        return peak_flops_fp8;
      case Precision::kTf32:
        return peak_flops_tf32;
    }
    return 0.0;
  }
  bool Supports(Precision precision) const { return PeakFlops(precision) > 0.0; }
  bool operator==(const DeviceSpec&) const = default;
};

struct NodeSpec {
  int64_t gpus_per_node = 8;  ///< GPUs in one server / tray; fleets are whole nodes
  bool operator==(const NodeSpec&) const = default;
};

/// The fast tier: GPUs that reach each other over NVLink/NVSwitch or xGMI.
struct ScaleUpSpec {
  std::string technology;  ///< e.g. "NVLink 4 via NVSwitch"
  double bandwidth = 0.0;  ///< bytes/s per GPU per direction into the fabric
  /// Seconds per algorithm step (alpha of the alpha-beta model); fittable.
  double latency = 0.0;
  /// GPUs per scale-up domain: 8 on HGX/DGX boards, 72 on GB200 NVL72. Must be a multiple or a
  /// divisor of NodeSpec::gpus_per_node.
  int64_t domain_size = 8;
  bool operator==(const ScaleUpSpec&) const = default;
};

/// The slow tier: the NICs that connect scale-up domains.
struct ScaleOutSpec {
  std::string technology;  ///< e.g. "InfiniBand NDR, one 400 Gb/s NIC per GPU"
  double bandwidth = 0.0;  ///< bytes/s per GPU per direction (400 Gb/s NIC = 50e9)
  /// Seconds per algorithm step (alpha of the alpha-beta model); fittable.
  double latency = 0.0;
  bool operator==(const ScaleOutSpec&) const = default;
};

/// Held-out prediction error of one group of validation points, in percent of the measured
/// value: |predicted - measured| / measured x 100, each point predicted by a fit that did not
/// see it. Groups are named by whoever calibrated: op classes ("gemm", "moe_layer"),
/// collective classes ("scale_up all_reduce x8") or case groups ("published_moe").
struct HeldOutError {
  std::string group;                   ///< "class" in JSON; non-empty, unique in a record
  int64_t points = 0;                  ///< points in the group, >= 1
  double mape_held_out = 0.0;          ///< mean absolute held-out error, %
  std::optional<double> worst_error;   ///< largest absolute held-out error, %
  std::optional<double> median_error;  ///< median absolute held-out error, %
  bool operator==(const HeldOutError&) const = default;
};

/// What a calibration was fitted on and its cross-validated errors, carried in the hardware
/// file (the "calibration" object) so that the file documents itself. Model-agnostic: strings,
/// counts and errors, filled in by calibration/ and read back by hwmodel without knowing how
/// they were computed. Example (moeplan calibrate):
///   tool "moeplan 0.1.0 calibrate", base "h100-sxm", source "h100.json",
///   device "NVIDIA H100 80GB HBM3", measurements_used 412 of 420, folds 5,
///   errors {{"gemm", 96, 1.7, 6.2}, {"moe_layer", 4, 2.1, 3.0}, ...}
struct CalibrationRecord {
  std::string tool;                ///< program, version and command, e.g. "moeplan 0.1.0 calibrate"
  std::string base;                ///< preset or file the fit started from
  std::string source;              ///< what was measured: a profile file name, a runs file
  std::string device;              ///< device the measurements name; "" when several or unknown
  std::string driver;              ///< driver version of the measurements; "" unknown
  std::string measured_utc;        ///< when the measurements were taken (ISO 8601); "" unknown
  int64_t measurements_used = 0;   ///< measurements that entered the fit (<= total)
  int64_t measurements_total = 0;  ///< measurements in the source
  std::vector<std::string> nccl_logs;  ///< nccl-tests logs fitted (collective parameters)
  int64_t nccl_rows = 0;               ///< their rows that entered the fit
  int64_t folds = 0;                   ///< cross-validation folds; 0: none
  std::vector<HeldOutError> errors;    ///< per group, in the calibrator's order
  bool operator==(const CalibrationRecord&) const = default;
};

struct Hardware;

/// One line for calibrated hardware, e.g. "calibrated on NVIDIA H100 80GB HBM3
/// 2026-11-02T10:00:00Z by moeplan 0.1.0 calibrate, held-out GEMM MAPE 1.7%"; "" without a
/// record. Unknown device or date read "an unknown device" / "an unknown date"; the GEMM part
/// (group "gemm") is left out when there is none.
std::string CalibrationNote(const Hardware& hardware);

/// One GPU type in its node and fabric, with the efficiencies of its cost models.
/// Plain value type; cheap enough to copy, thread-safe to share read-only.
struct Hardware {
  std::string name;         ///< preset name ("h100-sxm") or the user's label
  std::string description;  ///< one line: what it is and where the figures come from
  DeviceSpec device;
  NodeSpec node;
  ScaleUpSpec scale_up;
  ScaleOutSpec scale_out;
  EfficiencyParams efficiency;
  /// Present in calibrated hardware: what it was fitted on and its held-out errors. No cost
  /// model reads it.
  std::optional<CalibrationRecord> calibration;

  /// Checks every field; errors read "hardware '<name>': field '<path>': ...". The record:
  /// tool and source non-empty, counts >= 0, used <= total, errors finite and >= 0, groups
  /// non-empty and unique with >= 1 point.
  [[nodiscard]] Status Validate() const;
  bool operator==(const Hardware&) const = default;
};

/// Validate() with `source` (a file name) in place of "hardware '<name>'" in messages.
[[nodiscard]] Status ValidateHardware(const Hardware& hardware, std::string_view source);

/// Largest fleet accepted (GPUs); far above any real cluster, far inside int64 arithmetic.
inline constexpr int64_t kMaxFleetGpus = int64_t{1} << 24;

/// The fleet sizing rule (see Fleet). Errors carry no prefix, e.g.
///   "1000 GPUs is not a whole number of 8-GPU nodes (nearest: 992 or 1000)"
[[nodiscard]] Status CheckFleetSize(const Hardware& hardware, int64_t num_gpus);

/// N GPUs of one hardware type.
///
/// Sizing rule (CheckFleetSize): a fleet is either part of one node (1 <= N <= gpus_per_node: a
/// single-node experiment) or whole nodes (N a multiple of gpus_per_node), since a training job
/// that used part of a node would leave its other GPUs idle or shared. Scale-up domains need not
/// be whole: 1024 GB200 GPUs are 14 full NVL72 racks plus one of 16 GPUs.
struct Fleet {
  Hardware hardware;
  int64_t num_gpus = 0;

  int64_t NumNodes() const;  ///< ceil(num_gpus / gpus_per_node)
  /// ceil(num_gpus / domain_size); the last domain may be partial.
  int64_t NumScaleUpDomains() const;
  /// Hardware checks plus the sizing rule; errors name the fleet and the numbers.
  [[nodiscard]] Status Validate() const;
  bool operator==(const Fleet&) const = default;
};

}  // namespace moeplan::hw
