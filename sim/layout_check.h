//===- sim/layout_check.h - Is a layout valid for a model and fleet -*- C++ -*-===//
/// \file
/// Resolves a layout's derived fields (etp = tp, dp = fleet / (tp pp cp), gbs = mbs dp when
/// left at 0) and checks it against a model and a fleet with the rules of Megatron-LM /
/// Megatron-Core (arguments.py validate_args, parallel_state.initialize_model_parallel,
/// TransformerConfig.__post_init__). Each failure belongs to one family (`LayoutIssue`), which
/// `--best-layout` uses to say why whole families of layouts were rejected, and has one exact
/// message that states the numbers:
///
///   layout: tp=3 does not divide the 32 attention heads
///   layout: tp=16 does not divide the 8 key/value heads
///   layout: ep=7 does not divide the 8 routed experts
///   layout: needs 2048 GPUs (tp=8 x cp=1 x dp=16 x pp=16) but the fleet has 1024
///   layout: etp x ep = 16 does not divide tp x cp x dp = 8 (MoE parallel folding needs
///           etp x ep x edp = tp x cp x dp)
///   layout: gbs=100 is not divisible by mbs x dp = 1 x 64
///
/// Layers that do not divide evenly over the pp x vpp virtual stages are allowed (see
/// sim/model_profile.h for the split rule), and so are up to two stages more than layers: the
/// embedding and the loss then fill one stage each (Megatron-LM's
/// --account-for-embedding/loss-in-pipeline-split); pp x vpp > layers + 2 is not.
/// Thread-safe; `DiagnoseLayout` without a message does not allocate (the search calls it for
/// every candidate).
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>

#include "hwmodel/hardware.h"
#include "laws/arch.h"
#include "laws/support/result.h"
#include "sim/layout.h"

namespace moeplan::sim {

/// Families of reasons a layout cannot run (in the order they are checked).
enum class LayoutIssue : uint8_t {
  kNone,
  kPrecision,    ///< fp8 on a device without FP8 tensor cores
  kTensorSplit,  ///< tp / etp does not divide heads, KV heads or FFN widths
  kExperts,      ///< ep on a dense model, or ep not dividing the routed experts
  kFramework,    ///< a Megatron rule (MoE with tp > 1 needs sequence parallelism)
  kSequence,     ///< sequence not divisible for cp (2 cp chunks) or sp (tp)
  kFleet,        ///< more GPUs than the fleet, or a fleet not divisible by tp pp cp
  kExpertGrid,   ///< etp ep does not divide tp cp dp (MoE parallel folding)
  kPipeline,     ///< vpp without pp, more virtual stages than layers + 2, m not a multiple of pp
  kBatch,        ///< gbs not divisible by mbs dp
  kMemory,       ///< does not fit in HBM (set by the memory model, not by DiagnoseLayout)
};
inline constexpr int kNumLayoutIssues = 11;

/// "precision", "tensor split", "experts", "framework rule", "sequence", "fleet",
/// "expert grid", "pipeline", "batch", "memory"; "ok" for kNone.
const char* ToString(LayoutIssue issue);

/// Resolves `layout` in place (etp, dp, gbs) and returns the first issue, or kNone. When an
/// issue is found and `message` is not null, writes its one-line message there.
LayoutIssue DiagnoseLayout(Layout& layout, const laws::MoeArch& arch, const hw::Fleet& fleet,
                           std::string* message = nullptr);

/// The resolved layout, or the message of its first issue.
[[nodiscard]] Result<Layout> ResolveLayout(const Layout& layout, const laws::MoeArch& arch,
                                           const hw::Fleet& fleet);

}  // namespace moeplan::sim
