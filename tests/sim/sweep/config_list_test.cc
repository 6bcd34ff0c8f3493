//===- tests/sim/sweep/config_list_test.cc - User-given architecture lists ---===//
#include "sim/sweep/config_list.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace moeplan::plan {
namespace {

SweepSpace DefaultSpace() {
  Result<SweepSpace> s = BuiltinSpace("default");
  EXPECT_TRUE(s.ok());
  return *s;
}

std::string ParseError(const Result<std::vector<laws::MoeArch>>& r) {
  return r.ok() ? std::string("<no error>") : r.error().message;
}

// The built-in default space fixes num_heads 0 (d / head_dim), num_kv_heads 8, head_dim 128,
// dense_ffn_width 0 (8d/3 rounded up to 128), vocab 129280 and seq_len 4096 (docs/planner.md);
// a CSV that leaves those columns out gets them.
TEST(ConfigCsvTest, ColumnsByNameAndTheSpaceFixedValues) {
  const char* text =
      "# two MoE models and a comment\n"
      "name, top_k, hidden_size,num_layers,num_experts,expert_width,shared_experts,"
      "first_dense_layers\n"
      "\n"
      "small,2,2048,24,64,1408,2,1\n"
      ",8,4096,32,256,2048,1,3\n";
  auto archs = ParseConfigCsv(text, "list.csv", DefaultSpace());
  ASSERT_TRUE(archs.ok()) << archs.error().message;
  ASSERT_EQ(archs->size(), 2u);
  const laws::MoeArch& a = (*archs)[0];
  EXPECT_EQ(a.name, "small");
  EXPECT_EQ(a.hidden_size, 2048);
  EXPECT_EQ(a.num_layers, 24);
  EXPECT_EQ(a.moe.num_experts, 64);
  EXPECT_EQ(a.moe.top_k, 2);
  EXPECT_EQ(a.moe.expert.intermediate_size, 1408);
  EXPECT_EQ(a.moe.num_shared_experts, 2);
  EXPECT_EQ(a.moe.first_dense_layers, 1);
  EXPECT_EQ(a.attention.num_heads, 16);  // 2048 / 128
  EXPECT_EQ(a.attention.num_kv_heads, 8);
  EXPECT_EQ(a.attention.head_dim, 128);
  EXPECT_EQ(a.dense_ffn.intermediate_size, 5504);  // 8 * 2048 / 3 = 5461.3 -> 43 * 128
  EXPECT_EQ(a.vocab_size, 129280);
  EXPECT_EQ(a.seq_len, 4096);
  EXPECT_EQ((*archs)[1].name, "list.csv:5");  // unnamed rows are named by their line
  EXPECT_EQ((*archs)[1].moe.num_experts, 256);
}

TEST(ConfigCsvTest, ErrorsNameFileLineColumnAndExpectation) {
  const SweepSpace space = DefaultSpace();
  const std::string header =
      "hidden_size,num_layers,num_experts,top_k,expert_width,shared_experts,first_dense_layers\n";
  EXPECT_EQ(ParseError(ParseConfigCsv(header + "2048,abc,64,2,1408,2,1\n", "list.csv", space)),
            "list.csv: line 2, column 2 ('num_layers'): expected an integer >= 1, got 'abc'");
  EXPECT_EQ(ParseError(ParseConfigCsv(header + "2048,24,64,2,-5,2,1\n", "list.csv", space)),
            "list.csv: line 2, column 5 ('expert_width'): expected an integer >= 0, got '-5'");
  EXPECT_EQ(ParseError(ParseConfigCsv(header + "2048,24,64\n", "list.csv", space)),
            "list.csv: line 2: expected 7 comma-separated fields (as in the header), got 3");
  EXPECT_EQ(ParseError(ParseConfigCsv(header + "2048,24,4,8,1408,0,0\n", "list.csv", space)),
            "list.csv: line 2: not a valid architecture: top_k > num_experts");
  const std::string unknown =
      ParseError(ParseConfigCsv("hidden_size,num_layer\n2048,24\n", "list.csv", space));
  EXPECT_EQ(unknown.rfind("list.csv: line 1, column 2: unknown column 'num_layer' (expected a "
                          "header of: hidden_size, num_layers,",
                          0),
            0u)
      << unknown;
  const std::string missing =
      ParseError(ParseConfigCsv("hidden_size,num_layers\n2048,24\n", "list.csv", space));
  EXPECT_EQ(missing.rfind("list.csv: line 1: column 'num_experts' missing, and the space "
                          "'default' does not fix it (it lists 6 values: 8, 16, 32, 64, 128, "
                          "256)",
                          0),
            0u)
      << missing;
  EXPECT_EQ(ParseError(ParseConfigCsv("hidden_size,hidden_size\n", "list.csv", space)),
            "list.csv: line 1, column 2: column 'hidden_size' given twice");
  EXPECT_EQ(ParseError(ParseConfigCsv("# nothing\n\n", "list.csv", space)),
            "list.csv: empty: expected a header row of column names, then one architecture "
            "per row");
  EXPECT_EQ(ParseError(ParseConfigCsv(header, "list.csv", space)),
            "list.csv: no rows after the header: give at least one architecture");
}

TEST(ConfigCsvTest, DenseSpaceNeedsOnlyTheFreeDimensions) {
  auto archs =
      ParseConfigCsv("hidden_size,num_layers\n1024,8\n", "dense.csv", *BuiltinSpace("dense"));
  ASSERT_TRUE(archs.ok()) << archs.error().message;
  EXPECT_FALSE((*archs)[0].IsMoe());
  EXPECT_EQ((*archs)[0].dense_ffn.intermediate_size, 2816);  // 8 * 1024 / 3 = 2730.7 -> 22 * 128
}

// Llama-2-7B's config.json (meta-llama/Llama-2-7b-hf); the training sequence length is the
// space's seq_len (a config.json has none).
constexpr const char* kLlamaLine =
    R"({"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, )"
    R"("intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32, )"
    R"("num_key_value_heads": 32, "tie_word_embeddings": false})";

