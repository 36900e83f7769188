// SPDX-License-Identifier: Apache-2.0
// Model of ST's USART system-memory bootloader of the STM32F40x/41x (AN3155, AN2606: PID 0x413,
// protocol 0x31, ROM V3.1 or V9.1). It never runs on the emulated CPU: the machine feeds it the
// bytes that arrive on USART1 RX while the chip boots from system memory, and it acts on the chip
// through RomBus (rom_bus.h): answers on USART1 TX at a simulated time, reads memory, programs
// and erases flash at the ROM's parallelism, changes option bytes, jumps (Go) or resets.
//
// Protocol facts: docs/stm32-facts.md; what is modelled and what is not:
// docs/vstm32.md ("ROM bootloader"). Usage by the machine:
//   RomBootloader rom(bus, RomVersion::kV9_1);
//   rom.reset(bus.now_ns());                 // every reset with BOOT0 high (and BOOT1 low)
//   rom.on_rx_byte(byte, rx_done_ns);        // each byte received on USART1 (stop bit time)
//   ... until bus.go() or bus.system_reset() was called (active() turns false).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "an3155/protocol.h"
#include "vstm32/rom_bus.h"

namespace vstm32 {

namespace rom {

// Wire constants and opcodes: shared with the host driver (an3155/protocol.h).
namespace protocol = fota::an3155::protocol;
using protocol::kAck;
using protocol::kNack;
using protocol::kProductId;
using protocol::kProtocolVersion;
using protocol::kSync;

// The opcodes as sent (each followed by its complement).
using protocol::kExtendedErase;
using protocol::kGet;
using protocol::kGetId;
using protocol::kGetVersion;
using protocol::kGo;
using protocol::kReadMemory;
using protocol::kReadoutProtect;
using protocol::kReadoutUnprotect;
using protocol::kWriteMemory;
using protocol::kWriteProtect;
using protocol::kWriteUnprotect;

// Memory the ROM accepts (docs/stm32-facts.md). Inclusive start, exclusive end.
inline constexpr uint32_t kFlashBegin = 0x0800'0000;
inline constexpr uint32_t kFlashEnd = 0x0810'0000;
inline constexpr uint32_t kSramBegin = 0x2000'0000;
inline constexpr uint32_t kSramEnd = 0x2002'0000;  // SRAM1 112 KB + SRAM2 16 KB
inline constexpr uint32_t kSystemMemoryBegin = 0x1FFF'0000;
inline constexpr uint32_t kSystemMemoryEnd = 0x1FFF'7800;
inline constexpr uint32_t kOtpBegin = 0x1FFF'7800;
inline constexpr uint32_t kOtpEnd = 0x1FFF'7A10;
inline constexpr uint32_t kUniqueIdBegin = 0x1FFF'7A10;
inline constexpr uint32_t kUniqueIdEnd = 0x1FFF'7A1C;
inline constexpr uint32_t kFlashSizeRegBegin = 0x1FFF'7A22;
inline constexpr uint32_t kFlashSizeRegEnd = 0x1FFF'7A24;
inline constexpr uint32_t kOptionBytesBegin = 0x1FFF'C000;
inline constexpr uint32_t kOptionBytesEnd = 0x1FFF'C010;
// The virtual parallelism byte (plus three bytes that must stay 0xFF).
inline constexpr uint32_t kParallelismAddress = protocol::kParallelismAddress;
inline constexpr uint32_t kParallelismEnd = 0xFFFF'0004;

// RAM the ROM keeps for itself from 0x2000'0000: writes and Go below the limit are refused.
constexpr uint32_t reserved_ram_end(RomVersion version) {
  return version == RomVersion::kV3_1 ? 0x2000'2000 : 0x2000'3000;
}
// Byte at 0x1FFF'77DE that names the ROM version.
constexpr uint8_t version_id_byte(RomVersion version) {
  return version == RomVersion::kV3_1 ? 0x31 : 0x91;
}

// Timing (simulated ns). Datasheet/AN2606 figures where they exist; the rest are our choices,
// marked as such and documented in docs/vstm32.md.
// AN2606: V3.x is ready 84.6 ms after reset; V9.x needs 74 ms plus HSE probing (up to 96 ms; our
// choice: 16 ms, the Discovery board has an 8 MHz crystal), so a host waiting 100 ms syncs on both.
inline constexpr uint64_t kStartupV3_1Ns = 84'600'000;
inline constexpr uint64_t kStartupV9_1Ns = 74'000'000 + 16'000'000;
inline constexpr uint64_t kSyncAckLatencyNs = 170'000;  // 0x7F end -> ACK start (~0.17 ms)
inline constexpr uint64_t kTurnaroundNs = 10'000;       // our choice: ROM reaction to a byte
// Our choice (no datasheet figure): option-byte programming before the ROM resets the chip.
inline constexpr uint64_t kOptionProgramNs = 20'000'000;

constexpr uint64_t startup_ns(RomVersion version) {
  return version == RomVersion::kV3_1 ? kStartupV3_1Ns : kStartupV9_1Ns;
}

}  // namespace rom

class RomBootloader {
 public:
  enum class State : uint8_t {
    kOff,        // not in system-memory boot (before reset(), after Go / system reset)
    kStarting,   // after reset, before the ROM listens (bytes are lost)
    kWaitSync,   // listening for 0x7F; other bytes are ignored
    kCommand,    // synced, waiting for an opcode
    kInCommand,  // collecting the bytes of a command
    kDisabled,   // RDP level 2: the ROM never answers
  };

