//===- hwmodel/hardware_json.cc - The moeplan-hardware format -------------===//
#include "hwmodel/hardware_json.h"

#include <fmt/format.h>

#include <string>

#include "hwmodel/internal/calibration_json.h"
#include "hwmodel/internal/efficiency_json.h"
#include "hwmodel/internal/json_fields.h"
#include "hwmodel/presets.h"
#include "laws/support/atomic_file.h"
#include "laws/support/json_reader.h"

namespace moeplan::hw {
namespace {

using internal::NumberRange;
using internal::ReadNumber;
using internal::ReadNumberOr;

constexpr int64_t kMaxBytes = int64_t{1} << 50;  // 1 PiB: far above any device
constexpr int64_t kMaxCount = int64_t{1} << 20;  // SMs, GPUs per node or domain

DeviceSpec ReadDevice(const JsonObject& o) {
  o.RejectUnknownKeys(
      {"name", "peak_flops", "hbm_bytes", "hbm_bandwidth", "num_sms", "l2_bytes", "exp_rate"});
  DeviceSpec d;
  d.name = o.String("name");
  const JsonObject peaks = o.Object("peak_flops");
  peaks.RejectUnknownKeys({"bf16", "fp8", "tf32"});
  d.peak_flops_bf16 = ReadNumber(peaks, "bf16", NumberRange::kPositive);
  d.peak_flops_fp8 = ReadNumberOr(peaks, "fp8", NumberRange::kPositive, 0.0);
  d.peak_flops_tf32 = ReadNumber(peaks, "tf32", NumberRange::kPositive);
  d.hbm_bytes = o.Int("hbm_bytes", 1, kMaxBytes);
  d.hbm_bandwidth = ReadNumber(o, "hbm_bandwidth", NumberRange::kPositive);
  d.num_sms = o.Int("num_sms", 1, kMaxCount);
  d.l2_bytes = o.Int("l2_bytes", 0, kMaxBytes);
  d.exp_rate = ReadNumberOr(o, "exp_rate", NumberRange::kNonNegative, 0.0);
  return d;
}

ScaleUpSpec ReadScaleUp(const JsonObject& o) {
  o.RejectUnknownKeys({"technology", "bandwidth", "latency", "domain_size"});
  ScaleUpSpec s;
  s.technology = o.OptionalString("technology").value_or("");
  s.bandwidth = ReadNumber(o, "bandwidth", NumberRange::kPositive);
  s.latency = ReadNumber(o, "latency", NumberRange::kNonNegative);
  s.domain_size = o.Int("domain_size", 1, kMaxCount);
  return s;
}

ScaleOutSpec ReadScaleOut(const JsonObject& o) {
  o.RejectUnknownKeys({"technology", "bandwidth", "latency"});
  ScaleOutSpec s;
  s.technology = o.OptionalString("technology").value_or("");
  s.bandwidth = ReadNumber(o, "bandwidth", NumberRange::kPositive);
  s.latency = ReadNumber(o, "latency", NumberRange::kNonNegative);
  return s;
}

int64_t ReadFleetCount(const JsonObject& fleet) {
  fleet.RejectUnknownKeys({"num_gpus"});
  return fleet.Int("num_gpus", 1, kMaxFleetGpus);
}

// Reads a fully resolved (base already merged) document.
Hardware ReadHardware(const JsonObject& root) {
  root.RejectUnknownKeys({"format", "version", "base", "name", "description", "device", "node",
                          "scale_up", "scale_out", "efficiency", "calibration", "fleet"});
  Hardware h;
  h.name = root.String("name");
  h.description = root.OptionalString("description").value_or("");
  h.device = ReadDevice(root.Object("device"));
  const JsonObject node = root.Object("node");
  node.RejectUnknownKeys({"gpus_per_node"});
  h.node.gpus_per_node = node.Int("gpus_per_node", 1, kMaxCount);
  h.scale_up = ReadScaleUp(root.Object("scale_up"));
  h.scale_out = ReadScaleOut(root.Object("scale_out"));
  if (auto efficiency = root.OptionalObject("efficiency")) {
    h.efficiency = internal::ReadEfficiency(*efficiency);
  }
  if (auto calibration = root.OptionalObject("calibration")) {
    h.calibration = internal::ReadCalibrationRecord(*calibration);
  }
  if (auto fleet = root.OptionalObject("fleet")) ReadFleetCount(*fleet);
  return h;
}

// Objects merge field by field; anything else replaces.
void MergeInto(nlohmann::json& target, const nlohmann::json& patch) {
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    nlohmann::json& slot = target[it.key()];
    if (it->is_object() && slot.is_object()) {
      MergeInto(slot, *it);
    } else {
      slot = *it;
    }
  }
}

// Checks format and version, applies "base", and returns the document to read.
nlohmann::json Resolve(const nlohmann::json& json, const std::string& source) {
  const JsonObject raw(json, source);
  const std::string format = raw.String("format");
  if (format != kHardwareFormat) {
    raw.Fail("format", fmt::format("\"{}\"", kHardwareFormat), DescribeJsonValue(format));
  }
  raw.Int("version", kHardwareFormatVersion, kHardwareFormatVersion);
  const std::optional<std::string> base = raw.OptionalString("base");
  if (!base) return json;
  const HardwarePreset* preset = FindHardwarePreset(*base);
  if (preset == nullptr) {
    raw.Fail("base", fmt::format("a hardware preset ({})", HardwarePresetList()),
             DescribeJsonValue(*base));
  }
  nlohmann::json merged = nlohmann::json::parse(HardwareToJson(preset->hardware).dump());
  MergeInto(merged, json);
  merged.erase("base");
  return merged;
}

Hardware ParseHardware(const nlohmann::json& json, const std::string& source) {
  const nlohmann::json resolved = Resolve(json, source);
  Hardware hardware = ReadHardware(JsonObject(resolved, source));
  if (Status status = ValidateHardware(hardware, source); !status.ok()) {
    throw InputError(status.message());
  }
  return hardware;
}

}  // namespace

