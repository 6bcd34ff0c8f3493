//===- hwmodel/internal/json_fields.cc - Checked numeric fields -----------===//
#include "hwmodel/internal/json_fields.h"

#include <cmath>
#include <string>

namespace moeplan::hw::internal {
namespace {

const char* Expected(NumberRange range) {
  switch (range) {
    case NumberRange::kPositive:
      return "a positive number";
    case NumberRange::kNonNegative:
      return "a number >= 0";
    case NumberRange::kFraction:
      return "a fraction in (0, 1]";
    case NumberRange::kUnitInterval:
      return "a number in [0, 1]";
  }
  return "a number";
}

bool InRange(double value, NumberRange range) {
  if (!std::isfinite(value)) return false;
  switch (range) {
    case NumberRange::kPositive:
      return value > 0.0;
    case NumberRange::kNonNegative:
      return value >= 0.0;
    case NumberRange::kFraction:
      return value > 0.0 && value <= 1.0;
    case NumberRange::kUnitInterval:
      return value >= 0.0 && value <= 1.0;
  }
  return false;
}

}  // namespace

double ReadNumber(const JsonObject& object, std::string_view key, NumberRange range) {
  if (!object.Has(key)) object.Fail(key, Expected(range), "nothing (missing)");
  const nlohmann::json& value = object.node().at(std::string(key));
  if (!value.is_number()) object.FailWithValue(key, Expected(range));
  const double number = value.get<double>();
  if (!InRange(number, range)) object.FailWithValue(key, Expected(range));
  return number;
}

double ReadNumberOr(const JsonObject& object, std::string_view key, NumberRange range,
                    double fallback) {
  return object.Has(key) ? ReadNumber(object, key, range) : fallback;
}

}  // namespace moeplan::hw::internal
