// SPDX-License-Identifier: Apache-2.0
// Host driver for ST's USART system-memory bootloader (AN3155) as the STM32F40x/41x ROM plays it.
// Portable and freestanding: no heap, fixed buffers, all I/O through port.h. Every exchange has a
// bounded timeout (figures from docs/stm32-facts.md); a NACK, timeout or garbled reply leads to a
// re-sync and a bounded number of retries of the whole command (all commands used here are
// idempotent: Write Memory ANDs the same data again, erase erases again).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "an3155/port.h"
#include "an3155/protocol.h"
#include "status/result.h"

namespace fota::an3155 {

inline constexpr uint8_t kAckByte = protocol::kAck;
inline constexpr uint8_t kNackByte = protocol::kNack;
inline constexpr uint8_t kSyncByte = protocol::kSync;
inline constexpr uint8_t kResyncByte = 0xAA;  // re-sync filler: not an opcode; AA AA is no command
inline constexpr uint16_t kExpectedPid = protocol::kProductId;
inline constexpr size_t kMaxBlock = 256;
inline constexpr uint32_t kParallelismAddress = protocol::kParallelismAddress;

enum class Opcode : uint8_t {
  kGet = protocol::kGet,
  kGetVersion = protocol::kGetVersion,
  kGetId = protocol::kGetId,
  kReadMemory = protocol::kReadMemory,
  kGo = protocol::kGo,
  kWriteMemory = protocol::kWriteMemory,
  kExtendedErase = protocol::kExtendedErase,
  kWriteProtect = protocol::kWriteProtect,
  kWriteUnprotect = protocol::kWriteUnprotect,
  kReadoutProtect = protocol::kReadoutProtect,
};

enum class Status : uint8_t {
  kOk = 0,
  kTimeout,      // the target did not answer in time (after all retries)
  kNack,         // the target refused the command (after all retries)
  kBadReply,     // the target answered something that is neither ACK nor NACK / malformed
  kNoSync,       // 0x7F never got an answer: not in the ROM bootloader, wrong wiring or baud
  kWrongDevice,  // Get ID returned another product ID than 0x413
  kLinkError,    // the port failed (device disappeared, cable pulled)
  kPinError,     // BOOT0/NRST could not be driven
  kBadArgument,  // caller error: misaligned, too long, bad sector
  kProtected,    // Read/Write refused: readout protection is active
};

const char* to_string(Status status);
const char* to_string(Opcode opcode);

// ×8 … ×32 programming/erase width of the ROM (the virtual byte at 0xFFFF'0000).
enum class Parallelism : uint8_t { kX8 = 0, kX16 = 1, kX32 = 3 };

struct Timeouts {
  uint32_t sync_ms = 200;        // 0x7F -> ACK takes ~0.17 ms on silicon; generous for USB
  uint32_t ack_ms = 500;         // ACK to a command or an address (stm32flash: 0.5 s)
  uint32_t write_ms = 1000;      // ACK after a 256-byte block is programmed (stm32flash: 1 s)
  uint32_t read_extra_ms = 500;  // on top of the wire time of the data of a Read Memory
  uint32_t resync_byte_ms = 20;  // per filler byte while re-synchronising
  uint32_t boot_wait_ms = 120;  // after NRST release: ROM start-up is 84.6 ms (V3) / ≤ 90+ ms (V9)
  uint32_t reset_pulse_ms = 10;
  // Final ACK of Write Protect / Write Unprotect / Readout Protect: the ROM programs the option
  // bytes first (no datasheet figure; generous).
  uint32_t option_ms = 2000;
};

// Max erase time of one sector (DS8626 ×8 max, which covers any parallelism) plus 25 %.
uint32_t erase_timeout_ms(unsigned sector);

struct Options {
  uint32_t baud = 115200;
  unsigned sync_attempts = 5;  // 0x7F tries before kNoSync
  unsigned retries = 3;        // extra tries of a command after NACK/timeout/garbage
  Timeouts timeouts{};
  // Write Memory and Read Memory: send opcode, address (and length or data) in one burst and read
  // the ACKs afterwards: two line turnarounds fewer per command. The ROM idles while it takes
  // these bytes (it only drops input while it programs, after the last byte). Checked on vstm32,
  // not yet on silicon. A pipelined command that fails is retried ACK by ACK; after
  // pipeline_fallback_after consecutive bursts that failed before their address was ACKed (what
  // a ROM that cannot take a burst does; noise mostly hits the data) the session goes on ACK by
  // ACK.
  // Data (or a length) holding the opcode pair of a command that changes the chip is only sent
  // once the ROM ACKed the address (see burst_is_harmless()).
  bool pipeline = true;
  unsigned pipeline_fallback_after = 2;
};

struct DeviceInfo {
  uint8_t bootloader_version = 0;  // Get: protocol version (0x31 = 3.1)
  uint8_t option1 = 0, option2 = 0;
  uint16_t pid = 0;
  uint8_t command_count = 0;
  std::array<uint8_t, 16> commands{};
  bool supports(Opcode opcode) const;
};

struct Stats {
  uint32_t retries = 0;
  uint32_t resyncs = 0;
  uint32_t nacks = 0;
  uint32_t timeouts = 0;
  uint64_t bytes_written = 0;
  uint64_t bytes_read = 0;
  uint32_t pipelined = 0;          // commands that went through as one burst
  uint32_t pipeline_failures = 0;  // pipelined attempts that failed (then retried ACK by ACK)
  uint32_t pipeline_unsafe = 0;    // data/length held back until the address ACK (command pair)
};

// True when no byte pair after the first byte of `burst` reads as the opcode pair (x, x ^ 0xFF)
// of a command that writes, erases, protects or leaves the ROM. When a bit error makes the ROM
// NACK a burst early (opcode or address corrupted), it takes the rest of the burst as commands:
// a harmless burst can then only trigger Get/Get Version/Get ID/Read Memory, never, say, Readout
// Unprotect (0x92 0x6D: mass erase) hidden in image data.
bool burst_is_harmless(std::span<const uint8_t> burst);

// Told about every range the driver may change (before the bytes go out), so that a read cache
// can drop what it holds there. size 0 with address 0: everything (the target may have run).
class ChangeObserver {
 public:
  virtual void on_change(uint32_t address, uint32_t size) = 0;

