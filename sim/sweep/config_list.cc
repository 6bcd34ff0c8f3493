//===- sim/sweep/config_list.cc - User-given lists of architectures -------===//
#include "sim/sweep/config_list.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "laws/arch_json.h"
#include "laws/hf_import.h"
#include "laws/support/json_reader.h"

namespace moeplan::plan {
namespace {

constexpr std::string_view kNameColumn = "name";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    fields.push_back(Trim(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

// Calls `visit(line_number, line)` for each line of `text` (1-based numbers, no newline).
template <typename Visit>
void ForEachLine(std::string_view text, Visit&& visit) {
  int64_t number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    visit(++number, text.substr(start, end - start));
    start = end + 1;
  }
}

std::optional<ArchDim> DimNamed(std::string_view name) {
  for (size_t i = 0; i < kNumArchDims; ++i) {
    if (name == ToString(static_cast<ArchDim>(i))) return static_cast<ArchDim>(i);
  }
  return std::nullopt;
}

// Dimensions that may be 0 (derived or absent), as in the space reader.
int64_t MinValue(ArchDim dim) {
  switch (dim) {
    case ArchDim::kNumExperts:
    case ArchDim::kTopK:
    case ArchDim::kSharedExperts:
    case ArchDim::kFirstDenseLayers:
    case ArchDim::kNumHeads:
    case ArchDim::kNumKvHeads:
    case ArchDim::kDenseFfnWidth:
    case ArchDim::kExpertWidth:
      return 0;
    default:
      return 1;
  }
}

std::string KnownColumns() {
  std::string out;
  for (size_t i = 0; i < kNumArchDims; ++i) {
    out += ToString(static_cast<ArchDim>(i));
    out += ", ";
  }
  out += kNameColumn;
  return out;
}

std::string ListValues(const std::vector<int64_t>& values) {
  std::string out;
  for (size_t i = 0; i < values.size() && i < 6; ++i) {
    out += (i == 0 ? "" : ", ") + std::to_string(values[i]);
  }
  if (values.size() > 6) out += ", ...";
  return out;
}

// The CSV header: which dimension (or the name) each column holds, and the values of the
// dimensions it leaves to the space.
struct CsvColumns {
  std::vector<std::optional<ArchDim>> column_dim;  // nullopt: the name column
  std::array<int64_t, kNumArchDims> defaults{};
};

Result<CsvColumns> ReadHeader(std::string_view line, int64_t line_number, std::string_view source,
                              const SweepSpace& space) {
  CsvColumns columns;
  std::array<bool, kNumArchDims> present{};
  bool has_name = false;
  const std::vector<std::string_view> names = SplitFields(line);
  for (size_t c = 0; c < names.size(); ++c) {
    const std::string_view name = names[c];
    auto fail = [&](std::string_view what) {
      return Error{fmt::format("{}: line {}, column {}: {}", source, line_number, c + 1, what)};
    };
    if (name == kNameColumn) {
      if (has_name) return fail("column 'name' given twice");
      has_name = true;
      columns.column_dim.emplace_back(std::nullopt);
      continue;
    }
    const std::optional<ArchDim> dim = DimNamed(name);
    if (!dim) {
      return fail(
          fmt::format("unknown column '{}' (expected a header of: {})", name, KnownColumns()));
    }
    if (present[static_cast<size_t>(*dim)])
      return fail(fmt::format("column '{}' given twice", name));
    present[static_cast<size_t>(*dim)] = true;
    columns.column_dim.emplace_back(dim);
  }
  for (size_t i = 0; i < kNumArchDims; ++i) {
    if (present[i]) continue;
    const std::vector<int64_t>& values = space.arch[i];
    if (values.size() != 1) {
      return Error{fmt::format(
          "{}: line {}: column '{}' missing, and the space '{}' does not fix it (it lists {} "
          "values: {}): add the column or use a space with one value for it",
          source, line_number, ToString(static_cast<ArchDim>(i)), space.name, values.size(),
          ListValues(values))};
    }
    columns.defaults[i] = values.front();
  }
  return columns;
}

Result<laws::MoeArch> ReadCsvRow(std::string_view line, int64_t line_number,
                                 std::string_view source, const CsvColumns& columns,
                                 const SweepSpace& space) {
  const std::vector<std::string_view> fields = SplitFields(line);
  if (fields.size() != columns.column_dim.size()) {
    return Error{
        fmt::format("{}: line {}: expected {} comma-separated fields (as in the header), "
                    "got {}",
                    source, line_number, columns.column_dim.size(), fields.size())};
  }
  std::array<int64_t, kNumArchDims> values = columns.defaults;
  std::string name = fmt::format("{}:{}", source, line_number);
  for (size_t c = 0; c < fields.size(); ++c) {
    const std::string_view field = fields[c];
    if (!columns.column_dim[c]) {
      if (!field.empty()) name = std::string(field);
      continue;
    }
    const ArchDim dim = *columns.column_dim[c];
    const int64_t min_value = MinValue(dim);
    int64_t value = 0;
    const char* end = field.data() + field.size();
    const auto [ptr, ec] = std::from_chars(field.data(), end, value);
    if (field.empty() || ec != std::errc() || ptr != end || value < min_value) {
      return Error{fmt::format("{}: line {}, column {} ('{}'): expected an integer >= {}, got '{}'",
                               source, line_number, c + 1, ToString(dim), min_value, field)};
    }
    values[static_cast<size_t>(dim)] = value;
  }
  laws::MoeArch arch;
  if (const char* reason = BuildArch(space, values, arch)) {
    return Error{
        fmt::format("{}: line {}: not a valid architecture: {}", source, line_number, reason)};
  }
  const std::string where = fmt::format("{}: line {}", source, line_number);
  if (Status s = laws::Validate(arch, where); !s.ok()) return s.error();
  arch.name = std::move(name);
  return arch;
}

Result<laws::MoeArch> ReadJsonlLine(std::string_view line, int64_t line_number,
                                    std::string_view source, const SweepSpace& space) {
  const std::string where = fmt::format("{}: line {}", source, line_number);
  nlohmann::json object;
  try {
    object = nlohmann::json::parse(line.begin(), line.end());
  } catch (const nlohmann::json::parse_error& e) {
    std::string detail = e.what();
    if (const size_t pos = detail.find("syntax error"); pos != std::string::npos) {
      detail = detail.substr(pos);
    }
    return Error{
        fmt::format("{}, column {}: invalid JSON: {}", where, std::max<size_t>(e.byte, 1), detail)};
  }
  if (!object.is_object()) {
    return Error{fmt::format(
        "{}: expected one JSON object (moeplan-arch or Hugging Face config.json) per line, got {}",
        where, DescribeJsonValue(object))};
  }
  if (object.contains("format")) {
    const nlohmann::json& format = object.at("format");
    if (!format.is_string() || format.get<std::string>() != laws::kArchFormat) {
      return Error{fmt::format(
          "{}: field 'format': expected \"moeplan-arch\" (or a Hugging Face config.json "
          "without 'format'), got {}",
          where, DescribeJsonValue(format))};
    }
    return laws::ArchFromJson(object, where);
  }
  if (object.contains("model_type") || object.contains("architectures")) {
    const std::vector<int64_t>& seq = space.values(ArchDim::kSeqLen);
    if (seq.size() != 1) {
      return Error{fmt::format(
          "{}: a Hugging Face config has no training sequence length and the space '{}' "
          "lists {} values for seq_len: use a space with one seq_len",
          where, space.name, seq.size())};
    }
    laws::HfImportOptions options;
    options.seq_len = seq.front();
    Result<laws::ImportedModel> imported = laws::ImportHfConfig(object, where, options);
    if (!imported) return imported.error();
    laws::MoeArch arch = std::move(imported->arch);
    if (arch.name.empty()) arch.name = where;
    return arch;
  }
  return Error{fmt::format(
      "{}: expected a moeplan-arch object (\"format\": \"moeplan-arch\") or a Hugging Face "
      "config.json object (with \"model_type\"), got an object with neither",
      where)};
}

bool SkippedLine(std::string_view line, bool comments) {
  const std::string_view t = Trim(line);
  return t.empty() || (comments && t.front() == '#');
}

}  // namespace

Result<std::vector<laws::MoeArch>> ParseConfigCsv(std::string_view text, std::string_view source,
                                                  const SweepSpace& space) {
  std::optional<CsvColumns> columns;
  std::vector<laws::MoeArch> archs;
  std::optional<Error> error;
  ForEachLine(text, [&](int64_t number, std::string_view line) {
    if (error || SkippedLine(line, true)) return;
    if (!columns) {
      Result<CsvColumns> header = ReadHeader(line, number, source, space);
      if (!header) {
        error = header.error();
      } else {
        columns = std::move(*header);
      }
      return;
    }
    Result<laws::MoeArch> arch = ReadCsvRow(line, number, source, *columns, space);
    if (!arch) {
      error = arch.error();
    } else {
      archs.push_back(std::move(*arch));
    }
  });
  if (error) return *error;
  if (archs.empty()) {
    return Error{fmt::format("{}: {}", source,
                             columns ? "no rows after the header: give at least one architecture"
                                     : "empty: expected a header row of column names, then one "
                                       "architecture per row")};
  }
  return archs;
}

Result<std::vector<laws::MoeArch>> ParseConfigJsonl(std::string_view text, std::string_view source,
                                                    const SweepSpace& space) {
  std::vector<laws::MoeArch> archs;
  std::optional<Error> error;
  ForEachLine(text, [&](int64_t number, std::string_view line) {
    if (error || SkippedLine(line, false)) return;
    Result<laws::MoeArch> arch = ReadJsonlLine(line, number, source, space);
    if (!arch) {
      error = arch.error();
    } else {
      archs.push_back(std::move(*arch));
    }
  });
  if (error) return *error;
  if (archs.empty()) {
    return Error{fmt::format("{}: empty: expected one JSON object per line", source)};
  }
  return archs;
}

Result<std::vector<laws::MoeArch>> ReadConfigList(const std::filesystem::path& file,
                                                  const SweepSpace& space) {
  const std::string ext = file.extension().string();
  const bool csv = ext == ".csv";
  const bool jsonl = ext == ".jsonl" || ext == ".ndjson";
  if (!csv && !jsonl) {
    return Error{
        fmt::format("{}: unknown list format '{}': expected a .csv or .jsonl (.ndjson) file",
                    file.string(), ext)};
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{fmt::format("{}: cannot open file for reading", file.string())};
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Error{fmt::format("{}: read error", file.string())};
  const std::string text = buffer.str();
  return csv ? ParseConfigCsv(text, file.string(), space)
             : ParseConfigJsonl(text, file.string(), space);
}

}  // namespace moeplan::plan
