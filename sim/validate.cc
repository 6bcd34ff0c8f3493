//===- sim/validate.cc - Predicted vs measured training runs --------------===//
#include "sim/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "hwmodel/fleet_source.h"
#include "laws/arch_json.h"
#include "laws/hf_import.h"
#include "laws/model_source.h"
#include "sim/framework_option_table.h"
#include "sim/internal/enum_names.h"
#include "sim/model_profile.h"
#include "sim/simulate.h"

namespace moeplan::sim {
namespace {

using nlohmann::json;

Error PathError(std::string_view file, const std::string& path, const std::string& what) {
  return Error{fmt::format("{}: {}: {}", file, path, what)};
}

Status CheckKeys(const json& object, const std::set<std::string>& allowed, std::string_view file,
                 const std::string& path) {
  if (!object.is_object()) return PathError(file, path, "expected an object");
  for (const auto& [key, value] : object.items()) {
    if (!allowed.contains(key)) return PathError(file, path + "." + key, "unknown field");
  }
  return Status::Ok();
}

Result<std::optional<double>> OptNumber(const json& object, const std::string& key,
                                        std::string_view file, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<double>{};
  if (!it->is_number()) return PathError(file, path + "." + key, "expected a number or null");
  return std::optional<double>{it->get<double>()};
}

Result<std::optional<int64_t>> OptInt(const json& object, const std::string& key,
                                      std::string_view file, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<int64_t>{};
  if (!it->is_number_integer() || it->get<int64_t>() < 0)
    return PathError(file, path + "." + key, "expected a non-negative integer or null");
  return std::optional<int64_t>{it->get<int64_t>()};
}

Result<std::string> OptString(const json& object, const std::string& key, std::string_view file,
                              const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return PathError(file, path + "." + key, "expected a string or null");
  return it->get<std::string>();
}

// An optional field holding one of an enum's names (`parse`: its FromString); absent, null or
// empty gives nullopt, any other unknown name an error listing the `expected` names.
template <typename Enum>
Result<std::optional<Enum>> OptName(const json& object, const std::string& key,
                                    std::string_view file, const std::string& path,
                                    std::optional<Enum> (*parse)(std::string_view),
                                    std::string_view expected) {
  auto text = OptString(object, key, file, path);
  if (!text) return text.error();
  if (text->empty()) return std::optional<Enum>{};
  if (std::optional<Enum> value = parse(*text)) return value;
  return PathError(file, path + "." + key, fmt::format("expected {}, got \"{}\"", expected, *text));
}

const std::set<std::string> kRunKeys = {"id",
                                        "source",
                                        "table",
                                        "model",
                                        "moe",
                                        "gpu",
                                        "gpu_published",
                                        "num_gpus",
                                        "seq_len",
                                        "precision",
                                        "precision_detail",
                                        "layout",
                                        "sim_options",
                                        "routing",
                                        "measured",
                                        "primary_metric",
                                        "as_published",
                                        "flop_convention",
                                        "derived",
                                        "assumptions",
                                        "notes",
                                        "consistency_warnings",
                                        "throughput_not_compared"};
const std::set<std::string> kLayoutKeys = {"tp",
                                           "pp",
                                           "vpp",
                                           "cp",
                                           "ep",
                                           "etp",
                                           "dp",
                                           "mbs",
                                           "gbs",
                                           "ga",
                                           "fsdp",
                                           "distributed_optimizer",
                                           "sequence_parallel",
                                           "recompute",
                                           "recompute_modules",
                                           "recompute_detail"};
const std::set<std::string> kMeasuredKeys = {
    "tokens_per_s_per_gpu", "model_flops_per_s_per_gpu", "step_time_s",         "mfu", "hfu",
    "memory_per_gpu_bytes", "memory_statistic",          "memory_pipeline_rank"};
const std::set<std::string> kFileKeys = {
    "format",           "version", "description",      "sources",
    "flop_conventions", "models",  "model_provenance", "runs"};

Result<Layout> ParseRowLayout(const json& object, std::string_view file, const std::string& path) {
  if (Status s = CheckKeys(object, kLayoutKeys, file, path); !s) return s.error();
  Layout layout;
  int64_t* targets[] = {&layout.tp,  &layout.pp, &layout.vpp, &layout.cp, &layout.ep,
                        &layout.etp, &layout.dp, &layout.mbs, &layout.gbs};
  const char* names[] = {"tp", "pp", "vpp", "cp", "ep", "etp", "dp", "mbs", "gbs"};
  for (size_t i = 0; i < std::size(names); ++i) {
    auto value = OptInt(object, names[i], file, path);
    if (!value) return value.error();
    if (value->has_value()) *targets[i] = **value;
  }
  auto flag = [&](const char* key) -> std::optional<bool> {
    auto it = object.find(key);
    if (it == object.end() || !it->is_boolean()) return std::nullopt;
    return it->get<bool>();
  };
  if (flag("fsdp").value_or(false)) {
    layout.sharding = Sharding::kFull;
  } else if (!flag("distributed_optimizer").value_or(true)) {
    layout.sharding = Sharding::kNone;
  }
  layout.sequence_parallel = flag("sequence_parallel").value_or(true);
  auto recompute = OptString(object, "recompute", file, path);
  if (!recompute) return recompute.error();
  if (!recompute->empty()) {
    auto mode = ParseRecompute(*recompute);
    if (!mode) return PathError(file, path + ".recompute", mode.error().message);
    layout.recompute = *mode;
  }
  // Megatron's --recompute-modules, as published (recompute_detail keeps the source's words).
  if (auto it = object.find("recompute_modules"); it != object.end() && !it->is_null()) {
    auto modules = RecomputeModulesFromJson(*it);
    if (!modules) return PathError(file, path + ".recompute_modules", modules.error().message);
    if (layout.recompute != Recompute::kSelective) {
      return PathError(file, path + ".recompute_modules", "needs recompute \"selective\"");
    }
    layout.recompute_modules = *modules;
  }
  return layout;
}

std::string ShortLayout(const Layout& l) {
  std::string s = fmt::format("tp{} pp{}", l.tp, l.pp);
  if (l.vpp > 1) s += fmt::format(" vpp{}", l.vpp);
  if (l.cp > 1) s += fmt::format(" cp{}", l.cp);
  if (l.ep > 1) s += fmt::format(" ep{}", l.ep);
  s += fmt::format(" dp{} mbs{} gbs{}", l.dp, l.mbs, l.gbs);
  if (l.recompute != Recompute::kNone) s += fmt::format(" rc={}", ToString(l.recompute));
  if (l.recompute == Recompute::kSelective && l.recompute_modules != kDefaultRecomputeModules) {
    s += fmt::format("({})", RecomputeModulesToString(l.recompute_modules));
  }
  if (l.sharding == Sharding::kFull) s += " fsdp";
  if (l.precision == hw::Precision::kFp8) s += " fp8";
  return s;
}

// Megatron-Core needs etp x ep x edp = tp x cp x dp (MoE parallel folding). A run that does not
// publish etp and cannot fold with Megatron-Core's default etp = tp was really trained, so it
// used a value that folds: 1, which Megatron-Bridge's MoE recipes set
// (expert_tensor_parallel_size = 1). Sets layout.etp = 1 and returns the assumption then; a
// published etp is never changed.
std::optional<std::string> FoldExpertTensorParallel(const PublishedRun& run, Layout& layout) {
  if (layout.etp != 0 || layout.tp <= 1 || !run.arch.IsMoe()) return std::nullopt;
  const int64_t model = layout.tp * layout.pp * layout.cp;
  if (model <= 0 || layout.ep <= 0) return std::nullopt;
  int64_t dp = layout.dp;
  if (dp == 0 && run.num_gpus % model == 0) dp = run.num_gpus / model;
  if (dp <= 0) return std::nullopt;  // the layout check names the fleet problem
  const int64_t stage = layout.tp * layout.cp * dp;
  if (stage % (layout.tp * layout.ep) == 0 || stage % layout.ep != 0) return std::nullopt;
  layout.etp = 1;
  return fmt::format(
      "etp = 1 (not published; etp = tp = {} cannot fold: etp x ep = {} does not divide tp x cp "
      "x dp = {})",
      layout.tp, layout.tp * layout.ep, stage);
}

// The analytic-estimate request of a run on `fleet_spec`.
Result<SimRequest> MakeRequest(const laws::MoeArch& arch, const std::string& fleet_spec,
                               const Layout& layout, int64_t seq_len,
                               const SimOptions& options = {}) {
  auto fleet = hw::LoadFleet(fleet_spec);
  if (!fleet) return Error{"fleet: " + fleet.error().message};
  SimRequest request;
  request.options = options;
  request.arch = arch;
  request.fleet = *fleet;
  request.layout = layout;
  request.seq_len = seq_len;
  request.event_simulation = false;
  return request;
}

std::string FirstLine(std::string text) {
  if (auto pos = text.find('\n'); pos != std::string::npos) text.resize(pos);
  if (text.size() > 160) text = text.substr(0, 157) + "...";
  return text;
}

}  // namespace

double RelativeError(double predicted, double measured) {
  return (predicted - measured) / measured;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

Result<std::vector<PublishedRun>> ParsePublishedRuns(const json& root, std::string_view file) {
  if (Status s = CheckKeys(root, kFileKeys, file, "$"); !s) return s.error();
  if (root.value("format", std::string()) != "moeplan-validation-runs")
    return PathError(file, "$.format", "expected \"moeplan-validation-runs\"");
  std::map<std::string, laws::MoeArch> models;
  if (auto it = root.find("models"); it != root.end()) {
    if (!it->is_object()) return PathError(file, "$.models", "expected an object");
    for (const auto& [name, value] : it->items()) {
      const std::string path = fmt::format("{}: $.models.{}", file, name);
      // A model is a moeplan-arch object or, as downloaded, a Hugging Face config.json (which
      // has "model_type" and no "format"); the run's own seq_len overrides either's default.
      if (value.is_object() && !value.contains("format") && value.contains("model_type")) {
        auto imported = laws::ImportHfConfig(value, path);
        if (!imported) return imported.error();
        imported->arch.name = name;
        models.emplace(name, std::move(imported->arch));
        continue;
      }
      auto arch = laws::ArchFromJson(value, path);
      if (!arch) return arch.error();
      models.emplace(name, std::move(*arch));
    }
  }
  auto runs_it = root.find("runs");
  if (runs_it == root.end() || !runs_it->is_array())
    return PathError(file, "$.runs", "expected an array of runs");
  std::vector<PublishedRun> runs;
  for (size_t i = 0; i < runs_it->size(); ++i) {
    const json& r = (*runs_it)[i];
    const std::string path = fmt::format("$.runs[{}]", i);
    if (Status s = CheckKeys(r, kRunKeys, file, path); !s) return s.error();
    PublishedRun run;
    for (auto [key, target] :
         {std::pair{"id", &run.id}, std::pair{"source", &run.source}, std::pair{"gpu", &run.gpu},
          std::pair{"gpu_published", &run.gpu_published}, std::pair{"precision", &run.precision},
          std::pair{"flop_convention", &run.flop_convention},
          std::pair{"throughput_not_compared", &run.throughput_not_compared}}) {
      auto value = OptString(r, key, file, path);
      if (!value) return value.error();
      *target = std::move(*value);
    }
    if (run.id.empty()) return PathError(file, path + ".id", "missing run id");
    auto model_it = r.find("model");
    if (model_it == r.end() || !model_it->is_string())
      return PathError(file, path + ".model", "missing model (a key into $.models or a preset)");
    run.model = model_it->get<std::string>();
    if (auto m = models.find(run.model); m != models.end()) {
      run.arch = m->second;
    } else {
      auto loaded = laws::LoadModel(run.model);
      if (!loaded)
        return PathError(
            file, path + ".model",
            fmt::format("unknown model '{}' (not in $.models, not a preset)", run.model));
      run.arch = loaded->arch;
    }
    run.moe = r.value("moe", false);
    for (auto [key, target] :
         {std::pair{"num_gpus", &run.num_gpus}, std::pair{"seq_len", &run.seq_len}}) {
      auto value = OptInt(r, key, file, path);
      if (!value) return value.error();
      if (!value->has_value() || **value <= 0)
        return PathError(file, path + "." + key, "missing positive integer");
      *target = **value;
    }
    if (auto it = r.find("layout"); it == r.end()) {
      return PathError(file, path + ".layout", "missing layout");
    } else {
      auto layout = ParseRowLayout(*it, file, path + ".layout");
      if (!layout) return layout.error();
      run.layout = *layout;
    }
    run.layout.precision = run.precision == "fp8" ? hw::Precision::kFp8 : hw::Precision::kBf16;
    if (auto it = r.find("sim_options"); it != r.end() && !it->is_null()) {
      auto options = FrameworkOptionsFromJson(*it, file, path + ".sim_options");
      if (!options) return options.error();
      run.options = *options;
    }
    if (auto it = r.find("measured"); it == r.end()) {
      return PathError(file, path + ".measured", "missing measured values");
    } else {
      const std::string mpath = path + ".measured";
      if (Status s = CheckKeys(*it, kMeasuredKeys, file, mpath); !s) return s.error();
      for (auto [key, target] :
           {std::pair{"tokens_per_s_per_gpu", &run.tokens_per_s_per_gpu},
            std::pair{"model_flops_per_s_per_gpu", &run.model_flops_per_s_per_gpu},
            std::pair{"step_time_s", &run.step_time_s},
            std::pair{"memory_per_gpu_bytes", &run.memory_per_gpu_bytes}}) {
        auto value = OptNumber(*it, key, file, mpath);
        if (!value) return value.error();
        if (value->has_value() && **value <= 0)
          return PathError(file, mpath + "." + key, "must be positive");
        *target = *value;
      }
      // A memory figure means nothing without the counter it read (allocated tensors, the
      // allocator's reservation or nvidia-smi differ by gigabytes), so the file must say.
      constexpr std::string_view kStatistics =
          "\"max_allocated\", \"max_reserved\" or \"device_used\" with memory_per_gpu_bytes";
      auto statistic =
          OptName(*it, "memory_statistic", file, mpath, &MemoryStatisticFromString, kStatistics);
      if (!statistic) return statistic.error();
      run.memory_statistic = *statistic;
      if (run.memory_per_gpu_bytes && !run.memory_statistic) {
        return PathError(file, mpath + ".memory_statistic",
                         fmt::format("expected {}, got \"\"", kStatistics));
      }
      auto rank = OptName(*it, "memory_pipeline_rank", file, mpath, &MemoryRankFromString,
                          "\"largest\", \"first\" or \"last\"");
      if (!rank) return rank.error();
      run.memory_rank = rank->value_or(MemoryRank::kLargest);
    }
    if (auto it = r.find("consistency_warnings"); it != r.end() && !it->is_null() && !it->empty())
      run.consistency_warnings = true;
    runs.push_back(std::move(run));
  }
  return runs;
}

Result<std::vector<PublishedRun>> LoadPublishedRuns(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Error{fmt::format("{}: cannot open", path.string())};
  json root = json::parse(in, nullptr, false);
  if (root.is_discarded()) return Error{fmt::format("{}: not valid JSON", path.string())};
  return ParsePublishedRuns(root, path.string());
}

Result<std::vector<VtrainRun>> ParseVtrainCsv(std::string_view text, std::string_view file) {
  std::vector<VtrainRun> runs;
  int64_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line_no == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, ',');) fields.push_back(f);
    if (fields.size() != 11)
      return Error{fmt::format("{}:{}: expected 11 comma-separated fields, got {}", file, line_no,
                               fields.size())};
    VtrainRun run;
    run.line = line_no;
    int64_t* ints[] = {&run.gpus,   &run.global_batch, &run.micro_batch, &run.hidden, &run.heads,
                       &run.layers, &run.seq_len,      &run.tp,          &run.dp,     &run.pp};
    static const char* kNames[] = {"# GPUs",
                                   "global batch",
                                   "micro batch",
                                   "hidden size",
                                   "attention heads",
                                   "# layers",
                                   "sequence length",
                                   "tensor parallelism",
                                   "data parallelism",
                                   "pipeline parallelism",
                                   "iteration time (ms)"};
    for (size_t i = 0; i < 11; ++i) {
      const std::string& f = fields[i];
      size_t used = 0;
      double value = 0.0;
      try {
        value = std::stod(f, &used);
      } catch (...) {
        used = 0;
      }
      while (used < f.size() && std::isspace(static_cast<unsigned char>(f[used]))) ++used;
      const bool integral = i < 10 ? value == std::floor(value) : true;
      if (used == 0 || used != f.size() || !(value > 0) || !integral || !std::isfinite(value))
        return Error{fmt::format("{}:{}: field '{}' must be a positive {}, got '{}'", file, line_no,
                                 kNames[i], i < 10 ? "integer" : "number", f)};
      if (i < 10) {
        *ints[i] = static_cast<int64_t>(value);
      } else {
        run.iteration_ms = value;
      }
    }
    runs.push_back(run);
  }
  return runs;
}

