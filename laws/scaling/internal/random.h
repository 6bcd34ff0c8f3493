//===- laws/scaling/internal/random.h - Portable seeded random numbers -*- C++ -*-===//
/// \file
/// SplitMix64 (Steele, Lea & Flood 2014; the seeding generator of xoshiro) and unbiased bounded
/// integers by rejection. Unlike the distributions of
/// <random>, whose algorithms the standard leaves to each library, these give the same numbers
/// on every platform, so seeded bootstrap results are reproducible everywhere. Each parallel
/// stream (a bootstrap replicate) gets its own generator from StreamSeed(seed, index).
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

namespace moeplan::scaling::internal {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, bound), bound > 0, without modulo bias: draws below 2^64 mod bound are
  /// rejected so that every residue is equally likely.
  uint64_t Below(uint64_t bound) {
    const uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      const uint64_t x = Next();
      if (x >= threshold) return x % bound;
    }
  }

  /// Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

/// Seed of stream `index` of a run seeded with `seed`: streams are decorrelated by one
/// SplitMix64 step over a distinct input each.
inline uint64_t StreamSeed(uint64_t seed, uint64_t index) {
  return SplitMix64(seed ^ (0xD1B54A32D192ED03ull * (index + 1))).Next();
}

}  // namespace moeplan::scaling::internal
