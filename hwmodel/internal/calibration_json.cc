//===- hwmodel/internal/calibration_json.cc - "calibration" object --------===//
#include "hwmodel/internal/calibration_json.h"

#include <fmt/format.h>

#include <string>

#include "hwmodel/internal/json_fields.h"

namespace moeplan::hw::internal {
namespace {

// Far above any profile (a --full H100 grid has about 700 measurements) or set of runs.
constexpr int64_t kMaxCount = int64_t{1} << 40;
constexpr int64_t kMaxFolds = 1000;

std::optional<double> OptionalError(const JsonObject& o, std::string_view key) {
  if (!o.Has(key)) return std::nullopt;
  return ReadNumber(o, key, NumberRange::kNonNegative);
}

HeldOutError ReadHeldOutError(const JsonObject& o) {
  o.RejectUnknownKeys({"class", "points", "mape_held_out", "worst_error", "median_error"});
  HeldOutError e;
  e.group = o.String("class");
  e.points = o.Int("points", 1, kMaxCount);
  e.mape_held_out = ReadNumber(o, "mape_held_out", NumberRange::kNonNegative);
  e.worst_error = OptionalError(o, "worst_error");
  e.median_error = OptionalError(o, "median_error");
  return e;
}

std::vector<std::string> ReadStrings(const JsonObject& o, std::string_view key) {
  std::vector<std::string> out;
  const nlohmann::json* array = o.OptionalArray(key);
  if (array == nullptr) return out;
  for (size_t item_idx = 0; item_idx < array->size(); ++item_idx) {
    const nlohmann::json& item = (*array)[item_idx];
    if (!item.is_string()) {
      o.Fail(fmt::format("{}[{}]", key, item_idx), "a string", DescribeJsonValue(item));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::vector<HeldOutError> ReadErrors(const JsonObject& o) {
  std::vector<HeldOutError> out;
  const nlohmann::json* array = o.OptionalArray("errors");
  if (array == nullptr) return out;
  for (size_t error_idx = 0; error_idx < array->size(); ++error_idx) {
    const JsonObject item((*array)[error_idx], o.source(),
                          o.PathOf(fmt::format("errors[{}]", error_idx)));
    out.push_back(ReadHeldOutError(item));
  }
  return out;
}

}  // namespace

CalibrationRecord ReadCalibrationRecord(const JsonObject& o) {
  o.RejectUnknownKeys({"tool", "base", "source", "device", "driver", "measured_utc", "measurements",
                       "nccl", "folds", "errors"});
  CalibrationRecord r;
  r.tool = o.String("tool");
  r.base = o.OptionalString("base").value_or("");
  r.source = o.String("source");
  r.device = o.OptionalString("device").value_or("");
  r.driver = o.OptionalString("driver").value_or("");
  r.measured_utc = o.OptionalString("measured_utc").value_or("");
  if (auto measurements = o.OptionalObject("measurements")) {
    measurements->RejectUnknownKeys({"used", "total"});
    r.measurements_total = measurements->Int("total", 0, kMaxCount);
    r.measurements_used = measurements->Int("used", 0, r.measurements_total);
  }
  if (auto nccl = o.OptionalObject("nccl")) {
    nccl->RejectUnknownKeys({"logs", "rows"});
    r.nccl_logs = ReadStrings(*nccl, "logs");
    r.nccl_rows = nccl->OptionalInt("rows", 0, kMaxCount).value_or(0);
  }
  r.folds = o.OptionalInt("folds", 0, kMaxFolds).value_or(0);
  r.errors = ReadErrors(o);
  return r;
}

nlohmann::ordered_json CalibrationRecordJson(const CalibrationRecord& r) {
  nlohmann::ordered_json j;
  j["tool"] = r.tool;
  j["base"] = r.base;
  j["source"] = r.source;
  j["device"] = r.device;
  j["driver"] = r.driver;
  j["measured_utc"] = r.measured_utc;
  j["measurements"] = {{"used", r.measurements_used}, {"total", r.measurements_total}};
  j["nccl"] = {{"logs", r.nccl_logs}, {"rows", r.nccl_rows}};
  j["folds"] = r.folds;
  nlohmann::ordered_json errors = nlohmann::ordered_json::array();
  for (const HeldOutError& e : r.errors) {
    nlohmann::ordered_json item = {
        {"class", e.group}, {"points", e.points}, {"mape_held_out", e.mape_held_out}};
    if (e.worst_error) item["worst_error"] = *e.worst_error;
    if (e.median_error) item["median_error"] = *e.median_error;
    errors.push_back(std::move(item));
  }
  j["errors"] = std::move(errors);
  return j;
}

}  // namespace moeplan::hw::internal