TEST(ConfigJsonlTest, MoeplanArchAndHuggingFaceLines) {
  SweepSpace space = DefaultSpace();
  space.arch[static_cast<size_t>(ArchDim::kSeqLen)] = {2048};
  const std::string arch_line =
      R"({"format": "moeplan-arch", "version": 1, "name": "tiny", "vocab_size": 1000, )"
      R"("seq_len": 512, "hidden_size": 256, "num_layers": 2, "attention": {"num_heads": 4}, )"
      R"("dense_ffn": {"intermediate_size": 1024}})";
  auto archs = ParseConfigJsonl(arch_line + "\n\n" + kLlamaLine + "\n", "list.jsonl", space);
  ASSERT_TRUE(archs.ok()) << archs.error().message;
  ASSERT_EQ(archs->size(), 2u);
  EXPECT_EQ((*archs)[0].name, "tiny");
  EXPECT_EQ((*archs)[0].hidden_size, 256);
  EXPECT_EQ((*archs)[0].seq_len, 512);  // the arch's own
  EXPECT_EQ((*archs)[1].hidden_size, 4096);
  EXPECT_EQ((*archs)[1].num_layers, 32);
  EXPECT_EQ((*archs)[1].dense_ffn.intermediate_size, 11008);
  EXPECT_EQ((*archs)[1].seq_len, 2048);  // the space's
}

TEST(ConfigJsonlTest, ErrorsNameFileAndLine) {
  const SweepSpace space = DefaultSpace();
  const std::string bad_json = ParseError(
      ParseConfigJsonl(std::string(kLlamaLine) + "\n{\"model_type\": }\n", "l.jsonl", space));
  // '}' is the 16th character of line 2: where the value was expected.
  EXPECT_EQ(bad_json.rfind("l.jsonl: line 2, column 16: invalid JSON: syntax error", 0), 0u)
      << bad_json;
  EXPECT_EQ(ParseError(ParseConfigJsonl("[1, 2]\n", "l.jsonl", space)),
            "l.jsonl: line 1: expected one JSON object (moeplan-arch or Hugging Face "
            "config.json) per line, got array [1,2]");
  EXPECT_EQ(ParseError(ParseConfigJsonl("{\"hidden_size\": 4}\n", "l.jsonl", space)),
            "l.jsonl: line 1: expected a moeplan-arch object (\"format\": \"moeplan-arch\") or a "
            "Hugging Face config.json object (with \"model_type\"), got an object with neither");
  EXPECT_EQ(ParseError(ParseConfigJsonl("{\"format\": \"moeplan-law\"}\n", "l.jsonl", space)),
            "l.jsonl: line 1: field 'format': expected \"moeplan-arch\" (or a Hugging Face "
            "config.json without 'format'), got \"moeplan-law\"");
  // Field errors of the readers keep their JSON path, behind the file and line.
  const std::string field = ParseError(ParseConfigJsonl(
      R"({"format": "moeplan-arch", "version": 1, "vocab_size": 1000, "hidden_size": 256, )"
      R"("num_layers": -2, "attention": {"num_heads": 4}})",
      "l.jsonl", space));
  EXPECT_EQ(field.rfind("l.jsonl: line 1: field 'num_layers'", 0), 0u) << field;
  EXPECT_EQ(ParseError(ParseConfigJsonl("\n", "l.jsonl", space)),
            "l.jsonl: empty: expected one JSON object per line");
}

TEST(ConfigListTest, FormatFromTheExtension) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto txt = dir / ("moeplan_list_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(txt) << "hidden_size\n";
  auto r = ReadConfigList(txt, DefaultSpace());
  EXPECT_EQ(ParseError(r), txt.string() +
                               ": unknown list format '.txt': expected a .csv or .jsonl "
                               "(.ndjson) file");
  std::filesystem::remove(txt);
  EXPECT_EQ(ParseError(ReadConfigList(dir / "moeplan_no_such_list.csv", DefaultSpace())),
            (dir / "moeplan_no_such_list.csv").string() + ": cannot open file for reading");
}

}  // namespace
}  // namespace moeplan::plan