  // Counters for tests, the control socket and the docs' figures.
  struct Stats {
    uint32_t syncs = 0;
    uint32_t acks = 0;
    uint32_t nacks = 0;
    uint32_t commands = 0;       // commands that completed with a final ACK
    uint32_t bytes_ignored = 0;  // before start-up or before sync
    uint32_t bytes_overrun = 0;  // lost because the ROM was busy and RX already held a byte
    uint64_t bytes_written = 0;  // Write Memory payload bytes accepted
    uint64_t bytes_read = 0;     // Read Memory bytes sent
    uint32_t sectors_erased = 0;
  };

  // One line per finished command, e.g. "write 0x08020000 256 ack" (for the events stream).
  using TraceFn = std::function<void(uint64_t at_ns, const std::string& line)>;

  RomBootloader(RomBus& bus, RomVersion version);

  // The chip left reset into system memory at `now_ns`: forget any sync, parallelism back to x8,
  // listen for 0x7F after the start-up delay. RDP level 2 leaves the ROM silent.
  void reset(uint64_t now_ns);
  // The ROM is no longer in control (Go, a reset it caused, or power off without a new reset()).
  void stop() { state_ = State::kOff; }

  // A byte received on USART1 RX, `now_ns` = time its stop bit ended. While a flash operation is
  // in progress USART RX holds one byte; further bytes are lost (overrun), as on silicon.
  void on_rx_byte(uint8_t byte, uint64_t now_ns);

  void set_trace(TraceFn trace) { trace_ = std::move(trace); }
  // What Get ID answers (0x413 for the F40x/41x); another value lets tests check host refusals.
  void set_product_id(uint16_t pid) { product_id_ = pid; }

  [[nodiscard]] bool active() const { return state_ != State::kOff && state_ != State::kDisabled; }
  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] RomVersion version() const { return version_; }
  [[nodiscard]] uint64_t ready_at_ns() const { return ready_at_ns_; }
  // The ROM is busy (programming / erasing) until this time; answers are scheduled after it.
  [[nodiscard]] uint64_t busy_until_ns() const { return busy_until_ns_; }
  // Current value of the virtual byte at 0xFFFF'0000 (0x00 x8 ... 0x04 x64).
  [[nodiscard]] uint8_t parallelism_byte() const { return parallelism_; }
  // PSIZE the ROM programs and erases with (0 x8, 1 x16, 2 x32, 3 x64).
  [[nodiscard]] unsigned psize() const;
  [[nodiscard]] const Stats& stats() const { return stats_; }

 private:
  enum class Phase : uint8_t {
    kOpcodeComplement,
    kAddress,       // 4 address bytes + XOR
    kReadLength,    // N-1 and its complement
    kWriteLength,   // N-1
    kWriteData,     // N data bytes + XOR
    kEraseCount,    // 2 bytes
    kEraseSectors,  // 2 bytes per sector, then XOR
    kEraseSpecialChecksum,
    kWpCount,    // N-1
    kWpSectors,  // N sector bytes + XOR
  };

  void handle(uint8_t byte, uint64_t t_ns);
  void start_command(uint8_t opcode, uint64_t t_ns);
  // AN3155's counted lists (Write Memory data, Write Protect sectors): N - 1, N bytes, the XOR
  // checksum. begin_list takes N - 1; take_list_byte is true once the checksum byte is in.
  void begin_list(uint8_t count_byte, Phase next);
  bool take_list_byte(uint8_t byte);
  void finish_address(uint64_t t_ns);
  void finish_read_length(uint8_t n_minus_1, uint8_t complement, uint64_t t_ns);
  void finish_write(uint64_t t_ns);
  void finish_erase(uint64_t t_ns);
  void finish_write_protect(uint64_t t_ns);

  // Sends `byte` at `t_ns` (bytes sent at the same time leave one after the other on the wire).
  void send(uint8_t byte, uint64_t t_ns);
  void ack(uint64_t t_ns);
  void nack(uint64_t t_ns);
  void fail(uint64_t t_ns, const char* why);
  void trace(uint64_t t_ns, const std::string& line);
  // A command's final ACK at `ack_ns`: counted, traced (`line`), back to waiting for a command.
  void complete(uint64_t ack_ns, uint64_t t_ns, const std::string& line);
  // The same for the commands after which the ROM resets the chip (option bytes written).
  void complete_and_reset(uint64_t ack_ns, uint64_t t_ns, const std::string& line);
  [[nodiscard]] bool readout_protected() const;
  void reset_chip(uint64_t t_ns);

  RomBus& bus_;
  RomVersion version_;
  TraceFn trace_;
  State state_ = State::kOff;
  Phase phase_ = Phase::kOpcodeComplement;
  uint64_t ready_at_ns_ = 0;
  uint64_t busy_until_ns_ = 0;
  uint64_t held_until_ns_ = 0;  // a byte waits in USART DR until then (ROM busy)
  uint8_t parallelism_ = 0x00;
  uint16_t product_id_ = rom::kProductId;
  uint8_t opcode_ = 0;
  uint8_t xor_ = 0;
  uint32_t address_ = 0;
  unsigned count_ = 0;       // bytes collected in the current phase
  unsigned expected_ = 0;    // bytes the current phase needs
  unsigned erase_code_ = 0;  // 0xFFF0..0xFFFF: special Extended Erase, else 0
  bool erase_list_ok_ = true;
  uint8_t sector_hi_ = 0;
  std::array<uint8_t, 512> buffer_{};
  Stats stats_;
};

const char* to_string(RomBootloader::State state);

}  // namespace vstm32
