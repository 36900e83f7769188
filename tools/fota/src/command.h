// SPDX-License-Identifier: Apache-2.0
// Subcommand registry of the `fota` CLI: each cmd_<name>.cc defines a static Registration.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace fota::cli {

// Adds the subcommand to `app`; the callback it installs runs the command and returns the exit
// code through `exit_code`.
using CommandSetup = void (*)(CLI::App& app, int& exit_code);

struct Registration {
  Registration(const char* name, CommandSetup setup);
};

}  // namespace fota::cli