Result<std::vector<VtrainRun>> LoadVtrainCsv(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{fmt::format("{}: cannot open", path.string())};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseVtrainCsv(buffer.str(), path.string());
}

laws::MoeArch VtrainArch(const VtrainRun& run) {
  const int64_t multiple = 128 * run.tp;  // Megatron --make-vocab-size-divisible-by 128, x tp
  const int64_t vocab = (50257 + multiple - 1) / multiple * multiple;
  json arch = {
      {"format", "moeplan-arch"},
      {"version", 1},
      {"name", fmt::format("vtrain-gpt-h{}-l{}", run.hidden, run.layers)},
      {"vocab_size", vocab},
      {"seq_len", run.seq_len},
      {"hidden_size", run.hidden},
      {"num_layers", run.layers},
      {"attention",
       {{"type", "mha"}, {"num_heads", run.heads}, {"qkv_bias", true}, {"output_bias", true}}},
      {"dense_ffn", {{"intermediate_size", 4 * run.hidden}, {"gated", false}, {"bias", true}}},
      {"norm", {{"type", "layernorm"}, {"per_layer", 2}, {"final_norm", true}}},
      {"tied_embeddings", true},
      {"mtp_layers", 0}};
  auto parsed = laws::ArchFromJson(arch, "vtrain");
  return parsed ? *parsed : laws::MoeArch{};
}

