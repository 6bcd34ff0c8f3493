// Tests of sim/validate.h: error formula, median, runs-file and vTrain CSV parsing.
#include "sim/validate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace moeplan::sim {
namespace {

using nlohmann::json;

json TinyRuns() {
  return json::parse(R"({
    "format": "moeplan-validation-runs", "version": 1,
    "models": {},
    "runs": [{
      "id": "tiny-llama-8gpu", "source": "test", "model": "llama-3-8b", "moe": false,
      "gpu": "h100-sxm", "num_gpus": 8, "seq_len": 4096, "precision": "bf16",
      "layout": {"tp": 1, "pp": 1, "vpp": null, "cp": 1, "ep": null, "etp": null, "dp": 8,
                 "mbs": 1, "gbs": 128, "ga": 16, "fsdp": false, "distributed_optimizer": true,
                 "sequence_parallel": null, "recompute": null, "recompute_detail": null},
      "measured": {"tokens_per_s_per_gpu": 8000.0, "model_flops_per_s_per_gpu": null,
                   "step_time_s": null, "mfu": null, "hfu": null,
                   "memory_per_gpu_bytes": 60e9, "memory_statistic": "max_allocated"},
      "primary_metric": "tokens_per_s_per_gpu", "flop_convention": "megatron-bridge"
    }]})");
}

TEST(ValidateTest, ErrorFormulaOnGivenNumbers) {
  EXPECT_DOUBLE_EQ(RelativeError(110.0, 100.0), 0.1);
  EXPECT_DOUBLE_EQ(RelativeError(45.0, 50.0), -0.1);
}

TEST(ValidateTest, MedianOfHandPickedValues) {
  EXPECT_DOUBLE_EQ(Median({0.3, 0.1, 0.2}), 0.2);
  EXPECT_DOUBLE_EQ(Median({0.4, 0.1, 0.3, 0.2}), 0.25);
  EXPECT_DOUBLE_EQ(Median({}), 0.0);
  ValidationRow a, b, c;
  a.error = -0.3;
  b.error = 0.1;
  c.error = 0.2;
  a.id = "a";
  ErrorSummary s = Summarize("g", {&a, &b, &c});
  EXPECT_EQ(s.evaluated, 3);
  EXPECT_DOUBLE_EQ(s.median_abs, 0.2);
  EXPECT_DOUBLE_EQ(s.worst, -0.3);
  EXPECT_EQ(s.worst_id, "a");
}

TEST(ValidateTest, TinyRunsFileIsComparedInItsOwnQuantity) {
  auto runs = ParsePublishedRuns(TinyRuns(), "tiny.json");
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  ASSERT_EQ(runs->size(), 1u);
  const ValidationRow row = EvaluatePublishedRun((*runs)[0]);
  ASSERT_TRUE(row.skip_reason.empty()) << row.skip_reason;
  EXPECT_EQ(row.metric, "tokens/s/GPU");
  EXPECT_DOUBLE_EQ(row.measured, 8000.0);
  EXPECT_GT(row.predicted, 0.0);
  EXPECT_DOUBLE_EQ(row.error, (row.predicted - 8000.0) / 8000.0);
  ASSERT_TRUE(row.memory_error.has_value());
  EXPECT_DOUBLE_EQ(*row.memory_error, (*row.memory_predicted - 60e9) / 60e9);
  EXPECT_EQ(row.memory_statistic, MemoryStatistic::kMaxAllocated);
}

TEST(ValidateTest, MemoryIsComparedInTheCounterItsSourceReads) {
  // The tiny run (tp 1, dp 8, distributed optimizer) belongs to two process groups of more than
  // one GPU (dp x cp and the expert data-parallel group, both 8). nvidia-smi's reading is the
  // live tensors plus, by SimOptions' defaults, 10% fragmentation, a 2 GiB framework reserve and
  // 64 MiB of NCCL buffers per group.
  json device = TinyRuns();
  device["runs"][0]["measured"]["memory_statistic"] = "device_used";
  const ValidationRow allocated = EvaluatePublishedRun((*ParsePublishedRuns(TinyRuns(), "a"))[0]);
  const ValidationRow used = EvaluatePublishedRun((*ParsePublishedRuns(device, "d"))[0]);
  ASSERT_TRUE(allocated.memory_predicted && used.memory_predicted);
  const double tensors = *allocated.memory_predicted;
  EXPECT_NEAR(*used.memory_predicted, 1.10 * tensors + 2.0 * (1 << 30) + 2 * 64.0 * (1 << 20),
              1e-9 * tensors);
  EXPECT_EQ(used.memory_statistic, MemoryStatistic::kDeviceUsed);

  json missing = TinyRuns();
  missing["runs"][0]["measured"].erase("memory_statistic");
  EXPECT_EQ(ParsePublishedRuns(missing, "bad.json").error().message,
            "bad.json: $.runs[0].measured.memory_statistic: expected \"max_allocated\", "
            "\"max_reserved\" or \"device_used\" with memory_per_gpu_bytes, got \"\"");
  json unknown = TinyRuns();
  unknown["runs"][0]["measured"]["memory_statistic"] = "nvidia-smi";
  EXPECT_NE(ParsePublishedRuns(unknown, "bad.json").error().message.find("got \"nvidia-smi\""),
            std::string::npos);
}

