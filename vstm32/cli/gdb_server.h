// SPDX-License-Identifier: Apache-2.0
// The GDB remote serial protocol for `vstm32 run --gdb PORT`: one debugger on 127.0.0.1 at a
// time, registers of a Cortex-M4F (target description XML), memory, breakpoints, step, continue,
// Ctrl-C and `monitor reset`. The runner owns the event loop: it polls fds() and calls service();
// the target (the machine) halts and resumes through DebugTarget.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vstm32/serial.h"

namespace vstm32::cli {

// What the GDB server needs of the machine. Register numbers are the server's (see
// gdb_server.cc): r0-r12, sp, lr, pc, xpsr, d0-d15, fpscr, msp, psp, primask, basepri,
// faultmask, control.
class DebugTarget {
 public:
  virtual ~DebugTarget() = default;
  [[nodiscard]] virtual bool halted() const = 0;
  virtual void halt() = 0;
  virtual void resume() = 0;  // continue (past a breakpoint at PC)
  virtual void step() = 0;    // one instruction, stays halted
  // The running target stopped at a breakpoint since the last call.
  [[nodiscard]] virtual bool take_stop() = 0;
  [[nodiscard]] virtual uint64_t read_register(unsigned n) const = 0;
  virtual void write_register(unsigned n, uint64_t value) = 0;
  [[nodiscard]] virtual bool read_memory(uint32_t address, uint8_t& byte) = 0;
  [[nodiscard]] virtual bool write_memory(uint32_t address, uint8_t byte) = 0;
  virtual void add_breakpoint(uint32_t address) = 0;
  virtual void remove_breakpoint(uint32_t address) = 0;
  virtual void reset() = 0;  // a system reset; the target stays halted at the reset vector
};

class GdbServer {
 public:
  GdbServer(std::unique_ptr<TcpPort> port, DebugTarget& target);
  [[nodiscard]] uint16_t port() const { return port_->port(); }
  [[nodiscard]] std::vector<int> fds() const;
  // Accepts a debugger, reads and answers its packets, reports a stop of the running target.
  void service();
  [[nodiscard]] bool attached() const { return port_->client_fd() >= 0; }

 private:
  void handle(std::string_view packet);
  void reply(std::string_view payload);
  void stop_reply(int signal);
  std::string read_registers() const;
  std::string query(std::string_view packet);

  std::unique_ptr<TcpPort> port_;
  DebugTarget& target_;
  std::string input_;
  bool no_ack_ = false;
  bool waiting_for_stop_ = false;  // c/s sent: a stop reply is owed
  bool was_attached_ = false;
};

}  // namespace vstm32::cli
