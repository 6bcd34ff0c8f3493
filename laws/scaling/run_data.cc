//===- laws/scaling/run_data.cc - Training runs as fitting data -----------===//
#include "laws/scaling/run_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <set>

namespace moeplan::scaling {
namespace {

// One mapped column: where it is and what must hold for its cells.
struct Source {
  size_t column = 0;
  std::string name;
  bool positive = true;
};

std::optional<double> ParseNumber(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

Result<double> Cell(const CsvTable& table, size_t row, const Source& source) {
  const std::string& text = table.rows[row][source.column];
  const char* expected = source.positive ? "a positive number" : "a number";
  auto fail = [&](const std::string& got) {
    return Error{fmt::format("{}: {}, column '{}': expected {}, got {}", table.source,
                             table.RowLabel(row), source.name, expected, got)};
  };
  if (text.empty()) return fail("an empty cell");
  const std::optional<double> value = ParseNumber(text);
  if (!value) return fail(fmt::format("'{}'", text));
  if (source.positive && !(*value > 0)) return fail(text);
  return *value;
}

std::string ColumnList(const CsvTable& table) {
  std::string list;
  for (const std::string& name : table.header) list += (list.empty() ? "" : ", ") + name;
  return list;
}

Result<Source> FindColumn(const CsvTable& table, const std::string& column, std::string_view role,
                          bool positive) {
  const std::optional<size_t> index = table.ColumnIndex(column);
  if (!index) {
    return Error{fmt::format("{}: column '{}' ({}) not found; the columns are: {}", table.source,
                             column, role, ColumnList(table))};
  }
  return Source{*index, column, positive};
}

std::string SymbolList(const LawForm& form) {
  std::string list;
  for (const QuantitySpec& v : form.variables()) list += (list.empty() ? "" : ", ") + v.symbol;
  return list;
}

}  // namespace

Status ColumnMapping::Validate() const {
  if (target.empty()) return Error{"column mapping: no target (loss) column given"};
  std::set<std::string> symbols;
  for (const auto& [symbol, column] : variables) {
    if (column.empty())
      return Error{fmt::format("column mapping: variable '{}' has no column", symbol)};
    if (!symbols.insert(symbol).second) {
      return Error{fmt::format("column mapping: variable '{}' is mapped twice", symbol)};
    }
  }
  if (!(flops_per_param_token > 0) || !std::isfinite(flops_per_param_token)) {
    return Error{fmt::format("column mapping: flops_per_param_token must be positive, got {}",
                             flops_per_param_token)};
  }
  return Status::Ok();
}

Result<RunData> ExtractRuns(const CsvTable& table, const LawForm& form,
                            const ColumnMapping& mapping) {
  if (Status s = mapping.Validate(); !s.ok()) return s.error();
  for (const auto& [symbol, column] : mapping.variables) {
    if (!form.VariableIndex(symbol)) {
      return Error{fmt::format("'{}' is not a variable of law form {} (its variables: {})", symbol,
                               ToString(form.type()), SymbolList(form))};
    }
  }
  // Resolve every variable to a column, or to D = C / (k N).
  const size_t num_vars = form.variables().size();
  std::vector<std::optional<Source>> sources(num_vars);
  std::optional<size_t> derived_tokens;
  RunData data;
  data.source = table.source;
  data.description = table.source + ":";
  for (size_t v = 0; v < num_vars; ++v) {
    const std::string& symbol = form.variables()[v].symbol;
    data.symbols.push_back(symbol);
    auto it = std::find_if(mapping.variables.begin(), mapping.variables.end(),
                           [&](const auto& m) { return m.first == symbol; });
    if (it != mapping.variables.end()) {
      Result<Source> s =
          FindColumn(table, it->second, "variable " + symbol, form.RequiresPositive(v));
      if (!s) return s.error();
      sources[v] = *s;
      data.description += fmt::format(" {}='{}'", symbol, it->second);
    } else if (symbol == "D" && form.VariableIndex("N") && !mapping.compute.empty()) {
      derived_tokens = v;
      data.description += fmt::format(" D=C/({:g} N)", mapping.flops_per_param_token);
    } else {
      return Error{fmt::format("no column given for variable '{}' of law form {} ({})", symbol,
                               ToString(form.type()), form.variables()[v].meaning)};
    }
  }
  Result<Source> target = FindColumn(table, mapping.target, "target", true);
  if (!target) return target.error();
  data.description += fmt::format(" target='{}'", mapping.target);
  std::optional<Source> compute;
  if (!mapping.compute.empty()) {
    Result<Source> c = FindColumn(table, mapping.compute, "compute C", true);
    if (!c) return c.error();
    compute = *c;
    data.description += fmt::format(" C='{}'", mapping.compute);
  }

  const auto n = static_cast<Eigen::Index>(table.rows.size());
  data.x.resize(n, static_cast<Eigen::Index>(num_vars));
  data.y.resize(n);
  if (compute) data.compute.resize(n);
  for (size_t row = 0; row < table.rows.size(); ++row) {
    const auto r = static_cast<Eigen::Index>(row);
    for (size_t v = 0; v < num_vars; ++v) {
      if (!sources[v]) continue;
      Result<double> value = Cell(table, row, *sources[v]);
      if (!value) return value.error();
      data.x(r, static_cast<Eigen::Index>(v)) = *value;
    }
    Result<double> y = Cell(table, row, *target);
    if (!y) return y.error();
    data.y[r] = *y;
    if (compute) {
      Result<double> c = Cell(table, row, *compute);
      if (!c) return c.error();
      data.compute[r] = *c;
    }
    data.rows.push_back(static_cast<int64_t>(row) + 1);
  }
  if (derived_tokens) {
    const auto n_col = static_cast<Eigen::Index>(*form.VariableIndex("N"));
    data.x.col(static_cast<Eigen::Index>(*derived_tokens)) =
        data.compute.array() / (mapping.flops_per_param_token * data.x.col(n_col).array());
  }
  return data;
}

RunData SelectPoints(const RunData& data, const std::vector<size_t>& indices) {
  RunData out;
  out.source = data.source;
  out.description = data.description;
  out.symbols = data.symbols;
  const auto n = static_cast<Eigen::Index>(indices.size());
  out.x.resize(n, data.x.cols());
  out.y.resize(n);
  if (data.compute.size() > 0) out.compute.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto src = static_cast<Eigen::Index>(indices[static_cast<size_t>(i)]);
    out.x.row(i) = data.x.row(src);
    out.y[i] = data.y[src];
    if (data.compute.size() > 0) out.compute[i] = data.compute[src];
    out.rows.push_back(data.rows[static_cast<size_t>(src)]);
  }
  return out;
}

RunData DropHighestTargets(const RunData& data, size_t count) {
  std::vector<size_t> order(data.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Highest target first; among equal targets the later row goes first.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const double ya = data.y[static_cast<Eigen::Index>(a)];
    const double yb = data.y[static_cast<Eigen::Index>(b)];
    return ya != yb ? ya > yb : a > b;
  });
  std::vector<size_t> keep(
      order.begin() + static_cast<std::ptrdiff_t>(std::min(count, order.size())), order.end());
  std::sort(keep.begin(), keep.end());
  RunData out = SelectPoints(data, keep);
  if (count > 0) out.description += fmt::format(" ({} highest-target points dropped)", count);
  return out;
}

std::vector<std::vector<size_t>> GroupByBudget(const RunData& data, double relative_tolerance) {
  std::vector<size_t> order(static_cast<size_t>(data.compute.size()));
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return data.compute[static_cast<Eigen::Index>(a)] < data.compute[static_cast<Eigen::Index>(b)];
  });
  std::vector<std::vector<size_t>> groups;
  double group_start = 0;
  for (size_t idx : order) {
    const double c = data.compute[static_cast<Eigen::Index>(idx)];
    if (groups.empty() || c > group_start * (1.0 + relative_tolerance)) {
      groups.emplace_back();
      group_start = c;
    }
    groups.back().push_back(idx);
  }
  for (auto& group : groups) std::sort(group.begin(), group.end());
  return groups;
}

}  // namespace moeplan::scaling
