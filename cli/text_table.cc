//===- cli/text_table.cc - Aligned plain-text tables ----------------------===//
#include "cli/text_table.h"

#include <algorithm>

namespace moeplan::cli {

TextTable::TextTable(std::vector<std::string> header, std::vector<Align> align)
    : header_(std::move(header)), align_(std::move(align)) {
  align_.resize(header_.size(), Align::kLeft);
}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

void TextTable::AddRule() {
  rows_.emplace_back();
}

std::string TextTable::Render(const std::string& indent) const {
  std::vector<size_t> width(header_.size());
  for (size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  auto render_row = [&](const std::vector<std::string>& row) {
    std::string line = indent;
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - row[c].size(), ' ');
      line += align_[c] == Align::kRight ? pad + row[c] : row[c] + pad;
      if (c + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + "\n";
  };
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  const std::string rule = indent + std::string(total > 2 ? total - 2 : 0, '-') + "\n";
  std::string out = render_row(header_) + rule;
  for (const auto& row : rows_) out += row.empty() ? rule : render_row(row);
  return out;
}

}  // namespace moeplan::cli
