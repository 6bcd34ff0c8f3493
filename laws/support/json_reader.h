//===- laws/support/json_reader.h - Validating JSON access ------*- C++ -*-===//
/// \file
/// Typed, range-checked access to a parsed JSON document that remembers where it is, so that
/// every error names the file, the JSON path and what was expected:
///   "model.json: field 'attention.num_heads': expected an integer in 1..65536, got -4"
///
/// Readers throw `InputError` internally (it keeps parsing code linear and short); public entry
/// points catch it and return `Result<T>`. Never let `InputError` escape a library API.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "laws/support/result.h"

namespace moeplan {

/// Bad user input found while reading; converted to `Error` at the API boundary.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  Error ToError() const { return Error{what()}; }
};

/// Reads and parses a JSON file. Errors: unreadable file, or invalid JSON with line and column.
[[nodiscard]] Result<nlohmann::json> ReadJsonFile(const std::filesystem::path& file);

/// Parses JSON text; `source` names it in errors (a file name or "<preset>").
[[nodiscard]] Result<nlohmann::json> ParseJsonText(std::string_view text, std::string_view source);

/// A view of one JSON object with its location (source name + path) for error messages.
/// Cheap to copy; it refers to a document that must outlive it.
class JsonObject {
 public:
  /// Throws InputError unless `node` is an object.
  JsonObject(const nlohmann::json& node, std::string source, std::string path = "");

  static constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

  bool Has(std::string_view key) const;  ///< present and not null

  int64_t Int(std::string_view key, int64_t min = 0, int64_t max = kMaxInt) const;
  std::optional<int64_t> OptionalInt(std::string_view key, int64_t min = 0,
                                     int64_t max = kMaxInt) const;
  double Double(std::string_view key, double min, double max) const;
  std::optional<double> OptionalDouble(std::string_view key, double min, double max) const;
  bool Bool(std::string_view key) const;
  std::optional<bool> OptionalBool(std::string_view key) const;
  std::string String(std::string_view key) const;
  std::optional<std::string> OptionalString(std::string_view key) const;
  JsonObject Object(std::string_view key) const;
  std::optional<JsonObject> OptionalObject(std::string_view key) const;
  /// The array at `key`, or nullopt when absent/null; throws when present but not an array.
  const nlohmann::json* OptionalArray(std::string_view key) const;

  /// Rejects keys outside `known` (moeplan's own formats are strict: a typo is an error).
  void RejectUnknownKeys(std::initializer_list<std::string_view> known) const;

  /// Throws InputError("<source>: field '<path.key>': expected <expected>, got <got>").
  [[noreturn]] void Fail(std::string_view key, std::string_view expected,
                         std::string_view got) const;
  /// Throws InputError("<source>: field '<path.key>': <message>").
  [[noreturn]] void FailMessage(std::string_view key, std::string_view message) const;
  /// Same as Fail, with `got` rendered from the JSON value at `key`.
  [[noreturn]] void FailWithValue(std::string_view key, std::string_view expected) const;

  std::string PathOf(std::string_view key) const;
  const std::string& source() const { return source_; }
  const nlohmann::json& node() const { return *node_; }

 private:
  const nlohmann::json& Required(std::string_view key, std::string_view expected) const;

  const nlohmann::json* node_;
  std::string source_;
  std::string path_;
};

/// Renders a JSON value for an error message, truncated to a readable length.
std::string DescribeJsonValue(const nlohmann::json& value);

}  // namespace moeplan
