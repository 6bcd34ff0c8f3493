//===- tests/cli/cli_runner.h - Run the moeplan binary in tests --*- C++ -*-===//
/// \file
/// Runs the built `moeplan` (path from the MOEPLAN_BINARY compile definition) through the shell
/// and captures its exit status, stdout and stderr, for end-to-end tests of the CLI contract:
/// bad input gives one "moeplan: error: ..." line on stderr and exit status 2.
//===----------------------------------------------------------------------===//
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace moeplan::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// Runs `moeplan <args>` (args are passed to the shell as written).
inline CliResult RunMoeplan(const std::string& args) {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path();
  const auto out_path =
      dir / ("moeplan_cli_out_" + std::to_string(::getpid()) + "_" + std::to_string(counter));
  const auto err_path =
      dir / ("moeplan_cli_err_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  const std::string command = std::string(MOEPLAN_BINARY) + " " + args + " >" + out_path.string() +
                              " 2>" + err_path.string() + " </dev/null";
  const int status = std::system(command.c_str());
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadWholeFile(out_path);
  result.err = ReadWholeFile(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return result;
}

}  // namespace moeplan::testing