namespace {

// The row's descriptive fields; a case when the run can be predicted, else the skip reason.
std::optional<ValidationCase> PublishedCase(const PublishedRun& run, ValidationRow& row) {
  row.id = run.id;
  row.source = run.source;
  row.model = run.model;
  row.moe = run.moe;
  row.gpu = run.gpu.empty() ? run.gpu_published : run.gpu;
  row.num_gpus = run.num_gpus;
  row.layout = ShortLayout(run.layout);
  if (run.gpu.empty()) {
    row.skip_reason = "no hardware preset for the GPU";
    return std::nullopt;
  }
  if (run.precision.empty()) {
    row.skip_reason = "precision not published";
    return std::nullopt;
  }
  if (run.consistency_warnings) {
    row.skip_reason = "published cells contradict each other";
    return std::nullopt;
  }
  ValidationCase c;
  c.id = run.id;
  c.source = run.source;
  c.model = run.model;
  c.moe = run.moe;
  // Metric and convention.
  const std::string& convention = run.flop_convention;
  std::optional<FlopConvention> flops;
  if (convention == "megatron-bridge" || convention == "megatron-lm") {
    flops = FlopConvention::kCausal;
  } else if (convention == "dgxc-readme" || convention == "nemo1-full-attention" ||
             convention == "korthikanti-appendix-a" || convention == "palm-mfu") {
    flops = FlopConvention::kFull;
  } else if (convention == "narayanan-eq3") {
    flops = FlopConvention::kFull;
    c.flop_scale = 4.0 / 3.0;
  }
  if (!run.throughput_not_compared.empty()) {
    c.metric = ValidationMetric::kNone;
    row.skip_reason = "throughput not compared: " + run.throughput_not_compared;
    if (!run.memory_per_gpu_bytes) return std::nullopt;
  } else if (run.tokens_per_s_per_gpu) {
    c.metric = ValidationMetric::kTokensPerSecond;
    c.measured = *run.tokens_per_s_per_gpu;
  } else if (run.step_time_s) {
    c.metric = ValidationMetric::kStepTime;
    c.measured = *run.step_time_s;
  } else if (run.model_flops_per_s_per_gpu && flops) {
    c.metric = ValidationMetric::kModelTflops;
    c.convention = *flops;
    c.measured = *run.model_flops_per_s_per_gpu / 1e12;
    c.metric_name = fmt::format("TFLOP/s/GPU ({})", convention);
  } else {
    c.metric = ValidationMetric::kNone;
    row.skip_reason = run.model_flops_per_s_per_gpu ? "TFLOP/s only, FLOP convention unknown"
                                                    : "no throughput published";
    if (!run.memory_per_gpu_bytes) return std::nullopt;
  }
  Layout layout = run.layout;
  if (auto assumption = FoldExpertTensorParallel(run, layout)) {
    row.assumptions.push_back(std::move(*assumption));
  }
  auto request = MakeRequest(run.arch, fmt::format("{}x{}", run.num_gpus, run.gpu), layout,
                             run.seq_len, run.options);
  if (!request) {
    row.skip_reason = FirstLine(request.error().message);
    return std::nullopt;
  }
  c.request = std::move(*request);
  return c;
}

std::optional<ValidationCase> VtrainCase(const VtrainRun& run, ValidationRow& row) {
  row.id = fmt::format("vtrain-line{}", run.line);
  row.source = "vtrain";
  row.model = fmt::format("gpt h{} a{} L{} s{}", run.hidden, run.heads, run.layers, run.seq_len);
  row.gpu = "a100-sxm-80gb";
  row.num_gpus = run.gpus;
  Layout layout;
  layout.tp = run.tp;
  layout.pp = run.pp;
  layout.dp = run.dp;
  layout.mbs = run.micro_batch;
  layout.gbs = run.global_batch;
  layout.sequence_parallel = false;  // Megatron-LM default at vTrain's version
  layout.recompute = Recompute::kFull;
  layout.sharding = Sharding::kNone;  // no distributed optimizer
  row.layout = ShortLayout(layout);
  auto request =
      MakeRequest(VtrainArch(run), fmt::format("{}xa100", run.gpus), layout, run.seq_len);
  if (!request) {
    row.skip_reason = FirstLine(request.error().message);
    return std::nullopt;
  }
  ValidationCase c;
  c.id = row.id;
  c.source = row.source;
  c.model = row.model;
  c.metric = ValidationMetric::kStepTime;
  c.measured = run.iteration_ms / 1e3;
  c.request = std::move(*request);
  return c;
}

// Predicts `c` into `row` (throughput and, when published, memory of the pipeline rank
// `memory_rank` names).
void FillPrediction(const ValidationCase& c, ValidationRow& row,
                    std::optional<double> memory_measured,
                    MemoryStatistic statistic = MemoryStatistic::kDeviceUsed,
                    MemoryRank memory_rank = MemoryRank::kLargest) {
  auto report = Simulate(c.request);
  if (!report) {
    row.skip_reason = FirstLine("simulator rejects it: " + report.error().message);
    return;
  }
  const StepEstimate& step = report->Best();
  row.layout = ShortLayout(report->layout);
  row.oom = !step.memory.Fits();
  row.memory_needed = step.memory.Required();
  row.memory_capacity = step.memory.capacity;
  if (c.metric != ValidationMetric::kNone) {
    row.metric = c.metric_name.empty() ? ToString(c.metric) : c.metric_name;
    row.measured = c.measured;
    row.predicted = MetricOf(c, step);
    row.error = RelativeError(row.predicted, row.measured);
  }
  if (memory_measured) {
    row.memory_measured = *memory_measured;
    row.memory_statistic = statistic;
    row.memory_rank = memory_rank;
    const MemoryBreakdown& m = memory_rank == MemoryRank::kFirst  ? report->rank_memory.front()
                               : memory_rank == MemoryRank::kLast ? report->rank_memory.back()
                                                                  : step.memory;
    row.memory_predicted = m.Read(statistic);
    row.memory_error = RelativeError(*row.memory_predicted, *memory_measured);
  }
}

}  // namespace

