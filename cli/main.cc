//===- cli/main.cc - The moeplan command-line driver ----------------------===//
/// \file
/// Parses the command line with CLI11, dispatches to one subcommand and maps every failure to
/// "moeplan: error: ..." and exit status 2. Subcommands own no logic a library should own.
#include <exception>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace moeplan::cli;
  CLI::App app{
      "moeplan: choose, lay out and size Mixture-of-Experts models for a GPU fleet and budget"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "moeplan 0.1.0");
  CommandBody run;
  for (CommandRegistrar registrar :
       {&RegisterEvalCommand, &RegisterFitCommand, &RegisterFitPhasesCommand,
        &RegisterDesignCommand, &RegisterRecommendCommand, &RegisterProfileCommand,
        &RegisterCalibrateCommand, &RegisterSimCommand, &RegisterPlanCommand, &RegisterSweepCommand,
        &RegisterValidateCommand}) {
    registrar(app, run);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "moeplan: error: " << e.what() << "\n(run 'moeplan --help' for usage)\n";
    return kExitBadInput;
  }
  if (!run) {
    std::cout << app.help();
    return 0;
  }
  try {
    return run();
  } catch (const std::exception& e) {
    // Library code reports bad input through Result; reaching here is a bug, not bad input.
    std::cerr << "moeplan: internal error: " << e.what() << "\n";
    return 70;
  }
}
