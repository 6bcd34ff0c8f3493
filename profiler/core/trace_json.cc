//===- profiler/core/trace_json.cc - moeplan-trace files ------------------===//
#include "profiler/core/trace_json.h"

#include <chrono>
#include <ctime>

#include "profiler/core/atomic_output.h"
#include "profiler/core/internal/json_fields.h"
#include "profiler/core/profile_json.h"

namespace moeplan::profiler {
namespace {

using Json = nlohmann::ordered_json;
using internal::FieldError;
using internal::Fields;

Json Dim3(const std::array<int32_t, 3>& dims) {
  return Json::array({dims[0], dims[1], dims[2]});
}

std::array<int32_t, 3> ReadDim3(const Fields& f, std::string_view key) {
  const Json& values = f.Array(key);
  std::array<int32_t, 3> dims{};
  if (values.size() != 3) f.Fail(key, "expected 3 integers, got " + internal::Describe(values));
  for (size_t axis = 0; axis < 3; ++axis) {
    if (!values[axis].is_number_integer()) {
      f.Fail(key, "expected 3 integers, got " + internal::Describe(values));
    }
    dims[axis] = static_cast<int32_t>(values[axis].get<int64_t>());
  }
  return dims;
}

uint32_t U32(const Fields& f, std::string_view key) {
  return static_cast<uint32_t>(f.IntOr(key, 0, 0, UINT32_MAX));
}

uint64_t U64(const Fields& f, std::string_view key) {
  return static_cast<uint64_t>(f.IntOr(key, 0));
}

// Reads every element of the array `key` (absent: none) with `read`.
template <typename Record, typename Read>
void ReadAll(const Fields& f, std::string_view key, std::vector<Record>& out, Read read) {
  const Json& items = f.Array(key, /*optional=*/true);
  out.reserve(items.size());
  for (size_t item_idx = 0; item_idx < items.size(); ++item_idx) {
    out.push_back(read(f.Element(key, item_idx)));
  }
}

// The writing twin of ReadAll: one JSON array of `write(record)`.
template <typename Record, typename Write>
Json WriteAll(const std::vector<Record>& records, Write write) {
  Json items = Json::array();
  for (const Record& record : records) items.push_back(write(record));
  return items;
}

void WriteRecords(const ActivityTrace& trace, Json& json) {
  json["devices"] = WriteAll(trace.devices, [](const DeviceRecord& d) {
    return Json{{"id", d.id},
                {"name", d.name},
                {"compute_major", d.compute_major},
                {"compute_minor", d.compute_minor},
                {"sm_count", d.sm_count},
                {"memory_bytes", d.memory_bytes},
                {"memory_bandwidth_bytes_per_s", d.memory_bandwidth_bytes_per_s},
                {"core_clock_hz", d.core_clock_hz},
                {"l2_bytes", d.l2_bytes}};
  });
  json["kernels"] = WriteAll(trace.kernels, [](const KernelRecord& k) {
    return Json{{"name", k.name},
                {"correlation_id", k.correlation_id},
                {"device", k.device_id},
                {"stream", k.stream_id},
                {"start_ns", k.start_ns},
                {"end_ns", k.end_ns},
                {"grid", Dim3(k.grid)},
                {"block", Dim3(k.block)},
                {"registers", k.registers_per_thread},
                {"shared_bytes", k.shared_memory_bytes}};
  });
  json["memcpys"] = WriteAll(trace.memcpys, [](const MemcpyRecord& m) {
    return Json{
        {"kind", ToString(m.kind)}, {"bytes", m.bytes},      {"correlation_id", m.correlation_id},
        {"device", m.device_id},    {"stream", m.stream_id}, {"start_ns", m.start_ns},
        {"end_ns", m.end_ns}};
  });
  json["memsets"] = WriteAll(trace.memsets, [](const MemsetRecord& m) {
    return Json{{"bytes", m.bytes},       {"correlation_id", m.correlation_id},
                {"device", m.device_id},  {"stream", m.stream_id},
                {"start_ns", m.start_ns}, {"end_ns", m.end_ns}};
  });
  json["syncs"] = WriteAll(trace.syncs, [](const SyncRecord& s) {
    return Json{{"type", s.type},
                {"correlation_id", s.correlation_id},
                {"stream", s.stream_id},
                {"start_ns", s.start_ns},
                {"end_ns", s.end_ns}};
  });
  json["overheads"] = WriteAll(trace.overheads, [](const OverheadRecord& o) {
    return Json{{"kind", o.kind}, {"start_ns", o.start_ns}, {"end_ns", o.end_ns}};
  });
  json["apis"] = WriteAll(trace.apis, [](const ApiRecord& a) {
    return Json{{"driver", a.is_driver},  {"cbid", a.callback_id},
                {"thread", a.thread_id},  {"correlation_id", a.correlation_id},
                {"start_ns", a.start_ns}, {"end_ns", a.end_ns}};
  });
  json["external_correlations"] =
      WriteAll(trace.external_correlations, [](const ExternalCorrelation& l) {
        return Json{{"level", l.level},
                    {"external_id", l.external_id},
                    {"correlation_id", l.correlation_id}};
      });
  json["range_labels"] = WriteAll(trace.range_labels, [](const RangeLabel& l) {
    return Json{{"external_id", l.external_id}, {"name", l.name}};
  });
  json["markers"] = WriteAll(trace.markers, [](const MarkerRange& m) {
    return Json{{"id", m.id},
                {"name", m.name},
                {"domain", m.domain},
                {"thread", m.thread_id},
                {"start_ns", m.start_ns},
                {"end_ns", m.end_ns}};
  });
}

TraceFile ReadTrace(const Fields& f) {
  f.RejectUnknownKeys({"format", "version", "tool", "created_utc", "command", "cupti_version",
                       "dropped_records", "devices", "kernels", "memcpys", "memsets", "syncs",
                       "overheads", "apis", "external_correlations", "range_labels", "markers"});
  const std::string format = f.String("format");
  if (format != kTraceFormat) {
    f.Fail("format", "expected \"" + std::string(kTraceFormat) + "\", got \"" + format + "\"");
  }
  const int64_t version = f.Int("version", 0);
  if (version != kTraceVersion) {
    f.Fail("version", "unsupported version " + std::to_string(version) +
                          " (this moeplan reads version " + std::to_string(kTraceVersion) + ")");
  }
  TraceFile file;
  file.meta.tool = f.StringOr("tool", "");
  file.meta.created_utc = f.StringOr("created_utc", "");
  file.meta.cupti_version = static_cast<int>(f.IntOr("cupti_version", 0, 0, 1 << 30));
  const Json& command = f.Array("command", /*optional=*/true);
  for (const Json& word : command) {
    if (!word.is_string()) f.Fail("command", "expected an array of strings");
    file.meta.command.push_back(word.get<std::string>());
  }
  ActivityTrace& t = file.trace;
  t.dropped_records = U64(f, "dropped_records");
  ReadAll(f, "devices", t.devices, [](const Fields& r) {
    DeviceRecord d;
    d.id = U32(r, "id");
    d.name = r.StringOr("name", "");
    d.compute_major = static_cast<int>(r.IntOr("compute_major", 0, 0, 1000));
    d.compute_minor = static_cast<int>(r.IntOr("compute_minor", 0, 0, 1000));
    d.sm_count = static_cast<int>(r.IntOr("sm_count", 0, 0, 1 << 20));
    d.memory_bytes = U64(r, "memory_bytes");
    d.memory_bandwidth_bytes_per_s = U64(r, "memory_bandwidth_bytes_per_s");
    d.core_clock_hz = U64(r, "core_clock_hz");
    d.l2_bytes = U64(r, "l2_bytes");
    return d;
  });
  ReadAll(f, "kernels", t.kernels, [](const Fields& r) {
    KernelRecord k;
    k.name = r.String("name");
    k.correlation_id = U32(r, "correlation_id");
    k.device_id = U32(r, "device");
    k.stream_id = U32(r, "stream");
    k.start_ns = U64(r, "start_ns");
    k.end_ns = U64(r, "end_ns");
    k.grid = ReadDim3(r, "grid");
    k.block = ReadDim3(r, "block");
    k.registers_per_thread = static_cast<int32_t>(r.IntOr("registers", 0, 0, 1 << 20));
    k.shared_memory_bytes = static_cast<int32_t>(r.IntOr("shared_bytes", 0, 0, INT32_MAX));
    return k;
  });
  ReadAll(f, "memcpys", t.memcpys, [](const Fields& r) {
    MemcpyRecord m;
    m.kind = ParseMemcpyKind(r.StringOr("kind", "unknown"));
    m.bytes = U64(r, "bytes");
    m.correlation_id = U32(r, "correlation_id");
    m.device_id = U32(r, "device");
    m.stream_id = U32(r, "stream");
    m.start_ns = U64(r, "start_ns");
    m.end_ns = U64(r, "end_ns");
    return m;
  });
  ReadAll(f, "memsets", t.memsets, [](const Fields& r) {
    MemsetRecord m;
    m.bytes = U64(r, "bytes");
    m.correlation_id = U32(r, "correlation_id");
    m.device_id = U32(r, "device");
    m.stream_id = U32(r, "stream");
    m.start_ns = U64(r, "start_ns");
    m.end_ns = U64(r, "end_ns");
    return m;
  });
  ReadAll(f, "syncs", t.syncs, [](const Fields& r) {
    return SyncRecord{r.StringOr("type", "unknown"), U32(r, "correlation_id"), U32(r, "stream"),
                      U64(r, "start_ns"), U64(r, "end_ns")};
  });
  ReadAll(f, "overheads", t.overheads, [](const Fields& r) {
    return OverheadRecord{r.StringOr("kind", "unknown"), U64(r, "start_ns"), U64(r, "end_ns")};
  });
  ReadAll(f, "apis", t.apis, [](const Fields& r) {
    return ApiRecord{r.BoolOr("driver", false), U32(r, "cbid"),     U32(r, "thread"),
                     U32(r, "correlation_id"),  U64(r, "start_ns"), U64(r, "end_ns")};
  });
  ReadAll(f, "external_correlations", t.external_correlations, [](const Fields& r) {
    return ExternalCorrelation{static_cast<int>(r.IntOr("level", 0, 0, 1)), U64(r, "external_id"),
                               U32(r, "correlation_id")};
  });
  ReadAll(f, "range_labels", t.range_labels, [](const Fields& r) {
    return RangeLabel{U64(r, "external_id"), r.String("name")};
  });
  ReadAll(f, "markers", t.markers, [](const Fields& r) {
    return MarkerRange{U32(r, "id"),     r.StringOr("name", ""), r.StringOr("domain", ""),
                       U32(r, "thread"), U64(r, "start_ns"),     U64(r, "end_ns")};
  });
  return file;
}

}  // namespace

const char* ToString(MemcpyKind kind) {
  switch (kind) {
    case MemcpyKind::kHostToDevice:
      return "htod";
    case MemcpyKind::kDeviceToHost:
      return "dtoh";
    case MemcpyKind::kDeviceToDevice:
      return "dtod";
    case MemcpyKind::kHostToHost:
      return "htoh";
    case MemcpyKind::kPeer:
      return "peer";
    case MemcpyKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

MemcpyKind ParseMemcpyKind(std::string_view text) {
  for (MemcpyKind kind :
       {MemcpyKind::kHostToDevice, MemcpyKind::kDeviceToHost, MemcpyKind::kDeviceToDevice,
        MemcpyKind::kHostToHost, MemcpyKind::kPeer}) {
    if (text == ToString(kind)) return kind;
  }
  return MemcpyKind::kUnknown;
}

void ActivityTrace::Append(ActivityTrace&& other) {
  auto move_all = [](auto& into, auto& from) {
    into.insert(into.end(), std::make_move_iterator(from.begin()),
                std::make_move_iterator(from.end()));
  };
  move_all(kernels, other.kernels);
  move_all(memcpys, other.memcpys);
  move_all(memsets, other.memsets);
  move_all(syncs, other.syncs);
  move_all(overheads, other.overheads);
  move_all(apis, other.apis);
  move_all(external_correlations, other.external_correlations);
  move_all(range_labels, other.range_labels);
  move_all(markers, other.markers);
  move_all(devices, other.devices);
  dropped_records += other.dropped_records;
}

nlohmann::ordered_json TraceToJson(const ActivityTrace& trace, const TraceMeta& meta) {
  Json json{{"format", kTraceFormat},
            {"version", kTraceVersion},
            {"tool", meta.tool},
            {"created_utc", meta.created_utc},
            {"command", meta.command},
            {"cupti_version", meta.cupti_version},
            {"dropped_records", trace.dropped_records}};
  WriteRecords(trace, json);
  return json;
}

Result<TraceFile> TraceFromJson(const nlohmann::ordered_json& json, std::string_view source) {
  try {
    return ReadTrace(Fields(json, std::string(source)));
  } catch (const FieldError& error) {
    return Error{error.what()};
  }
}

Result<TraceFile> ReadTraceFile(const std::filesystem::path& path) {
  Result<std::string> text = ReadTextFile(path);
  if (!text) return text.error();
  Result<Json> json = ParseJson(*text, path.string());
  if (!json) return json.error();
  return TraceFromJson(*json, path.string());
}

Status WriteTraceFile(const std::filesystem::path& path, const ActivityTrace& trace,
                      const TraceMeta& meta) {
  return WriteTextAtomically(
      path, TraceToJson(trace, meta).dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
}

std::string UtcNow() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace moeplan::profiler
