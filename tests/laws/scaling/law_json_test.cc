//===- tests/laws/scaling/law_json_test.cc - The moeplan-law file format ---===//
/// Lossless round trips of every preset and of a user-defined power_sum law, and the exact
/// error text of the strict reader (file name and JSON path), one case per broken field.
#include "laws/scaling/law_json.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "laws/scaling/law_presets.h"

namespace moeplan::scaling {
namespace {

using nlohmann::json;

class PresetRoundTripTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PresetRoundTripTest, JsonRoundTripIsLossless) {
  const LawFile* preset = FindLawPreset(GetParam());
  ASSERT_NE(preset, nullptr);
  const json first = LawFileToJson(*preset);
  Result<LawFile> parsed = LawFileFromJson(first, "<preset>");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(LawFileToJson(*parsed), first);
  // Text round trip: numbers survive printing exactly.
  Result<LawFile> reparsed = LawFileFromJson(json::parse(first.dump(2)), "<text>");
  ASSERT_TRUE(reparsed.ok());
  for (size_t l = 0; l < preset->laws.size(); ++l) {
    for (size_t c = 0; c < preset->laws[l].coefficients.size(); ++c) {
      EXPECT_EQ(reparsed->laws[l].coefficients[c].value, preset->laws[l].coefficients[c].value);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllPresets, PresetRoundTripTest,
                         ::testing::Values("hoffmann2022", "epoch2024", "deepseek-llm-2024",
                                           "ling2025", "wan2026"),
                         [](const auto& test_info) {
                           std::string name = test_info.param;
                           for (char& ch : name) ch = std::isalnum(ch) ? ch : '_';
                           return name;
                         });

json PowerSumDocument() {
  return json::parse(R"({
    "format": "moeplan-law", "version": 1, "name": "custom",
    "provenance": {"source": "my runs"},
    "laws": [{
      "target": {"symbol": "L", "meaning": "validation loss"},
      "form": {"type": "power_sum", "variables": ["Na", "D"], "constant": "E",
               "terms": [{"coefficient": "A", "exponents": {"Na": "alpha"}},
                         {"coefficient": "B", "exponents": {"D": "beta"}}]},
      "variables": {"Na": {"meaning": "active parameters", "unit": 1e9},
                    "D": {"meaning": "tokens", "unit": 1e9}},
      "coefficients": {"A": {"value": 0.5}, "B": {"value": 2.0, "std_error": 0.1},
                       "E": {"value": 1.7, "ci": [1.6, 1.8]},
                       "alpha": {"value": 0.3}, "beta": {"value": 0.3}}
    }]})");
}

TEST(LawJsonTest, PowerSumLawEvaluatesInItsUnits) {
  Result<LawFile> file = LawFileFromJson(PowerSumDocument(), "custom.json");
  ASSERT_TRUE(file.ok()) << file.error().message;
  Result<BoundLaw> law = BoundLaw::Bind(file->laws[0]);
  ASSERT_TRUE(law.ok()) << law.error().message;
  // Na = 8e9 (8 units), D = 64e9 (64 units): 1.7 + 0.5 / 8^0.3 + 2 / 64^0.3
  //   = 1.7 + 0.5 / 1.866066 + 2 / 3.482202 = 1.7 + 0.267943 + 0.574349 = 2.542292.
  EXPECT_NEAR(law->Predict({8e9, 64e9}), 2.542292, 1e-5);
  EXPECT_EQ(LawFileToJson(*file), LawFileToJson(*LawFileFromJson(LawFileToJson(*file), "x")));
}

TEST(LawJsonTest, WriteThenReadIsLossless) {
  const auto path = std::filesystem::temp_directory_path() / "moeplan_law_json_test.json";
  const LawFile* preset = FindLawPreset("epoch2024");
  ASSERT_TRUE(WriteLawFile(path, *preset).ok());
  Result<LawFile> read = ReadLawFile(path);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(LawFileToJson(*read), LawFileToJson(*preset));
  std::filesystem::remove(path);
}

struct BadCase {
  const char* name;
  const char* json_pointer;  // where to change the valid document
  json value;                // new value (null: remove)
  const char* error;
};

class BadLawTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadLawTest, ErrorNamesFileAndPath) {
  const BadCase& c = GetParam();
  json document = PowerSumDocument();
  const json::json_pointer pointer(c.json_pointer);
  if (c.value.is_null()) {
    document.at(pointer.parent_pointer()).erase(pointer.back());
  } else {
    document[pointer] = c.value;
  }
  Result<LawFile> file = LawFileFromJson(document, "law.json");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().message, c.error);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadLawTest,
    ::testing::Values(
        BadCase{"format", "/format", "moeplan-arch",
                "law.json: field 'format': expected \"moeplan-law\", got \"moeplan-arch\""},
        BadCase{"version", "/version", 2,
                "law.json: field 'version': expected an integer in 1..1, got 2"},
        BadCase{"unknown_top", "/colour", "red",
                "law.json: field 'colour': unknown field (known fields: format, version, name, "
                "description, provenance, laws)"},
        BadCase{"negative_scale", "/laws/0/coefficients/A/value", -3,
                "law.json: field 'laws[0].coefficients.A.value': expected a positive number, "
                "got -3"},
        BadCase{"missing_coefficient", "/laws/0/coefficients/beta", nullptr,
                "law.json: field 'laws[0].coefficients.beta': expected the coefficient 'beta', "
                "got nothing (missing)"},
        BadCase{"extra_coefficient", "/laws/0/coefficients/gamma", json{{"value", 1}},
                "law.json: field 'laws[0].coefficients.gamma': unknown coefficient (the form "
                "has: A, B, E, alpha, beta)"},
        BadCase{"bad_ci", "/laws/0/coefficients/E/ci", json::array({1.9, 1.8}),
                "law.json: field 'laws[0].coefficients.E.ci': expected [low, high] with low <= "
                "high, got array [1.9,1.8]"},
        BadCase{"unknown_form", "/laws/0/form/type", "kaplan",
                "law.json: field 'laws[0].form.type': unknown law form 'kaplan' (known forms: "
                "chinchilla, fine_grained, clark_routed, joint_moe, power_law, power_sum)"},
        BadCase{"term_variable", "/laws/0/form/terms/0/exponents", json{{"N", "alpha"}},
                "law.json: field 'laws[0].form': power_sum: term 'A' uses unknown variable "
                "'N'"},
        BadCase{"zero_unit", "/laws/0/variables/D/unit", 0,
                "law.json: field 'laws[0].variables.D.unit': expected a positive number, got "
                "0"},
        BadCase{"empty_meaning", "/laws/0/variables/Na/meaning", "",
                "law.json: field 'laws[0].variables.Na.meaning': expected a non-empty "
                "description, got \"\""},
        BadCase{"no_laws", "/laws", json::array(),
                "law.json: field 'laws': expected a non-empty array of laws, got []"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(LawJsonTest, UnreadableFileIsAnError) {
  Result<LawFile> file = ReadLawFile("/nonexistent/law.json");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().message, "/nonexistent/law.json: cannot open file for reading");
}

}  // namespace
}  // namespace moeplan::scaling
