//===- profiler/core/internal/json_fields.cc - Strict JSON reading --------===//
#include "profiler/core/internal/json_fields.h"

#include <cmath>

namespace moeplan::profiler::internal {
namespace {

std::string Expected(std::string_view what, const nlohmann::ordered_json& got) {
  return "expected " + std::string(what) + ", got " + Describe(got);
}

}  // namespace

std::string Describe(const nlohmann::ordered_json& value) {
  std::string text = value.dump();
  constexpr size_t kMaxChars = 60;
  if (text.size() > kMaxChars) text = text.substr(0, kMaxChars) + "...";
  if (value.is_object() || value.is_array()) return std::string(value.type_name()) + " " + text;
  return text;
}

Fields::Fields(const nlohmann::ordered_json& node, std::string source, std::string path)
    : node_(&node), source_(std::move(source)), path_(std::move(path)) {
  if (node.is_object()) return;
  if (path_.empty()) {
    throw FieldError(source_ + ": expected a JSON object at the top level, got " + Describe(node));
  }
  throw FieldError(source_ + ": field '" + path_ + "': " + Expected("an object", node));
}

std::string Fields::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void Fields::Fail(std::string_view key, std::string_view message) const {
  throw FieldError(source_ + ": field '" + PathOf(key) + "': " + std::string(message));
}

bool Fields::Has(std::string_view key) const {
  const auto it = node_->find(key);
  return it != node_->end() && !it->is_null();
}

const nlohmann::ordered_json& Fields::Required(std::string_view key) const {
  const auto it = node_->find(key);
  if (it == node_->end() || it->is_null()) Fail(key, "missing");
  return *it;
}

int64_t Fields::Int(std::string_view key, int64_t min, int64_t max) const {
  const nlohmann::ordered_json& value = Required(key);
  const std::string range = "an integer in " + std::to_string(min) + ".." + std::to_string(max);
  if (!value.is_number_integer()) Fail(key, Expected(range, value));
  const int64_t number = value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(kMaxInt)
                             ? kMaxInt
                             : value.get<int64_t>();
  if (number < min || number > max) Fail(key, Expected(range, value));
  return number;
}

int64_t Fields::IntOr(std::string_view key, int64_t fallback, int64_t min, int64_t max) const {
  return Has(key) ? Int(key, min, max) : fallback;
}

double Fields::Double(std::string_view key, double min, double max) const {
  const nlohmann::ordered_json& value = Required(key);
  if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < min ||
      value.get<double>() > max) {
    std::string what = "a number";
    if (min == 0 && max == std::numeric_limits<double>::max()) {
      what = "a non-negative number";
    } else {
      what = "a number in " + nlohmann::ordered_json(min).dump() + ".." +
             nlohmann::ordered_json(max).dump();
    }
    Fail(key, Expected(what, value));
  }
  return value.get<double>();
}

double Fields::DoubleOr(std::string_view key, double fallback, double min, double max) const {
  return Has(key) ? Double(key, min, max) : fallback;
}

bool Fields::BoolOr(std::string_view key, bool fallback) const {
  if (!Has(key)) return fallback;
  const nlohmann::ordered_json& value = Required(key);
  if (!value.is_boolean()) Fail(key, Expected("true or false", value));
  return value.get<bool>();
}

std::string Fields::String(std::string_view key) const {
  const nlohmann::ordered_json& value = Required(key);
  if (!value.is_string()) Fail(key, Expected("a string", value));
  return value.get<std::string>();
}

std::string Fields::StringOr(std::string_view key, std::string fallback) const {
  return Has(key) ? String(key) : fallback;
}

Fields Fields::Object(std::string_view key) const {
  return Fields(Required(key), source_, PathOf(key));
}

const nlohmann::ordered_json& Fields::Array(std::string_view key, bool optional) const {
  static const nlohmann::ordered_json kEmpty = nlohmann::ordered_json::array();
  if (optional && !Has(key)) return kEmpty;
  const nlohmann::ordered_json& value = Required(key);
  if (!value.is_array()) Fail(key, Expected("an array", value));
  return value;
}

Fields Fields::Element(std::string_view key, size_t index) const {
  return Fields(Array(key).at(index), source_, PathOf(key) + "[" + std::to_string(index) + "]");
}

void Fields::RejectUnknownKeys(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : node_->items()) {
    bool found = false;
    for (std::string_view name : known) found = found || key == name;
    if (!found) Fail(key, "unknown field");
  }
}

}  // namespace moeplan::profiler::internal