const char* ToString(MemoryRank rank) {
  switch (rank) {
    case MemoryRank::kLargest:
      return "largest";
    case MemoryRank::kFirst:
      return "first";
    case MemoryRank::kLast:
      return "last";
  }
  return "?";
}

std::optional<MemoryRank> MemoryRankFromString(std::string_view name) {
  constexpr MemoryRank kAll[] = {MemoryRank::kLargest, MemoryRank::kFirst, MemoryRank::kLast};
  return internal::EnumFromName(name, kAll);
}

const char* ToString(ValidationMetric metric) {
  switch (metric) {
    case ValidationMetric::kTokensPerSecond:
      return "tokens/s/GPU";
    case ValidationMetric::kStepTime:
      return "step s";
    case ValidationMetric::kModelTflops:
      return "TFLOP/s/GPU";
    case ValidationMetric::kNone:
      return "";
  }
  return "";
}

double MetricOf(const ValidationCase& c, const StepEstimate& step) {
  switch (c.metric) {
    case ValidationMetric::kTokensPerSecond:
      return step.throughput.tokens_per_second_per_gpu;
    case ValidationMetric::kStepTime:
      return step.step_time;
    case ValidationMetric::kModelTflops:
      return step.throughput.model_tflops_per_gpu[static_cast<size_t>(c.convention)] * c.flop_scale;
    case ValidationMetric::kNone:
      return 0.0;
  }
  return 0.0;
}

