// SPDX-License-Identifier: Apache-2.0
// vstm32: a virtual STM32F407 for testing firmware and update pipelines. See docs/vstm32.md.
#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
#include <iostream>

#include "device.h"
#include "flash_image.h"
#include "runner.h"
#include "vstm32/control.h"

namespace {

fota::Expected<std::array<uint8_t, 12>> parse_uid(const std::string& hex) {
  if (hex.size() != 24 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return fota::fail("--uid must be 24 hex digits (96 bits, byte at 0x1FFF7A10 first), got '" +
                      hex + "'");
  }
  std::array<uint8_t, 12> out{};
  for (size_t i = 0; i < 12; ++i) {
    out[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
  return out;
}

bool parse_address(const std::string& text, uint32_t& out) {
  try {
    size_t used = 0;
    const unsigned long long v = std::stoull(text, &used, 0);
    if (used != text.size() || v > 0xFFFF'FFFFull) return false;
    out = static_cast<uint32_t>(v);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "vstm32: a virtual STM32F407 running your firmware (Cortex-M4 CPU, flash controller, USART1 "
      "on a "
      "pty, ROM bootloader, control socket, power cuts)"};
  app.require_subcommand(1);

  // run
  auto* run = app.add_subcommand("run", "Run the virtual STM32F407 on a flash image file");
  std::string flash, uart, control, timing = "fast", rom_version = "v9.1", uid_hex;
  int tcp_port = -1;
  bool boot0 = false;
  double ber = 0.0;
  uint64_t ber_seed = 1;
  uint32_t baud = 115200;
  run->add_option("--flash", flash, "1 MB flash image file (persisted)")->required();
  run->add_flag("--boot0", boot0, "BOOT0 high at power-on: start the ROM bootloader");
  run->add_option("--uart", uart, "Path of the symlink to USART1's pseudo-terminal");
  std::string uart_log;
  run->add_option("--uart-log", uart_log,
                  "Append what USART1 transmits to this file (the console, for logs and tests)");
  run->add_option("--tcp", tcp_port, "Also serve USART1 on 127.0.0.1:PORT (0: any free port)")
      ->check(CLI::Range(0, 65535));
  run->add_option("--timing", timing, "fast (no waiting) or realistic (wall-clock paced)")
      ->check(CLI::IsMember({"fast", "realistic"}));
  run->add_option("--control", control, "Path of the control socket (Unix stream)");
  run->add_option("--rom", rom_version, "ROM bootloader version: v3.1 or v9.1")
      ->check(CLI::IsMember({"v3.1", "v9.1"}));
  run->add_option("--uid", uid_hex, "96-bit unique ID as 24 hex digits");
  run->add_option("--ber", ber, "UART bit-error rate per bit (0..1)")->check(CLI::Range(0.0, 1.0));
  run->add_option("--ber-seed", ber_seed, "Seed of the bit-error generator");
  auto* baud_option =
      run->add_option("--baud", baud, "Line rate for TCP clients (a pty reports its own)");
  std::array<std::string, 7> uart_endpoints;
  for (unsigned n = 2; n <= 6; ++n) {
    run->add_option("--uart" + std::to_string(n), uart_endpoints[n],
                    std::string(n == 4 || n == 5 ? "UART" : "USART") + std::to_string(n) +
                        ": PATH of a pty symlink, or tcp:PORT on 127.0.0.1 (0: any free port)");
  }
  std::string i2c1;
  uint32_t i2c_speed_hz = 400'000;
  run->add_option("--i2c1", i2c1,
                  "I2C1's bus: tcp:PORT on 127.0.0.1 (0: any free port) for an external master "
                  "(docs/vstm32.md)");
  run->add_option("--i2c-speed", i2c_speed_hz, "SCL rate of that master in Hz")
      ->check(CLI::IsMember({100'000u, 400'000u}));
  std::string product_id = "0x413";
  uint64_t seed = 1;
  run->add_option(
      "--product-id", product_id,
      "What the ROM's Get ID answers (default 0x413, the F40x/41x); to test host checks");
  bool cycle_model = true;
  run->add_flag("--cycle-model,!--no-cycle-model", cycle_model,
                "Simulated time from Cortex-M4 cycle costs and flash wait states (the default); "
                "--no-cycle-model: one cycle per instruction");
  int gdb_port = -1;
  run->add_option("--gdb", gdb_port,
                  "GDB remote protocol on 127.0.0.1:PORT (0: any free port); the core waits "
                  "halted at reset until the debugger continues")
      ->check(CLI::Range(0, 65535));
  run->add_option("--seed", seed, "Seed of torn flash states and random power cuts");

  // flash-image
  auto* image = app.add_subcommand("flash-image", "Create, fill and inspect flash image files");
  image->require_subcommand(1);
  std::string image_file, input, at;
  bool force = false;
  auto* create = image->add_subcommand("create", "Create an erased (0xFF) 1 MB image");
  create->add_option("FILE", image_file)->required();
  create->add_flag("--force", force, "Overwrite an existing file");
  auto* place = image->add_subcommand("place", "Place a .bin (--at), .elf or slot .img");
  place->add_option("FILE", image_file)->required();
  place->add_option("INPUT", input, "bootloader/app .bin or .elf, or a slot .img")->required();
  place->add_option("--at", at, "Flash address, e.g. 0x08000000");
  auto* inspect = image->add_subcommand("inspect", "Sectors, slot headers, metadata log");
  inspect->add_option("FILE", image_file)->required();

  // ctl
  auto* ctl = app.add_subcommand("ctl", "Send one command to a running vstm32's control socket");
  std::string ctl_socket;
  std::vector<std::string> ctl_words;
  ctl->add_option("--control", ctl_socket, "Control socket path")->required();
  ctl->add_option("COMMAND", ctl_words, "e.g. boot0 1 | reset | events | status")->required();

  CLI11_PARSE(app, argc, argv);

  if (run->parsed()) {
    vstm32::MachineConfig config;
    config.flash_file = flash;
    config.boot0 = boot0;
    config.seed = seed;
    config.cycle_model = cycle_model;
    config.rom_version =
        rom_version == "v3.1" ? vstm32::RomVersion::kV3_1 : vstm32::RomVersion::kV9_1;
    if (!uid_hex.empty()) {
      const auto uid = parse_uid(uid_hex);
      if (!uid) {
        std::fprintf(stderr, "vstm32: error: %s\n", uid.error().c_str());
        return 2;
      }
      config.unique_id = *uid;
    }
    uint32_t pid = 0;
    if (!parse_address(product_id, pid) || pid > 0xFFFF) {
      std::fprintf(stderr, "vstm32: error: --product-id '%s' is not a 16-bit number\n",
                   product_id.c_str());
      return 2;
    }
    config.product_id = static_cast<uint16_t>(pid);
    if (uart.empty() && tcp_port < 0) {
      std::fprintf(stderr, "vstm32: note: no --uart or --tcp: USART1 is not reachable\n");
    }
    auto device = vstm32::cli::make_machine_device(config);
    if (!device) {
      std::fprintf(stderr, "vstm32: error: %s\n", device.error().c_str());
      return 1;
    }
    vstm32::cli::RunOptions options;
    options.uart_link = uart;
    options.uart_log = uart_log;
    options.tcp_port = tcp_port;
    options.realistic = timing == "realistic";
    options.control_socket = control;
    options.ber = ber;
    options.ber_seed = ber_seed;
    options.default_baud = baud;
    options.baud_given = baud_option->count() > 0;
    options.uart_endpoints = uart_endpoints;
    options.i2c1_endpoint = i2c1;
    options.i2c_speed_hz = i2c_speed_hz;
    options.gdb_port = gdb_port;
    return vstm32::cli::run_device(**device, options);
  }
  if (create->parsed()) return vstm32::cli::flash_image_create(image_file, force);
  if (place->parsed()) {
    std::optional<uint32_t> address;
    if (!at.empty()) {
      uint32_t a = 0;
      if (!parse_address(at, a)) {
        std::fprintf(stderr, "vstm32: error: --at '%s' is not an address\n", at.c_str());
        return 2;
      }
      address = a;
    }
    return vstm32::cli::flash_image_place(image_file, input, address);
  }
  if (inspect->parsed()) return vstm32::cli::flash_image_inspect(image_file);
  if (ctl->parsed()) {
    std::string command;
    for (const std::string& w : ctl_words) command += (command.empty() ? "" : " ") + w;
    const auto reply = vstm32::control_request(ctl_socket, command, 60'000);
    if (!reply) {
      std::fprintf(stderr, "vstm32: error: %s\n", reply.error().c_str());
      return 1;
    }
    const std::vector<std::string>& lines = *reply;
    for (const std::string& l : lines) std::printf("%s\n", l.c_str());
    return !lines.empty() && lines.back().rfind("error", 0) == 0 ? 1 : 0;
  }
  return 0;
}