Result<Hardware> HardwareFromJson(const nlohmann::json& json, std::string_view source) {
  try {
    return ParseHardware(json, std::string(source));
  } catch (const InputError& e) {
    return e.ToError();
  }
}

Result<Fleet> FleetFromJson(const nlohmann::json& json, std::string_view source) {
  try {
    const std::string name(source);
    Fleet fleet{ParseHardware(json, name), 0};
    const JsonObject fleet_object = JsonObject(json, name).Object("fleet");
    fleet.num_gpus = ReadFleetCount(fleet_object);
    if (Status status = CheckFleetSize(fleet.hardware, fleet.num_gpus); !status.ok()) {
      fleet_object.FailMessage("num_gpus", status.message());
    }
    return fleet;
  } catch (const InputError& e) {
    return e.ToError();
  }
}

nlohmann::ordered_json HardwareToJson(const Hardware& h) {
  nlohmann::ordered_json j;
  j["format"] = kHardwareFormat;
  j["version"] = kHardwareFormatVersion;
  j["name"] = h.name;
  j["description"] = h.description;
  const DeviceSpec& d = h.device;
  nlohmann::ordered_json peaks = {{"bf16", d.peak_flops_bf16}};
  if (d.peak_flops_fp8 > 0.0) peaks["fp8"] = d.peak_flops_fp8;
  peaks["tf32"] = d.peak_flops_tf32;
  j["device"] = {{"name", d.name},           {"peak_flops", peaks},
                 {"hbm_bytes", d.hbm_bytes}, {"hbm_bandwidth", d.hbm_bandwidth},
                 {"num_sms", d.num_sms},     {"l2_bytes", d.l2_bytes}};
  if (d.exp_rate > 0.0) j["device"]["exp_rate"] = d.exp_rate;
  j["node"] = {{"gpus_per_node", h.node.gpus_per_node}};
  j["scale_up"] = {{"technology", h.scale_up.technology},
                   {"bandwidth", h.scale_up.bandwidth},
                   {"latency", h.scale_up.latency},
                   {"domain_size", h.scale_up.domain_size}};
  j["scale_out"] = {{"technology", h.scale_out.technology},
                    {"bandwidth", h.scale_out.bandwidth},
                    {"latency", h.scale_out.latency}};
  j["efficiency"] = internal::EfficiencyToJson(h.efficiency);
  if (h.calibration) j["calibration"] = internal::CalibrationRecordJson(*h.calibration);
  return j;
}

nlohmann::ordered_json CalibrationRecordToJson(const CalibrationRecord& record) {
  return internal::CalibrationRecordJson(record);
}

nlohmann::ordered_json FleetToJson(const Fleet& fleet) {
  nlohmann::ordered_json j = HardwareToJson(fleet.hardware);
  j["fleet"] = {{"num_gpus", fleet.num_gpus}};
  return j;
}

Result<Hardware> LoadHardwareFile(const std::filesystem::path& file) {
  Result<nlohmann::json> json = ReadJsonFile(file);
  if (!json) return json.error();
  return HardwareFromJson(*json, file.string());
}

Result<Fleet> LoadFleetFile(const std::filesystem::path& file) {
  Result<nlohmann::json> json = ReadJsonFile(file);
  if (!json) return json.error();
  return FleetFromJson(*json, file.string());
}

Status WriteHardwareFile(const std::filesystem::path& file, const Hardware& hardware) {
  return WriteFileAtomically(file, HardwareToJson(hardware).dump(2) + "\n");
}

Status WriteFleetFile(const std::filesystem::path& file, const Fleet& fleet) {
  return WriteFileAtomically(file, FleetToJson(fleet).dump(2) + "\n");
}

}  // namespace moeplan::hw
