// SPDX-License-Identifier: Apache-2.0
// fota: pack, flash, release and run firmware updates for STM32F407 devices.
#include <cstdio>
#include <exception>
#include <map>
#include <string>

#include "command.h"

namespace fota::cli {
namespace {
std::map<std::string, CommandSetup>& registry() {
  static std::map<std::string, CommandSetup> commands;
  return commands;
}
}  // namespace

Registration::Registration(const char* name, CommandSetup setup) {
  registry()[name] = setup;
}

}  // namespace fota::cli

int main(int argc, char** argv) {
  CLI::App app{"fota: safe A/B firmware updates for STM32F407 (see README.md)", "fota"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("fota ") + FOTA_VERSION);
  int exit_code = 0;
  for (auto& [name, setup] : fota::cli::registry()) setup(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fota: error: %s\n", e.what());
    return 1;
  }
  return exit_code;
}
