//===- tests/allocation_counter.h - Count heap allocations ------*- C++ -*-===//
/// \file
/// Hot paths that sweeps call millions of times must not touch the heap. Tests and benchmarks
/// check that by reading AllocationCount() before and after a call. Including this header
/// REPLACES the global operator new/delete of the executable, so include it in exactly one
/// translation unit of each test or benchmark executable.
//===----------------------------------------------------------------------===//
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace moeplan::testing {

inline std::atomic<int64_t> g_allocation_count{0};

/// Heap allocations made through operator new so far in this process.
inline int64_t AllocationCount() {
  return g_allocation_count.load(std::memory_order_relaxed);
}

}  // namespace moeplan::testing

void* operator new(std::size_t size) {
  moeplan::testing::g_allocation_count.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
