//===- laws/scaling/law_json.cc - The moeplan-law file format -------------===//
#include "laws/scaling/law_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "laws/support/atomic_file.h"
#include "laws/support/json_reader.h"

namespace moeplan::scaling {
namespace {

using nlohmann::json;

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- reading ----------------------------------------------------------------

double Number(const JsonObject& object, std::string_view key, bool positive = false) {
  const char* expected = positive ? "a positive number" : "a finite number";
  if (!object.Has(key)) object.Fail(key, expected, "nothing (missing)");
  const json& value = object.node().at(std::string(key));
  if (!value.is_number()) object.FailWithValue(key, expected);
  const double d = value.get<double>();
  if (!std::isfinite(d) || (positive && !(d > 0))) object.FailWithValue(key, expected);
  return d;
}

std::string Text(const JsonObject& object, std::string_view key) {
  return object.OptionalString(key).value_or("");
}

std::optional<laws::FlopPass> ReadFlopPass(const JsonObject& object) {
  const std::optional<std::string> text = object.OptionalString("flop_pass");
  if (!text) return std::nullopt;
  if (*text == "forward") return laws::FlopPass::kForward;
  if (*text == "forward_backward") return laws::FlopPass::kForwardBackward;
  object.FailWithValue("flop_pass", "\"forward\" or \"forward_backward\"");
}

LawQuantity ReadQuantity(const JsonObject& object, std::string symbol) {
  LawQuantity q;
  q.symbol = std::move(symbol);
  q.meaning = object.String("meaning");
  if (q.meaning.empty()) object.Fail("meaning", "a non-empty description", "\"\"");
  q.unit = object.Has("unit") ? Number(object, "unit", /*positive=*/true) : 1.0;
  q.flop_pass = ReadFlopPass(object);
  return q;
}

// Requires the keys of `object` to be exactly `names`.
void RequireExactKeys(const JsonObject& object, const std::vector<std::string>& names,
                      std::string_view what) {
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  for (auto it = object.node().begin(); it != object.node().end(); ++it) {
    if (std::find(names.begin(), names.end(), it.key()) == names.end()) {
      object.FailMessage(it.key(), fmt::format("unknown {} (the form has: {})", what, list));
    }
  }
  for (const std::string& n : names) {
    if (!object.Has(n)) object.Fail(n, fmt::format("the {} '{}'", what, n), "nothing (missing)");
  }
}

FormSpec ReadForm(const JsonObject& object) {
  FormSpec spec;
  const std::string type = object.String("type");
  Result<FormType> parsed = ParseFormType(type);
  if (!parsed) object.FailMessage("type", parsed.error().message);
  spec.type = *parsed;
  if (spec.type != FormType::kPowerSum) {
    object.RejectUnknownKeys({"type"});
    return spec;
  }
  object.RejectUnknownKeys({"type", "variables", "constant", "terms"});
  const json* variables = object.OptionalArray("variables");
  if (variables == nullptr) object.Fail("variables", "an array of symbols", "nothing (missing)");
  for (const json& v : *variables) {
    if (!v.is_string()) object.FailMessage("variables", "expected an array of strings");
    spec.variables.push_back({v.get<std::string>(), ""});
  }
  spec.constant = Text(object, "constant");
  const json* terms = object.OptionalArray("terms");
  if (terms == nullptr) object.Fail("terms", "an array of terms", "nothing (missing)");
  for (size_t i = 0; i < terms->size(); ++i) {
    JsonObject term((*terms)[i], object.source(), object.PathOf(fmt::format("terms[{}]", i)));
    term.RejectUnknownKeys({"coefficient", "exponents"});
    PowerTerm t;
    t.coefficient = term.String("coefficient");
    JsonObject exponents = term.Object("exponents");
    for (auto it = exponents.node().begin(); it != exponents.node().end(); ++it) {
      t.exponents.emplace_back(it.key(), exponents.String(it.key()));
    }
    spec.terms.push_back(std::move(t));
  }
  return spec;
}

Coefficient ReadCoefficient(const JsonObject& object, const ParameterSpec& parameter) {
  object.RejectUnknownKeys({"value", "std_error", "ci", "note"});
  Coefficient c;
  c.name = parameter.name;
  c.value = Number(object, "value", parameter.scale == ParameterScale::kLog);
  if (object.Has("std_error")) {
    c.std_error = Number(object, "std_error");
    if (*c.std_error < 0) object.FailWithValue("std_error", "a non-negative number");
  }
  if (const json* ci = object.OptionalArray("ci")) {
    if (ci->size() != 2 || !(*ci)[0].is_number() || !(*ci)[1].is_number() ||
        !((*ci)[0].get<double>() <= (*ci)[1].get<double>())) {
      object.FailWithValue("ci", "[low, high] with low <= high");
    }
    c.ci_low = (*ci)[0].get<double>();
    c.ci_high = (*ci)[1].get<double>();
  }
  c.note = Text(object, "note");
  return c;
}

FitSummary ReadFit(const JsonObject& object) {
  object.RejectUnknownKeys({"method", "data", "num_points", "huber_delta", "objective", "converged",
                            "num_starts", "bootstrap_replicates", "ci_level", "seed"});
  FitSummary fit;
  fit.method = object.String("method");
  fit.data = Text(object, "data");
  fit.num_points = object.OptionalInt("num_points").value_or(0);
  fit.huber_delta = object.OptionalDouble("huber_delta", 0, kInf).value_or(0);
  fit.objective = object.OptionalDouble("objective", 0, kInf).value_or(0);
  fit.converged = object.OptionalBool("converged").value_or(false);
  fit.num_starts = object.OptionalInt("num_starts").value_or(0);
  fit.bootstrap_replicates = object.OptionalInt("bootstrap_replicates").value_or(0);
  fit.ci_level = object.OptionalDouble("ci_level", 0, 1).value_or(0);
  fit.seed = static_cast<uint64_t>(object.OptionalInt("seed").value_or(0));
  return fit;
}

std::vector<FittedRange> ReadRanges(const JsonObject& object) {
  std::vector<FittedRange> ranges;
  for (auto it = object.node().begin(); it != object.node().end(); ++it) {
    const json& pair = it.value();
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number() || !pair[1].is_number() ||
        !(pair[0].get<double>() <= pair[1].get<double>())) {
      object.FailWithValue(it.key(), "[min, max] with min <= max");
    }
    ranges.push_back({it.key(), pair[0].get<double>(), pair[1].get<double>()});
  }
  return ranges;
}

Law ReadLaw(const JsonObject& object) {
  object.RejectUnknownKeys(
      {"target", "form", "variables", "coefficients", "fitted_range", "fit", "note"});
  Law law;
  const JsonObject target = object.Object("target");
  target.RejectUnknownKeys({"symbol", "meaning", "unit", "flop_pass"});
  law.target = ReadQuantity(target, target.String("symbol"));
  law.form = ReadForm(object.Object("form"));
  Result<std::unique_ptr<const LawForm>> form = MakeForm(law.form);
  if (!form) object.FailMessage("form", form.error().message);

  std::vector<std::string> symbols;
  for (const QuantitySpec& v : (*form)->variables()) symbols.push_back(v.symbol);
  const JsonObject variables = object.Object("variables");
  RequireExactKeys(variables, symbols, "variable");
  for (const std::string& symbol : symbols) {
    const JsonObject v = variables.Object(symbol);
    v.RejectUnknownKeys({"meaning", "unit", "flop_pass"});
    law.variables.push_back(ReadQuantity(v, symbol));
  }

  std::vector<std::string> names;
  for (const ParameterSpec& p : (*form)->parameters()) names.push_back(p.name);
  const JsonObject coefficients = object.Object("coefficients");
  RequireExactKeys(coefficients, names, "coefficient");
  for (const ParameterSpec& p : (*form)->parameters()) {
    law.coefficients.push_back(ReadCoefficient(coefficients.Object(p.name), p));
  }
  if (auto ranges = object.OptionalObject("fitted_range")) law.fitted_range = ReadRanges(*ranges);
  if (auto fit = object.OptionalObject("fit")) law.fit = ReadFit(*fit);
  law.note = Text(object, "note");
  return law;
}

LawFile ReadFile(const JsonObject& root) {
  root.RejectUnknownKeys({"format", "version", "name", "description", "provenance", "laws"});
  if (root.String("format") != kLawFormat) {
    root.FailWithValue("format", fmt::format("\"{}\"", kLawFormat));
  }
  root.Int("version", kLawVersion, kLawVersion);
  LawFile file;
  file.name = root.String("name");
  file.description = Text(root, "description");
  if (auto provenance = root.OptionalObject("provenance")) {
    provenance->RejectUnknownKeys({"source", "method", "notes"});
    file.provenance.source = provenance->String("source");
    file.provenance.method = Text(*provenance, "method");
    file.provenance.notes = Text(*provenance, "notes");
  }
  const json* laws = root.OptionalArray("laws");
  if (laws == nullptr || laws->empty()) {
    root.Fail("laws", "a non-empty array of laws", laws ? "[]" : "nothing (missing)");
  }
  std::set<std::string> targets;
  for (size_t i = 0; i < laws->size(); ++i) {
    const std::string path = fmt::format("laws[{}]", i);
    Law law = ReadLaw(JsonObject((*laws)[i], root.source(), path));
    if (!targets.insert(law.target.symbol).second) {
      root.FailMessage(path, fmt::format("a second law for target '{}'", law.target.symbol));
    }
    file.laws.push_back(std::move(law));
  }
  return file;
}

// ---- writing ----------------------------------------------------------------

json QuantityJson(const LawQuantity& q, bool with_symbol) {
  json out = {{"meaning", q.meaning}, {"unit", q.unit}};
  if (with_symbol) out["symbol"] = q.symbol;
  if (q.flop_pass) {
    out["flop_pass"] = *q.flop_pass == laws::FlopPass::kForward ? "forward" : "forward_backward";
  }
  return out;
}

json FormJson(const FormSpec& spec) {
  json out = {{"type", ToString(spec.type)}};
  if (spec.type != FormType::kPowerSum) return out;
  json variables = json::array();
  for (const QuantitySpec& v : spec.variables) variables.push_back(v.symbol);
  out["variables"] = variables;
  if (!spec.constant.empty()) out["constant"] = spec.constant;
  json terms = json::array();
  for (const PowerTerm& t : spec.terms) {
    json exponents = json::object();
    for (const auto& [variable, exponent] : t.exponents) exponents[variable] = exponent;
    terms.push_back({{"coefficient", t.coefficient}, {"exponents", exponents}});
  }
  out["terms"] = terms;
  return out;
}

json CoefficientJson(const Coefficient& c) {
  json out = {{"value", c.value}};
  if (c.std_error) out["std_error"] = *c.std_error;
  if (c.ci_low && c.ci_high) out["ci"] = {*c.ci_low, *c.ci_high};
  if (!c.note.empty()) out["note"] = c.note;
  return out;
}

json FitJson(const FitSummary& fit) {
  return {{"method", fit.method},         {"data", fit.data},
          {"num_points", fit.num_points}, {"huber_delta", fit.huber_delta},
          {"objective", fit.objective},   {"converged", fit.converged},
          {"num_starts", fit.num_starts}, {"bootstrap_replicates", fit.bootstrap_replicates},
          {"ci_level", fit.ci_level},     {"seed", fit.seed}};
}

json LawJson(const Law& law) {
  json out = {{"target", QuantityJson(law.target, true)}, {"form", FormJson(law.form)}};
  json variables = json::object();
  for (const LawQuantity& v : law.variables) variables[v.symbol] = QuantityJson(v, false);
  out["variables"] = variables;
  json coefficients = json::object();
  for (const Coefficient& c : law.coefficients) coefficients[c.name] = CoefficientJson(c);
  out["coefficients"] = coefficients;
  if (!law.fitted_range.empty()) {
    json ranges = json::object();
    for (const FittedRange& r : law.fitted_range) ranges[r.symbol] = {r.min, r.max};
    out["fitted_range"] = ranges;
  }
  if (law.fit) out["fit"] = FitJson(*law.fit);
  if (!law.note.empty()) out["note"] = law.note;
  return out;
}

}  // namespace

Result<LawFile> LawFileFromJson(const json& document, std::string_view source) {
  try {
    return ReadFile(JsonObject(document, std::string(source)));
  } catch (const InputError& e) {
    return e.ToError();
  }
}

json LawFileToJson(const LawFile& file) {
  json provenance = {{"source", file.provenance.source}};
  if (!file.provenance.method.empty()) provenance["method"] = file.provenance.method;
  if (!file.provenance.notes.empty()) provenance["notes"] = file.provenance.notes;
  json laws = json::array();
  for (const Law& law : file.laws) laws.push_back(LawJson(law));
  return {{"format", kLawFormat},     {"version", kLawVersion},
          {"name", file.name},        {"description", file.description},
          {"provenance", provenance}, {"laws", laws}};
}

Result<LawFile> ReadLawFile(const std::filesystem::path& path) {
  Result<json> document = ReadJsonFile(path);
  if (!document) return document.error();
  return LawFileFromJson(*document, path.string());
}

Status WriteLawFile(const std::filesystem::path& path, const LawFile& file) {
  return WriteFileAtomically(path, LawFileToJson(file).dump(2) + "\n");
}

}  // namespace moeplan::scaling
