//===- profiler/core/internal/json_fields.h - Strict JSON reading -*- C++ -*-===//
/// \file
/// Private to profiler/core. A small validating view of a JSON object for the profile and trace
/// readers, with the project's error style ("<file>: field '<path>': expected <what>, got <x>").
/// It mirrors laws/support/json_reader.h without depending on moeplan_laws, so that the profiler
/// builds on its own on a bare GPU machine. Throws `FieldError`; readers catch it at their API.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace moeplan::profiler::internal {

class FieldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// "4096", "\"abc\"", "array [1,2]" (truncated) for error messages.
std::string Describe(const nlohmann::ordered_json& value);

class Fields {
 public:
  /// Throws unless `node` is an object; `path` is its JSON path ("" at the top).
  Fields(const nlohmann::ordered_json& node, std::string source, std::string path = "");

  static constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

  bool Has(std::string_view key) const;
  int64_t Int(std::string_view key, int64_t min = 0, int64_t max = kMaxInt) const;
  int64_t IntOr(std::string_view key, int64_t fallback, int64_t min = 0,
                int64_t max = kMaxInt) const;
  double Double(std::string_view key, double min = 0,
                double max = std::numeric_limits<double>::max()) const;
  double DoubleOr(std::string_view key, double fallback, double min = 0,
                  double max = std::numeric_limits<double>::max()) const;
  bool BoolOr(std::string_view key, bool fallback) const;
  std::string String(std::string_view key) const;
  std::string StringOr(std::string_view key, std::string fallback) const;
  Fields Object(std::string_view key) const;
  /// The array at `key` (required unless `optional`; an absent optional array is empty).
  const nlohmann::ordered_json& Array(std::string_view key, bool optional = false) const;
  /// Element `index` of the array at `key`, as an object.
  Fields Element(std::string_view key, size_t index) const;
  void RejectUnknownKeys(std::initializer_list<std::string_view> known) const;

  [[noreturn]] void Fail(std::string_view key, std::string_view message) const;
  std::string PathOf(std::string_view key) const;
  const nlohmann::ordered_json& node() const { return *node_; }
  const std::string& source() const { return source_; }

 private:
  const nlohmann::ordered_json& Required(std::string_view key) const;

  const nlohmann::ordered_json* node_;
  std::string source_;
  std::string path_;
};

}  // namespace moeplan::profiler::internal
