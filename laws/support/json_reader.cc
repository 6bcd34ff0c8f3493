//===- laws/support/json_reader.cc - Validating JSON access ---------------===//
#include "laws/support/json_reader.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace moeplan {
namespace {

// nlohmann reports a byte offset; users want line and column.
std::string LineColumn(std::string_view text, size_t byte) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("line {}, column {}", line, column);
}

std::string TypeName(const nlohmann::json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number_float()) return "number";
  return value.type_name();
}

}  // namespace

std::string DescribeJsonValue(const nlohmann::json& value) {
  std::string text = value.dump();
  constexpr size_t kMaxChars = 60;
  if (text.size() > kMaxChars) text = text.substr(0, kMaxChars) + "...";
  if (value.is_string() || value.is_boolean() || value.is_null()) return text;
  if (value.is_number()) return text;
  return fmt::format("{} {}", TypeName(value), text);
}

Result<nlohmann::json> ParseJsonText(std::string_view text, std::string_view source) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() carries nlohmann's own prefix; keep only the human part after "error: ".
    std::string detail = e.what();
    if (auto pos = detail.find("syntax error"); pos != std::string::npos) {
      detail = detail.substr(pos);
    }
    return Error{fmt::format("{}: invalid JSON at {}: {}", source,
                             LineColumn(text, e.byte == 0 ? 0 : e.byte - 1), detail)};
  }
}

Result<nlohmann::json> ReadJsonFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{fmt::format("{}: cannot open file for reading", file.string())};
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Error{fmt::format("{}: read error", file.string())};
  return ParseJsonText(buffer.str(), file.string());
}

JsonObject::JsonObject(const nlohmann::json& node, std::string source, std::string path)
    : node_(&node), source_(std::move(source)), path_(std::move(path)) {
  if (!node.is_object()) {
    if (path_.empty()) {
      throw InputError(fmt::format("{}: expected a JSON object at the top level, got {}", source_,
                                   DescribeJsonValue(node)));
    }
    throw InputError(fmt::format("{}: field '{}': expected an object, got {}", source_, path_,
                                 DescribeJsonValue(node)));
  }
}

std::string JsonObject::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

void JsonObject::FailMessage(std::string_view key, std::string_view message) const {
  throw InputError(fmt::format("{}: field '{}': {}", source_, PathOf(key), message));
}

void JsonObject::Fail(std::string_view key, std::string_view expected, std::string_view got) const {
  FailMessage(key, fmt::format("expected {}, got {}", expected, got));
}

void JsonObject::FailWithValue(std::string_view key, std::string_view expected) const {
  auto it = node_->find(key);
  Fail(key, expected, it == node_->end() ? "nothing (missing)" : DescribeJsonValue(*it));
}

bool JsonObject::Has(std::string_view key) const {
  auto it = node_->find(key);
  return it != node_->end() && !it->is_null();
}

const nlohmann::json& JsonObject::Required(std::string_view key, std::string_view expected) const {
  auto it = node_->find(key);
  if (it == node_->end() || it->is_null()) Fail(key, expected, "nothing (missing)");
  return *it;
}

namespace {

std::string IntRange(int64_t min, int64_t max) {
  if (max == JsonObject::kMaxInt) return fmt::format("an integer >= {}", min);
  return fmt::format("an integer in {}..{}", min, max);
}

}  // namespace

int64_t JsonObject::Int(std::string_view key, int64_t min, int64_t max) const {
  const std::string expected = IntRange(min, max);
  const nlohmann::json& value = Required(key, expected);
  int64_t result = 0;
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      FailWithValue(key, expected);
    }
    result = value.get<int64_t>();
  } else if (value.is_number_float()) {
    // Some exporters write 4096.0; accept integral floats, reject 4096.5.
    const double d = value.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) {
      FailWithValue(key, expected);
    }
    result = static_cast<int64_t>(d);
  } else {
    FailWithValue(key, expected);
  }
  if (result < min || result > max) FailWithValue(key, expected);
  return result;
}

std::optional<int64_t> JsonObject::OptionalInt(std::string_view key, int64_t min,
                                               int64_t max) const {
  if (!Has(key)) return std::nullopt;
  return Int(key, min, max);
}

double JsonObject::Double(std::string_view key, double min, double max) const {
  const std::string expected = fmt::format("a number in [{}, {}]", min, max);
  const nlohmann::json& value = Required(key, expected);
  if (!value.is_number()) FailWithValue(key, expected);
  const double d = value.get<double>();
  if (!std::isfinite(d) || d < min || d > max) FailWithValue(key, expected);
  return d;
}

std::optional<double> JsonObject::OptionalDouble(std::string_view key, double min,
                                                 double max) const {
  if (!Has(key)) return std::nullopt;
  return Double(key, min, max);
}

bool JsonObject::Bool(std::string_view key) const {
  const nlohmann::json& value = Required(key, "true or false");
  if (!value.is_boolean()) FailWithValue(key, "true or false");
  return value.get<bool>();
}

std::optional<bool> JsonObject::OptionalBool(std::string_view key) const {
  if (!Has(key)) return std::nullopt;
  return Bool(key);
}

std::string JsonObject::String(std::string_view key) const {
  const nlohmann::json& value = Required(key, "a string");
  if (!value.is_string()) FailWithValue(key, "a string");
  return value.get<std::string>();
}

std::optional<std::string> JsonObject::OptionalString(std::string_view key) const {
  if (!Has(key)) return std::nullopt;
  return String(key);
}

JsonObject JsonObject::Object(std::string_view key) const {
  return JsonObject(Required(key, "an object"), source_, PathOf(key));
}

std::optional<JsonObject> JsonObject::OptionalObject(std::string_view key) const {
  if (!Has(key)) return std::nullopt;
  return Object(key);
}

const nlohmann::json* JsonObject::OptionalArray(std::string_view key) const {
  if (!Has(key)) return nullptr;
  const nlohmann::json& value = node_->at(std::string(key));
  if (!value.is_array()) FailWithValue(key, "an array");
  return &value;
}

void JsonObject::RejectUnknownKeys(std::initializer_list<std::string_view> known) const {
  for (auto it = node_->begin(); it != node_->end(); ++it) {
    bool is_known = false;
    for (std::string_view k : known) is_known = is_known || (it.key() == k);
    if (!is_known) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      throw InputError(fmt::format("{}: field '{}': unknown field (known fields: {})", source_,
                                   PathOf(it.key()), list));
    }
  }
}

}  // namespace moeplan
