//===- laws/scaling/runs_csv.h - CSV tables of training runs ----*- C++ -*-===//
/// \file
/// Reads the CSV files that hold training-run results (one run per row, a header row naming
/// the columns), as exported by spreadsheets and pandas: RFC 4180 quoting ("a, b" and ""
/// escapes), CRLF or LF line ends, an optional UTF-8 byte-order mark, blank lines ignored.
/// Cells are kept as text; run_data.h turns the chosen columns into numbers. Errors name the
/// file, the data row (1 = first row after the header) and its line:
///   "runs.csv: row 4 (line 5): expected 7 fields as in the header, got 6"
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::scaling {

struct CsvTable {
  std::string source;                          ///< file name, for errors
  std::vector<std::string> header;             ///< column names, trimmed
  std::vector<std::vector<std::string>> rows;  ///< cells, trimmed; every row has header.size()
  std::vector<int64_t> lines;                  ///< 1-based file line where each row starts

  std::optional<size_t> ColumnIndex(std::string_view name) const;
  /// "row 4 (line 5)" for rows[3].
  std::string RowLabel(size_t row_idx) const;
};

[[nodiscard]] Result<CsvTable> ParseCsv(std::string_view text, std::string_view source);
[[nodiscard]] Result<CsvTable> ReadCsvFile(const std::filesystem::path& path);

}  // namespace moeplan::scaling