 protected:
  ~ChangeObserver() = default;
};

class Bootloader {
 public:
  Bootloader(ByteLink& link, TargetPins* pins, Clock& clock, const Options& options = {});

  // BOOT0 high, NRST pulse, wait for the ROM, configure 8E1, sync. Needs pins.
  [[nodiscard]] Status enter();
  // Configure 8E1 at options.baud and send 0x7F until ACK (or NACK = already synced).
  [[nodiscard]] Status sync();
  // BOOT0 low, NRST pulse: the target boots from flash. Needs pins.
  [[nodiscard]] Status leave();

  [[nodiscard]] Status get(DeviceInfo& info);
  [[nodiscard]] Status get_version(uint8_t& version);
  [[nodiscard]] Status get_id(uint16_t& pid);
  // Get + Get ID; kWrongDevice when the PID is not 0x413 (info.pid says what was found).
  [[nodiscard]] Status identify(DeviceInfo& info);

  // out.size() 1..256.
  [[nodiscard]] Status read_memory(uint32_t address, std::span<uint8_t> out);
  // data.size() 1..256; address and size multiples of 4 (except the parallelism byte).
  [[nodiscard]] Status write_memory(uint32_t address, std::span<const uint8_t> data);
  // 1..kMaxEraseSectors sector numbers (0..11 on the F407).
  [[nodiscard]] Status extended_erase(std::span<const uint16_t> sectors);
  [[nodiscard]] Status go(uint32_t address);
  [[nodiscard]] Status set_parallelism(Parallelism parallelism);

