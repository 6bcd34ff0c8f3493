//===- calibration/output.cc - Write a calibrated hardware file and its report -===//
#include "calibration/output.h"

#include <fmt/format.h>

#include "calibration/report.h"
#include "calibration/svg_plot.h"
#include "hwmodel/hardware_json.h"
#include "laws/support/atomic_file.h"

namespace moeplan::calibration {
namespace {

using Json = nlohmann::ordered_json;

// The members of `value` that differ from `reference` (objects compared member by member).
Json Difference(const Json& value, const Json& reference) {
  Json diff = Json::object();
  for (auto it = value.begin(); it != value.end(); ++it) {
    const auto ref = reference.find(it.key());
    if (ref == reference.end()) {
      diff[it.key()] = *it;
    } else if (it->is_object() && ref->is_object()) {
      Json nested = Difference(*it, *ref);
      if (!nested.empty()) diff[it.key()] = std::move(nested);
    } else if (*it != *ref) {
      diff[it.key()] = *it;
    }
  }
  return diff;
}

}  // namespace

OutputPaths DefaultOutputPaths(const std::filesystem::path& hardware_file) {
  std::filesystem::path prefix = hardware_file;
  if (prefix.extension() == ".json") prefix.replace_extension();
  const std::string base = prefix.string() + ".report";
  return {hardware_file, base + ".json", base + ".txt", base + ".kernels.svg",
          base + ".collectives.svg"};
}

Result<Json> CalibratedHardwareJson(const CalibrationResult& result) {
  const Json full = hw::HardwareToJson(result.calibrated);
  Json doc;
  if (result.base_preset) {
    doc["format"] = hw::kHardwareFormat;
    doc["version"] = hw::kHardwareFormatVersion;
    doc["base"] = *result.base_preset;
    const Json diff = Difference(full, hw::HardwareToJson(result.base));
    for (auto it = diff.begin(); it != diff.end(); ++it) {
      if (it.key() != "format" && it.key() != "version") doc[it.key()] = *it;
    }
  } else {
    doc = full;
  }
  Result<hw::Hardware> back =
      hw::HardwareFromJson(nlohmann::json::parse(doc.dump()), "<calibrated hardware>");
  if (!back) {
    return Error{fmt::format("the calibrated hardware does not read back (a bug): {}",
                             back.error().message)};
  }
  if (!(*back == result.calibrated)) {
    return Error{"the calibrated hardware reads back differently (a bug in calibration/output.cc)"};
  }
  return doc;
}

Status WriteCalibration(const CalibrationResult& result, const OutputPaths& paths) {
  Result<Json> hardware = CalibratedHardwareJson(result);
  if (!hardware) return hardware.error();
  if (Status s = WriteFileAtomically(paths.report_json, ReportToJson(result).dump(2) + "\n");
      !s.ok()) {
    return s;
  }
  if (Status s = WriteFileAtomically(paths.report_text, RenderTextReport(result)); !s.ok()) {
    return s;
  }
  if (Status s = WriteFileAtomically(paths.kernels_svg, RenderScatterSvg(KernelPlot(result)));
      !s.ok()) {
    return s;
  }
  if (!result.collective_points.empty()) {
    if (Status s =
            WriteFileAtomically(paths.collectives_svg, RenderScatterSvg(CollectivePlot(result)));
        !s.ok()) {
      return s;
    }
  }
  return WriteFileAtomically(paths.hardware, hardware->dump(2) + "\n");
}

}  // namespace moeplan::calibration
