// SPDX-License-Identifier: Apache-2.0
// Subcommand registry of the `fota` CLI: each cmd_<name>.cc defines a static Registration.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>

namespace fota::cli {

// Adds the subcommand to `app`; the callback it installs runs the command and returns the exit
// code through `exit_code`.
using CommandSetup = void (*)(CLI::App& app, int& exit_code);

struct Registration {
  Registration(const char* name, CommandSetup setup);
};

// A subcommand and the options its flags fill in (they live as long as the parse).
template <typename Options>
struct Command {
  CLI::App* cmd;
  std::shared_ptr<Options> options;
};

// Adds the subcommand `name`; its callback runs `run` on the parsed options (and the subcommand,
// for a run that asks which flags were given) and returns the exit code through `exit_code`.
template <typename Options, typename Run>
Command<Options> add_command(CLI::App& app, const char* name, const std::string& description,
                             int& exit_code, Run run) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->callback([cmd, options, run, &exit_code] {
    if constexpr (std::is_invocable_v<Run, Options&, const CLI::App&>) {
      exit_code = run(*options, *cmd);
    } else {
      (void)cmd;
      exit_code = run(*options);
    }
  });
  return {cmd, options};
}

struct ConnectionOptions;  // rom_connection.h
void add_connection_options(CLI::App& cmd, ConnectionOptions& options);

// A subcommand that talks to one device: add_command plus --port, --pins and --baud into
// Options::connection.
template <typename Options, typename Run>
Command<Options> add_device_command(CLI::App& app, const char* name, const std::string& description,
                                    int& exit_code, Run run) {
  Command<Options> made = add_command<Options>(app, name, description, exit_code, run);
  add_connection_options(*made.cmd, made.options->connection);
  return made;
}

// Environment defaults of the flags: $name when it is set and not empty, else `fallback`.
inline std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::move(fallback);
}

// The flag's value when given, else $name ("" when neither is set).
inline std::string flag_or_env(const std::string& given, const char* name) {
  return given.empty() ? env_or(name, "") : given;
}

}  // namespace fota::cli
