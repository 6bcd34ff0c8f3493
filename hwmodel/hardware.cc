//===- hwmodel/hardware.cc - Device, node, fabric and fleet ---------------===//
#include "hwmodel/hardware.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

namespace moeplan::hw {
namespace {

// Collects the first problem found; later checks are skipped once one failed.
class Checker {
 public:
  explicit Checker(std::string_view source) : source_(source) {}

  void Positive(double value, std::string_view path) {
    if (!std::isfinite(value) || value <= 0.0) Fail(path, "a positive number", value);
  }
  void NonNegative(double value, std::string_view path) {
    if (!std::isfinite(value) || value < 0.0) Fail(path, "a number >= 0", value);
  }
  void AtLeast(int64_t value, int64_t min, std::string_view path) {
    if (value < min) Fail(path, fmt::format("an integer >= {}", min), value);
  }
  void NonEmpty(const std::string& value, std::string_view path) {
    if (value.empty()) Fail(path, "a non-empty string", "\"\"");
  }
  void Include(const Status& status) {
    if (!status.ok() && ok()) error_ = fmt::format("{}: {}", source_, status.message());
  }
  template <typename T>
  void Fail(std::string_view path, std::string_view expected, const T& got) {
    if (ok()) {
      error_ = fmt::format("{}: field '{}': expected {}, got {}", source_, path, expected, got);
    }
  }
  bool ok() const { return error_.empty(); }
  Status status() const { return ok() ? Status::Ok() : Status(Error{error_}); }

 private:
  std::string_view source_;
  std::string error_;
};

void CheckDevice(const DeviceSpec& d, Checker& check) {
  check.NonEmpty(d.name, "device.name");
  check.Positive(d.peak_flops_bf16, "device.peak_flops.bf16");
  check.NonNegative(d.peak_flops_fp8, "device.peak_flops.fp8");
  check.Positive(d.peak_flops_tf32, "device.peak_flops.tf32");
  check.AtLeast(d.hbm_bytes, 1, "device.hbm_bytes");
  check.Positive(d.hbm_bandwidth, "device.hbm_bandwidth");
  check.AtLeast(d.num_sms, 1, "device.num_sms");
  check.AtLeast(d.l2_bytes, 0, "device.l2_bytes");
  check.NonNegative(d.exp_rate, "device.exp_rate");
}

void CheckFabric(const Hardware& h, Checker& check) {
  check.AtLeast(h.node.gpus_per_node, 1, "node.gpus_per_node");
  check.Positive(h.scale_up.bandwidth, "scale_up.bandwidth");
  check.NonNegative(h.scale_up.latency, "scale_up.latency");
  check.AtLeast(h.scale_up.domain_size, 1, "scale_up.domain_size");
  check.Positive(h.scale_out.bandwidth, "scale_out.bandwidth");
  check.NonNegative(h.scale_out.latency, "scale_out.latency");
  if (!check.ok() || h.node.gpus_per_node < 1 || h.scale_up.domain_size < 1) return;
  const int64_t node = h.node.gpus_per_node;
  const int64_t domain = h.scale_up.domain_size;
  if (domain % node != 0 && node % domain != 0) {
    check.Fail("scale_up.domain_size",
               fmt::format("a multiple or a divisor of node.gpus_per_node ({})", node), domain);
  }
}

void CheckError(const HeldOutError& error, const std::string& path, Checker& check) {
  check.NonEmpty(error.group, path + ".class");
  check.AtLeast(error.points, 1, path + ".points");
  check.NonNegative(error.mape_held_out, path + ".mape_held_out");
  if (error.worst_error) check.NonNegative(*error.worst_error, path + ".worst_error");
  if (error.median_error) check.NonNegative(*error.median_error, path + ".median_error");
}

void CheckCalibration(const CalibrationRecord& r, Checker& check) {
  check.NonEmpty(r.tool, "calibration.tool");
  check.NonEmpty(r.source, "calibration.source");
  check.AtLeast(r.measurements_total, 0, "calibration.measurements.total");
  check.AtLeast(r.measurements_used, 0, "calibration.measurements.used");
  if (r.measurements_used > r.measurements_total) {
    check.Fail("calibration.measurements.used",
               fmt::format("at most measurements.total ({})", r.measurements_total),
               r.measurements_used);
  }
  check.AtLeast(r.nccl_rows, 0, "calibration.nccl.rows");
  check.AtLeast(r.folds, 0, "calibration.folds");
  std::set<std::string> seen;
  for (size_t error_idx = 0; error_idx < r.errors.size(); ++error_idx) {
    const HeldOutError& error = r.errors[error_idx];
    const std::string path = fmt::format("calibration.errors[{}]", error_idx);
    CheckError(error, path, check);
    if (!seen.insert(error.group).second) {
      check.Fail(path + ".class", "a class not listed before", fmt::format("\"{}\"", error.group));
    }
  }
}

}  // namespace

std::string CalibrationNote(const Hardware& hardware) {
  if (!hardware.calibration) return "";
  const CalibrationRecord& r = *hardware.calibration;
  std::string note =
      fmt::format("calibrated on {} {} by {}", r.device.empty() ? "an unknown device" : r.device,
                  r.measured_utc.empty() ? "at an unknown date" : r.measured_utc, r.tool);
  for (const HeldOutError& error : r.errors) {
    if (error.group == "gemm") {
      note += fmt::format(", held-out GEMM MAPE {:.1f}%", error.mape_held_out);
    }
  }
  return note;
}

Status ValidateHardware(const Hardware& hardware, std::string_view source) {
  Checker check(source);
  check.NonEmpty(hardware.name, "name");
  CheckDevice(hardware.device, check);
  CheckFabric(hardware, check);
  check.Include(hardware.efficiency.Validate());
  if (hardware.calibration) CheckCalibration(*hardware.calibration, check);
  return check.status();
}

Status Hardware::Validate() const {
  return ValidateHardware(*this, fmt::format("hardware '{}'", name));
}

int64_t Fleet::NumNodes() const {
  const int64_t per_node = hardware.node.gpus_per_node;
  return per_node > 0 ? (num_gpus + per_node - 1) / per_node : 0;
}

int64_t Fleet::NumScaleUpDomains() const {
  const int64_t per_domain = hardware.scale_up.domain_size;
  return per_domain > 0 ? (num_gpus + per_domain - 1) / per_domain : 0;
}

Status CheckFleetSize(const Hardware& hardware, int64_t num_gpus) {
  if (num_gpus < 1 || num_gpus > kMaxFleetGpus) {
    return Error{fmt::format("expected a GPU count in 1..{}, got {}", kMaxFleetGpus, num_gpus)};
  }
  const int64_t per_node = hardware.node.gpus_per_node;
  if (per_node > 0 && num_gpus > per_node && num_gpus % per_node != 0) {
    const int64_t below = num_gpus / per_node * per_node;
    return Error{fmt::format("{} GPUs is not a whole number of {}-GPU nodes (nearest: {} or {})",
                             num_gpus, per_node, below, below + per_node)};
  }
  return Status::Ok();
}

Status Fleet::Validate() const {
  if (Status status = hardware.Validate(); !status.ok()) return status;
  if (Status status = CheckFleetSize(hardware, num_gpus); !status.ok()) {
    return Error{fmt::format("fleet of {} x {}: {}", num_gpus, hardware.name, status.message())};
  }
  return Status::Ok();
}

}  // namespace moeplan::hw