TEST(ValidateTest, MemoryIsComparedOnThePipelineRankTheSourceLogs) {
  // Four 1F1B stages and 8 micro-batches per pipeline: rank 0 keeps 4 micro-batches of its
  // 8 layers in flight, the last rank one (plus the LM head and loss), so the first rank is the
  // largest and the last is smaller. "largest" (the default) picks the largest rank.
  auto with_rank = [](const char* rank) {
    json file = TinyRuns();
    auto& layout = file["runs"][0]["layout"];
    layout["pp"] = 4;
    layout["dp"] = 2;
    layout["gbs"] = 16;
    layout["ga"] = 8;
    if (rank) file["runs"][0]["measured"]["memory_pipeline_rank"] = rank;
    return file;
  };
  auto predicted = [&](const char* rank) {
    auto runs = ParsePublishedRuns(with_rank(rank), "pp.json");
    EXPECT_TRUE(runs.ok()) << runs.error().message;
    const ValidationRow row = EvaluatePublishedRun((*runs)[0]);
    EXPECT_TRUE(row.memory_predicted.has_value()) << row.skip_reason;
    return *row.memory_predicted;
  };
  const double largest = predicted(nullptr), first = predicted("first"), last = predicted("last");
  EXPECT_DOUBLE_EQ(predicted("largest"), largest);
  EXPECT_DOUBLE_EQ(largest, first);
  EXPECT_LT(last, first);
  EXPECT_EQ(ParsePublishedRuns(with_rank("rank 7"), "bad.json").error().message,
            "bad.json: $.runs[0].measured.memory_pipeline_rank: expected \"largest\", \"first\" "
            "or \"last\", got \"rank 7\"");
}

TEST(ValidateTest, ThroughputNotComparedLeavesAMemoryOnlyRow) {
  json file = TinyRuns();
  file["runs"][0]["throughput_not_compared"] = "clocks no preset describes";
  auto runs = ParsePublishedRuns(file, "tiny.json");
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  const ValidationRow row = EvaluatePublishedRun((*runs)[0]);
  EXPECT_EQ(row.skip_reason, "throughput not compared: clocks no preset describes");
  // Memory is still compared, exactly as in the full row.
  const ValidationRow full = EvaluatePublishedRun((*ParsePublishedRuns(TinyRuns(), "t"))[0]);
  ASSERT_TRUE(row.memory_error.has_value() && full.memory_error.has_value());
  EXPECT_DOUBLE_EQ(*row.memory_error, *full.memory_error);
}

TEST(ValidateTest, RowsWithoutPresetAreSkippedWithReason) {
  json file = TinyRuns();
  file["runs"][0]["gpu"] = nullptr;
  file["runs"][0]["gpu_published"] = "GB300";
  auto runs = ParsePublishedRuns(file, "tiny.json");
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  const ValidationRow row = EvaluatePublishedRun((*runs)[0]);
  EXPECT_NE(row.skip_reason.find("no hardware preset"), std::string::npos);
}

TEST(ValidateTest, BadRunsFilesNameFileAndPath) {
  json unknown = TinyRuns();
  unknown["runs"][0]["layout"]["tpp"] = 2;
  auto a = ParsePublishedRuns(unknown, "bad.json");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("bad.json: $.runs[0].layout.tpp"), std::string::npos)
      << a.error().message;

  json missing = TinyRuns();
  missing["runs"][0].erase("model");
  auto b = ParsePublishedRuns(missing, "bad.json");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("bad.json: $.runs[0].model"), std::string::npos)
      << b.error().message;

  json unknown_model = TinyRuns();
  unknown_model["runs"][0]["model"] = "no-such-model";
  auto c = ParsePublishedRuns(unknown_model, "bad.json");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("$.runs[0].model"), std::string::npos);
}

