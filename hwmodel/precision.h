//===- hwmodel/precision.h - Tensor-core precisions -------------*- C++ -*-===//
/// \file
/// The arithmetic precisions whose peak FLOP/s a device description carries, and the bytes one
/// element occupies in memory under each, so that the cost models can count bytes moved.
///
/// Storage conventions (what a training framework actually reads and writes):
///   bf16: inputs 2 bytes, outputs 2 bytes;
///   fp8:  inputs 1 byte, outputs 2 bytes (FP8 GEMMs in Transformer Engine / DeepGEMM write BF16);
///   tf32: inputs 4 bytes (FP32 storage), outputs 4 bytes.
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "laws/support/result.h"

namespace moeplan::hw {

enum class Precision : uint8_t {
  kBf16,  ///< BF16 (and FP16) inputs, FP32 accumulation
  kFp8,   ///< FP8 (E4M3/E5M2) inputs, FP32 accumulation; not every device supports it
  kTf32,  ///< TF32 tensor-core math on FP32 storage
};

inline constexpr std::array<Precision, 3> kAllPrecisions = {Precision::kBf16, Precision::kFp8,
                                                            Precision::kTf32};

/// "bf16", "fp8", "tf32".
const char* ToString(Precision precision);

/// Parses "bf16", "fp8" or "tf32" (case-insensitive).
[[nodiscard]] Result<Precision> ParsePrecision(std::string_view text);

/// Bytes of one input element (operands A and B of a GEMM, Q/K/V of attention).
constexpr double InputBytesPerElement(Precision precision) {
  switch (precision) {
    case Precision::kBf16:
      return 2.0;
    case Precision::kFp8:
      return 1.0;
    case Precision::kTf32:
      return 4.0;
  }
  return 2.0;
}

/// Bytes of one output element (C of a GEMM, O of attention).
constexpr double OutputBytesPerElement(Precision precision) {
  return precision == Precision::kTf32 ? 4.0 : 2.0;
}

}  // namespace moeplan::hw
