// SPDX-License-Identifier: Apache-2.0
// The `vstm32 run` event loop: USART1 on a pty (and TCP), the control socket, and the simulated
// clock, either fast (skips every wait) or realistic (paced to the wall clock).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include "device.h"

namespace vstm32::cli {

struct RunOptions {
  std::filesystem::path uart_link;  // empty: no pty
  std::filesystem::path uart_log;   // empty: none; else USART1 TX bytes appended as they leave
  int tcp_port = -1;                // -1: none, 0: any free port
  bool realistic = false;
  std::filesystem::path control_socket;  // empty: none
  double ber = 0.0;
  uint64_t ber_seed = 1;
  uint32_t default_baud = 115200;  // TCP clients and a pty whose rate is unknown
  bool baud_given = false;         // --baud was given: TCP clients run at exactly that rate
  // USART2..6 (index 2..6): a pty symlink path, or "tcp:PORT" (0: any free port); empty: none.
  std::array<std::string, 7> uart_endpoints;
  // I2C1's external master: "tcp:PORT" (0: any free port; vstm32/i2c_bus.h framing); empty: none.
  std::string i2c1_endpoint;
  uint32_t i2c_speed_hz = 400'000;
  // GDB remote serial protocol on 127.0.0.1:PORT (0: any free port, -1: none). The core stays
  // halted at its reset vector until a debugger attaches and continues.
  int gdb_port = -1;
};

// Runs until `quit` on the control socket, SIGINT or SIGTERM; saves the flash. Returns the exit
// status; errors go to stderr.
int run_device(Device& device, const RunOptions& options);

}  // namespace vstm32::cli
