//===- cli/text_table.h - Aligned plain-text tables -------------*- C++ -*-===//
/// \file
/// Results for humans are aligned tables (DESIGN.md). Text columns are left-aligned, numeric
/// columns right-aligned; a row of "-" draws a rule.
//===----------------------------------------------------------------------===//
#pragma once

#include <string>
#include <vector>

namespace moeplan::cli {

enum class Align { kLeft, kRight };

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header, std::vector<Align> align = {});
  void AddRow(std::vector<std::string> cells);
  void AddRule();
  std::string Render(const std::string& indent = "") const;

 private:
  std::vector<std::string> header_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;  // empty row = rule
};

}  // namespace moeplan::cli
