// SPDX-License-Identifier: Apache-2.0
// The seam between the virtual machine (CPU, memory map, peripherals, time) and the model of ST's
// system-memory bootloader (AN3155). The ROM model is a byte-driven state machine: it never runs
// on the emulated CPU; the machine feeds it the bytes that arrive on USART1 RX while the chip is
// in system-memory boot (BOOT0 high at reset) and gives it this bus to act on the chip.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace vstm32 {

enum class RomVersion : uint8_t { kV3_1, kV9_1 };

// Results of memory operations the ROM performs, as the silicon would answer them.
enum class BusStatus : uint8_t {
  kOk = 0,
  kUnmapped,      // no memory at that address
  kProtected,     // write-protected sector / readout protection
  kProgramError,  // flash controller error flag (PGAERR, PGPERR, PGSERR)
};

// Provided by the machine to the ROM model.
class RomBus {
 public:
  virtual ~RomBus() = default;

  // Simulated time in nanoseconds since power-on.
  virtual uint64_t now_ns() const = 0;

  // Transmit one byte on USART1 TX at simulated time `at_ns` (>= now). The machine models the
  // wire (baud rate, timing mode, bit errors) and delivers it to the pty/host side.
  virtual void uart_transmit(uint8_t byte, uint64_t at_ns) = 0;

  // Memory as the ROM sees it (its own reads: flash, SRAM, system memory, OTP, UID, option bytes).
  virtual BusStatus read(uint32_t address, std::span<uint8_t> out) = 0;
  // Flash programming through the flash controller at the ROM's parallelism (PSIZE = log2 of
  // bytes per access: 0 x8, 1 x16, 2 x32, 3 x64). Returns the simulated ns the operation takes;
  // the bytes land in flash (AND rule) and flash-operation fault injection applies.
  virtual BusStatus program_flash(uint32_t address, std::span<const uint8_t> data, unsigned psize,
                                  uint64_t& duration_ns) = 0;
  virtual BusStatus erase_sector(unsigned sector, unsigned psize, uint64_t& duration_ns) = 0;
  virtual BusStatus mass_erase(unsigned psize, uint64_t& duration_ns) = 0;
  // Plain RAM / OTP / option-byte writes (no flash timing).
  virtual BusStatus write_memory(uint32_t address, std::span<const uint8_t> data) = 0;

  // Option bytes (RDP level byte and nWRP bits) as stored in the chip.
  virtual uint8_t rdp_level_byte() const = 0;  // 0xAA = level 0, 0xCC = level 2, else level 1
  virtual uint16_t nwrp_bits() const = 0;      // bit i = 1: sector i not write-protected
  virtual void set_option_bytes(uint8_t rdp, uint16_t nwrp) = 0;

  // Leave the ROM: Go (jump to `address` with MSP = [address], PC = [address + 4]) or a system
  // reset (after Write Protect / Readout Protect / Unprotect), both at simulated time `at_ns`.
  virtual void go(uint32_t address, uint64_t at_ns) = 0;
  virtual void system_reset(uint64_t at_ns) = 0;
};

}  // namespace vstm32