TEST(ValidateTest, ModelsMayBeHuggingFaceConfigs) {
  // Meta-Llama-3-8B's config.json as published on Hugging Face (the count-relevant fields);
  // the built-in llama-3-8b preset describes the same model, so the predictions must agree.
  json file = TinyRuns();
  file["models"]["my-llama"] = json::parse(R"({
      "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
      "intermediate_size": 14336, "num_attention_heads": 32, "num_hidden_layers": 32,
      "num_key_value_heads": 8, "vocab_size": 128256, "tie_word_embeddings": false,
      "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "max_position_embeddings": 8192})");
  file["runs"][0]["model"] = "my-llama";
  auto hf = ParsePublishedRuns(file, "hf.json");
  ASSERT_TRUE(hf.ok()) << hf.error().message;
  auto preset = ParsePublishedRuns(TinyRuns(), "tiny.json");
  ASSERT_TRUE(preset.ok()) << preset.error().message;
  const ValidationRow from_hf = EvaluatePublishedRun((*hf)[0]);
  ASSERT_TRUE(from_hf.skip_reason.empty()) << from_hf.skip_reason;
  EXPECT_DOUBLE_EQ(from_hf.predicted, EvaluatePublishedRun((*preset)[0]).predicted);
  // An unsupported config names the file and the model's path.
  file["models"]["my-llama"]["model_type"] = "no_such_family";
  auto bad = ParsePublishedRuns(file, "hf.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("hf.json: $.models.my-llama"), std::string::npos)
      << bad.error().message;
}

TEST(ValidateTest, PublishedFrameworkOptionsReachTheSimulator) {
  json file = TinyRuns();
  file["runs"][0]["layout"]["recompute"] = "selective";
  file["runs"][0]["layout"]["recompute_modules"] = {"layernorm", "mlp"};
  file["runs"][0]["sim_options"] = {{"dispatcher", "deepep"},
                                    {"moe_a2a_overlap", true},
                                    {"cuda_graphs", true},
                                    {"state_precision", "bf16"},
                                    {"fsdp_unsharded_grad_accumulation", true},
                                    {"fsdp_reshard_after_forward", false},
                                    {"fsdp_skips_unsharded_experts", true},
                                    {"vocab_parallel_loss", false},
                                    {"grad_reduce_in_bf16", true},
                                    {"bf16_adam_moments", true},
                                    {"fp8_param_gather", true},
                                    {"offload_activation_layers", 3},
                                    {"loss", "torch-bf16"},
                                    {"account_for_embedding_in_pipeline_split", true},
                                    {"account_for_loss_in_pipeline_split", true}};
  auto runs = ParsePublishedRuns(file, "tiny.json");
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  const PublishedRun& run = (*runs)[0];
  EXPECT_EQ(run.layout.recompute_modules,
            ModuleBit(RecomputeModule::kLayerNorm) | ModuleBit(RecomputeModule::kMlp));
  EXPECT_EQ(run.options.dispatcher, Dispatcher::kDeepEp);
  EXPECT_TRUE(run.options.moe_a2a_overlap);
  EXPECT_TRUE(run.options.cuda_graphs);
  EXPECT_EQ(run.options.state_precision, StatePrecision::kBf16);
  EXPECT_TRUE(run.options.fsdp_unsharded_grad_accumulation);
  EXPECT_FALSE(run.options.fsdp_reshard_after_forward);
  EXPECT_TRUE(run.options.fsdp_skips_unsharded_experts);
  EXPECT_FALSE(run.options.vocab_parallel_loss);
  EXPECT_TRUE(run.options.grad_reduce_in_bf16);
  EXPECT_TRUE(run.options.bf16_adam_moments);
  EXPECT_TRUE(run.options.fp8_param_gather);
  EXPECT_EQ(run.options.offload_activation_layers, 3);
  EXPECT_EQ(run.options.loss, LossImplementation::kTorchBf16);
  EXPECT_TRUE(run.options.account_for_embedding_in_pipeline_split);
  EXPECT_TRUE(run.options.account_for_loss_in_pipeline_split);
  EXPECT_TRUE(run.options.flash_attention);  // not given: the default
  // The row's layout text names the modules.
  EXPECT_NE(EvaluatePublishedRun(run).layout.find("rc=selective(layernorm+mlp)"),
            std::string::npos);
}

TEST(ValidateTest, BadFrameworkOptionsNameTheField) {
  json dispatcher = TinyRuns();
  dispatcher["runs"][0]["sim_options"] = {{"dispatcher", "nccl"}};
  EXPECT_EQ(ParsePublishedRuns(dispatcher, "bad.json").error().message,
            "bad.json: $.runs[0].sim_options.dispatcher: expected \"alltoall\", \"deepep\" or "
            "\"hybridep\", got \"nccl\"");
  json states = TinyRuns();
  states["runs"][0]["sim_options"] = {{"state_precision", "fp16"}};
  EXPECT_EQ(ParsePublishedRuns(states, "bad.json").error().message,
            "bad.json: $.runs[0].sim_options.state_precision: expected \"mixed\", \"bf16\" or "
            "\"fp32\", got \"fp16\"");
  json hybridep = TinyRuns();
  hybridep["runs"][0]["sim_options"] = {{"dispatcher", "hybridep"}};
  auto parsed = ParsePublishedRuns(hybridep, "ok.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ((*parsed)[0].options.dispatcher, Dispatcher::kHybridEp);
  json unknown = TinyRuns();
  unknown["runs"][0]["sim_options"] = {{"overlap", true}};
  EXPECT_NE(ParsePublishedRuns(unknown, "bad.json")
                .error()
                .message.find("bad.json: $.runs[0].sim_options.overlap"),
            std::string::npos);
  json offload = TinyRuns();
  offload["runs"][0]["sim_options"] = {{"offload_activation_layers", -2}};
  EXPECT_EQ(ParsePublishedRuns(offload, "bad.json").error().message,
            "bad.json: $.runs[0].sim_options.offload_activation_layers: expected an integer in "
            "[0, 1048576] or null, got -2");
  json loss = TinyRuns();
  loss["runs"][0]["sim_options"] = {{"loss", "cross_entropy"}};
  EXPECT_EQ(ParsePublishedRuns(loss, "bad.json").error().message,
            "bad.json: $.runs[0].sim_options.loss: expected \"auto\", \"megatron\", "
            "\"megatron-legacy\", "
            "\"te\", \"torch-fp32\", \"torch-loss-parallel\" or \"torch-bf16\", got "
            "\"cross_entropy\"");
  json sharded_loss = TinyRuns();
  sharded_loss["runs"][0]["sim_options"] = {{"loss", "torch-loss-parallel"},
                                            {"vocab_parallel_loss", false}};
  EXPECT_EQ(ParsePublishedRuns(sharded_loss, "bad.json").error().message,
            "bad.json: $.runs[0].sim_options.loss: \"torch-loss-parallel\" runs on "
            "vocabulary-sharded logits; it contradicts \"vocab_parallel_loss\": false (use "
            "torch-fp32 or torch-bf16)");
  json modules = TinyRuns();
  modules["runs"][0]["layout"]["recompute_modules"] = {"moe_act"};  // recompute is null
  EXPECT_EQ(ParsePublishedRuns(modules, "bad.json").error().message,
            "bad.json: $.runs[0].layout.recompute_modules: needs recompute \"selective\"");
}

// Mixtral 8x7B on 8 GPUs with tp = 2, ep = 8 and etp not published: dp = 8 / 2 = 4, and
// etp = tp would need etp x ep = 16 to divide tp x cp x dp = 8 (MoE parallel folding).
json UnfoldableMoeRuns() {
  json file = TinyRuns();
  json& run = file["runs"][0];
  run["id"] = "moe-tp2-ep8";
  run["model"] = "mixtral-8x7b";
  run["moe"] = true;
  run["layout"]["tp"] = 2;
  run["layout"]["ep"] = 8;
  run["layout"]["dp"] = nullptr;
  run["layout"]["gbs"] = 32;
  run["measured"]["memory_per_gpu_bytes"] = nullptr;
  return file;
}

TEST(ValidateTest, UnpublishedEtpFallsBackToOneWhereTpCannotFold) {
  auto runs = ParsePublishedRuns(UnfoldableMoeRuns(), "moe.json");
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  EXPECT_EQ((*runs)[0].layout.etp, 0);  // not published
  const ValidationRow row = EvaluatePublishedRun((*runs)[0]);
  ASSERT_TRUE(row.skip_reason.empty()) << row.skip_reason;
  const std::vector<std::string> expected = {
      "etp = 1 (not published; etp = tp = 2 cannot fold: etp x ep = 16 does not divide tp x cp x "
      "dp = 8)"};
  EXPECT_EQ(row.assumptions, expected);
  // Evaluated as the same run with etp = 1 published, which assumes nothing.
  const std::vector<ValidationCase> cases = PrepareCases(*runs, {});
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].request.layout.etp, 1);
  json published = UnfoldableMoeRuns();
  published["runs"][0]["layout"]["etp"] = 1;
  const ValidationRow explicit_row = EvaluatePublishedRun((*ParsePublishedRuns(published, "p"))[0]);
  ASSERT_TRUE(explicit_row.skip_reason.empty()) << explicit_row.skip_reason;
  EXPECT_TRUE(explicit_row.assumptions.empty());
  EXPECT_DOUBLE_EQ(row.predicted, explicit_row.predicted);
  // The report names the assumption in both forms.
  const ValidationReport report = Validate(*runs, {});
  EXPECT_NE(ValidationMarkdown(report).find("- moe-tp2-ep8: " + expected[0] + "\n"),
            std::string::npos)
      << ValidationMarkdown(report);
  EXPECT_EQ(ValidationJson(report)["rows"][0]["assumptions"], nlohmann::ordered_json(expected));
}

