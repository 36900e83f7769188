// SPDX-License-Identifier: Apache-2.0
#include "an3155/an3155.h"

#include "format/flash_map.h"

namespace fota::an3155 {

const char* to_string(Status status) {
  switch (status) {
    case Status::kOk: return "ok";
    case Status::kTimeout: return "the target did not answer in time";
    case Status::kNack: return "the target refused the command (NACK)";
    case Status::kBadReply: return "the target sent an unexpected reply";
    case Status::kNoSync:
      return "no answer to 0x7F: not in the ROM bootloader (BOOT0/NRST wiring, baud?)";
    case Status::kWrongDevice: return "unexpected product ID (not an STM32F40x/41x, PID 0x413)";
    case Status::kLinkError: return "serial link failed (port closed or device unplugged)";
    case Status::kPinError: return "could not drive BOOT0/NRST";
    case Status::kBadArgument: return "bad argument (alignment, length or sector)";
    case Status::kProtected: return "read/write refused: readout protection is active";
  }
  return "unknown status";
}

const char* to_string(Opcode opcode) {
  switch (opcode) {
    case Opcode::kGet: return "Get";
    case Opcode::kGetVersion: return "Get Version";
    case Opcode::kGetId: return "Get ID";
    case Opcode::kReadMemory: return "Read Memory";
    case Opcode::kGo: return "Go";
    case Opcode::kWriteMemory: return "Write Memory";
    case Opcode::kExtendedErase: return "Extended Erase";
    case Opcode::kWriteProtect: return "Write Protect";
    case Opcode::kWriteUnprotect: return "Write Unprotect";
    case Opcode::kReadoutProtect: return "Readout Protect";
  }
  return "?";
}

uint32_t erase_timeout_ms(unsigned sector) {
  if (sector >= flash_map::kSectorCount) return 5000;
  // DS8626 max at x8: 16 KB 800 ms, 64 KB 2400 ms, 128 KB 4 s.
  const uint32_t size = flash_map::kSectors[sector].size;
  const uint32_t max_ms = size <= 16 * 1024 ? 800 : size <= 64 * 1024 ? 2400 : 4000;
  return max_ms + max_ms / 4;
}

bool DeviceInfo::supports(Opcode opcode) const {
  for (unsigned i = 0; i < command_count && i < commands.size(); ++i) {
    if (commands[i] == static_cast<uint8_t>(opcode)) return true;
  }
  return false;
}

namespace {
// Opcodes of every AN3155 command (all products and versions) that writes, erases, changes
// protection or leaves the ROM: Go, Write Memory (+ no-stretch), Erase, Extended Erase
// (+ no-stretch), Special, Extended Special, Write Protect/Unprotect, Readout Protect/Unprotect
// (each + no-stretch). Get, Get Version, Get ID and Read Memory only make the ROM talk.
bool changes_chip(uint8_t opcode) {
  switch (opcode) {
    case 0x21:
    case 0x31:
    case 0x32:
    case 0x43:
    case 0x44:
    case 0x45:
    case 0x50:
    case 0x51:
    case 0x63:
    case 0x64:
    case 0x73:
    case 0x74:
    case 0x82:
    case 0x83:
    case 0x92:
    case 0x93: return true;
    default: return false;
  }
}

// Opcode pair, 4 address bytes big-endian, XOR checksum: 7 bytes at `out`.
size_t put_command_and_address(uint8_t* out, Opcode opcode, uint32_t address) {
  const uint8_t code = static_cast<uint8_t>(opcode);
  out[0] = code;
  out[1] = static_cast<uint8_t>(code ^ 0xFF);
  out[2] = static_cast<uint8_t>(address >> 24);
  out[3] = static_cast<uint8_t>(address >> 16);
  out[4] = static_cast<uint8_t>(address >> 8);
  out[5] = static_cast<uint8_t>(address);
  out[6] = out[2] ^ out[3] ^ out[4] ^ out[5];
  return 7;
}
}  // namespace

bool burst_is_harmless(std::span<const uint8_t> burst) {
  for (size_t i = 1; i + 1 < burst.size(); ++i) {
    if (burst[i + 1] == static_cast<uint8_t>(burst[i] ^ 0xFF) && changes_chip(burst[i])) {
      return false;
    }
  }
  return true;
}

Bootloader::Bootloader(ByteLink& link, TargetPins* pins, Clock& clock, const Options& options)
    : link_(link), pins_(pins), clock_(clock), options_(options) {}

void Bootloader::changed(uint32_t address, uint32_t size) {
  if (observer_ != nullptr) observer_->on_change(address, size);
}

size_t Bootloader::pipeline_bytes(std::span<const uint8_t> burst, size_t head) {
  attempt_pipelined_ = false;
  if (!options_.pipeline || !pipeline_on_ || ack_by_ack_) return 0;
  if (burst_is_harmless(burst)) {
    attempt_pipelined_ = true;
    return burst.size();
  }
  // The tail holds a command pair: it goes out only once the ROM ACKed the address.
  ++stats_.pipeline_unsafe;
  if (!burst_is_harmless(burst.first(head))) return 0;
  attempt_pipelined_ = true;
  return head;
}

uint32_t Bootloader::wire_ms(size_t bytes) const {
  // 11 bits per 8E1 byte; rounded up.
  const uint64_t bits = static_cast<uint64_t>(bytes) * 11u * 1000u;
  const uint32_t baud = options_.baud ? options_.baud : 115200;
  return static_cast<uint32_t>((bits + baud - 1) / baud);
}

Bootloader::Step Bootloader::send(std::span<const uint8_t> bytes) {
  if (link_.write(bytes) != PortStatus::kOk) return Step::kLink;
  stats_.bytes_written += bytes.size();
  return Step::kOk;
}

Bootloader::Step Bootloader::read_exact(std::span<uint8_t> out, uint32_t timeout_ms) {
  size_t got = 0;
  const PortStatus status = link_.read(out, timeout_ms + wire_ms(out.size()), got);
  stats_.bytes_read += got;
  if (status == PortStatus::kOk && got == out.size()) return Step::kOk;
  if (status == PortStatus::kTimeout) return Step::kTimeout;
  return Step::kLink;
}

Bootloader::Step Bootloader::wait_ack(uint32_t timeout_ms) {
  uint8_t byte = 0;
  FOTA_TRY(read_exact({&byte, 1}, timeout_ms));
  last_byte_ = byte;
  if (byte == kAckByte) return Step::kOk;
  if (byte == kNackByte) return Step::kNack;
  return Step::kGarbage;
}

Bootloader::Step Bootloader::send_command(Opcode opcode) {
  const uint8_t code = static_cast<uint8_t>(opcode);
  const uint8_t bytes[2] = {code, static_cast<uint8_t>(code ^ 0xFF)};
  FOTA_TRY(send(bytes));
  const Step ack = wait_ack(options_.timeouts.ack_ms);
  if (ack == Step::kNack) ++opcode_nacks_;
  return ack;
}

Bootloader::Step Bootloader::send_address(uint32_t address) {
  uint8_t bytes[5] = {static_cast<uint8_t>(address >> 24), static_cast<uint8_t>(address >> 16),
                      static_cast<uint8_t>(address >> 8), static_cast<uint8_t>(address), 0};
  bytes[4] = bytes[0] ^ bytes[1] ^ bytes[2] ^ bytes[3];
  FOTA_TRY(send(bytes));
  return wait_ack(options_.timeouts.ack_ms);
}

Status Bootloader::sync() {
  if (!synced_) changed(0, 0);  // a fresh ROM session: the target may have run meanwhile
  if (link_.configure(options_.baud, Parity::kEven) != PortStatus::kOk) return Status::kLinkError;
  for (unsigned i = 0; i < options_.sync_attempts; ++i) {
    if (link_.flush_input() != PortStatus::kOk) return Status::kLinkError;
    const uint8_t byte = kSyncByte;
    if (send({&byte, 1}) != Step::kOk) return Status::kLinkError;
    const Step step = wait_ack(options_.timeouts.sync_ms);
    if (step == Step::kLink) return Status::kLinkError;
    // NACK: the ROM was already synced and took 0x7F as an opcode. It now waits for the
    // complement; the next command's first byte completes that pair and gets a NACK, so clean up
    // with a re-sync that ends on a known idle state.
    if (step == Step::kOk) {
      synced_ = true;
      return Status::kOk;
    }
    if (step == Step::kNack) {
      synced_ = true;
      return resync();
    }
    if (step == Step::kGarbage) ++stats_.retries;
    if (step == Step::kTimeout) ++stats_.timeouts;
  }
  return Status::kNoSync;
}

// Brings a synced ROM that may be in the middle of a command (or one byte out of step after a
// lost byte) back to "waiting for an opcode": single 0xAA bytes complete whatever frame it waits
// for; the first NACK means the ROM has just finished a frame and is idle. Then the alignment is
// proven: one 0xAA alone must get no answer (the ROM waits for its complement), a second one a
// NACK (AA AA is no command). A pattern of pairs cannot do that: it NACKs in both alignments
// (and stm32flash's FF 00 reads as Get, 00 FF, once one byte is lost).
// A ROM that never answers is not synced (e.g. it was reset): try 0x7F.
Status Bootloader::resync() {
  ++stats_.resyncs;
  constexpr unsigned kMaxBytes = 300;  // > a 256-byte write frame (N-1, data, checksum)
  const uint8_t filler = kResyncByte;
  const uint32_t wait_ms = options_.timeouts.resync_byte_ms;
  for (unsigned i = 0; i < kMaxBytes; ++i) {
    if (send({&filler, 1}) != Step::kOk) return Status::kLinkError;
    const Step step = wait_ack(wait_ms);
    if (step == Step::kLink) return Status::kLinkError;
    if (step == Step::kTimeout) continue;
    if (step != Step::kNack) {
      // The tail of a reply we gave up on: let it finish, drop it, go on.
      clock_.delay_ms(wait_ms);
      if (link_.flush_input() != PortStatus::kOk) return Status::kLinkError;
      continue;
    }
    if (link_.flush_input() != PortStatus::kOk) return Status::kLinkError;
    if (send({&filler, 1}) != Step::kOk) return Status::kLinkError;
    const Step first = wait_ack(wait_ms);
    if (first == Step::kLink) return Status::kLinkError;
    if (first != Step::kTimeout) continue;
    if (send({&filler, 1}) != Step::kOk) return Status::kLinkError;
    const Step second = wait_ack(wait_ms);
    if (second == Step::kLink) return Status::kLinkError;
    if (second == Step::kNack) {
      synced_ = true;
      return Status::kOk;
    }
  }
  // Nothing answered: not synced (e.g. the target was reset). Sync from scratch.
  synced_ = false;
  const uint32_t saved = options_.sync_attempts;
  options_.sync_attempts = 2;
  const Status status = sync();
  options_.sync_attempts = saved;
  return status;
}

Status Bootloader::run(Opcode opcode, Attempt attempt, const void* args) {
  last_opcode_ = opcode;
  opcode_nacks_ = 0;
  ack_by_ack_ = false;
  Step step = Step::kOk;
  for (unsigned i = 0; i <= options_.retries; ++i) {
    if (i > 0) {
      ++stats_.retries;
      const Status status = resync();
      if (status == Status::kLinkError) return status;
      if (status != Status::kOk) return status;
    }
    last_byte_ = -1;
    attempt_pipelined_ = false;
    burst_head_acked_ = false;
    step = (this->*attempt)(args);
    if (attempt_pipelined_ && step == Step::kOk) {
      ++stats_.pipelined;
      pipeline_failed_in_row_ = 0;
    } else if (attempt_pipelined_ && step != Step::kLink) {
      // NACK, timeout or garbage after a burst: a bit error, or a ROM that drops bytes it gets
      // while it answers. The retries of this command go ACK by ACK. A ROM that cannot take a
      // burst fails before the address is ACKed; noise mostly hits the data (the final ACK) and
      // says nothing about pipelining. Bursts failing that early twice in a row end pipelining
      // for the session.
      ++stats_.pipeline_failures;
      ack_by_ack_ = true;
      if (!burst_head_acked_ && ++pipeline_failed_in_row_ >= options_.pipeline_fallback_after) {
        pipeline_on_ = false;
      }
    }
    switch (step) {
      case Step::kOk: return Status::kOk;
      case Step::kLink: return Status::kLinkError;
      case Step::kNack: ++stats_.nacks; break;
      case Step::kTimeout: ++stats_.timeouts; break;
      case Step::kGarbage: break;
    }
  }
  switch (step) {
    case Step::kNack: return Status::kNack;
    case Step::kTimeout: return Status::kTimeout;
    default: return Status::kBadReply;
  }
}

namespace {
struct ReadArgs {
  uint32_t address;
  std::span<uint8_t> out;
};
struct WriteArgs {
  uint32_t address;
  std::span<const uint8_t> data;
};
}  // namespace

Bootloader::Step Bootloader::attempt_get(const void* args) {
  auto& info = *static_cast<DeviceInfo*>(const_cast<void*>(args));
  FOTA_TRY(send_command(Opcode::kGet));
  uint8_t head[2];
  FOTA_TRY(read_exact(head, options_.timeouts.ack_ms));
  const uint8_t count = head[0];  // number of bytes that follow minus 1 (version + opcodes)
  if (count == 0 || count > info.commands.size()) return Step::kGarbage;
  info.bootloader_version = head[1];
  info.command_count = count;
  FOTA_TRY(read_exact({info.commands.data(), count}, options_.timeouts.ack_ms));
  return wait_ack(options_.timeouts.ack_ms);
}

Bootloader::Step Bootloader::attempt_get_version(const void* args) {
  auto& info = *static_cast<DeviceInfo*>(const_cast<void*>(args));
  FOTA_TRY(send_command(Opcode::kGetVersion));
  uint8_t bytes[3];
  FOTA_TRY(read_exact(bytes, options_.timeouts.ack_ms));
  info.bootloader_version = bytes[0];
  info.option1 = bytes[1];
  info.option2 = bytes[2];
  return wait_ack(options_.timeouts.ack_ms);
}

Bootloader::Step Bootloader::attempt_get_id(const void* args) {
  auto& info = *static_cast<DeviceInfo*>(const_cast<void*>(args));
  FOTA_TRY(send_command(Opcode::kGetId));
  uint8_t count = 0;
  FOTA_TRY(read_exact({&count, 1}, options_.timeouts.ack_ms));
  if (count != 1) return Step::kGarbage;  // F4: two PID bytes (count = N-1 = 1)
  uint8_t pid[2];
  FOTA_TRY(read_exact(pid, options_.timeouts.ack_ms));
  info.pid = static_cast<uint16_t>(pid[0] << 8 | pid[1]);
  return wait_ack(options_.timeouts.ack_ms);
}

Bootloader::Step Bootloader::attempt_read(const void* args) {
  const auto& a = *static_cast<const ReadArgs*>(args);
  uint8_t burst[7 + 2];
  put_command_and_address(burst, Opcode::kReadMemory, a.address);
  const uint8_t n = static_cast<uint8_t>(a.out.size() - 1);
  burst[7] = n;
  burst[8] = static_cast<uint8_t>(n ^ 0xFF);
  const uint32_t ack_ms = options_.timeouts.ack_ms;
  if (const size_t piped = pipeline_bytes(burst, 7); piped > 0) {
    // Opcode, address (and length) in one burst; each ACK may wait for the bytes before it.
    FOTA_TRY(send({burst, piped}));
    const Step step = wait_ack(ack_ms);
    if (step == Step::kNack) ++opcode_nacks_;
    FOTA_TRY(step);
    FOTA_TRY(wait_ack(ack_ms + wire_ms(5)));
    burst_head_acked_ = true;
    if (piped < sizeof burst) FOTA_TRY(send({burst + piped, 2}));
    FOTA_TRY(wait_ack(ack_ms + wire_ms(2)));
  } else {
    FOTA_TRY(send_command(Opcode::kReadMemory));
    FOTA_TRY(send_address(a.address));
    FOTA_TRY(send({burst + 7, 2}));
    FOTA_TRY(wait_ack(ack_ms));
  }
  return read_exact(a.out, options_.timeouts.read_extra_ms);
}

Bootloader::Step Bootloader::attempt_write(const void* args) {
  const auto& a = *static_cast<const WriteArgs*>(args);
  uint8_t burst[7 + 1 + kMaxBlock + 1];
  size_t len = put_command_and_address(burst, Opcode::kWriteMemory, a.address);
  const uint8_t n = static_cast<uint8_t>(a.data.size() - 1);
  burst[len++] = n;
  uint8_t checksum = n;
  for (uint8_t byte : a.data) {
    burst[len++] = byte;
    checksum ^= byte;
  }
  burst[len++] = checksum;
  const std::span<const uint8_t> frame(burst + 7, len - 7);  // N-1, data, checksum
  // The final ACK comes once the frame is on the wire and programmed.
  const uint32_t program_ms = options_.timeouts.write_ms + wire_ms(frame.size());
  changed(a.address, static_cast<uint32_t>(a.data.size()));
  if (const size_t piped = pipeline_bytes({burst, len}, 7); piped > 0) {
    // Opcode, address and data in one burst; the three ACKs are read afterwards. Only the
    // final ACK gates the next command (the ROM drops input while it programs). Data holding a
    // command pair waits for the address ACK.
    FOTA_TRY(send({burst, piped}));
    const Step step = wait_ack(options_.timeouts.ack_ms);
    if (step == Step::kNack) ++opcode_nacks_;
    FOTA_TRY(step);
    FOTA_TRY(wait_ack(options_.timeouts.ack_ms + wire_ms(5)));
    burst_head_acked_ = true;
    if (piped < len) FOTA_TRY(send(frame));
    return wait_ack(program_ms);
  }
  FOTA_TRY(send_command(Opcode::kWriteMemory));
  FOTA_TRY(send_address(a.address));
  // One write for the frame (fewer syscalls, no gaps on the wire).
  FOTA_TRY(send(frame));
  return wait_ack(program_ms);
}

Bootloader::Step Bootloader::attempt_erase(const void* args) {
  const auto& sectors = *static_cast<const std::span<const uint16_t>*>(args);
  FOTA_TRY(send_command(Opcode::kExtendedErase));
  uint8_t frame[2 + 2 * kMaxEraseSectors + 1];
  size_t len = 0;
  const uint16_t count = static_cast<uint16_t>(sectors.size() - 1);
  frame[len++] = static_cast<uint8_t>(count >> 8);
  frame[len++] = static_cast<uint8_t>(count);
  uint32_t timeout_ms = options_.timeouts.ack_ms;
  for (uint16_t sector : sectors) {
    frame[len++] = static_cast<uint8_t>(sector >> 8);
    frame[len++] = static_cast<uint8_t>(sector);
    timeout_ms += erase_timeout_ms(sector);
    changed(flash_map::kSectors[sector].address, flash_map::kSectors[sector].size);
  }
  uint8_t checksum = 0;
  for (size_t i = 0; i < len; ++i) checksum ^= frame[i];
  frame[len++] = checksum;
  FOTA_TRY(send({frame, len}));
  return wait_ack(timeout_ms);
}

Bootloader::Step Bootloader::attempt_go(const void* args) {
  const uint32_t address = *static_cast<const uint32_t*>(args);
  changed(0, 0);  // the target runs code
  FOTA_TRY(send_command(Opcode::kGo));
  return send_address(address);
}

Bootloader::Step Bootloader::attempt_write_protect(const void* args) {
  const auto& sectors = *static_cast<const std::span<const uint8_t>*>(args);
  FOTA_TRY(send_command(Opcode::kWriteProtect));
  uint8_t frame[1 + flash_map::kSectorCount + 1];
  size_t len = 0;
  frame[len++] = static_cast<uint8_t>(sectors.size() - 1);
  for (uint8_t sector : sectors) frame[len++] = sector;
  uint8_t checksum = 0;
  for (size_t i = 0; i < len; ++i) checksum ^= frame[i];
  frame[len++] = checksum;
  FOTA_TRY(send({frame, len}));
  return wait_ack(options_.timeouts.option_ms);
}

// Write Unprotect / Readout Protect: opcode, ACK, the option bytes are programmed, ACK.
Bootloader::Step Bootloader::attempt_option_command(const void* args) {
  FOTA_TRY(send_command(*static_cast<const Opcode*>(args)));
  return wait_ack(options_.timeouts.option_ms);
}

Status Bootloader::option_command(Opcode opcode, Attempt attempt, const void* args) {
  changed(0, 0);  // the chip resets afterwards
  const Status status = run(opcode, attempt, args);
  // The opcode itself NACKed on every try: readout protection (RDP level 1).
  if (status == Status::kNack && opcode_nacks_ > options_.retries) return Status::kProtected;
  if (status == Status::kOk) synced_ = false;
  return status;
}

Status Bootloader::write_protect(std::span<const uint8_t> sectors) {
  if (sectors.empty() || sectors.size() > flash_map::kSectorCount) return Status::kBadArgument;
  for (uint8_t sector : sectors) {
    if (sector >= flash_map::kSectorCount) return Status::kBadArgument;
  }
  return option_command(Opcode::kWriteProtect, &Bootloader::attempt_write_protect, &sectors);
}

Status Bootloader::write_unprotect() {
  const Opcode opcode = Opcode::kWriteUnprotect;
  return option_command(opcode, &Bootloader::attempt_option_command, &opcode);
}

Status Bootloader::readout_protect() {
  const Opcode opcode = Opcode::kReadoutProtect;
  return option_command(opcode, &Bootloader::attempt_option_command, &opcode);
}

Status Bootloader::reconnect_after_reset() {
  synced_ = false;
  changed(0, 0);
  clock_.delay_ms(options_.timeouts.boot_wait_ms);
  if (link_.flush_input() != PortStatus::kOk) return Status::kLinkError;
  return sync();
}

Status Bootloader::get(DeviceInfo& info) {
  return run(Opcode::kGet, &Bootloader::attempt_get, &info);
}

Status Bootloader::get_version(uint8_t& version) {
  DeviceInfo info;
  const Status status = run(Opcode::kGetVersion, &Bootloader::attempt_get_version, &info);
  version = info.bootloader_version;
  return status;
}

Status Bootloader::get_id(uint16_t& pid) {
  DeviceInfo info;
  const Status status = run(Opcode::kGetId, &Bootloader::attempt_get_id, &info);
  pid = info.pid;
  return status;
}

Status Bootloader::identify(DeviceInfo& info) {
  FOTA_TRY(get(info));
  FOTA_TRY(get_id(info.pid));
  return info.pid == kExpectedPid ? Status::kOk : Status::kWrongDevice;
}

Status Bootloader::read_memory(uint32_t address, std::span<uint8_t> out) {
  if (out.empty() || out.size() > kMaxBlock) return Status::kBadArgument;
  const ReadArgs args{address, out};
  const Status status = run(Opcode::kReadMemory, &Bootloader::attempt_read, &args);
  // A NACK to the opcode itself on every try is how the ROM refuses reads under RDP level 1.
  if (status == Status::kNack && opcode_nacks_ > options_.retries) return Status::kProtected;
  return status;
}

Status Bootloader::write_memory(uint32_t address, std::span<const uint8_t> data) {
  if (data.empty() || data.size() > kMaxBlock) return Status::kBadArgument;
  const bool parallelism = address >= kParallelismAddress && address < kParallelismAddress + 4;
  if (!parallelism && (address % 4 != 0 || data.size() % 4 != 0)) return Status::kBadArgument;
  const WriteArgs args{address, data};
  const Status status = run(Opcode::kWriteMemory, &Bootloader::attempt_write, &args);
  if (status == Status::kNack && opcode_nacks_ > options_.retries) return Status::kProtected;
  return status;
}

Status Bootloader::extended_erase(std::span<const uint16_t> sectors) {
  if (sectors.empty() || sectors.size() > kMaxEraseSectors) return Status::kBadArgument;
  for (uint16_t sector : sectors) {
    if (sector >= flash_map::kSectorCount) return Status::kBadArgument;
  }
  return run(Opcode::kExtendedErase, &Bootloader::attempt_erase, &sectors);
}

Status Bootloader::go(uint32_t address) {
  if (address % 4 != 0) return Status::kBadArgument;
  const Status status = run(Opcode::kGo, &Bootloader::attempt_go, &address);
  if (status == Status::kOk) synced_ = false;
  return status;
}

Status Bootloader::set_parallelism(Parallelism parallelism) {
  const uint8_t bytes[4] = {static_cast<uint8_t>(parallelism), 0xFF, 0xFF, 0xFF};
  return write_memory(kParallelismAddress, bytes);
}

Status Bootloader::read_parallelism(uint8_t& value) {
  return read_memory(kParallelismAddress, {&value, 1});
}

Status Bootloader::reset_into(bool boot0) {
  if (pins_ == nullptr) return Status::kPinError;
  if (pins_->set_boot0(boot0) != PortStatus::kOk) return Status::kPinError;
  if (pins_->set_reset(true) != PortStatus::kOk) return Status::kPinError;
  clock_.delay_ms(options_.timeouts.reset_pulse_ms);
  if (pins_->set_reset(false) != PortStatus::kOk) return Status::kPinError;
  synced_ = false;
  changed(0, 0);
  return Status::kOk;
}

Status Bootloader::enter() {
  FOTA_TRY(reset_into(true));
  clock_.delay_ms(options_.timeouts.boot_wait_ms);
  if (link_.configure(options_.baud, Parity::kEven) != PortStatus::kOk) return Status::kLinkError;
  if (link_.flush_input() != PortStatus::kOk) return Status::kLinkError;
  return sync();
}

Status Bootloader::leave() {
  return reset_into(false);
}

}  // namespace fota::an3155