  // Option-byte commands. Each ends with the ROM resetting the chip (the session is over: call
  // reconnect_after_reset()). Under readout protection they are refused (kProtected).
  // Write Protect: nWRP cleared for `sectors` (1..12 sector numbers 0..11); others unchanged.
  [[nodiscard]] Status write_protect(std::span<const uint8_t> sectors);
  // Write Unprotect: nWRP set for every sector.
  [[nodiscard]] Status write_unprotect();
  // Readout Protect: RDP level 1. From then on the ROM refuses Read/Write Memory, Go, Erase and
  // these commands; only Readout Unprotect (mass erase of the whole flash) undoes it.
  [[nodiscard]] Status readout_protect();
  // After a command that reset the chip (BOOT0 still high): waits for the ROM to start, syncs.
  [[nodiscard]] Status reconnect_after_reset();
  [[nodiscard]] Status read_parallelism(uint8_t& value);

  const Stats& stats() const { return stats_; }
  // The command of the last failure and the raw byte that broke it (for messages).
  Opcode last_opcode() const { return last_opcode_; }
  int last_byte() const { return last_byte_; }
  Options& options() { return options_; }
  bool synced() const { return synced_; }
  // False once pipelining was turned off for this session (or never asked for).
  bool pipelining() const { return options_.pipeline && pipeline_on_; }
  // One observer (or nullptr); see ChangeObserver.
  void set_change_observer(ChangeObserver* observer) { observer_ = observer; }

  static constexpr size_t kMaxEraseSectors = 16;

 private:
  enum class Step : uint8_t { kOk, kNack, kTimeout, kGarbage, kLink };
  using Attempt = Step (Bootloader::*)(const void* args);
  Status run(Opcode opcode, Attempt attempt, const void* args);
  Step send_command(Opcode opcode);
  Step send(std::span<const uint8_t> bytes);
  Step send_address(uint32_t address);
  Step wait_ack(uint32_t timeout_ms);
  Step read_exact(std::span<uint8_t> out, uint32_t timeout_ms);
  Status resync();
  // Resets the target with BOOT0 at `boot0`: ROM (high) or main flash (low).
  Status reset_into(bool boot0);
  uint32_t wire_ms(size_t bytes) const;
  // How many leading bytes of `burst` go out before the first ACK is read: all of them, `head`
  // (opcode and address) when the rest holds a command pair, or 0 (ACK by ACK).
  size_t pipeline_bytes(std::span<const uint8_t> burst, size_t head);
  void changed(uint32_t address, uint32_t size);

  Step attempt_get(const void* args);
  Step attempt_get_version(const void* args);
  Step attempt_get_id(const void* args);
  Step attempt_read(const void* args);
  Step attempt_write(const void* args);
  Step attempt_erase(const void* args);
  Step attempt_go(const void* args);
  Step attempt_write_protect(const void* args);
  Step attempt_option_command(const void* args);
  Status option_command(Opcode opcode, Attempt attempt, const void* args);

  ByteLink& link_;
  TargetPins* pins_;
  Clock& clock_;
  Options options_;
  Stats stats_{};
  bool synced_ = false;
  Opcode last_opcode_ = Opcode::kGet;
  int last_byte_ = -1;
  unsigned opcode_nacks_ = 0;  // NACKs to the opcode itself during the current command
  bool pipeline_on_ = true;    // cleared after options_.pipeline_fallback_after failures in a row
  unsigned pipeline_failed_in_row_ = 0;
  bool ack_by_ack_ = false;         // set for the retries of a command whose burst failed
  bool attempt_pipelined_ = false;  // the current attempt went out as one burst
  bool burst_head_acked_ = false;   // ... and the ROM ACKed its opcode and address
  ChangeObserver* observer_ = nullptr;
};

}  // namespace fota::an3155
