//===- tests/hwmodel/presets_test.cc - Spec-sheet presets ------------------===//
/// Expected values are the vendors' printed figures, typed here from the spec sheets (sparse
/// tensor rates where that is what the sheet prints, halved here to dense; bidirectional link
/// bandwidths halved here to per-direction), never read from the code under test.
#include "hwmodel/presets.h"

#include <gtest/gtest.h>

#include <string>

namespace moeplan::hw {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

struct SpecSheet {
  const char* preset;
  double bf16_tflops;   // dense
  double fp8_tflops;    // dense; 0 = unsupported
  double hbm_gb;        // vendor "GB" of HBM
  double hbm_tb_per_s;  // decimal TB/s
  int sms;
  double scale_up_gb_per_s;  // per direction
  int domain_size;
  int gpus_per_node;
  double scale_out_gb_per_s;  // per direction (NIC Gb/s / 8)
};

// H100 SXM datasheet: BF16 1,979 and FP8 3,958 TFLOP/s with sparsity; 80 GB, 3.35 TB/s;
//   NVLink 900 GB/s bidirectional; DGX H100 400 Gb/s per GPU.
// H200 datasheet: same tensor rates; 141 GB, 4.8 TB/s.
// H800: same tensor rates; NVLink 400 GB/s bidirectional.
// A100 80GB SXM datasheet (dense): BF16 312; 80 GB, 2,039 GB/s; NVLink 600 GB/s; HDR 200 Gb/s.
// HGX B200 (sparse per GPU): FP8 9 PF, BF16 4.5 PF; 180 GB; 8 TB/s; NVLink 5 1.8 TB/s.
// GB200 NVL72 (sparse per rack of 72): FP8 720 PF, BF16 360 PF; 13.4 TB and 576 TB/s per rack;
//   NVLink 130 TB/s per rack.
// HGX B300 (sparse per 8 GPUs): FP8 72 PF, BF16 36 PF; 288 GB per GPU (NVIDIA "Inside
//   Blackwell Ultra" blog), 8 TB/s; NVLink 5 1.8 TB/s; one 800 Gb/s ConnectX-8 per GPU.
// GB300 NVL72 (sparse per rack of 72): FP8 720 PF, BF16 360 PF; 288 GB and 8 TB/s per GPU;
//   NVLink 130 TB/s per rack; 72 ConnectX-8 at 800 Gb/s.
// A800 SXM4 80GB: the A100 80GB with NVLink cut to 400 GB/s bidirectional.
// MI300X data sheet (dense): BF16 1,307.4, FP8 2,614.9; 192 GB at 5.3 TB/s; 304 CUs;
//   7 Infinity Fabric links of 128 GB/s bidirectional.
const SpecSheet kSheets[] = {
    {"h100-sxm", 1979.0 / 2, 3958.0 / 2, 80, 3.35, 132, 900.0 / 2, 8, 8, 400.0 / 8},
    // torchtitan's benchmark page: 96 GB HBM2e at 2.4 TB/s, 400 Gb/s RDMA per GPU.
    {"h100-sxm-96gb", 1979.0 / 2, 3958.0 / 2, 96, 2.4, 132, 900.0 / 2, 8, 8, 400.0 / 8},
    {"h200-sxm", 1979.0 / 2, 3958.0 / 2, 141, 4.8, 132, 900.0 / 2, 8, 8, 400.0 / 8},
    {"h800-sxm", 1979.0 / 2, 3958.0 / 2, 80, 3.35, 132, 400.0 / 2, 8, 8, 400.0 / 8},
    {"a100-sxm-80gb", 312, 0, 80, 2.039, 108, 600.0 / 2, 8, 8, 200.0 / 8},
    {"b200", 4500.0 / 2, 9000.0 / 2, 180, 8.0, 148, 1800.0 / 2, 8, 8, 400.0 / 8},
    {"gb200-nvl72", 360000.0 / 72 / 2, 720000.0 / 72 / 2, 13400.0 / 72, 576.0 / 72, 148,
     130000.0 / 72 / 2, 72, 4, 400.0 / 8},
    {"b300", 36000.0 / 8 / 2, 72000.0 / 8 / 2, 288, 8.0, 148, 1800.0 / 2, 8, 8, 800.0 / 8},
    {"gb300-nvl72", 360000.0 / 72 / 2, 720000.0 / 72 / 2, 288, 576.0 / 72, 148, 130000.0 / 72 / 2,
     72, 4, 800.0 / 8},
    {"a800-sxm-80gb", 312, 0, 80, 2.039, 108, 400.0 / 2, 8, 8, 200.0 / 8},
    {"mi300x", 1307.4, 2614.9, 192, 5.3, 304, 7 * 128.0 / 2, 8, 8, 400.0 / 8},
};

class HardwarePresetSpecTest : public ::testing::TestWithParam<SpecSheet> {};

TEST_P(HardwarePresetSpecTest, MatchesVendorSpecSheet) {
  const SpecSheet& sheet = GetParam();
  const HardwarePreset* preset = FindHardwarePreset(sheet.preset);
  ASSERT_NE(preset, nullptr) << sheet.preset;
  const Hardware& h = preset->hardware;
  // Sheets print 3-4 significant digits (1,979 vs the exact 1,978.9): compare to 0.1%.
  EXPECT_NEAR(h.device.peak_flops_bf16, sheet.bf16_tflops * 1e12, 1e-3 * sheet.bf16_tflops * 1e12);
  EXPECT_NEAR(h.device.peak_flops_fp8, sheet.fp8_tflops * 1e12, 1e-3 * sheet.fp8_tflops * 1e12);
  EXPECT_EQ(h.device.Supports(Precision::kFp8), sheet.fp8_tflops > 0);
  // Capacity: GB on the sheet, stored as GiB (see presets.cc); GB200 is 13.4 TB / 72 = 186.1.
  EXPECT_NEAR(static_cast<double>(h.device.hbm_bytes) / kGiB, sheet.hbm_gb, 0.5);
  EXPECT_NEAR(h.device.hbm_bandwidth, sheet.hbm_tb_per_s * 1e12, 1e-3 * sheet.hbm_tb_per_s * 1e12);
  EXPECT_EQ(h.device.num_sms, sheet.sms);
  EXPECT_NEAR(h.scale_up.bandwidth, sheet.scale_up_gb_per_s * 1e9,
              0.01 * sheet.scale_up_gb_per_s * 1e9);
  EXPECT_EQ(h.scale_up.domain_size, sheet.domain_size);
  EXPECT_EQ(h.node.gpus_per_node, sheet.gpus_per_node);
  EXPECT_DOUBLE_EQ(h.scale_out.bandwidth, sheet.scale_out_gb_per_s * 1e9);
}

std::string SheetName(const ::testing::TestParamInfo<SpecSheet>& sheet) {
  std::string name = sheet.param.preset;
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

INSTANTIATE_TEST_SUITE_P(Vendors, HardwarePresetSpecTest, ::testing::ValuesIn(kSheets), SheetName);

TEST(HardwarePresetsTest, EveryPresetIsValidAndLabelledWithItsFit) {
  ASSERT_EQ(HardwarePresets().size(), 11u);
  for (const HardwarePreset& preset : HardwarePresets()) {
    SCOPED_TRACE(preset.name);
    EXPECT_TRUE(preset.hardware.Validate().ok()) << preset.hardware.Validate().message();
    EXPECT_EQ(preset.name, preset.hardware.name);
    // The presets carry the end-to-end fit of docs/validation.md and say so; the fit touches
    // only its twelve parameters, every other efficiency keeps its default (attention included:
    // it is not fitted end to end).
    EfficiencyParams e = preset.hardware.efficiency;
    EXPECT_NE(e.source.find("fitted to published end-to-end runs"), std::string::npos) << e.source;
    const EfficiencyParams defaults;
    e.source = defaults.source;
    e.gemm.compute_efficiency = defaults.gemm.compute_efficiency;
    e.gemm.grouped_compute_efficiency = defaults.gemm.grouped_compute_efficiency;
    e.gemm.fp8_efficiency_scale = defaults.gemm.fp8_efficiency_scale;
    e.gemm.k_half = defaults.gemm.k_half;
    e.host = defaults.host;
    e.collective.scale_up.max_efficiency = defaults.collective.scale_up.max_efficiency;
    e.collective.scale_out.max_efficiency = defaults.collective.scale_out.max_efficiency;
    e.collective.ep_overlap_cost = defaults.collective.ep_overlap_cost;
    EXPECT_EQ(e, defaults);
    // Every description cites its spec sheet.
    const std::string& text = preset.hardware.description;
    EXPECT_TRUE(text.find("datasheet") != std::string::npos ||
                text.find("data sheet") != std::string::npos ||
                text.find("product brief") != std::string::npos)
        << text;
    // TF32 is half of BF16 on every listed part (B200 prints 1.1 PF for 2.25 PF BF16).
    EXPECT_NEAR(preset.hardware.device.peak_flops_tf32 / preset.hardware.device.peak_flops_bf16,
                0.5, 0.02);
    // L2 spans MI300X's 32 MiB (4 MiB per XCD) to B200's 126 MiB.
    EXPECT_GE(preset.hardware.device.l2_bytes, 32 << 20);
    EXPECT_LE(preset.hardware.device.l2_bytes, 126 << 20);
  }
}

// Tensor FLOPs per special-function exponential, the ratio that prices softmax in fused
// attention (attention_cost.h): 16 exponentials per SM per clock against 2,048 (A100), 4,096
// (H100) and 8,192 (B200) dense BF16 FLOPs per SM per clock; Blackwell Ultra doubles the
// exponentials (NVIDIA, "Making Softmax More Efficient with NVIDIA Blackwell Ultra"). H100 is
// the FlashAttention-3 paper's 989 / 3.9 = 253.7; MI300X is not modelled (0).
TEST(HardwarePresetsTest, ExponentialRatesFollowTheSpecialFunctionUnits) {
  auto ratio = [](const char* name) {
    const DeviceSpec& d = FindHardwarePreset(name)->hardware.device;
    return d.peak_flops_bf16 / d.exp_rate;
  };
  // A100: 312e12 / (16 x 108 x 1.41e9) = 128.06.
  EXPECT_NEAR(ratio("a100"), 128.06, 0.01);
  EXPECT_NEAR(ratio("a800"), 128.06, 0.01);
  for (const char* hopper : {"h100", "h100-96gb", "h200", "h800"}) {
    EXPECT_NEAR(ratio(hopper), 989.4 / 3.9, 1e-9) << hopper;
  }
  EXPECT_NEAR(ratio("b200"), 512.0, 1e-9);
  EXPECT_NEAR(ratio("gb200"), 512.0, 1e-9);
  EXPECT_NEAR(ratio("b300"), 256.0, 1e-9);
  EXPECT_NEAR(ratio("gb300"), 256.0, 1e-9);
  // GB200: 16 x 2.5e15 / 8,192 = 4.8828e12 exponentials per second.
  EXPECT_NEAR(FindHardwarePreset("gb200")->hardware.device.exp_rate, 4.8828125e12, 1e3);
  EXPECT_EQ(FindHardwarePreset("mi300x")->hardware.device.exp_rate, 0.0);
}

TEST(HardwarePresetsTest, FindsNamesAndAliasesCaseInsensitively) {
  for (const char* name : {"h100", "H100", "h100-sxm", "H100_SXM5", "h100-80gb"}) {
    const HardwarePreset* preset = FindHardwarePreset(name);
    ASSERT_NE(preset, nullptr) << name;
    EXPECT_EQ(preset->name, "h100-sxm") << name;
  }
  EXPECT_EQ(FindHardwarePreset("A100")->name, "a100-sxm-80gb");
  EXPECT_EQ(FindHardwarePreset("GB200")->name, "gb200-nvl72");
  EXPECT_EQ(FindHardwarePreset("MI300X")->name, "mi300x");
  EXPECT_EQ(FindHardwarePreset("GB300")->name, "gb300-nvl72");
  EXPECT_EQ(FindHardwarePreset("B300")->name, "b300");
  EXPECT_EQ(FindHardwarePreset("A800-80GB")->name, "a800-sxm-80gb");
  EXPECT_EQ(FindHardwarePreset("h900"), nullptr);
  EXPECT_EQ(FindHardwarePreset(""), nullptr);
}

TEST(HardwarePresetsTest, ListNamesEveryPresetWithItsShortAlias) {
  const std::string list = HardwarePresetList();
  for (const HardwarePreset& preset : HardwarePresets()) {
    EXPECT_NE(list.find(preset.name), std::string::npos) << preset.name;
  }
  EXPECT_NE(list.find("h100-sxm (h100)"), std::string::npos) << list;
}

}  // namespace
}  // namespace moeplan::hw