Result<double> PredictCase(const ValidationCase& c, const hw::Hardware& hardware) {
  SimRequest request = c.request;
  request.fleet.hardware = hardware;
  auto report = Simulate(request);
  if (!report) return report.error();
  return MetricOf(c, report->analytic);
}

std::vector<ValidationCase> PrepareCases(const std::vector<PublishedRun>& published,
                                         const std::vector<VtrainRun>& vtrain) {
  std::vector<ValidationCase> cases;
  for (const PublishedRun& run : published) {
    ValidationRow row;
    auto c = PublishedCase(run, row);
    if (c && c->metric != ValidationMetric::kNone && Simulate(c->request)) {
      cases.push_back(std::move(*c));
    }
  }
  for (const VtrainRun& run : vtrain) {
    ValidationRow row;
    auto c = VtrainCase(run, row);
    if (c && Simulate(c->request)) cases.push_back(std::move(*c));
  }
  return cases;
}

ValidationRow EvaluatePublishedRun(const PublishedRun& run) {
  ValidationRow row;
  if (auto c = PublishedCase(run, row)) {
    FillPrediction(*c, row, run.memory_per_gpu_bytes,
                   run.memory_statistic.value_or(MemoryStatistic::kDeviceUsed), run.memory_rank);
  }
  return row;
}

