//===- laws/scaling/run_data.h - Training runs as fitting data --*- C++ -*-===//
/// \file
/// Turns CSV columns into the points a law is fitted on: one value per variable of the form,
/// the observed target (the final loss, or an optimum for allocation laws) and, when known,
/// the training compute C of the run (used to group runs into budgets). Every cell is checked:
/// errors name the file, the row and the column,
///   "runs.csv: row 17 (line 18), column 'loss': expected a positive number, got -3.2"
/// For a Chinchilla fit without a token column, D is derived as C / (6 N) (Hoffmann et al.
/// 2022; Besiroglu et al. 2024 do the same for the reconstructed data).
//===----------------------------------------------------------------------===//
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "laws/scaling/law_form.h"
#include "laws/scaling/runs_csv.h"

namespace moeplan::scaling {

/// Where each quantity of a fit comes from.
struct ColumnMapping {
  /// (variable symbol, CSV column), for the form's variables; D may be left out when
  /// `compute` is given and the form has N and D.
  std::vector<std::pair<std::string, std::string>> variables;
  std::string target;   ///< column of the observed target (e.g. the final loss)
  std::string compute;  ///< column of the training compute C, FLOPs (optional)
  /// k in C = k N D, used to derive D from C; 6 = forward + backward (Hoffmann et al.).
  double flops_per_param_token = 6.0;
  /// Target present, no variable twice, k positive.
  [[nodiscard]] Status Validate() const;
};

/// Points to fit, in SI units. Rows of `x` follow the source rows that passed.
struct RunData {
  std::string source;                ///< file name, for errors
  std::string description;           ///< e.g. "runs.csv: N='Model Size', D=C/(6 N), L='loss'"
  std::vector<std::string> symbols;  ///< the form's variables, in its order
  Eigen::MatrixXd x;                 ///< points x variables
  Eigen::VectorXd y;                 ///< observed target per point
  Eigen::VectorXd compute;           ///< C per point, or empty when unknown
  std::vector<int64_t> rows;         ///< 1-based data row of each point in the source

  size_t size() const { return static_cast<size_t>(y.size()); }
};

/// Extracts the mapped columns of `table` for `form`.
[[nodiscard]] Result<RunData> ExtractRuns(const CsvTable& table, const LawForm& form,
                                          const ColumnMapping& mapping);

/// The points at `indices`, in that order.
RunData SelectPoints(const RunData& data, const std::vector<size_t>& indices);

/// Drops the `count` points with the highest target (ties: the later row first), as Besiroglu
/// et al. 2024 drop the 5 highest-loss runs of the Chinchilla reconstruction.
RunData DropHighestTargets(const RunData& data, size_t count);

/// Groups points into compute budgets: sorted by C, a new group starts when C exceeds the
/// first C of the current group by more than `relative_tolerance`. Groups are ordered by C;
/// indices within a group ascend. Requires data.compute.
std::vector<std::vector<size_t>> GroupByBudget(const RunData& data,
                                               double relative_tolerance = 0.05);

}  // namespace moeplan::scaling