TEST(ValidateTest, PublishedOrFoldingEtpIsKept) {
  // A published etp = tp that cannot fold is never overridden: the simulator rejects the row.
  json published = UnfoldableMoeRuns();
  published["runs"][0]["layout"]["etp"] = 2;
  const ValidationRow rejected = EvaluatePublishedRun((*ParsePublishedRuns(published, "p"))[0]);
  EXPECT_NE(rejected.skip_reason.find("etp x ep = 16 does not divide tp x cp x dp = 8"),
            std::string::npos)
      << rejected.skip_reason;
  EXPECT_TRUE(rejected.assumptions.empty());
  // On 16 GPUs (dp = 8) etp = tp = 2 folds (16 divides 16): the default stays, nothing assumed.
  json folds = UnfoldableMoeRuns();
  folds["runs"][0]["num_gpus"] = 16;
  auto runs = ParsePublishedRuns(folds, "f");
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  const ValidationRow row = EvaluatePublishedRun((*runs)[0]);
  ASSERT_TRUE(row.skip_reason.empty()) << row.skip_reason;
  EXPECT_TRUE(row.assumptions.empty());
  const std::vector<ValidationCase> cases = PrepareCases(*runs, {});
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].request.layout.etp, 0);  // resolved to tp by the layout check
}

