//===- tests/laws/scaling/run_data_test.cc - CSV runs and their errors -----===//
/// Bad input must give one clear error naming the file, the row and the column: missing
/// columns, non-numeric and empty cells, non-positive values, ragged rows, and too few points
/// for the form. Cases are data (text in, exact message out).
#include "laws/scaling/run_data.h"

#include <gtest/gtest.h>

#include "laws/scaling/fit.h"
#include "laws/scaling/power_sum_form.h"

namespace moeplan::scaling {
namespace {

ColumnMapping ChinchillaColumns() {
  ColumnMapping mapping;
  mapping.variables = {{"N", "params"}, {"D", "tokens"}};
  mapping.target = "loss";
  return mapping;
}

Result<RunData> Extract(std::string_view text, const ColumnMapping& mapping) {
  Result<CsvTable> table = ParseCsv(text, "runs.csv");
  if (!table) return table.error();
  const auto form = MakeChinchillaForm();
  return ExtractRuns(*table, *form, mapping);
}

struct BadCsv {
  const char* name;
  const char* text;
  const char* error;
};

class BadCsvTest : public ::testing::TestWithParam<BadCsv> {};

TEST_P(BadCsvTest, ErrorNamesRowAndColumn) {
  Result<RunData> data = Extract(GetParam().text, ChinchillaColumns());
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.error().message, GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadCsvTest,
    ::testing::Values(
        BadCsv{"missing_column", "params,toks,loss\n1e8,1e9,3.1\n",
               "runs.csv: column 'tokens' (variable D) not found; the columns are: params, "
               "toks, loss"},
        BadCsv{"missing_target", "params,tokens\n1e8,1e9\n",
               "runs.csv: column 'loss' (target) not found; the columns are: params, tokens"},
        BadCsv{"non_numeric", "params,tokens,loss\n1e8,1e9,3.1\n2e8,2e9,abc\n",
               "runs.csv: row 2 (line 3), column 'loss': expected a positive number, got 'abc'"},
        BadCsv{"trailing_garbage", "params,tokens,loss\n1e8x,1e9,3.1\n",
               "runs.csv: row 1 (line 2), column 'params': expected a positive number, got "
               "'1e8x'"},
        BadCsv{"empty_cell", "params,tokens,loss\n1e8,,3.1\n",
               "runs.csv: row 1 (line 2), column 'tokens': expected a positive number, got an "
               "empty cell"},
        BadCsv{"negative", "params,tokens,loss\n1e8,1e9,3.1\n\n1e8,-5e9,3.0\n",
               "runs.csv: row 2 (line 4), column 'tokens': expected a positive number, got "
               "-5e9"},
        BadCsv{"zero", "params,tokens,loss\n0,1e9,3.1\n",
               "runs.csv: row 1 (line 2), column 'params': expected a positive number, got 0"},
        BadCsv{"nan", "params,tokens,loss\n1e8,1e9,nan\n",
               "runs.csv: row 1 (line 2), column 'loss': expected a positive number, got 'nan'"},
        BadCsv{"ragged", "params,tokens,loss\n1e8,1e9,3.1\n1e8,1e9\n",
               "runs.csv: row 2 (line 3): expected 3 fields as in the header, got 2"},
        BadCsv{"duplicate_header", "params,params,loss\n1,2,3\n",
               "runs.csv: line 1: column 'params' appears twice in the header"},
        BadCsv{"unclosed_quote", "params,tokens,loss\n\"1e8,1e9,3.1\n",
               "runs.csv: line 2: a quoted field is not closed"},
        BadCsv{"empty", "\n\n", "runs.csv: empty file (no header row)"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(RunDataTest, UnknownAndUnmappedVariablesAreErrors) {
  ColumnMapping mapping = ChinchillaColumns();
  mapping.variables.emplace_back("G", "granularity");
  EXPECT_EQ(Extract("params,tokens,loss\n1,2,3\n", mapping).error().message,
            "'G' is not a variable of law form chinchilla (its variables: N, D)");
  mapping = ChinchillaColumns();
  mapping.variables.pop_back();  // no D and no compute column to derive it from
  EXPECT_EQ(Extract("params,tokens,loss\n1,2,3\n", mapping).error().message,
            "no column given for variable 'D' of law form chinchilla (training tokens)");
}

TEST(RunDataTest, TooFewPointsForTheForm) {
  Result<RunData> data = Extract(
      "params,tokens,loss\n1e8,1e9,3.1\n2e8,1e9,3.0\n4e8,2e9,2.9\n8e8,4e9,2.8\n"
      "1e9,8e9,2.7\n",
      ChinchillaColumns());
  ASSERT_TRUE(data.ok()) << data.error().message;
  const auto form = MakeChinchillaForm();
  Result<FitResult> fit = FitLaw(*form, *data, FitOptions{});
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.error().message,
            "runs.csv: 5 points for the 5 free coefficients of law form chinchilla; need at "
            "least 6");
}

TEST(RunDataTest, ParsesQuotesCrlfBomAndDerivesTokens) {
  // D = C / (6 N): 6e18 / (6 x 1e8) = 1e10.
  const char* text =
      "\xEF\xBB\xBF\"Model Size\",\"Training FLOP\",loss,note\r\n"
      "1e8,6e18,3.5,\"small, first\"\r\n"
      "  2e8 , 1.2e19 , +3.25 ,\"say \"\"hi\"\"\"\r\n";
  Result<CsvTable> table = ParseCsv(text, "runs.csv");
  ASSERT_TRUE(table.ok()) << table.error().message;
  EXPECT_EQ(table->header,
            (std::vector<std::string>{"Model Size", "Training FLOP", "loss", "note"}));
  EXPECT_EQ(table->rows[1][3], "say \"hi\"");
  ColumnMapping mapping;
  mapping.variables = {{"N", "Model Size"}};
  mapping.compute = "Training FLOP";
  mapping.target = "loss";
  const auto form = MakeChinchillaForm();
  Result<RunData> data = ExtractRuns(*table, *form, mapping);
  ASSERT_TRUE(data.ok()) << data.error().message;
  ASSERT_EQ(data->size(), 2u);
  EXPECT_DOUBLE_EQ(data->x(0, 1), 1e10);
  EXPECT_DOUBLE_EQ(data->x(1, 1), 1e10);
  EXPECT_DOUBLE_EQ(data->y[1], 3.25);
  EXPECT_DOUBLE_EQ(data->compute[1], 1.2e19);
  EXPECT_EQ(data->description,
            "runs.csv: N='Model Size' D=C/(6 N) target='loss' C='Training FLOP'");
}

TEST(RunDataTest, DropHighestAndGroupByBudget) {
  const char* text =
      "N,D,loss,C\n1e8,1e9,3.0,6e17\n2e8,5e8,3.2,6.1e17\n1e8,1e10,2.5,6e18\n"
      "2e8,5e9,2.6,6e18\n4e8,2.5e9,2.9,6.2e18\n";
  ColumnMapping mapping;
  mapping.variables = {{"N", "N"}, {"D", "D"}};
  mapping.target = "loss";
  mapping.compute = "C";
  Result<RunData> data = Extract(text, mapping);
  ASSERT_TRUE(data.ok()) << data.error().message;
  const RunData kept = DropHighestTargets(*data, 2);  // drops 3.2 and 3.0
  EXPECT_EQ(kept.rows, (std::vector<int64_t>{3, 4, 5}));
  const auto groups = GroupByBudget(*data, 0.05);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0], (std::vector<size_t>{0, 1}));
  EXPECT_EQ(groups[1], (std::vector<size_t>{2, 3, 4}));
}

}  // namespace
}  // namespace moeplan::scaling