ValidationRow EvaluateVtrainRun(const VtrainRun& run) {
  ValidationRow row;
  if (auto c = VtrainCase(run, row)) FillPrediction(*c, row, std::nullopt);
  return row;
}

ErrorSummary Summarize(std::string group, const std::vector<const ValidationRow*>& rows) {
  ErrorSummary s;
  s.group = std::move(group);
  std::vector<double> abs_err, abs_mem;
  for (const ValidationRow* row : rows) {
    if (!row->skip_reason.empty()) {
      ++s.skipped;
    } else {
      ++s.evaluated;
      if (row->oom) ++s.false_oom;
      abs_err.push_back(std::abs(row->error));
      if (std::abs(row->error) >= std::abs(s.worst)) {
        s.worst = row->error;
        s.worst_id = row->id;
      }
    }
    if (row->memory_error) {
      ++s.memory_evaluated;
      abs_mem.push_back(std::abs(*row->memory_error));
      if (std::abs(*row->memory_error) >= std::abs(s.memory_worst)) {
        s.memory_worst = *row->memory_error;
        s.memory_worst_id = row->id;
      }
    }
  }
  s.median_abs = Median(abs_err);
  s.memory_median_abs = Median(abs_mem);
  return s;
}

ValidationReport Validate(const std::vector<PublishedRun>& published,
                          const std::vector<VtrainRun>& vtrain) {
  ValidationReport report;
  for (const PublishedRun& run : published) report.rows.push_back(EvaluatePublishedRun(run));
  for (const VtrainRun& run : vtrain) report.rows.push_back(EvaluateVtrainRun(run));
  auto select = [&](auto pred) {
    std::vector<const ValidationRow*> out;
    for (const ValidationRow& row : report.rows)
      if (pred(row)) out.push_back(&row);
    return out;
  };
  report.summaries.push_back(Summarize("all rows", select([](auto&) { return true; })));
  report.summaries.push_back(
      Summarize("published runs", select([](auto& r) { return r.source != "vtrain"; })));
  report.summaries.push_back(
      Summarize("published dense", select([](auto& r) { return r.source != "vtrain" && !r.moe; })));
  report.summaries.push_back(Summarize("published MoE", select([](auto& r) { return r.moe; })));
  report.summaries.push_back(
      Summarize("vTrain (8 A100)", select([](auto& r) { return r.source == "vtrain"; })));
  std::set<std::string> sources;
  for (const ValidationRow& row : report.rows)
    if (row.source != "vtrain") sources.insert(row.source);
  for (const std::string& source : sources)
    report.summaries.push_back(
        Summarize("source " + source, select([&](auto& r) { return r.source == source; })));
  for (const ValidationRow& row : report.rows)
    if (!row.skip_reason.empty()) {
      std::string reason = row.skip_reason;
      if (auto colon = reason.find(": ");
          reason.starts_with("simulator rejects it: ") && colon != std::string::npos)
        reason = "simulator rejects the layout";
      if (reason.starts_with("fleet: ")) reason = "fleet not buildable";
      ++report.skip_reasons[reason];
    }
  return report;
}

namespace {
std::string Pct(double e) {
  return fmt::format("{:+.1f}%", 100.0 * e);
}
std::string Num(double v) {
  if (v >= 100) return fmt::format("{:.0f}", v);
  if (v >= 1) return fmt::format("{:.2f}", v);
  return fmt::format("{:.4f}", v);
}
}  // namespace

