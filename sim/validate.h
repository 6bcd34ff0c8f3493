//===- sim/validate.h - Predicted vs measured training runs -----*- C++ -*-===//
/// \file
/// The engine of `moeplan validate`: reads published measured runs
/// (sim/validation/published_runs.json, format "moeplan-validation-runs" v1, described in
/// sim/validation/README.md) and vTrain's measured Megatron-LM steps
/// (ground_truth_single.csv: 8 A100, GPT, full recompute, 1F1B), predicts each run with the
/// analytic estimate of sim::Simulate, and compares prediction and measurement in the run's
/// own quantity.
///
/// Error convention (one formula everywhere): error = (predicted - measured) / measured, so
/// +10% means the simulator predicts 10% more tokens/s (or a 10% longer step) than measured.
/// Summaries report the median of |error| and the worst |error|.
///
/// Quantity compared, in this order of preference: tokens/s/GPU, step time, model TFLOP/s/GPU
/// under the row's FLOP convention (megatron-bridge and megatron-lm: causal attention halved;
/// dgxc-readme, nemo1-full-attention, korthikanti-appendix-a, palm-mfu: full attention;
/// narayanan-eq3: full attention with full recomputation counted, i.e. 4/3 of the model
/// FLOPs). Memory per GPU is compared where published (predicted: the peak rank's total).
///
/// Row fields not published (null) take fixed rules, the same for every row: tp, pp, vpp, cp,
/// ep = 1; etp = tp (Megatron-Core's default), or 1 where etp = tp cannot fold (etp x ep does
/// not divide tp x cp x dp: a run that trained used a value that folds, and Megatron-Bridge's
/// MoE recipes set 1; the row's `assumptions` says so); dp = GPUs / (tp pp cp); mbs = 1;
/// recompute none; sequence parallelism on; fsdp -> full sharding, else distributed optimizer
/// unless it is published as off. Rows whose GPU has no hardware preset, whose precision is not
/// stated, whose cells contradict each other (consistency_warnings), or whose layout the
/// simulator rejects are skipped with the reason.
/// Nothing is tuned per row; hardware efficiencies are the presets', whose global parameters
/// were fitted to these runs (calibration/end_to_end_fit.h), so the report's errors are
/// in-sample; the fit's cross-validated errors are the held-out estimate.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "laws/arch.h"
#include "laws/support/result.h"
#include "sim/layout.h"
#include "sim/model_profile.h"
#include "sim/simulate.h"

