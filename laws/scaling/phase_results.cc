//===- laws/scaling/phase_results.cc - Results of two-phase experiments ---===//
#include "laws/scaling/phase_results.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <span>

namespace moeplan::scaling {
namespace {

std::string ColumnList(const CsvTable& table) {
  std::string list;
  for (const std::string& name : table.header) list += (list.empty() ? "" : ", ") + name;
  return list;
}

Result<size_t> RequireColumn(const CsvTable& table, const char* name, const char* why) {
  if (std::optional<size_t> index = table.ColumnIndex(name)) return *index;
  return Error{fmt::format("{}: column '{}' ({}) not found; the columns are: {}", table.source,
                           name, why, ColumnList(table))};
}

// A positive finite number; "nan", "inf", empty and trailing text are rejected.
Result<double> PositiveCell(const CsvTable& table, size_t row, size_t column) {
  const std::string& text = table.rows[row][column];
  auto fail = [&](const std::string& got) {
    return Error{fmt::format("{}: {}, column '{}': expected a positive number, got {}",
                             table.source, table.RowLabel(row), table.header[column], got)};
  };
  if (text.empty()) return fail("an empty cell");
  std::string_view digits = text;
  if (digits.front() == '+') digits.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || !std::isfinite(value)) {
    return fail(fmt::format("'{}'", text));
  }
  if (!(value > 0)) return fail(text);
  return value;
}

// The columns of one phase: (name, why, destination member).
struct Column {
  const char* name;
  const char* why;
  double PhaseRun::*member;
};

constexpr Column kPhaseOneColumns[] = {
    {"flops_per_token", "phase 1: M, FLOPs per token", &PhaseRun::flops_per_token},
    {"active_params", "phase 1: N_a", &PhaseRun::active_params},
    {"total_params", "phase 1: N", &PhaseRun::total_params},
    {"tokens", "phase 1: D", &PhaseRun::tokens},
};

Status ReadPhaseColumns(const CsvTable& table, size_t row, std::span<const Column> columns,
                        PhaseRun& run) {
  for (const Column& c : columns) {
    Result<size_t> index = RequireColumn(table, c.name, c.why);
    if (!index) return index.error();
    Result<double> value = PositiveCell(table, row, *index);
    if (!value) return value.error();
    run.*c.member = *value;
  }
  return Status::Ok();
}

Status ReadPhaseTwoColumns(const CsvTable& table, size_t row, PhaseRun& run) {
  constexpr Column kHidden{"hidden_size", "phase 2: d", &PhaseRun::hidden_size};
  if (Status s = ReadPhaseColumns(table, row, std::span(&kHidden, 1), run); !s.ok()) return s;
  const std::optional<size_t> layers = table.ColumnIndex("num_layers");
  const std::optional<size_t> width = table.ColumnIndex("expert_width");
  if (!layers && !width) {
    return Error{fmt::format(
        "{}: phase 2 runs need a column 'num_layers' or 'expert_width' (the second shape "
        "variable); the columns are: {}",
        table.source, ColumnList(table))};
  }
  for (auto [index, member] :
       {std::pair{layers, &PhaseRun::num_layers}, std::pair{width, &PhaseRun::expert_width}}) {
    if (!index) continue;
    Result<double> value = PositiveCell(table, row, *index);
    if (!value) return value.error();
    run.*member = *value;
  }
  return Status::Ok();
}

Result<int> PhaseCell(const CsvTable& table, size_t row, size_t column) {
  const std::string& text = table.rows[row][column];
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size() && (value == 1 || value == 2)) {
    return static_cast<int>(value);  // "1", "2", or a spreadsheet's "1.0"
  }
  return Error{fmt::format("{}: {}, column 'phase': expected 1 or 2, got {}", table.source,
                           table.RowLabel(row), text.empty() ? "an empty cell" : "'" + text + "'")};
}

}  // namespace

size_t PhaseResults::CountPhase(int phase) const {
  return static_cast<size_t>(
      std::count_if(runs.begin(), runs.end(), [&](const PhaseRun& r) { return r.phase == phase; }));
}

Result<PhaseResults> ReadPhaseResults(const CsvTable& table) {
  Result<size_t> phase = RequireColumn(table, "phase", "1 or 2");
  if (!phase) return phase.error();
  Result<size_t> compute = RequireColumn(table, "compute", "C, training FLOPs");
  if (!compute) return compute.error();
  Result<size_t> loss = RequireColumn(table, "loss", "the final loss of each run");
  if (!loss) return loss.error();
  const std::optional<size_t> run_id = table.ColumnIndex("run_id");
  if (table.rows.empty()) return Error{fmt::format("{}: no runs (only a header)", table.source)};
  PhaseResults results;
  results.source = table.source;
  results.has_num_layers = table.ColumnIndex("num_layers").has_value();
  results.has_expert_width = table.ColumnIndex("expert_width").has_value();
  for (size_t row = 0; row < table.rows.size(); ++row) {
    PhaseRun run;
    run.row = static_cast<int64_t>(row) + 1;
    run.run_id = run_id && !table.rows[row][*run_id].empty() ? table.rows[row][*run_id]
                                                             : fmt::format("row {}", run.row);
    Result<int> p = PhaseCell(table, row, *phase);
    if (!p) return p.error();
    run.phase = *p;
    Result<double> c = PositiveCell(table, row, *compute);
    if (!c) return c.error();
    run.compute = *c;
    Result<double> l = PositiveCell(table, row, *loss);
    if (!l) return l.error();
    run.loss = *l;
    const Status s = run.phase == 1 ? ReadPhaseColumns(table, row, kPhaseOneColumns, run)
                                    : ReadPhaseTwoColumns(table, row, run);
    if (!s.ok()) return s.error();
    results.runs.push_back(std::move(run));
  }
  return results;
}

Result<PhaseResults> ReadPhaseResultsFile(const std::filesystem::path& path) {
  Result<CsvTable> table = ReadCsvFile(path);
  if (!table) return table.error();
  return ReadPhaseResults(*table);
}

std::vector<Budget> GroupBudgets(const PhaseResults& results, int phase, double tolerance) {
  std::vector<size_t> order;
  for (size_t i = 0; i < results.runs.size(); ++i) {
    if (results.runs[i].phase == phase) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return results.runs[a].compute < results.runs[b].compute;
  });
  std::vector<Budget> budgets;
  double start = 0, log_sum = 0;
  for (size_t idx : order) {
    const double c = results.runs[idx].compute;
    if (budgets.empty() || c > start * (1 + tolerance)) {
      if (!budgets.empty()) {
        budgets.back().compute =
            std::exp(log_sum / static_cast<double>(budgets.back().runs.size()));
      }
      budgets.emplace_back();
      start = c;
      log_sum = 0;
    }
    budgets.back().runs.push_back(idx);
    log_sum += std::log(c);
  }
  if (!budgets.empty()) {
    budgets.back().compute = std::exp(log_sum / static_cast<double>(budgets.back().runs.size()));
  }
  for (Budget& b : budgets) std::sort(b.runs.begin(), b.runs.end());
  return budgets;
}

}  // namespace moeplan::scaling