std::string ValidationMarkdown(const ValidationReport& report) {
  std::string md = "## Simulator\n\n";
  md += fmt::format(
      "Generated by `moeplan validate` (sim/validate.h) from `{}`{}. Do not edit by hand.\n\n",
      report.runs_file,
      report.vtrain_file.empty() ? std::string(" (vTrain runs not given)")
                                 : fmt::format(" and `{}`", report.vtrain_file));
  md +=
      "**These are in-sample errors.** The hardware presets' efficiencies were fitted to these "
      "same runs by `moeplan validate --fit` (12 global parameters: GEMM efficiency per GPU "
      "generation, grouped-GEMM ratio, FP8 scale, GEMM per-tile cost k_half, host time per "
      "kernel and per step, two link efficiencies, the cost of overlapped EP all-to-all; "
      "calibration/end_to_end_fit.h; attention keeps its kernel-measured defaults); nothing is "
      "tuned per row. "
      "The held-out errors of that fit (cross-validated by model) are in the section 'End-to-end "
      "fit' below and are the honest estimate for unseen runs. Predictions are sim/'s "
      "analytic step estimate. Error = (predicted - measured) / measured, in the row's own "
      "quantity: tokens/s/GPU where published, else step time, else model TFLOP/s/GPU under the "
      "row's FLOP convention. Unpublished layout fields take fixed defaults (recompute none, "
      "sequence parallelism on, distributed optimizer, etp = tp, or 1 where etp = tp cannot fold; "
      "each row's own assumptions are listed below its table). vTrain rows: Megatron GPT "
      "(vocab 50257 padded to a multiple of 128 tp, MHA, 4h GELU MLP with biases, LayerNorm, "
      "tied embeddings), full recompute, 1F1B, no sequence parallelism, DDP, A100 80GB preset; "
      "compared on iteration time. Target (issue 4): median |error| <= 10% throughput, <= 5% "
      "memory, each row compared in the counter its source reads (max_allocated: live tensors, "
      "torch.cuda.max_memory_allocated; max_reserved: plus the caching allocator's "
      "fragmentation; device_used: plus CUDA context, NCCL buffers and workspaces, as "
      "nvidia-smi shows). 'Predicted OOM (ran)' counts rows the memory model declares out of "
      "memory although "
      "the run was really trained: each is a false verdict that would make the planner reject a "
      "working layout.\n\n";
  md += "### Summary\n\n";
  md +=
      "| group | evaluated | skipped | median \\|error\\| | worst error (row) | predicted OOM "
      "(ran) | memory rows | memory median \\|error\\| | memory worst "
      "|\n|---|---|---|---|---|---|---|---|---|\n";
  for (const ErrorSummary& s : report.summaries) {
    md += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", s.group, s.evaluated, s.skipped,
        s.evaluated ? fmt::format("{:.1f}%", 100 * s.median_abs) : "-",
        s.evaluated ? fmt::format("{} ({})", Pct(s.worst), s.worst_id) : "-", s.false_oom,
        s.memory_evaluated,
        s.memory_evaluated ? fmt::format("{:.1f}%", 100 * s.memory_median_abs) : "-",
        s.memory_evaluated ? fmt::format("{} ({})", Pct(s.memory_worst), s.memory_worst_id) : "-");
  }
  md += "\n### Skipped rows by reason\n\n| reason | rows |\n|---|---|\n";
  for (const auto& [reason, count] : report.skip_reasons)
    md += fmt::format("| {} | {} |\n", reason, count);
  md +=
      "\n### Published runs\n\n"
      "| run | model | MoE | GPUs | layout | quantity | measured | predicted | error | memory "
      "measured / predicted GiB (error, counter) |\n|---|---|---|---|---|---|---|---|---|---|\n";
  for (const ValidationRow& r : report.rows) {
    if (r.source == "vtrain") continue;
    std::string mem = "-";
    if (r.memory_error)
      mem = fmt::format("{:.1f} / {:.1f} ({}, {}{})", *r.memory_measured / (1 << 30),
                        *r.memory_predicted / (1 << 30), Pct(*r.memory_error),
                        ToString(r.memory_statistic),
                        r.memory_rank == MemoryRank::kLargest
                            ? ""
                            : fmt::format(", {} pipeline rank", ToString(r.memory_rank)));
    if (r.skip_reason.empty()) {
      md += fmt::format(
          "| {} | {} | {} | {}x{} | {} | {} | {} | {}{} | {} | {} |\n", r.id, r.model,
          r.moe ? "yes" : "no", r.num_gpus, r.gpu, r.layout, r.metric, Num(r.measured),
          Num(r.predicted),
          r.oom ? fmt::format(" (OOM: {:.0f} of {:.0f} GiB)", r.memory_needed / (1 << 30),
                              r.memory_capacity / (1 << 30))
                : "",
          Pct(r.error), mem);
    } else {
      std::string reason = r.skip_reason;
      std::replace(reason.begin(), reason.end(), '|', '/');
      md += fmt::format("| {} | {} | {} | {}x{} | {} | skipped: {} | | | | {} |\n", r.id, r.model,
                        r.moe ? "yes" : "no", r.num_gpus, r.gpu, r.layout, reason, mem);
    }
  }
  std::string assumed;
  for (const ValidationRow& r : report.rows) {
    for (const std::string& assumption : r.assumptions) {
      assumed += fmt::format("- {}: {}\n", r.id, assumption);
    }
  }
  if (!assumed.empty()) {
    md += "\n### Assumptions of the validator, by row\n\n" + assumed;
  }
  // vTrain: errors by (tp, pp) group to keep the table short.
  std::map<std::string, std::vector<const ValidationRow*>> groups;
  for (const ValidationRow& r : report.rows) {
    if (r.source != "vtrain") continue;
    const std::string key = r.layout.substr(0, r.layout.find(" dp"));
    groups[fmt::format("{} GPUs, {}", r.num_gpus, key)].push_back(&r);
  }
  if (!groups.empty()) {
    md +=
        "\n### vTrain runs by GPUs and layout\n\n| group | evaluated | skipped | median "
        "\\|error\\| "
        "| worst error (row) |\n|---|---|---|---|---|\n";
    for (const auto& [key, rows] : groups) {
      ErrorSummary s = Summarize(key, rows);
      md += fmt::format("| {} | {} | {} | {} | {} |\n", key, s.evaluated, s.skipped,
                        s.evaluated ? fmt::format("{:.1f}%", 100 * s.median_abs) : "-",
                        s.evaluated ? fmt::format("{} ({})", Pct(s.worst), s.worst_id) : "-");
    }
  }
  return md;
}

