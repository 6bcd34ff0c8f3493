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
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

  /// Checks every field; errors read "hardware '<name>': field '<path>': ...".
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
