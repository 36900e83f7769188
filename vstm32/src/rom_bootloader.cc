// SPDX-License-Identifier: Apache-2.0
#include "vstm32/rom_bootloader.h"

#include <algorithm>
#include <cstdio>
#include <span>
#include <string>

#include "format/hex.h"

namespace vstm32 {
namespace {

using fota::hex32;

using namespace rom;

constexpr unsigned kSectorCount = 12;
constexpr unsigned kMaxEraseList = 256;  // sector numbers the ROM buffers (only 0..11 are valid)

// The memory areas the ROM distinguishes.
enum class Area : uint8_t {
  kNone,
  kFlash,
  kSram,
  kSramReserved,
  kSystemMemory,
  kOtp,
  kUniqueId,
  kFlashSize,
  kOptionBytes,
  kParallelism,
};

struct AreaInfo {
  Area area;
  uint32_t begin;
  uint32_t end;
};

AreaInfo area_of(uint32_t address, RomVersion version) {
  const uint32_t reserve = reserved_ram_end(version);
  const AreaInfo areas[] = {
      {Area::kFlash, kFlashBegin, kFlashEnd},
      {Area::kSramReserved, kSramBegin, reserve},
      {Area::kSram, reserve, kSramEnd},
      {Area::kSystemMemory, kSystemMemoryBegin, kSystemMemoryEnd},
      {Area::kOtp, kOtpBegin, kOtpEnd},
      {Area::kUniqueId, kUniqueIdBegin, kUniqueIdEnd},
      {Area::kFlashSize, kFlashSizeRegBegin, kFlashSizeRegEnd},
      {Area::kOptionBytes, kOptionBytesBegin, kOptionBytesEnd},
      {Area::kParallelism, kParallelismAddress, kParallelismEnd},
  };
  for (const AreaInfo& info : areas) {
    if (address >= info.begin && address < info.end) return info;
  }
  return {Area::kNone, 0, 0};
}

// [address, address + length) inside the area that holds `address`.
bool fits(const AreaInfo& info, uint32_t address, uint32_t length) {
  return info.area != Area::kNone && static_cast<uint64_t>(address) + length <= info.end;
}

bool writable(const AreaInfo& info, uint32_t address) {
  switch (info.area) {
    case Area::kFlash:
    case Area::kSram:
    case Area::kOtp: return address % 4 == 0;
    // Option bytes are rewritten as a whole; the parallelism byte is one byte.
    case Area::kOptionBytes: return address == kOptionBytesBegin;
    case Area::kParallelism: return address == kParallelismAddress;
    default: return false;
  }
}

bool go_target(const AreaInfo& info, uint32_t address) {
  return (info.area == Area::kFlash || info.area == Area::kSram) && address % 4 == 0;
}

// Under readout protection the ROM runs only Get, Get Version, Get ID and Readout Unprotect
// (AN3155); it refuses the others. Returns the refused command's name, or nullptr.
const char* refused_when_protected(uint8_t opcode) {
  switch (opcode) {
    case kReadMemory: return "read";
    case kWriteMemory: return "write";
    case kGo: return "go";
    case kExtendedErase: return "erase";
    case kWriteProtect: return "write-protect";
    case kWriteUnprotect: return "write-unprotect";
    case kReadoutProtect: return "readout-protect";
    default: return nullptr;
  }
}

}  // namespace

const char* to_string(RomBootloader::State state) {
  switch (state) {
    case RomBootloader::State::kOff: return "off";
    case RomBootloader::State::kStarting: return "starting";
    case RomBootloader::State::kWaitSync: return "wait-sync";
    case RomBootloader::State::kCommand: return "command";
    case RomBootloader::State::kInCommand: return "in-command";
    case RomBootloader::State::kDisabled: return "disabled";
  }
  return "?";
}

RomBootloader::RomBootloader(RomBus& bus, RomVersion version) : bus_(bus), version_(version) {}

void RomBootloader::reset(uint64_t now_ns) {
  parallelism_ = 0x00;
  busy_until_ns_ = now_ns;
  held_until_ns_ = 0;
  ready_at_ns_ = now_ns + startup_ns(version_);
  // RDP level 2 disables every debug and boot interface, the ROM included.
  state_ = bus_.rdp_level_byte() == 0xCC ? State::kDisabled : State::kStarting;
}

unsigned RomBootloader::psize() const {
  switch (parallelism_) {
    case 0x00: return 0;
    case 0x01:
    case 0x02: return 1;
    case 0x03: return 2;
    case 0x04: return 3;
    default: return 0;
  }
}

bool RomBootloader::readout_protected() const {
  return bus_.rdp_level_byte() != 0xAA;
}

void RomBootloader::send(uint8_t byte, uint64_t t_ns) {
  bus_.uart_transmit(byte, t_ns);
}

void RomBootloader::ack(uint64_t t_ns) {
  ++stats_.acks;
  send(kAck, t_ns);
}

void RomBootloader::nack(uint64_t t_ns) {
  ++stats_.nacks;
  send(kNack, t_ns);
}

void RomBootloader::trace(uint64_t t_ns, const std::string& line) {
  if (trace_) trace_(t_ns, line);
}

void RomBootloader::complete(uint64_t ack_ns, uint64_t t_ns, const std::string& line) {
  ack(ack_ns);
  ++stats_.commands;
  trace(t_ns, line);
  state_ = State::kCommand;
}

void RomBootloader::complete_and_reset(uint64_t ack_ns, uint64_t t_ns, const std::string& line) {
  ack(ack_ns);
  ++stats_.commands;
  trace(t_ns, line);
  reset_chip(ack_ns);
}

void RomBootloader::fail(uint64_t t_ns, const char* why) {
  nack(t_ns + kTurnaroundNs);
  trace(t_ns, std::string("rom: nack: ") + why);
  state_ = State::kCommand;
}

void RomBootloader::reset_chip(uint64_t t_ns) {
  state_ = State::kOff;
  bus_.system_reset(t_ns);
}

void RomBootloader::on_rx_byte(uint8_t byte, uint64_t now_ns) {
  switch (state_) {
    case State::kOff:
    case State::kDisabled: ++stats_.bytes_ignored; return;
    case State::kStarting:
      if (now_ns < ready_at_ns_) {
        ++stats_.bytes_ignored;  // the ROM has not enabled its interfaces yet
        return;
      }
      state_ = State::kWaitSync;
      break;
    default: break;
  }
  // USART DR holds one byte while the ROM waits on the flash controller; a byte completing
  // while DR is still full is lost (ORE).
  if (now_ns < held_until_ns_) {
    ++stats_.bytes_overrun;
    return;
  }
  uint64_t t_ns = now_ns;
  if (busy_until_ns_ > now_ns) {
    t_ns = busy_until_ns_;
    held_until_ns_ = busy_until_ns_;
  }
  handle(byte, t_ns);
}

void RomBootloader::handle(uint8_t byte, uint64_t t_ns) {
  if (state_ == State::kWaitSync) {
    // The ROM measures the 0x7F start bit and first data bits to find the baud rate; anything
    // else does not look like the sync pattern and is skipped.
    if (byte != kSync) {
      ++stats_.bytes_ignored;
      return;
    }
    ++stats_.syncs;
    ack(t_ns + kSyncAckLatencyNs);
    trace(t_ns, "rom: sync ack");
    state_ = State::kCommand;
    return;
  }
  if (state_ == State::kCommand) {
    // Every command is opcode + complement; a second 0x7F is just a bad command (0x7F 0x7F ->
    // NACK), which is how stm32flash detects an already synced ROM.
    opcode_ = byte;
    phase_ = Phase::kOpcodeComplement;
    state_ = State::kInCommand;
    return;
  }
  // kInCommand
  switch (phase_) {
    case Phase::kOpcodeComplement:
      if (static_cast<uint8_t>(opcode_ ^ byte) != 0xFF) {
        fail(t_ns, "bad command complement");
        return;
      }
      start_command(opcode_, t_ns);
      return;
    case Phase::kAddress:
      buffer_[count_++] = byte;
      if (count_ < 5) return;
      finish_address(t_ns);
      return;
    case Phase::kReadLength:
      buffer_[count_++] = byte;
      if (count_ < 2) return;
      finish_read_length(buffer_[0], buffer_[1], t_ns);
      return;
    case Phase::kWriteLength: begin_list(byte, Phase::kWriteData); return;
    case Phase::kWriteData:
      if (take_list_byte(byte)) finish_write(t_ns);
      return;
    case Phase::kEraseCount:
      buffer_[count_++] = byte;
      xor_ ^= byte;
      if (count_ < 2) return;
      {
        const unsigned code = static_cast<unsigned>(buffer_[0]) << 8 | buffer_[1];
        if (code >= 0xFFF0) {
          erase_code_ = code;
          phase_ = Phase::kEraseSpecialChecksum;
          return;
        }
        erase_code_ = 0;
        expected_ = (code + 1) * 2;
        count_ = 0;
        erase_list_ok_ = true;
        phase_ = Phase::kEraseSectors;
      }
      return;
    case Phase::kEraseSectors:
      if (count_ < expected_) {
        if (count_ % 2 == 0) {
          sector_hi_ = byte;
        } else {
          const unsigned index = count_ / 2;
          const unsigned sector = static_cast<unsigned>(sector_hi_) << 8 | byte;
          if (index < kMaxEraseList && sector < kSectorCount) {
            buffer_[index] = static_cast<uint8_t>(sector);
          } else {
            erase_list_ok_ = false;
          }
        }
        ++count_;
        xor_ ^= byte;
        return;
      }
      xor_ ^= byte;
      finish_erase(t_ns);
      return;
    case Phase::kEraseSpecialChecksum:
      xor_ ^= byte;
      finish_erase(t_ns);
      return;
    case Phase::kWpCount: begin_list(byte, Phase::kWpSectors); return;
    case Phase::kWpSectors:
      if (take_list_byte(byte)) finish_write_protect(t_ns);
      return;
  }
}

void RomBootloader::begin_list(uint8_t count_byte, Phase next) {
  xor_ = count_byte;
  expected_ = static_cast<unsigned>(count_byte) + 1;
  count_ = 0;
  phase_ = next;
}

bool RomBootloader::take_list_byte(uint8_t byte) {
  xor_ ^= byte;
  if (count_ < expected_) {
    buffer_[count_++] = byte;
    return false;
  }
  return true;  // the checksum byte
}

void RomBootloader::start_command(uint8_t opcode, uint64_t t_ns) {
  const uint64_t at = t_ns + kTurnaroundNs;
  count_ = 0;
  xor_ = 0;
  if (readout_protected()) {
    if (const char* name = refused_when_protected(opcode)) {
      // AN3155 on the F40x V3.1 ROM: Read and Write Memory under readout protection answer two
      // NACKs, the other refused commands one.
      nack(at);
      if (version_ == RomVersion::kV3_1 && (opcode == kReadMemory || opcode == kWriteMemory)) {
        nack(at);
      }
      trace(t_ns, std::string("rom: ") + name + " nack: readout protected");
      state_ = State::kCommand;
      return;
    }
  }
  // A command that goes on with more bytes: ACK it and wait for them.
  auto expect = [&](Phase next) {
    ack(at);
    phase_ = next;
  };
  switch (opcode) {
    case kGet: {
      ack(at);
      const uint8_t reply[] = {0x0B,
                               kProtocolVersion,
                               kGet,
                               kGetVersion,
                               kGetId,
                               kReadMemory,
                               kGo,
                               kWriteMemory,
                               kExtendedErase,
                               kWriteProtect,
                               kWriteUnprotect,
                               kReadoutProtect,
                               kReadoutUnprotect};
      for (uint8_t b : reply) send(b, at);
      complete(at, t_ns, "rom: get ack");
      return;
    }
    case kGetVersion:
      ack(at);
      send(kProtocolVersion, at);
      send(0x00, at);  // option bytes (legacy fields, always 0)
      send(0x00, at);
      complete(at, t_ns, "rom: get-version ack");
      return;
    case kGetId:
      ack(at);
      send(0x01, at);  // N = number of bytes - 1
      send(static_cast<uint8_t>(product_id_ >> 8), at);
      send(static_cast<uint8_t>(product_id_ & 0xFF), at);
      complete(at, t_ns, "rom: get-id ack");
      return;
    case kReadMemory:
    case kWriteMemory:
    case kGo: return expect(Phase::kAddress);
    case kExtendedErase: return expect(Phase::kEraseCount);
    case kWriteProtect: return expect(Phase::kWpCount);
    case kWriteUnprotect: {
      ack(at);
      bus_.set_option_bytes(bus_.rdp_level_byte(), 0x0FFF);
      complete_and_reset(at + kOptionProgramNs, t_ns, "rom: write-unprotect ack, reset");
      return;
    }
    case kReadoutProtect: {
      ack(at);
      bus_.set_option_bytes(0x55, bus_.nwrp_bits());  // any value but 0xAA/0xCC is level 1
      complete_and_reset(at + kOptionProgramNs, t_ns, "rom: readout-protect ack, reset");
      return;
    }
    case kReadoutUnprotect: {
      // Leaving level 1 mass-erases the whole flash, write-protected sectors included (the RDP
      // regression erases before nWRP applies; nWRP itself is kept). RDP goes back to level 0
      // only when the erase completed: a power cut during it leaves level 1.
      ack(at);
      uint64_t erase_ns = 0;
      const uint16_t nwrp = bus_.nwrp_bits();
      bus_.set_option_bytes(bus_.rdp_level_byte(), 0x0FFF);
      const BusStatus status = bus_.mass_erase(psize(), erase_ns);
      bus_.set_option_bytes(status == BusStatus::kOk ? 0xAA : bus_.rdp_level_byte(), nwrp);
      const uint64_t done = at + erase_ns + kOptionProgramNs;
      busy_until_ns_ = done;
      if (status != BusStatus::kOk) {
        nack(done);
        trace(t_ns, "rom: readout-unprotect nack: mass erase failed");
      } else {
        ack(done);
        ++stats_.commands;
        trace(t_ns, "rom: readout-unprotect ack, reset");
      }
      reset_chip(done);
      return;
    }
    default: {
      char why[40];
      std::snprintf(why, sizeof why, "unknown command 0x%02X", opcode);
      fail(t_ns, why);
      return;
    }
  }
}

void RomBootloader::finish_address(uint64_t t_ns) {
  const uint8_t checksum = buffer_[0] ^ buffer_[1] ^ buffer_[2] ^ buffer_[3];
  if (checksum != buffer_[4]) return fail(t_ns, "bad address checksum");
  address_ = static_cast<uint32_t>(buffer_[0]) << 24 | static_cast<uint32_t>(buffer_[1]) << 16 |
             static_cast<uint32_t>(buffer_[2]) << 8 | buffer_[3];
  const AreaInfo info = area_of(address_, version_);
  const uint64_t at = t_ns + kTurnaroundNs;
  count_ = 0;
  // Each command's own check of the address; the ROM NACKs what it refuses.
  bool accepted = false;
  const char* refusal = "";
  switch (opcode_) {
    case kReadMemory:
      accepted = info.area != Area::kNone;
      refusal = "read: bad address ";
      break;
    case kWriteMemory:
      accepted = writable(info, address_);
      refusal = "write: bad or misaligned address ";
      break;
    case kGo:
      accepted = go_target(info, address_);
      refusal = "go: bad address ";
      break;
    default: return fail(t_ns, "internal: address phase");
  }
  if (!accepted) return fail(t_ns, (refusal + hex32(address_)).c_str());
  ack(at);
  if (opcode_ == kReadMemory) {
    phase_ = Phase::kReadLength;
  } else if (opcode_ == kWriteMemory) {
    phase_ = Phase::kWriteLength;
  } else {
    ++stats_.commands;
    trace(t_ns, "rom: go " + hex32(address_) + " ack");
    state_ = State::kOff;
    bus_.go(address_, at);
  }
}

void RomBootloader::finish_read_length(uint8_t n_minus_1, uint8_t complement, uint64_t t_ns) {
  if (static_cast<uint8_t>(n_minus_1 ^ complement) != 0xFF) {
    return fail(t_ns, "read: bad length complement");
  }
  const uint32_t length = static_cast<uint32_t>(n_minus_1) + 1;
  const AreaInfo info = area_of(address_, version_);
  if (!fits(info, address_, length)) {
    return fail(t_ns, ("read: " + hex32(address_) + "+" + std::to_string(length) +
                       " leaves the memory area")
                          .c_str());
  }
  std::span<uint8_t> data(buffer_.data(), length);
  if (info.area == Area::kParallelism) {
    for (uint32_t i = 0; i < length; ++i) {
      const uint32_t offset = address_ - kParallelismAddress + i;
      data[i] = offset == 0 ? parallelism_ : 0xFF;
    }
  } else if (bus_.read(address_, data) != BusStatus::kOk) {
    return fail(t_ns, ("read: bus error at " + hex32(address_)).c_str());
  }
  const uint64_t at = t_ns + kTurnaroundNs;
  ack(at);
  for (uint8_t b : data) send(b, at);
  stats_.bytes_read += length;
  ++stats_.commands;
  trace(t_ns, "rom: read " + hex32(address_) + " " + std::to_string(length) + " ack");
  state_ = State::kCommand;
}

void RomBootloader::finish_write(uint64_t t_ns) {
  if (xor_ != 0) return fail(t_ns, "write: bad checksum");
  const uint32_t length = expected_;
  const AreaInfo info = area_of(address_, version_);
  const std::span<const uint8_t> data(buffer_.data(), length);
  const uint64_t at = t_ns + kTurnaroundNs;
  std::string what = "rom: write " + hex32(address_) + " " + std::to_string(length);

  if (info.area == Area::kParallelism) {
    // 0x00 x8, 0x01/0x02 x16, 0x03 x32, 0x04 x64 (Vpp); the three bytes after it stay 0xFF.
    if (data[0] > 0x04) return fail(t_ns, "write: bad parallelism value");
    for (uint32_t i = 1; i < length; ++i) {
      if (data[i] != 0xFF)
        return fail(t_ns, "write: bytes after the parallelism byte must be 0xFF");
    }
    if (!fits(info, address_, length)) return fail(t_ns, "write: parallelism byte is 1-4 bytes");
    parallelism_ = data[0];
    complete(at, t_ns, what + " ack (parallelism)");
    return;
  }
  if (length % 4 != 0) return fail(t_ns, "write: length not a multiple of 4");
  if (!fits(info, address_, length)) return fail(t_ns, "write: data leaves the memory area");

  uint64_t ack_ns = at;
  switch (info.area) {
    case Area::kFlash: {
      uint64_t duration_ns = 0;
      const BusStatus status = bus_.program_flash(address_, data, psize(), duration_ns);
      const uint64_t done = at + duration_ns;
      busy_until_ns_ = done;
      if (status != BusStatus::kOk) {
        nack(done);
        trace(t_ns, what + (status == BusStatus::kProtected ? " nack: write-protected"
                                                            : " nack: program error"));
        state_ = State::kCommand;
        return;
      }
      ack_ns = done;
      break;
    }
    case Area::kSram:
    case Area::kOtp:
      if (bus_.write_memory(address_, data) != BusStatus::kOk) {
        return fail(t_ns, "write: memory refused the write");
      }
      break;
    case Area::kOptionBytes: {
      // Byte 0 USER, byte 1 RDP, bytes 8-9 nWRP (RM0090 option byte organisation); the ROM
      // programs them and resets so they take effect.
      const uint8_t rdp = length >= 2 ? data[1] : bus_.rdp_level_byte();
      const uint16_t nwrp = length >= 10 ? static_cast<uint16_t>((data[8] | data[9] << 8) & 0x0FFF)
                                         : bus_.nwrp_bits();
      bus_.set_option_bytes(rdp, nwrp);
      stats_.bytes_written += length;
      complete_and_reset(at + kOptionProgramNs, t_ns, what + " ack (option bytes), reset");
      return;
    }
    default: return fail(t_ns, "write: area not writable");
  }
  stats_.bytes_written += length;
  complete(ack_ns, t_ns, what + " ack");
}

void RomBootloader::finish_erase(uint64_t t_ns) {
  if (xor_ != 0) return fail(t_ns, "erase: bad checksum");
  const uint64_t at = t_ns + kTurnaroundNs;
  if (erase_code_ == 0xFFFF) {
    uint64_t duration_ns = 0;
    const BusStatus status = bus_.mass_erase(psize(), duration_ns);
    const uint64_t done = at + duration_ns;
    busy_until_ns_ = done;
    if (status != BusStatus::kOk) {
      nack(done);
      trace(t_ns, "rom: mass erase nack");
      state_ = State::kCommand;
      return;
    }
    stats_.sectors_erased += kSectorCount;
    complete(done, t_ns, "rom: mass erase ack");
    return;
  }
  if (erase_code_ != 0) {
    // 0xFFFE / 0xFFFD are bank erases (dual-bank parts); 0xFFF0-0xFFFC are reserved.
    return fail(t_ns, "erase: bank or reserved erase code on a single-bank device");
  }
  const unsigned sectors = expected_ / 2;
  if (!erase_list_ok_ || sectors > kMaxEraseList) return fail(t_ns, "erase: bad sector number");
  uint64_t total_ns = 0;
  std::string list;
  BusStatus status = BusStatus::kOk;
  for (unsigned i = 0; i < sectors && status == BusStatus::kOk; ++i) {
    uint64_t duration_ns = 0;
    status = bus_.erase_sector(buffer_[i], psize(), duration_ns);
    total_ns += duration_ns;
    if (status == BusStatus::kOk) ++stats_.sectors_erased;
    list += (list.empty() ? "" : ",") + std::to_string(buffer_[i]);
  }
  const uint64_t done = at + total_ns;
  busy_until_ns_ = done;
  if (status != BusStatus::kOk) {
    nack(done);
    trace(t_ns, "rom: erase " + list + " nack");
    state_ = State::kCommand;
    return;
  }
  complete(done, t_ns, "rom: erase " + list + " ack");
}

void RomBootloader::finish_write_protect(uint64_t t_ns) {
  if (xor_ != 0) return fail(t_ns, "write-protect: bad checksum");
  uint16_t nwrp = bus_.nwrp_bits();
  for (unsigned i = 0; i < expected_; ++i) {
    if (buffer_[i] >= kSectorCount) return fail(t_ns, "write-protect: bad sector number");
    nwrp = static_cast<uint16_t>(nwrp & ~(1u << buffer_[i]));
  }
  bus_.set_option_bytes(bus_.rdp_level_byte(), nwrp);
  complete_and_reset(t_ns + kTurnaroundNs + kOptionProgramNs, t_ns,
                     "rom: write-protect ack, reset");
}

}  // namespace vstm32