nlohmann::ordered_json ValidationJson(const ValidationReport& report) {
  nlohmann::ordered_json out;
  out["format"] = "moeplan-validation-report";
  out["version"] = 1;
  out["error"] = "(predicted - measured) / measured";
  out["hardware_efficiencies"] =
      "hwmodel presets, fitted to these runs by moeplan validate --fit (in-sample errors)";
  out["runs_file"] = report.runs_file;
  out["vtrain_file"] = report.vtrain_file;
  auto& summaries = out["summaries"] = nlohmann::ordered_json::array();
  for (const ErrorSummary& s : report.summaries)
    summaries.push_back({{"group", s.group},
                         {"evaluated", s.evaluated},
                         {"skipped", s.skipped},
                         {"median_abs_error", s.median_abs},
                         {"worst_error", s.worst},
                         {"worst_id", s.worst_id},
                         {"false_oom", s.false_oom},
                         {"memory_evaluated", s.memory_evaluated},
                         {"memory_median_abs_error", s.memory_median_abs},
                         {"memory_worst_error", s.memory_worst},
                         {"memory_worst_id", s.memory_worst_id}});
  out["skip_reasons"] = report.skip_reasons;
  auto& rows = out["rows"] = nlohmann::ordered_json::array();
  for (const ValidationRow& r : report.rows) {
    nlohmann::ordered_json j = {{"id", r.id},        {"source", r.source}, {"model", r.model},
                                {"moe", r.moe},      {"gpu", r.gpu},       {"num_gpus", r.num_gpus},
                                {"layout", r.layout}};
    if (!r.skip_reason.empty()) {
      j["skipped"] = r.skip_reason;
    } else {
      j["metric"] = r.metric;
      j["measured"] = r.measured;
      j["predicted"] = r.predicted;
      j["error"] = r.error;
      j["oom"] = r.oom;
      j["memory_needed_bytes"] = r.memory_needed;
      j["memory_capacity_bytes"] = r.memory_capacity;
    }
    if (!r.assumptions.empty()) j["assumptions"] = r.assumptions;
    if (r.memory_error) {
      j["memory_measured_bytes"] = *r.memory_measured;
      j["memory_predicted_bytes"] = *r.memory_predicted;
      j["memory_error"] = *r.memory_error;
      j["memory_statistic"] = ToString(r.memory_statistic);
      j["memory_pipeline_rank"] = ToString(r.memory_rank);
    }
    rows.push_back(std::move(j));
  }
  return out;
}

std::string ReplaceMarkdownSection(std::string_view document, std::string_view heading,
                                   std::string_view section) {
  std::string doc(document);
  const std::string head = std::string(heading);
  size_t start = std::string::npos;
  for (size_t pos = 0; pos < doc.size();) {
    size_t end = doc.find('\n', pos);
    if (end == std::string::npos) end = doc.size();
    std::string_view line(doc.data() + pos, end - pos);
    if (line == head ||
        (line.starts_with(head) &&
         line.substr(head.size()).find_first_not_of(" \t\r") == std::string_view::npos)) {
      start = pos;
      break;
    }
    pos = end + 1;
  }
  if (start == std::string::npos) {
    if (!doc.empty() && doc.back() != '\n') doc += '\n';
    if (!doc.empty()) doc += '\n';
    return doc + std::string(section);
  }
  size_t stop = doc.size();
  for (size_t pos = doc.find('\n', start); pos != std::string::npos && pos + 1 < doc.size();
       pos = doc.find('\n', pos + 1)) {
    if (doc.compare(pos + 1, 3, "## ") == 0) {
      stop = pos + 1;
      break;
    }
  }
  std::string replacement(section);
  if (stop < doc.size()) replacement += '\n';
  return doc.substr(0, start) + replacement + doc.substr(stop);
}

}  // namespace moeplan::sim
