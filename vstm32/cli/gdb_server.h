// SPDX-License-Identifier: Apache-2.0
// The GDB remote serial protocol for `vstm32 run --gdb PORT`: one debugger on 127.0.0.1 at a
// time, registers of a Cortex-M4F (target description XML), memory, breakpoints, step, continue,
// Ctrl-C and `monitor reset`. The runner owns the event loop: it polls fds() and calls service();
// the target (the machine) halts and resumes through DebugTarget.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
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
  // Data watchpoints of GDB's types 2 (write), 3 (read), 4 (access).
  virtual void add_watchpoint(uint32_t address, uint32_t length, int type) = 0;
  virtual void remove_watchpoint(uint32_t address, uint32_t length, int type) = 0;
  // The stop take_stop() reported was a watchpoint: its type and the data address.
  struct WatchStop {
    int type;
    uint32_t address;
  };
  [[nodiscard]] virtual std::optional<WatchStop> take_watch() = 0;
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
  void write_raw(std::string_view bytes);
  void stop_reply(int signal);
  std::string read_registers() const;
  std::string query(std::string_view packet);

  std::unique_ptr<TcpPort> port_;
  DebugTarget& target_;
  // Bytes without a packet end beyond this are line noise (PacketSize is 0x4000).
  static constexpr size_t kMaxPacketBytes = 2 * 0x4000;
  std::string input_;
  std::string last_frame_;  // sent again when the debugger answers '-'
  bool no_ack_ = false;
  bool waiting_for_stop_ = false;  // c/s sent: a stop reply is owed
  bool was_attached_ = false;
};

}  // namespace vstm32::cli