namespace moeplan::sim {

/// (predicted - measured) / measured.
double RelativeError(double predicted, double measured);
/// Median of `values` (mean of the two middle values for an even count); 0 when empty.
double Median(std::vector<double> values);

/// The pipeline rank whose memory a published figure is.
enum class MemoryRank { kLargest, kFirst, kLast };
const char* ToString(MemoryRank rank);
std::optional<MemoryRank> MemoryRankFromString(std::string_view name);

/// One published run, as read from the runs file.
struct PublishedRun {
  std::string id;
  std::string source;
  std::string model;
  laws::MoeArch arch;
  bool moe = false;
  std::string gpu;  ///< hardware preset; empty when the file has null
  std::string gpu_published;
  int64_t num_gpus = 0;
  int64_t seq_len = 0;
  std::string precision;  ///< empty when not stated
  Layout layout;
  /// Framework options published with the run ("sim_options": dispatcher, moe_a2a_overlap);
  /// defaults (alltoall dispatcher, no overlap) otherwise.
  SimOptions options;
  std::string flop_convention;
  bool consistency_warnings = false;
  /// Why the run's published throughput is deliberately not compared (e.g. hardware whose
  /// clocks no preset describes): the row then checks memory only and is listed with this reason.
  std::string throughput_not_compared;
  std::optional<double> tokens_per_s_per_gpu;
  std::optional<double> model_flops_per_s_per_gpu;
  std::optional<double> step_time_s;
  std::optional<double> memory_per_gpu_bytes;
  /// The counter memory_per_gpu_bytes reads (required with it).
  std::optional<MemoryStatistic> memory_statistic;
  /// Which GPU's figure it is: the largest pipeline rank (the default: a source's peak over all
  /// GPUs, or one whose logging rank is not known), or the first or last pipeline rank (e.g.
  /// Megatron-LM logs memory to TensorBoard from the last global rank only, which sits in the
  /// last pipeline stage).
  MemoryRank memory_rank = MemoryRank::kLargest;
};

/// Reads a "moeplan-validation-runs" file. Strict: unknown fields are errors; errors name the
/// file and the JSON path, e.g. "runs.json: $.runs[3].model: unknown model 'x'".
[[nodiscard]] Result<std::vector<PublishedRun>> ParsePublishedRuns(const nlohmann::json& json,
                                                                   std::string_view file);
[[nodiscard]] Result<std::vector<PublishedRun>> LoadPublishedRuns(
    const std::filesystem::path& path);

/// One row of vTrain's ground_truth_single.csv.
struct VtrainRun {
  int64_t line = 0;  ///< 1-based line in the file
  int64_t gpus = 0, global_batch = 0, micro_batch = 0, hidden = 0, heads = 0, layers = 0,
          seq_len = 0, tp = 0, dp = 0, pp = 0;
  double iteration_ms = 0.0;
};

/// Parses the CSV text; '#'-prefixed lines (the header) and blank lines are skipped. Errors
/// name the file and line, e.g. "gt.csv:4: expected 11 fields, got 3".
[[nodiscard]] Result<std::vector<VtrainRun>> ParseVtrainCsv(std::string_view text,
                                                            std::string_view file);
[[nodiscard]] Result<std::vector<VtrainRun>> LoadVtrainCsv(const std::filesystem::path& path);

/// The vTrain GPT model: vocab 50257 padded as Megatron does (multiple of 128 tp), MHA with
/// biases, plain 4h GELU MLP with bias, LayerNorm, tied embeddings.
laws::MoeArch VtrainArch(const VtrainRun& run);

/// Predicted vs measured for one run.
struct ValidationRow {
  std::string id;
  std::string source;  ///< source key, or "vtrain"
  std::string model;
  bool moe = false;
  std::string gpu;
  int64_t num_gpus = 0;
  std::string layout;       ///< short layout text
  std::string skip_reason;  ///< non-empty: not evaluated
  std::string metric;       ///< "tokens/s/GPU", "step time s", "TFLOP/s/GPU (convention)"
  double measured = 0.0;
  double predicted = 0.0;
  double error = 0.0;
  bool oom = false;                        ///< the prediction does not fit in memory
  double memory_needed = 0.0;              ///< predicted bytes of the busiest GPU (evaluated rows)
  double memory_capacity = 0.0;            ///< HBM bytes of one GPU
  std::optional<double> memory_measured;   ///< bytes
  std::optional<double> memory_predicted;  ///< of memory_statistic
  MemoryStatistic memory_statistic = MemoryStatistic::kDeviceUsed;
  MemoryRank memory_rank = MemoryRank::kLargest;  ///< whose memory was compared
  std::optional<double> memory_error;
  /// What the validator assumed for this row beyond the fixed rules above (e.g. etp = 1 where
  /// etp = tp cannot fold); listed under the markdown tables and in the JSON row.
  std::vector<std::string> assumptions;
};

ValidationRow EvaluatePublishedRun(const PublishedRun& run);
ValidationRow EvaluateVtrainRun(const VtrainRun& run);

/// The quantity a run is compared in.
enum class ValidationMetric : uint8_t { kTokensPerSecond, kStepTime, kModelTflops, kNone };
/// "tokens/s/GPU", "step s", "TFLOP/s/GPU", "".
const char* ToString(ValidationMetric metric);

/// A run prepared for repeated prediction: what calibration/end_to_end_fit.h fits hardware
/// parameters to. The request asks for the analytic estimate only.
struct ValidationCase {
  std::string id;
  std::string source;
  std::string model;
  bool moe = false;
  SimRequest request;
  ValidationMetric metric = ValidationMetric::kNone;
  FlopConvention convention = FlopConvention::kCausal;  ///< for kModelTflops
  double flop_scale = 1.0;                              ///< for kModelTflops
  std::string metric_name;                              ///< report label when not the default
  double measured = 0.0;
};

/// The predicted value of `c`'s metric from one step estimate.
double MetricOf(const ValidationCase& c, const StepEstimate& step);
/// The prediction of `c`'s metric on `hardware` (replacing the request's fleet hardware).
[[nodiscard]] Result<double> PredictCase(const ValidationCase& c, const hw::Hardware& hardware);
/// Every run that EvaluatePublishedRun / EvaluateVtrainRun would compare in a throughput
/// metric, as cases (skipped and rejected runs left out), in file order.
std::vector<ValidationCase> PrepareCases(const std::vector<PublishedRun>& published,
                                         const std::vector<VtrainRun>& vtrain);

/// Error statistics of one group of rows.
struct ErrorSummary {
  std::string group;
  int64_t evaluated = 0;
  int64_t skipped = 0;
  double median_abs = 0.0;
  double worst = 0.0;  ///< signed error with the largest magnitude
  std::string worst_id;
  /// Evaluated rows predicted out of memory. Every row is a run that was really trained, so
  /// each one is a false OOM verdict (the planner would have rejected a layout that works).
  int64_t false_oom = 0;
  int64_t memory_evaluated = 0;
  double memory_median_abs = 0.0;
  double memory_worst = 0.0;
  std::string memory_worst_id;
};

ErrorSummary Summarize(std::string group, const std::vector<const ValidationRow*>& rows);

struct ValidationReport {
  std::vector<ValidationRow> rows;
  std::vector<ErrorSummary> summaries;          ///< overall, published, dense, MoE, vTrain, sources
  std::map<std::string, int64_t> skip_reasons;  ///< reason -> rows
  std::string runs_file;
  std::string vtrain_file;
};

/// Evaluates every row and builds the summaries.
ValidationReport Validate(const std::vector<PublishedRun>& published,
                          const std::vector<VtrainRun>& vtrain);

/// The "## Simulator" section (heading included, ends with a newline).
std::string ValidationMarkdown(const ValidationReport& report);
nlohmann::ordered_json ValidationJson(const ValidationReport& report);

/// `document` with the section starting at the line `heading` (up to the next "## " line or
/// the end) replaced by `section`; appended when absent.
std::string ReplaceMarkdownSection(std::string_view document, std::string_view heading,
                                   std::string_view section);

}  // namespace moeplan::sim
