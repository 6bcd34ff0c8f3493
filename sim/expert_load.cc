//===- sim/expert_load.cc - Tokens per expert on the busiest rank ---------===//
#include "sim/expert_load.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "laws/support/json_reader.h"

namespace moeplan::sim {
namespace {

// Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
double InverseNormalCdf(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  if (p < kLow) {
    const double q = std::sqrt(-2.0 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  if (p > 1.0 - kLow) return -InverseNormalCdf(1.0 - p);
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

void FillUniform(std::span<int64_t> out, double tokens) {
  const int64_t rounded = std::llround(tokens);
  std::fill(out.begin(), out.end(), rounded);
}

double HistogramRank(const std::vector<double>& shares, int64_t ep, double total_tokens, double cap,
                     std::span<int64_t> out) {
  const size_t group = out.size();
  size_t best_rank = 0;
  double best_load = -1.0;
  for (size_t rank = 0; rank < static_cast<size_t>(ep); ++rank) {
    double load = 0.0;
    for (size_t e = 0; e < group; ++e)
      load += std::min(shares[rank * group + e] * total_tokens, cap);
    if (load > best_load) {
      best_load = load;
      best_rank = rank;
    }
  }
  for (size_t e = 0; e < group; ++e) {
    out[e] = std::llround(std::min(shares[best_rank * group + e] * total_tokens, cap));
  }
  const double mean_rank = total_tokens / static_cast<double>(ep);
  return mean_rank > 0.0 ? best_load / mean_rank : 1.0;
}

// Splits one line of numbers on commas and whitespace.
Result<std::vector<double>> ParseNumberLine(std::string_view line, std::string_view source,
                                            int line_number) {
  std::string text(line);
  std::replace(text.begin(), text.end(), ',', ' ');
  std::istringstream in(text);
  std::vector<double> values;
  std::string token;
  while (in >> token) {
    char* end = nullptr;
    const double value = std::strtod(token.c_str(), &end);
    if (end != token.c_str() + token.size() || !std::isfinite(value) || value < 0.0) {
      return Error{fmt::format("{}: line {}: expected a non-negative number, got '{}'", source,
                               line_number, token)};
    }
    values.push_back(value);
  }
  return values;
}

Result<std::vector<std::vector<double>>> ParseText(std::string_view text, std::string_view source) {
  std::vector<std::vector<double>> lists;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    Result<std::vector<double>> values = ParseNumberLine(line, source, line_number);
    if (!values) return values.error();
    if (!values->empty()) lists.push_back(std::move(*values));
  }
  return lists;
}

std::vector<double> ReadList(const nlohmann::json& node, const JsonObject& object,
                             std::string_view key) {
  if (!node.is_array()) object.FailWithValue(key, "an array of non-negative numbers");
  std::vector<double> values;
  for (const nlohmann::json& value : node) {
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0.0) {
      object.Fail(key, "non-negative numbers", DescribeJsonValue(value));
    }
    values.push_back(value.get<double>());
  }
  return values;
}

std::vector<std::vector<double>> ParseJson(const nlohmann::json& json, std::string_view source) {
  const JsonObject object(json, std::string(source));
  object.RejectUnknownKeys({"format", "version", "tokens_per_expert", "layers", "description"});
  if (object.String("format") != "moeplan-expert-histogram") {
    object.Fail("format", "\"moeplan-expert-histogram\"",
                fmt::format("\"{}\"", object.String("format")));
  }
  object.Int("version", 1, 1);
  std::vector<std::vector<double>> lists;
  if (const nlohmann::json* list = object.OptionalArray("tokens_per_expert")) {
    lists.push_back(ReadList(*list, object, "tokens_per_expert"));
  }
  if (const nlohmann::json* layers = object.OptionalArray("layers")) {
    for (const nlohmann::json& layer : *layers) lists.push_back(ReadList(layer, object, "layers"));
  }
  if (lists.empty())
    object.FailMessage("tokens_per_expert", "expected tokens_per_expert or layers");
  return lists;
}

}  // namespace

std::string ExpertLoad::Describe() const {
  switch (kind) {
    case ExpertLoadKind::kBalanced:
      return "balanced (every expert gets tokens x K / N_e)";
    case ExpertLoadKind::kSkew:
      return fmt::format("skew {:g} (coefficient of variation of tokens per expert)", skew);
    case ExpertLoadKind::kHistogram:
      return fmt::format("histogram {} ({} list{})", source, shares.size(),
                         shares.size() == 1 ? "" : "s");
  }
  return "balanced";
}

double ExpectedMaxOfNormals(int64_t n) {
  if (n <= 1) return 0.0;
  const double nd = static_cast<double>(n);
  return InverseNormalCdf((nd - 0.375) / (nd + 0.25));
}

double BusiestRank(const ExpertLoad& load, int64_t num_experts, int64_t top_k, int64_t ep,
                   double mean_tokens_per_expert, double capacity_factor, int64_t moe_layer,
                   std::span<int64_t> local_tokens) {
  const int64_t group = num_experts / ep;
  const double cap = capacity_factor > 0.0 ? capacity_factor * mean_tokens_per_expert
                                           : std::numeric_limits<double>::infinity();
  if (load.kind == ExpertLoadKind::kHistogram && !load.shares.empty()) {
    const auto& shares = load.shares[static_cast<size_t>(moe_layer) % load.shares.size()];
    return HistogramRank(shares, ep, mean_tokens_per_expert * static_cast<double>(num_experts), cap,
                         local_tokens);
  }
  double factor = 1.0;
  if (load.kind == ExpertLoadKind::kSkew && ep > 1) {
    factor = 1.0 + ExpectedMaxOfNormals(ep) * load.skew / std::sqrt(static_cast<double>(group));
    const double most =
        static_cast<double>(ep * std::min(group, top_k)) / static_cast<double>(top_k);
    factor = std::min(factor, most);
  }
  if (capacity_factor > 0.0) factor = std::min(factor, std::max(1.0, capacity_factor));
  FillUniform(local_tokens, mean_tokens_per_expert * factor);
  return factor;
}

Result<ExpertLoad> ParseExpertHistogram(std::string_view text, std::string_view source,
                                        int64_t num_experts) {
  std::vector<std::vector<double>> lists;
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    Result<nlohmann::json> json = ParseJsonText(text, source);
    if (!json) return json.error();
    try {
      lists = ParseJson(*json, source);
    } catch (const InputError& e) {
      return e.ToError();
    }
  } else {
    Result<std::vector<std::vector<double>>> parsed = ParseText(text, source);
    if (!parsed) return parsed.error();
    lists = std::move(*parsed);
  }
  if (lists.empty()) return Error{fmt::format("{}: no token counts found", source)};
  ExpertLoad load;
  load.kind = ExpertLoadKind::kHistogram;
  load.source = std::string(source);
  for (size_t i = 0; i < lists.size(); ++i) {
    std::vector<double>& list = lists[i];
    if (static_cast<int64_t>(list.size()) != num_experts) {
      return Error{fmt::format("{}: list {} has {} entries, expected one per routed expert ({})",
                               source, i + 1, list.size(), num_experts)};
    }
    double total = 0.0;
    for (double value : list) total += value;
    if (!(total > 0.0)) return Error{fmt::format("{}: list {} has no tokens", source, i + 1)};
    for (double& value : list) value /= total;
    load.shares.push_back(std::move(list));
  }
  return load;
}

Result<ExpertLoad> LoadExpertHistogram(const std::filesystem::path& file, int64_t num_experts) {
  std::ifstream in(file);
  if (!in) return Error{fmt::format("{}: cannot open file", file.string())};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseExpertHistogram(buffer.str(), file.string(), num_experts);
}

}  // namespace moeplan::sim