TEST(ValidateTest, ParsesVtrainCsv) {
  const std::string text =
      "\xEF\xBB\xBF# GPUs,global batch,micro batch,hidden size,attention heads,# layers,sequence "
      "length,tensor parallelism,data parallelism,pipeline parallelism,iteration time (ms)\n"
      "2,16,8,1024,16,24,1024,1,1,2,372.160408\n"
      "8,32,4,1024,16,24,1024,2,2,2,219.732754\r\n"
      "8,64,2,2048,32,24,2048,8,1,1,500\n";
  auto runs = ParseVtrainCsv(text, "gt.csv");
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[1].line, 3);
  EXPECT_EQ((*runs)[1].tp, 2);
  EXPECT_EQ((*runs)[1].pp, 2);
  EXPECT_DOUBLE_EQ((*runs)[1].iteration_ms, 219.732754);
  EXPECT_EQ((*runs)[2].hidden, 2048);

  const ValidationRow row = EvaluateVtrainRun((*runs)[1]);
  ASSERT_TRUE(row.skip_reason.empty()) << row.skip_reason;
  EXPECT_DOUBLE_EQ(row.error, (row.predicted - 0.219732754) / 0.219732754);
}

TEST(ValidateTest, BadVtrainRowsNameTheLine) {
  auto short_row = ParseVtrainCsv("# header\n2,16,8\n", "gt.csv");
  ASSERT_FALSE(short_row.ok());
  EXPECT_NE(short_row.error().message.find("gt.csv:2:"), std::string::npos)
      << short_row.error().message;
  auto bad_value =
      ParseVtrainCsv("2,16,8,1024,16,24,1024,1,1,2,1\n2,x,8,1024,16,24,1024,1,1,2,1\n", "gt.csv");
  ASSERT_FALSE(bad_value.ok());
  EXPECT_NE(bad_value.error().message.find("gt.csv:2: field 'global batch'"), std::string::npos)
      << bad_value.error().message;
}

TEST(ValidateTest, ReplacesOnlyTheSimulatorSection) {
  const std::string doc = "# T\n\n## Calibration\n\ncal\n\n## Simulator\n\nold\n\n## Later\n\nx\n";
  const std::string out = ReplaceMarkdownSection(doc, "## Simulator", "## Simulator\n\nnew\n");
  EXPECT_EQ(out, "# T\n\n## Calibration\n\ncal\n\n## Simulator\n\nnew\n\n## Later\n\nx\n");
  const std::string appended = ReplaceMarkdownSection("# T\n\n## Calibration\n\ncal\n",
                                                      "## Simulator", "## Simulator\n\nnew\n");
  EXPECT_EQ(appended, "# T\n\n## Calibration\n\ncal\n\n## Simulator\n\nnew\n");
}

}  // namespace
}  // namespace moeplan::sim
