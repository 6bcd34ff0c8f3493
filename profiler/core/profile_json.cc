//===- profiler/core/profile_json.cc - moeplan-profile files --------------===//
#include "profiler/core/profile_json.h"

#include <fstream>
#include <sstream>

#include "profiler/core/atomic_output.h"
#include "profiler/core/internal/json_fields.h"

namespace moeplan::profiler {
namespace {

using Json = nlohmann::ordered_json;
using internal::FieldError;
using internal::Fields;

constexpr double kMaxSeconds = 1e6;

Json ArrayOf3(const std::array<int32_t, 3>& values) {
  return Json::array({values[0], values[1], values[2]});
}

Json StateToJson(const DeviceState& state) {
  return Json{{"sm_clock_hz", state.sm_clock_hz},
              {"memory_clock_hz", state.memory_clock_hz},
              {"power_w", state.power_w},
              {"temperature_c", state.temperature_c},
              {"throttle_reasons", state.throttle_reasons}};
}

Json DeviceToJson(const DeviceInfo& device) {
  return Json{{"name", device.name},
              {"uuid", device.uuid},
              {"pci_bus_id", device.pci_bus_id},
              {"compute_capability",
               std::to_string(device.compute_major) + "." + std::to_string(device.compute_minor)},
              {"sm_count", device.sm_count},
              {"memory_bytes", device.memory_bytes},
              {"l2_bytes", device.l2_bytes},
              {"memory_bus_width_bits", device.memory_bus_width_bits},
              {"sm_clock_max_hz", device.sm_clock_max_hz},
              {"memory_clock_max_hz", device.memory_clock_max_hz},
              {"memory_bandwidth_bytes_per_s", device.memory_bandwidth_bytes_per_s},
              {"ecc_enabled", device.ecc_enabled},
              {"power_limit_w", device.power_limit_w},
              {"driver_version", device.driver_version},
              {"cuda_driver_version", device.cuda_driver_version},
              {"cuda_runtime_version", device.cuda_runtime_version},
              {"cupti_version", device.cupti_version},
              {"cublas_version", device.cublas_version},
              {"cudnn_version", device.cudnn_version},
              {"clock_source", device.clock_source}};
}

Json SettingsToJson(const RunSettings& settings) {
  return Json{{"mode", settings.mode},
              {"ops", settings.ops},
              {"warmup", settings.warmup},
              {"repetitions", settings.repetitions},
              {"max_attempts", settings.max_attempts},
              {"max_relative_spread", settings.max_relative_spread},
              {"outlier_threshold", settings.outlier_threshold},
              {"l2_flush_bytes", settings.l2_flush_bytes}};
}

Json MeasurementToJson(const Measurement& m) {
  const BenchCase& c = m.bench_case;
  Json shape = Json::object();
  for (const auto& [key, value] : c.shape) shape[key] = value;
  Json params = Json::object();
  for (const auto& [key, value] : c.params) params[key] = value;
  Json json{{"op", ToString(c.op)},
            {"pass", ToString(c.pass)},
            {"precision", ToString(c.precision)},
            {"implementation", c.implementation},
            {"shape", shape},
            {"params", params},
            {"flops", m.flops},
            {"bytes", m.bytes},
            {"time_s", StatsToJson(m.time_s)},
            {"span_s", StatsToJson(m.span_s)},
            {"achieved_flops_per_s", m.achieved_flops_per_s},
            {"achieved_bytes_per_s", m.achieved_bytes_per_s},
            {"attempts", m.attempts},
            {"stable", m.stable}};
  if (m.state_before) json["state_before"] = StateToJson(*m.state_before);
  if (m.state_after) json["state_after"] = StateToJson(*m.state_after);
  Json kernels = Json::array();
  for (const KernelSummary& kernel : m.kernels) {
    kernels.push_back(Json{{"name", kernel.name},
                           {"grid", ArrayOf3(kernel.grid)},
                           {"block", ArrayOf3(kernel.block)},
                           {"calls_per_repetition", kernel.calls_per_repetition},
                           {"duration_s", StatsToJson(kernel.duration_s)}});
  }
  json["kernels"] = std::move(kernels);
  Json parts = Json::array();
  for (const PartTiming& part : m.parts) {
    parts.push_back(Json{{"name", part.name}, {"time_s", StatsToJson(part.time_s)}});
  }
  json["parts"] = std::move(parts);
  return json;
}

// ---- reading ----

SampleStats ReadStats(const Fields& f, bool require_positive) {
  f.RejectUnknownKeys(
      {"count", "rejected", "median", "mean", "min", "max", "q1", "q3", "iqr", "mad", "stddev"});
  SampleStats stats;
  stats.count = static_cast<int>(f.Int("count", require_positive ? 1 : 0, 1 << 30));
  stats.rejected = static_cast<int>(f.Int("rejected", 0, 1 << 30));
  const double min_time = require_positive ? 1e-12 : 0;
  stats.median = f.Double("median", min_time, kMaxSeconds);
  stats.mean = f.Double("mean", 0, kMaxSeconds);
  stats.min = f.Double("min", 0, kMaxSeconds);
  stats.max = f.Double("max", 0, kMaxSeconds);
  stats.q1 = f.Double("q1", 0, kMaxSeconds);
  stats.q3 = f.Double("q3", 0, kMaxSeconds);
  stats.iqr = f.Double("iqr", 0, kMaxSeconds);
  stats.mad = f.Double("mad", 0, kMaxSeconds);
  stats.stddev = f.Double("stddev", 0, kMaxSeconds);
  if (stats.min > stats.median || stats.median > stats.max) {
    f.Fail("median", "expected min <= median <= max, got " + Json(stats.min).dump() +
                         " <= " + Json(stats.median).dump() + " <= " + Json(stats.max).dump());
  }
  return stats;
}

DeviceState ReadState(const Fields& f) {
  f.RejectUnknownKeys(
      {"sm_clock_hz", "memory_clock_hz", "power_w", "temperature_c", "throttle_reasons"});
  DeviceState state;
  state.sm_clock_hz = f.IntOr("sm_clock_hz", 0);
  state.memory_clock_hz = f.IntOr("memory_clock_hz", 0);
  state.power_w = f.DoubleOr("power_w", 0, 0, 1e5);
  state.temperature_c = static_cast<int>(f.IntOr("temperature_c", 0, -100, 1000));
  state.throttle_reasons = static_cast<uint64_t>(f.IntOr("throttle_reasons", 0));
  return state;
}

DeviceInfo ReadDevice(const Fields& f) {
  f.RejectUnknownKeys({"name",
                       "uuid",
                       "pci_bus_id",
                       "compute_capability",
                       "sm_count",
                       "memory_bytes",
                       "l2_bytes",
                       "memory_bus_width_bits",
                       "sm_clock_max_hz",
                       "memory_clock_max_hz",
                       "memory_bandwidth_bytes_per_s",
                       "ecc_enabled",
                       "power_limit_w",
                       "driver_version",
                       "cuda_driver_version",
                       "cuda_runtime_version",
                       "cupti_version",
                       "cublas_version",
                       "cudnn_version",
                       "clock_source"});
  DeviceInfo device;
  device.name = f.String("name");
  device.uuid = f.StringOr("uuid", "");
  device.pci_bus_id = f.StringOr("pci_bus_id", "");
  const std::string capability = f.String("compute_capability");
  int major = 0;
  int minor = 0;
  char dot = 0;
  std::istringstream parse(capability);
  if (!(parse >> major >> dot >> minor) || dot != '.' || major < 1 || minor < 0 || !parse.eof()) {
    f.Fail("compute_capability",
           "expected \"<major>.<minor>\" such as \"9.0\", got \"" + capability + "\"");
  }
  device.compute_major = major;
  device.compute_minor = minor;
  device.sm_count = static_cast<int>(f.Int("sm_count", 1, 100000));
  device.memory_bytes = f.Int("memory_bytes", 0);
  device.l2_bytes = f.IntOr("l2_bytes", 0);
  device.memory_bus_width_bits = static_cast<int>(f.IntOr("memory_bus_width_bits", 0, 0, 1 << 20));
  device.sm_clock_max_hz = f.IntOr("sm_clock_max_hz", 0);
  device.memory_clock_max_hz = f.IntOr("memory_clock_max_hz", 0);
  device.memory_bandwidth_bytes_per_s = f.DoubleOr("memory_bandwidth_bytes_per_s", 0);
  device.ecc_enabled = f.BoolOr("ecc_enabled", false);
  device.power_limit_w = f.DoubleOr("power_limit_w", 0, 0, 1e5);
  device.driver_version = f.StringOr("driver_version", "");
  device.cuda_driver_version = static_cast<int>(f.IntOr("cuda_driver_version", 0, 0, 1 << 30));
  device.cuda_runtime_version = static_cast<int>(f.IntOr("cuda_runtime_version", 0, 0, 1 << 30));
  device.cupti_version = static_cast<int>(f.IntOr("cupti_version", 0, 0, 1 << 30));
  device.cublas_version = static_cast<int>(f.IntOr("cublas_version", 0, 0, 1 << 30));
  device.cudnn_version = static_cast<int>(f.IntOr("cudnn_version", 0, 0, 1 << 30));
  device.clock_source = f.StringOr("clock_source", "");
  return device;
}

RunSettings ReadSettings(const Fields& f) {
  f.RejectUnknownKeys({"mode", "ops", "warmup", "repetitions", "max_attempts",
                       "max_relative_spread", "outlier_threshold", "l2_flush_bytes"});
  RunSettings settings;
  settings.mode = f.String("mode");
  if (settings.mode != "quick" && settings.mode != "full" && settings.mode != "trace") {
    f.Fail("mode", "expected \"quick\", \"full\" or \"trace\", got \"" + settings.mode + "\"");
  }
  const Json& ops = f.Array("ops", /*optional=*/true);
  for (size_t op_idx = 0; op_idx < ops.size(); ++op_idx) {
    if (!ops[op_idx].is_string() || !ParseOpKind(ops[op_idx].get<std::string>())) {
      f.Fail("ops[" + std::to_string(op_idx) + "]",
             "expected one of " + OpKindList() + ", got " + internal::Describe(ops[op_idx]));
    }
    settings.ops.push_back(ops[op_idx].get<std::string>());
  }
  settings.warmup = static_cast<int>(f.IntOr("warmup", 0, 0, 1 << 20));
  settings.repetitions = static_cast<int>(f.IntOr("repetitions", 0, 0, 1 << 20));
  settings.max_attempts = static_cast<int>(f.IntOr("max_attempts", 0, 0, 1000));
  settings.max_relative_spread = f.DoubleOr("max_relative_spread", 0, 0, 100);
  settings.outlier_threshold = f.DoubleOr("outlier_threshold", 0, 0, 1000);
  settings.l2_flush_bytes = f.IntOr("l2_flush_bytes", 0);
  return settings;
}

template <typename Enum>
Enum ReadEnum(const Fields& f, std::string_view key, std::optional<Enum> (*parse)(std::string_view),
              std::string_view known) {
  const std::string text = f.String(key);
  const std::optional<Enum> value = parse(text);
  if (!value) f.Fail(key, "expected one of " + std::string(known) + ", got \"" + text + "\"");
  return *value;
}

std::array<int32_t, 3> ReadDim3(const Fields& f, std::string_view key) {
  const Json& values = f.Array(key);
  std::array<int32_t, 3> dims{};
  if (values.size() != 3) f.Fail(key, "expected 3 integers, got " + internal::Describe(values));
  for (size_t axis = 0; axis < 3; ++axis) {
    if (!values[axis].is_number_integer() || values[axis].get<int64_t>() < 1 ||
        values[axis].get<int64_t>() > INT32_MAX) {
      f.Fail(key, "expected 3 positive integers, got " + internal::Describe(values));
    }
    dims[axis] = static_cast<int32_t>(values[axis].get<int64_t>());
  }
  return dims;
}

BenchCase ReadCase(const Fields& f) {
  BenchCase c;
  c.op = ReadEnum<OpKind>(f, "op", &ParseOpKind, OpKindList());
  c.pass = ReadEnum<Pass>(f, "pass", &ParsePass,
                          "forward, backward, backward_data, backward_weight, step, none");
  c.precision = ReadEnum<Precision>(f, "precision", &ParsePrecision, "bf16, fp8, fp32");
  c.implementation = f.String("implementation");
  const Fields shape = f.Object("shape");
  for (const auto& [key, value] : shape.node().items()) {
    c.shape.emplace_back(key, shape.Int(key, 0));
  }
  if (f.Has("params")) {
    const Fields params = f.Object("params");
    for (const auto& [key, value] : params.node().items()) {
      c.params.emplace_back(key, params.String(key));
    }
  }
  return c;
}

Measurement ReadMeasurement(const Fields& f) {
  f.RejectUnknownKeys({"op", "pass", "precision", "implementation", "shape", "params", "flops",
                       "bytes", "time_s", "span_s", "achieved_flops_per_s", "achieved_bytes_per_s",
                       "attempts", "stable", "state_before", "state_after", "kernels", "parts"});
  Measurement m;
  m.bench_case = ReadCase(f);
  m.flops = f.Double("flops");
  m.bytes = f.Double("bytes");
  m.time_s = ReadStats(f.Object("time_s"), /*require_positive=*/true);
  m.span_s = ReadStats(f.Object("span_s"), /*require_positive=*/false);
  m.achieved_flops_per_s = f.Double("achieved_flops_per_s");
  m.achieved_bytes_per_s = f.Double("achieved_bytes_per_s");
  m.attempts = static_cast<int>(f.IntOr("attempts", 1, 1, 1000));
  m.stable = f.BoolOr("stable", true);
  if (f.Has("state_before")) m.state_before = ReadState(f.Object("state_before"));
  if (f.Has("state_after")) m.state_after = ReadState(f.Object("state_after"));
  const Json& kernels = f.Array("kernels", /*optional=*/true);
  for (size_t kernel_idx = 0; kernel_idx < kernels.size(); ++kernel_idx) {
    const Fields k = f.Element("kernels", kernel_idx);
    k.RejectUnknownKeys({"name", "grid", "block", "calls_per_repetition", "duration_s"});
    KernelSummary kernel;
    kernel.name = k.String("name");
    kernel.grid = ReadDim3(k, "grid");
    kernel.block = ReadDim3(k, "block");
    kernel.calls_per_repetition = k.Double("calls_per_repetition", 0, 1e9);
    kernel.duration_s = ReadStats(k.Object("duration_s"), /*require_positive=*/false);
    m.kernels.push_back(std::move(kernel));
  }
  const Json& parts = f.Array("parts", /*optional=*/true);
  for (size_t part_idx = 0; part_idx < parts.size(); ++part_idx) {
    const Fields p = f.Element("parts", part_idx);
    p.RejectUnknownKeys({"name", "time_s"});
    m.parts.push_back({p.String("name"), ReadStats(p.Object("time_s"), false)});
  }
  return m;
}

Profile ReadProfile(const Fields& f) {
  f.RejectUnknownKeys({"format", "version", "tool", "created_utc", "device", "settings",
                       "measurements", "skipped", "notes"});
  const std::string format = f.String("format");
  if (format != kProfileFormat) {
    f.Fail("format", "expected \"" + std::string(kProfileFormat) + "\", got \"" + format + "\"");
  }
  const int64_t version = f.Int("version", 0);
  if (version != kProfileVersion) {
    f.Fail("version", "unsupported version " + std::to_string(version) +
                          " (this moeplan reads version " + std::to_string(kProfileVersion) + ")");
  }
  Profile profile;
  profile.tool = f.StringOr("tool", "");
  profile.created_utc = f.StringOr("created_utc", "");
  profile.device = ReadDevice(f.Object("device"));
  profile.settings = ReadSettings(f.Object("settings"));
  const Json& measurements = f.Array("measurements");
  for (size_t measurement_idx = 0; measurement_idx < measurements.size(); ++measurement_idx) {
    profile.measurements.push_back(ReadMeasurement(f.Element("measurements", measurement_idx)));
  }
  const Json& skipped = f.Array("skipped", /*optional=*/true);
  for (size_t skipped_idx = 0; skipped_idx < skipped.size(); ++skipped_idx) {
    const Fields s = f.Element("skipped", skipped_idx);
    s.RejectUnknownKeys({"what", "reason"});
    profile.skipped.push_back({s.String("what"), s.String("reason")});
  }
  const Json& notes = f.Array("notes", /*optional=*/true);
  for (size_t note_idx = 0; note_idx < notes.size(); ++note_idx) {
    if (!notes[note_idx].is_string()) {
      f.Fail("notes[" + std::to_string(note_idx) + "]",
             "expected a string, got " + internal::Describe(notes[note_idx]));
    }
    profile.notes.push_back(notes[note_idx].get<std::string>());
  }
  return profile;
}

// nlohmann reports a byte offset; users want line and column.
std::string LineColumn(std::string_view text, size_t byte) {
  size_t line = 1;
  size_t column = 1;
  for (size_t char_idx = 0; char_idx < byte && char_idx < text.size(); ++char_idx) {
    if (text[char_idx] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

Json StatsToJson(const SampleStats& s) {
  return Json{{"count", s.count}, {"rejected", s.rejected}, {"median", s.median}, {"mean", s.mean},
              {"min", s.min},     {"max", s.max},           {"q1", s.q1},         {"q3", s.q3},
              {"iqr", s.iqr},     {"mad", s.mad},           {"stddev", s.stddev}};
}

Json ProfileToJson(const Profile& profile) {
  Json measurements = Json::array();
  for (const Measurement& measurement : profile.measurements) {
    measurements.push_back(MeasurementToJson(measurement));
  }
  Json skipped = Json::array();
  for (const SkippedCase& entry : profile.skipped) {
    skipped.push_back(Json{{"what", entry.what}, {"reason", entry.reason}});
  }
  return Json{{"format", kProfileFormat},
              {"version", kProfileVersion},
              {"tool", profile.tool},
              {"created_utc", profile.created_utc},
              {"device", DeviceToJson(profile.device)},
              {"settings", SettingsToJson(profile.settings)},
              {"measurements", std::move(measurements)},
              {"skipped", std::move(skipped)},
              {"notes", profile.notes}};
}

Result<Profile> ProfileFromJson(const Json& json, std::string_view source) {
  try {
    return ReadProfile(Fields(json, std::string(source)));
  } catch (const FieldError& error) {
    return Error{error.what()};
  }
}

Result<nlohmann::ordered_json> ParseJson(std::string_view text, std::string_view source) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    std::string detail = e.what();
    if (const size_t pos = detail.find("syntax error"); pos != std::string::npos) {
      detail = detail.substr(pos);
    }
    return Error{std::string(source) + ": invalid JSON at " +
                 LineColumn(text, e.byte == 0 ? 0 : e.byte - 1) + ": " + detail};
  }
}

Result<std::string> ReadTextFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path.string() + ": cannot open file for reading"};
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Error{path.string() + ": read error"};
  return buffer.str();
}

Result<Profile> ReadProfileFile(const std::filesystem::path& path) {
  Result<std::string> text = ReadTextFile(path);
  if (!text) return text.error();
  Result<Json> json = ParseJson(*text, path.string());
  if (!json) return json.error();
  return ProfileFromJson(*json, path.string());
}

Status WriteProfileFile(const std::filesystem::path& path, const Profile& profile) {
  // Kernel and range names are not guaranteed UTF-8: replace bad bytes rather than throw.
  return WriteTextAtomically(
      path, ProfileToJson(profile).dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
}

}  // namespace moeplan::profiler
