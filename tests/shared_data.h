//===- tests/shared_data.h - Locate ../shared/data for tests ----*- C++ -*-===//
/// \file
/// Public reference data lives outside the project (../shared/data, CMake cache variable
/// MOEPLAN_SHARED_DATA_DIR). Tests that need it call SKIP_WITHOUT_SHARED_DATA() first, which skips
/// them with a message when the folder is absent.
//===----------------------------------------------------------------------===//
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

namespace moeplan::testing {

inline std::filesystem::path SharedDataDir() {
  return MOEPLAN_SHARED_DATA_DIR;
}

inline bool HaveSharedData() {
  return std::filesystem::is_directory(SharedDataDir());
}

}  // namespace moeplan::testing

#define SKIP_WITHOUT_SHARED_DATA()                                                                 \
  do {                                                                                             \
    if (!::moeplan::testing::HaveSharedData()) {                                                   \
      GTEST_SKIP() << "shared reference data not found at " << ::moeplan::testing::SharedDataDir() \
                   << " (set -DMOEPLAN_SHARED_DATA_DIR=...); skipping";                            \
    }                                                                                              \
  } while (0)
