//===- tests/hwmodel/toy_hardware.h - Round-number hardware for tests -*- C++ -*-===//
/// \file
/// A fictional device and fabric with round numbers, so that the cost-model tests can derive
/// their expected values by hand in a line or two. Ramps are off (half sizes 0) unless a test
/// turns them on.
//===----------------------------------------------------------------------===//
#pragma once

#include "hwmodel/hardware.h"

namespace moeplan::hw::testing {

inline Hardware ToyHardware() {
  Hardware h;
  h.name = "toy";
  h.description = "round numbers for hand derivations";
  h.device = {"Toy GPU",
              /*bf16=*/1e15,
              /*fp8=*/2e15,
              /*tf32=*/0.5e15,
              /*hbm_bytes=*/int64_t{64} << 30,
              /*hbm_bandwidth=*/2e12,
              /*num_sms=*/100,
              /*l2_bytes=*/int64_t{50} << 20};
  h.node.gpus_per_node = 8;
  h.scale_up = {"toy link", /*bandwidth=*/100e9, /*latency=*/1e-6, /*domain_size=*/8};
  h.scale_out = {"toy nic", /*bandwidth=*/10e9, /*latency=*/10e-6};
  EfficiencyParams& e = h.efficiency;
  e.source = "test";
  e.launch_overhead = 1e-6;
  e.gemm = {/*tile_m=*/128,  /*tile_n=*/128, /*compute=*/0.5,
            /*grouped=*/0.5, /*k_half=*/0.0,
            /*memory=*/1.0};
  e.attention = {/*forward=*/0.5, /*backward=*/0.25, /*seq_half=*/0.0, /*memory=*/1.0};
  e.memory = {/*elementwise=*/1.0, /*norm=*/0.5,
              /*router=*/0.25,     /*permute=*/0.5,
              /*optimizer=*/1.0,   /*half_bandwidth_bytes=*/0.0};
  e.collective = {/*call_overhead=*/5e-6, {1.0, 0.0}, {1.0, 0.0}};
  return h;
}

}  // namespace moeplan::hw::testing
