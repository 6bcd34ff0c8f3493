//===- profiler/core/bench_case.cc - What one microbenchmark measures ----===//
#include "profiler/core/bench_case.h"

#include <algorithm>
#include <array>

namespace moeplan::profiler {
namespace {

template <typename Enum, size_t N>
std::optional<Enum> ParseByName(std::string_view text, const std::array<Enum, N>& values) {
  for (Enum value : values) {
    if (text == ToString(value)) return value;
  }
  return std::nullopt;
}

}  // namespace

const char* ToString(OpKind op) {
  switch (op) {
    case OpKind::kGemm:
      return "gemm";
    case OpKind::kGroupedGemm:
      return "grouped_gemm";
    case OpKind::kRouter:
      return "router";
    case OpKind::kPermute:
      return "permute";
    case OpKind::kUnpermute:
      return "unpermute";
    case OpKind::kSwiglu:
      return "swiglu";
    case OpKind::kRmsnorm:
      return "rmsnorm";
    case OpKind::kAttention:
      return "attention";
    case OpKind::kAdam:
      return "adam";
    case OpKind::kCopy:
      return "copy";
    case OpKind::kMoeLayer:
      return "moe_layer";
  }
  return "unknown";
}

std::optional<OpKind> ParseOpKind(std::string_view text) {
  for (OpKind op : kAllOpKinds) {
    if (text == ToString(op)) return op;
  }
  return std::nullopt;
}

std::string OpKindList() {
  std::string list;
  for (OpKind op : kAllOpKinds) {
    if (!list.empty()) list += ", ";
    list += ToString(op);
  }
  return list;
}

const char* ToString(Pass pass) {
  switch (pass) {
    case Pass::kForward:
      return "forward";
    case Pass::kBackward:
      return "backward";
    case Pass::kBackwardData:
      return "backward_data";
    case Pass::kBackwardWeight:
      return "backward_weight";
    case Pass::kStep:
      return "step";
    case Pass::kNone:
      return "none";
  }
  return "unknown";
}

std::optional<Pass> ParsePass(std::string_view text) {
  return ParseByName(text, std::array{Pass::kForward, Pass::kBackward, Pass::kBackwardData,
                                      Pass::kBackwardWeight, Pass::kStep, Pass::kNone});
}

const char* ToString(Precision precision) {
  switch (precision) {
    case Precision::kBf16:
      return "bf16";
    case Precision::kFp8:
      return "fp8";
    case Precision::kFp32:
      return "fp32";
  }
  return "unknown";
}

std::optional<Precision> ParsePrecision(std::string_view text) {
  return ParseByName(text, std::array{Precision::kBf16, Precision::kFp8, Precision::kFp32});
}

int64_t BenchCase::Dim(std::string_view name) const {
  for (const auto& [key, value] : shape) {
    if (key == name) return value;
  }
  return 0;
}

std::string BenchCase::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return "";
}

std::string BenchCase::Label() const {
  std::string label = std::string(ToString(op)) + " " + ToString(pass) + " " + ToString(precision) +
                      " " + implementation;
  for (const auto& [key, value] : shape) label += " " + key + "=" + std::to_string(value);
  for (const auto& [key, value] : params) label += " " + key + "=" + value;
  return label;
}

Result<BenchCase> ParseBenchCaseLabel(std::string_view label) {
  std::vector<std::string_view> words;
  for (size_t begin = 0; begin < label.size();) {
    const size_t end = std::min(label.find(' ', begin), label.size());
    if (end > begin) words.push_back(label.substr(begin, end - begin));
    begin = end + 1;
  }
  const std::string where = "range '" + std::string(label) + "'";
  if (words.size() < 4) {
    return Error{where + ": expected '<op> <pass> <precision> <implementation> key=value...'"};
  }
  BenchCase bench_case;
  const std::optional<OpKind> op = ParseOpKind(words[0]);
  if (!op) return Error{where + ": unknown op '" + std::string(words[0]) + "'"};
  const std::optional<Pass> pass = ParsePass(words[1]);
  if (!pass) return Error{where + ": unknown pass '" + std::string(words[1]) + "'"};
  const std::optional<Precision> precision = ParsePrecision(words[2]);
  if (!precision) return Error{where + ": unknown precision '" + std::string(words[2]) + "'"};
  bench_case.op = *op;
  bench_case.pass = *pass;
  bench_case.precision = *precision;
  bench_case.implementation = std::string(words[3]);
  for (size_t word_idx = 4; word_idx < words.size(); ++word_idx) {
    const std::string_view word = words[word_idx];
    const size_t equals = word.find('=');
    if (equals == std::string_view::npos || equals == 0 || equals + 1 == word.size()) {
      return Error{where + ": expected key=value, got '" + std::string(word) + "'"};
    }
    const std::string key(word.substr(0, equals));
    const std::string value(word.substr(equals + 1));
    const bool is_integer =
        value.size() <= 18 &&
        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (is_integer) {
      bench_case.shape.emplace_back(key, std::stoll(value));
    } else {
      bench_case.params.emplace_back(key, value);
    }
  }
  return bench_case;
}

}  // namespace moeplan::profiler
