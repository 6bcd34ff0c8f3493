//===- hwmodel/presets.cc - Built-in hardware from spec sheets ------------===//
/// Figures and their sources. "Derived" marks a figure computed from a published one.
/// Capacities: vendors print "80 GB" for HBM stacks sized in binary units, and the usable total
/// the driver reports is close to the GiB reading (H100 80GB: nvidia-smi shows 81,559 MiB =
/// 79.6 GiB, versus 74.5 GiB for 80e9 bytes), so "N GB" of HBM is stored as N GiB (derived).
/// L2 "50 MB" is likewise 50 MiB. Link latencies are per-step alphas, not wire latencies: the
/// defaults are NCCL's own tuning constants for the ring/Simple protocol (src/graph/tuning.cc,
/// hwLat: 3.4 us NVLink, 14 us network) and are uncalibrated.
#include "hwmodel/presets.h"

#include <algorithm>
#include <cctype>

namespace moeplan::hw {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;
constexpr int64_t kMiB = int64_t{1} << 20;
constexpr double kTera = 1e12;
constexpr double kGBps = 1e9;  // decimal GB/s, as vendors print bandwidths

constexpr double kNvlinkStepLatency = 3.4e-6;  // NCCL hwLat[NVLINK][Ring][Simple]
constexpr double kNetworkStepLatency = 14e-6;  // NCCL hwLat[NET][Ring][Simple]

// Special-function exponentials per second (DeviceSpec::exp_rate). Hopper: the FlashAttention-3
// paper's 3.9 TFLOPS of special functions (see H100Sxm).
constexpr double kHopperExpRate = 3.9 * kTera;
// Blackwell issues 16 MUFU.EX2 per SM per clock like Hopper and Ampere; Blackwell Ultra doubles
// the special-function throughput (NVIDIA technical blog "Making Softmax More Efficient with
// NVIDIA Blackwell Ultra", 2026).
constexpr double kBlackwellExpPerSmClock = 16.0;
constexpr double kBlackwellUltraExpPerSmClock = 32.0;
// Blackwell's clock is not printed; a Blackwell SM does 8,192 dense BF16 tensor FLOPs per clock
// (twice Hopper's 4,096), so the clock is the dense BF16 peak / (148 SMs x 8,192) (derived:
// 1.86 GHz for B200's 2.25 PFLOP/s, 2.06 GHz for GB200's 2.5).
constexpr double BlackwellExpRate(double peak_bf16, double per_sm_clock) {
  constexpr double kBf16PerSmClock = 8192.0;
  return per_sm_clock * peak_bf16 / kBf16PerSmClock;  // SMs x clock x per_sm_clock
}

// The parts every 8-GPU HGX-style preset shares.
Hardware HgxBase(std::string name, std::string description) {
  Hardware h;
  h.name = std::move(name);
  h.description = std::move(description);
  h.node.gpus_per_node = 8;
  h.scale_up.latency = kNvlinkStepLatency;
  h.scale_up.domain_size = 8;
  h.scale_out.latency = kNetworkStepLatency;
  return h;
}

// NVIDIA H100 Tensor Core GPU datasheet (SXM column; tensor figures printed with sparsity,
// dense = half, derived): BF16 1,979 -> 989.4 TFLOP/s; FP8 3,958 -> 1,978.9; TF32 989 -> 494.7.
// 80 GB HBM3 at 3.35 TB/s; NVLink 900 GB/s (bidirectional) -> 450 GB/s per direction (derived).
// SMs and L2 from the Hopper architecture whitepaper (SXM5: 132 SMs, 50 MB L2).
// DGX H100: eight 400 Gb/s ConnectX-7 compute ports, one per GPU -> 50 GB/s (derived).
// Exponentials: "989 TFLOPS of FP16 matmul but only 3.9 TFLOPS of special functions"
// (FlashAttention-3, Shah et al., arXiv:2407.08608, Sec. 3.2), i.e. 16 per SM per clock
// (132 SMs x 1.83 GHz x 16 = 3.86e12). Every GH100 preset below shares it.
Hardware H100Sxm() {
  Hardware h = HgxBase("h100-sxm", "NVIDIA H100 SXM5 80GB, HGX/DGX H100 (NVIDIA H100 datasheet)");
  h.device = {"NVIDIA H100 SXM5 80GB",
              989.4 * kTera,
              1978.9 * kTera,
              494.7 * kTera,
              80 * kGiB,
              3350 * kGBps,
              132,
              50 * kMiB,
              kHopperExpRate};
  h.scale_up.technology = "NVLink 4 via NVSwitch, 900 GB/s bidirectional";
  h.scale_up.bandwidth = 450 * kGBps;
  h.scale_out.technology = "InfiniBand NDR, one 400 Gb/s ConnectX-7 per GPU";
  h.scale_out.bandwidth = 50 * kGBps;
  return h;
}

// NVIDIA H200 Tensor Core GPU datasheet (SXM column): the H100's tensor rates (BF16 1,979,
// FP8 3,958, TF32 989 TFLOP/s with sparsity; dense = half, derived), 141 GB HBM3e at 4.8 TB/s,
// NVLink 900 GB/s bidirectional. Same GH100 die: 132 SMs, 50 MB L2.
Hardware H200Sxm() {
  Hardware h = HgxBase("h200-sxm", "NVIDIA H200 SXM 141GB, HGX H200 (NVIDIA H200 datasheet)");
  h.device = {"NVIDIA H200 SXM 141GB",
              989.4 * kTera,
              1978.9 * kTera,
              494.7 * kTera,
              141 * kGiB,
              4800 * kGBps,
              132,
              50 * kMiB,
              kHopperExpRate};
  h.scale_up.technology = "NVLink 4 via NVSwitch, 900 GB/s bidirectional";
  h.scale_up.bandwidth = 450 * kGBps;
  h.scale_out.technology = "InfiniBand NDR, one 400 Gb/s ConnectX-7 per GPU";
  h.scale_out.bandwidth = 50 * kGBps;
  return h;
}

// The H100 SXM 96GB of Meta's Grand Teton hosts, on which torchtitan publishes its benchmarks
// (pytorch/torchtitan benchmarks/llama3_h100_202412_torchtitan.md): "96GB HBM2e with 2.4 TB/sec
// peak memory bandwidth", 8 GPUs per host on NVLink, "400 Gb/s per GPU" RDMA, run at the
// "default 500W power limit". Its tensor peaks are not published ("between SXM and NVL"): the
// SXM's are kept, so throughput predictions on it are optimistic by the lower power limit.
Hardware H100Sxm96() {
  Hardware h = H100Sxm();
  h.name = "h100-sxm-96gb";
  h.description =
      "NVIDIA H100 SXM 96GB HBM2e at 500 W, Grand Teton (torchtitan benchmark page; tensor "
      "peaks from the NVIDIA H100 datasheet's SXM column, assumed)";
  h.device.name = "NVIDIA H100 SXM 96GB HBM2e";
  h.device.hbm_bytes = 96 * kGiB;
  h.device.hbm_bandwidth = 2400 * kGBps;
  h.scale_out.technology = "RDMA backend network, 400 Gb/s per GPU";
  return h;
}

// NVIDIA H800 SXM5 product brief: H100 SXM tensor rates, 80 GB HBM3 at 3.35 TB/s, NVLink cut
// to 400 GB/s bidirectional -> 200 GB/s per direction (derived). The DeepSeek-V3 report
// (arXiv:2412.19437, Sec. 3.2.2) describes these nodes: 8 GPUs on NVLink/NVSwitch and
// 400 Gb/s InfiniBand (50 GB/s) per GPU across nodes.
Hardware H800Sxm() {
  Hardware h = HgxBase("h800-sxm", "NVIDIA H800 SXM5 80GB, HGX H800 (NVIDIA H800 product brief)");
  h.device = {"NVIDIA H800 SXM5 80GB",
              989.4 * kTera,
              1978.9 * kTera,
              494.7 * kTera,
              80 * kGiB,
              3350 * kGBps,
              132,
              50 * kMiB,
              kHopperExpRate};
  h.scale_up.technology = "NVLink 4 via NVSwitch, 400 GB/s bidirectional";
  h.scale_up.bandwidth = 200 * kGBps;
  h.scale_out.technology = "InfiniBand NDR, one 400 Gb/s ConnectX-7 per GPU";
  h.scale_out.bandwidth = 50 * kGBps;
  return h;
}

// NVIDIA HGX B200 / DGX B200 datasheets, per GPU (sparse figures halved, derived):
// FP8 9 -> 4.5 PFLOP/s, BF16 4.5 -> 2.25, TF32 2.2 -> 1.1; 180 GB HBM3e (1,440 GB per
// 8 GPUs), 8 TB/s (64 TB/s per 8 GPUs); NVLink 5 1.8 TB/s bidirectional -> 900 GB/s per
// direction (derived). DGX B200: eight 400 Gb/s ConnectX-7 ports, one per GPU. 148 SMs and
// 126 MB L2 as measured by Chips and Cheese ("Nvidia's B200: Keeping the CUDA Juggernaut
// Rolling"); NVIDIA does not print them.
Hardware B200() {
  Hardware h = HgxBase("b200", "NVIDIA B200 (HGX/DGX B200, 8 GPUs per node; NVIDIA datasheets)");
  h.device = {"NVIDIA B200 180GB",
              2250 * kTera,
              4500 * kTera,
              1100 * kTera,
              180 * kGiB,
              8000 * kGBps,
              148,
              126 * kMiB,
              BlackwellExpRate(2250 * kTera, kBlackwellExpPerSmClock)};
  h.scale_up.technology = "NVLink 5 via NVSwitch, 1.8 TB/s bidirectional";
  h.scale_up.bandwidth = 900 * kGBps;
  h.scale_out.technology = "InfiniBand NDR, one 400 Gb/s ConnectX-7 per GPU";
  h.scale_out.bandwidth = 50 * kGBps;
  return h;
}

// NVIDIA GB200 NVL72 datasheet, rack of 72 GPUs (sparse figures; per GPU = rack / 72 / 2,
// derived): FP8 720 PF -> 5 PFLOP/s, FP16/BF16 360 PF -> 2.5, TF32 180 PF -> 1.25;
// HBM3e 13.4 TB -> 186 GB per GPU, 576 TB/s -> 8 TB/s per GPU; NVLink 5 130 TB/s -> 1.8 TB/s
// per GPU bidirectional -> 900 GB/s per direction, one 72-GPU NVLink domain. A compute tray
// holds two GB200 superchips = 4 GPUs (the "node"), with one 400 Gb/s ConnectX-7 per GPU.
// SM count and L2 assumed equal to B200's (same Blackwell GPU; not printed by NVIDIA).
Hardware Gb200Nvl72() {
  Hardware h = HgxBase("gb200-nvl72",
                       "NVIDIA GB200 NVL72 (72-GPU NVLink domain, 4 GPUs per compute tray; "
                       "NVIDIA GB200 NVL72 datasheet)");
  h.device = {"NVIDIA GB200 (Blackwell GPU, NVL72)",
              2500 * kTera,
              5000 * kTera,
              1250 * kTera,
              186 * kGiB,
              8000 * kGBps,
              148,
              126 * kMiB,
              BlackwellExpRate(2500 * kTera, kBlackwellExpPerSmClock)};
  h.node.gpus_per_node = 4;
  h.scale_up.technology = "NVLink 5 via NVLink Switch trays, 1.8 TB/s bidirectional, 72 GPUs";
  h.scale_up.bandwidth = 900 * kGBps;
  h.scale_up.domain_size = 72;
  h.scale_out.technology = "InfiniBand NDR, one 400 Gb/s ConnectX-7 per GPU";
  h.scale_out.bandwidth = 50 * kGBps;
  return h;
}

// Blackwell Ultra systems carry one 800 Gb/s ConnectX-8 SuperNIC per GPU -> 100 GB/s (derived).
ScaleOutSpec Connectx8Network() {
  ScaleOutSpec link;
  link.technology = "InfiniBand XDR / Ethernet, one 800 Gb/s ConnectX-8 per GPU";
  link.bandwidth = 100 * kGBps;
  link.latency = kNetworkStepLatency;
  return link;
}

// Blackwell Ultra. NVIDIA HGX B300 platform specifications, per 8 GPUs (sparse figures;
// per GPU = platform / 8 / 2, derived): FP8 72 PF -> 4.5 PFLOP/s, FP16/BF16 36 PF -> 2.25,
// TF32 18 PF -> 1.125; total memory 2.3 TB -> 288 GB HBM3e per GPU at 8 TB/s (NVIDIA
// technical blog "Inside NVIDIA Blackwell Ultra", 2025: 8 stacks, 8 TB/s); NVLink 5
// 1.8 TB/s bidirectional -> 900 GB/s per direction (derived); networking 1.6 TB/s per
// platform = one 800 Gb/s ConnectX-8 SuperNIC per GPU -> 100 GB/s (derived). The blog's
// full implementation has 160 SMs; the number enabled in the product is not printed, so
// B200's measured 148 SMs and 126 MB L2 are assumed (same die family).
Hardware B300() {
  // The HGX B200 platform with Blackwell Ultra's memory, TF32 rate and NICs.
  Hardware h = B200();
  h.name = "b300";
  h.description =
      "NVIDIA B300 (HGX/DGX B300 Blackwell Ultra, 8 GPUs per node; NVIDIA HGX B300 "
      "specifications, DGX B300 datasheet)";
  h.device.name = "NVIDIA B300 288GB";
  h.device.peak_flops_tf32 = 1125 * kTera;
  h.device.hbm_bytes = 288 * kGiB;
  h.device.exp_rate = BlackwellExpRate(2250 * kTera, kBlackwellUltraExpPerSmClock);
  h.scale_out = Connectx8Network();
  return h;
}

// NVIDIA GB300 NVL72 specifications, rack of 72 Blackwell Ultra GPUs (sparse figures; per
// GPU = rack / 72 / 2, derived): FP8 720 PF -> 5 PFLOP/s, FP16/BF16 360 PF -> 2.5, TF32
// 180 PF -> 1.25 (the training rates equal GB200 NVL72's; Blackwell Ultra raises FP4);
// HBM3e 20.7 TB -> 288 GB per GPU, 576 TB/s -> 8 TB/s per GPU; NVLink 5 130 TB/s ->
// 1.8 TB/s per GPU bidirectional -> 900 GB/s per direction, one 72-GPU NVLink domain;
// 72 ConnectX-8 SuperNICs, one 800 Gb/s per GPU -> 100 GB/s (derived). A compute tray holds
// 4 GPUs. SM count and L2 assumed equal to B300's (above). Otherwise a GB200 NVL72 rack.
Hardware Gb300Nvl72() {
  Hardware h = Gb200Nvl72();
  h.name = "gb300-nvl72";
  h.description =
      "NVIDIA GB300 NVL72 (Blackwell Ultra, 72-GPU NVLink domain, 4 GPUs per compute tray; "
      "NVIDIA GB300 NVL72 datasheet)";
  h.device.name = "NVIDIA GB300 (Blackwell Ultra GPU, NVL72)";
  h.device.hbm_bytes = 288 * kGiB;
  h.device.exp_rate = BlackwellExpRate(2500 * kTera, kBlackwellUltraExpPerSmClock);
  h.scale_out = Connectx8Network();
  return h;
}

// NVIDIA A100 Tensor Core GPU datasheet (80GB SXM column, dense figures): BF16 312 TFLOP/s,
// TF32 156 TFLOP/s, no FP8; 80 GB HBM2e at 2,039 GB/s; NVLink 3 600 GB/s bidirectional ->
// 300 GB/s per direction (derived). Ampere whitepaper: 108 SMs, 40 MB L2. DGX A100: eight
// 200 Gb/s HDR InfiniBand ports, one per GPU -> 25 GB/s (derived). Exponentials: 16 per SM per
// clock (CUDA C++ Programming Guide, arithmetic instruction throughput, compute capability 8.0)
// x 108 SMs x 1.41 GHz boost clock (Ampere whitepaper) = 2.44e12 per second (derived).
Hardware A100Sxm80() {
  Hardware h =
      HgxBase("a100-sxm-80gb", "NVIDIA A100 SXM4 80GB, HGX/DGX A100 (NVIDIA A100 datasheet)");
  h.device = {"NVIDIA A100 SXM4 80GB",
              312 * kTera,
              0.0,
              156 * kTera,
              80 * kGiB,
              2039 * kGBps,
              108,
              40 * kMiB,
              16 * 108 * 1.41e9};
  h.scale_up.technology = "NVLink 3 via NVSwitch, 600 GB/s bidirectional";
  h.scale_up.bandwidth = 300 * kGBps;
  h.scale_out.technology = "InfiniBand HDR, one 200 Gb/s ConnectX-6 per GPU";
  h.scale_out.bandwidth = 25 * kGBps;
  return h;
}

// NVIDIA A800 SXM4 80GB: the A100 80GB SXM4 (same tensor rates, 80 GB HBM2e at 2,039 GB/s,
// 108 SMs, 40 MB L2) with NVLink limited to 400 GB/s bidirectional -> 200 GB/s per direction
// (NVIDIA A800 product brief; derived). Scale-out as DGX A100: one 200 Gb/s HDR port per GPU
// (assumed; A800 systems are built by OEMs and differ).
Hardware A800Sxm80() {
  Hardware h = A100Sxm80();
  h.name = "a800-sxm-80gb";
  h.description =
      "NVIDIA A800 SXM4 80GB, 8-GPU HGX (A100 with 400 GB/s NVLink; NVIDIA A800 product brief)";
  h.device.name = "NVIDIA A800 SXM4 80GB";
  h.scale_up.technology = "NVLink 3 via NVSwitch, 400 GB/s bidirectional";
  h.scale_up.bandwidth = 200 * kGBps;
  return h;
}

// AMD Instinct MI300X data sheet (dense peaks): BF16 1,307.4 TFLOP/s, FP8 2,614.9, TF32 653.7;
// 192 GB HBM3 at 5.3 TB/s; 304 compute units. L2 = 4 MB per XCD x 8 = 32 MB (ROCm "GPU
// specifications" table; the 256 MB Infinity Cache is not counted). Scale-up: 8 GPUs fully
// connected by 7 Infinity Fabric links of 128 GB/s bidirectional each -> 7 x 64 = 448 GB/s per
// direction to all peers (derived; any single peer is reached at 64 GB/s). Scale-out: one
// 400 Gb/s NIC per GPU as in AMD's reference platforms -> 50 GB/s (derived).
Hardware Mi300x() {
  Hardware h = HgxBase("mi300x", "AMD Instinct MI300X, 8-GPU OAM platform (AMD MI300X data sheet)");
  h.device = {"AMD Instinct MI300X 192GB",
              1307.4 * kTera,
              2614.9 * kTera,
              653.7 * kTera,
              192 * kGiB,
              5300 * kGBps,
              304,
              32 * kMiB};
  h.scale_up.technology = "Infinity Fabric (xGMI) full mesh, 7 x 128 GB/s bidirectional";
  h.scale_up.bandwidth = 448 * kGBps;
  h.scale_out.technology = "400 Gb/s InfiniBand or RoCE NIC per GPU";
  h.scale_out.bandwidth = 50 * kGBps;
  return h;
}

// Efficiencies fitted to measured end-to-end training runs, not to kernels: `moeplan validate
// --fit --vtrain ground_truth_single.csv` (calibration/end_to_end_fit.h) on 2026-11-24, over
// the 183 published runs of sim/validation/published_runs.json and vTrain's 1,440 A100 steps.
// The GEMM efficiency is fitted per GPU generation; the rest is shared. Attention keeps the
// kernel-measured defaults of hw::AttentionParams (not fitted). docs/validation.md
// reports the fit's in-sample and cross-validated (by model) errors. A kernel profile
// (`moeplan calibrate`) replaces these values for a device.
struct GenerationFit {
  double gemm = 0.0;  ///< 0: no measured runs of this generation, keep the default
};
constexpr GenerationFit kAmpereFit{0.6880};
constexpr GenerationFit kHopperFit{0.6475};
constexpr GenerationFit kBlackwellFit{0.5362};
constexpr GenerationFit kBlackwellUltraFit{0.6801};
constexpr GenerationFit kNoFit{0.0};

Hardware WithFittedEfficiency(Hardware h, GenerationFit fit) {
  EfficiencyParams& e = h.efficiency;
  e.source = fit.gemm > 0.0 ? "fitted to published end-to-end runs (moeplan validate --fit, "
                              "2026-11-24; docs/validation.md)"
                            : "fitted to published end-to-end runs except GEMM efficiency "
                              "(uncalibrated default: no measured runs of this GPU)";
  if (fit.gemm > 0.0) {
    e.gemm.compute_efficiency = fit.gemm;
    e.gemm.grouped_compute_efficiency = fit.gemm * 0.9211;
  }
  e.gemm.fp8_efficiency_scale = 0.9188;
  e.gemm.k_half = 510.7;
  e.host.per_kernel = 77.17e-6;
  e.host.per_step = 17.59e-3;
  e.collective.scale_up.max_efficiency = 0.4909;
  e.collective.scale_out.max_efficiency = 0.8808;
  e.collective.ep_overlap_cost = 0.1137;
  return h;
}

std::vector<HardwarePreset> BuildPresets() {
  std::vector<HardwarePreset> presets;
  auto add = [&presets](Hardware hardware, std::vector<std::string> aliases) {
    std::string name = hardware.name;
    presets.push_back({std::move(name), std::move(aliases), std::move(hardware)});
  };
  add(WithFittedEfficiency(A100Sxm80(), kAmpereFit),
      {"a100", "a100-80gb", "a100-sxm", "a100-sxm4", "a100-sxm4-80gb"});
  add(WithFittedEfficiency(A800Sxm80(), kAmpereFit), {"a800", "a800-80gb", "a800-sxm4-80gb"});
  add(WithFittedEfficiency(H100Sxm(), kHopperFit),
      {"h100", "h100-sxm5", "h100-80gb", "h100-sxm-80gb"});
  add(WithFittedEfficiency(H100Sxm96(), kHopperFit), {"h100-96gb", "h100-grand-teton"});
  add(WithFittedEfficiency(H800Sxm(), kHopperFit), {"h800", "h800-sxm5"});
  add(WithFittedEfficiency(H200Sxm(), kHopperFit), {"h200", "h200-sxm5", "h200-141gb"});
  add(WithFittedEfficiency(Mi300x(), kNoFit), {"mi300", "mi300x-oam"});
  add(WithFittedEfficiency(B200(), kBlackwellFit), {"hgx-b200", "dgx-b200", "b200-sxm"});
  add(WithFittedEfficiency(Gb200Nvl72(), kBlackwellFit), {"gb200", "nvl72", "gb200nvl72"});
  add(WithFittedEfficiency(B300(), kBlackwellUltraFit), {"hgx-b300", "dgx-b300", "b300-sxm"});
  add(WithFittedEfficiency(Gb300Nvl72(), kBlackwellUltraFit), {"gb300", "gb300nvl72"});
  return presets;
}

// Lowercase, '_' read as '-'.
std::string Normalize(std::string_view name) {
  std::string key(name);
  for (char& c : key) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return key;
}

}  // namespace

const std::vector<HardwarePreset>& HardwarePresets() {
  static const std::vector<HardwarePreset> presets = BuildPresets();
  return presets;
}

const HardwarePreset* FindHardwarePreset(std::string_view name) {
  const std::string key = Normalize(name);
  for (const HardwarePreset& preset : HardwarePresets()) {
    if (preset.name == key) return &preset;
    const auto& aliases = preset.aliases;
    if (std::find(aliases.begin(), aliases.end(), key) != aliases.end()) return &preset;
  }
  return nullptr;
}

std::string HardwarePresetList() {
  std::string list;
  for (const HardwarePreset& preset : HardwarePresets()) {
    if (!list.empty()) list += ", ";
    list += preset.name;
    if (!preset.aliases.empty()) list += " (" + preset.aliases.front() + ")";
  }
  return list;
}

}  // namespace moeplan::hw
