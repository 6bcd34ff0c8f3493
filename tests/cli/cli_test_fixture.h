//===- tests/cli/cli_test_fixture.h - Scratch folder for CLI tests -*- C++ -*-===//
/// \file
/// The fixture every end-to-end CLI test shares: a fresh scratch folder per test (named by the
/// suite, the test and the process, so parallel ctest runs never collide), a helper that writes
/// input files into it, and the check of the CLI's error contract.
//===----------------------------------------------------------------------===//
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/cli/cli_runner.h"

namespace moeplan::testing {

class CliScratchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("moeplan_cli_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
            std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Writes `content` to `name` inside the scratch folder; returns its path.
  std::filesystem::path Write(const std::string& name, const std::string& content) const {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path) << content;
    return path;
  }

  /// Bad input: exit status 2, exactly one line on stderr starting with the tool name and
  /// containing `fragment`, nothing on stdout.
  static void ExpectOneLineError(const CliResult& r, const std::string& fragment) {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err.rfind("moeplan: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }

  std::filesystem::path dir_;
};

}  // namespace moeplan::testing
