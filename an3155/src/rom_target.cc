// SPDX-License-Identifier: Apache-2.0
#include "an3155/rom_target.h"

#include <algorithm>

#include "bootcore/boot.h"
#include "format/decimal.h"
#include "format/flash_map.h"
#include "update/console.h"
#include "update/flash_log.h"

namespace fota::an3155 {

using update::TargetError;

namespace {

// Appends text and numbers to a fixed, always NUL-terminated buffer; what does not fit is cut.
class Text {
 public:
  Text(std::span<char> out, size_t& size) : out_(out), size_(size) { terminate(); }
  Text& operator<<(std::string_view text) {
    for (char c : text) {
      if (size_ + 1 >= out_.size()) break;
      out_[size_++] = c;
    }
    terminate();
    return *this;
  }
  Text& hex(uint32_t value, unsigned digits) {
    char buf[8];
    unsigned n = 0;
    do {
      buf[n++] = "0123456789ABCDEF"[value & 0xF];
      value >>= 4;
    } while ((value != 0 || n < digits) && n < sizeof buf);
    *this << "0x";
    while (n > 0) *this << std::string_view(&buf[--n], 1);
    return *this;
  }
  Text& dec(uint32_t value) {
    char digits[kMaxDecimalDigits];
    return *this << std::string_view(digits, write_decimal(value, digits));
  }

 private:
  void terminate() {
    if (!out_.empty()) out_[std::min(size_, out_.size() - 1)] = '\0';
  }
  std::span<char> out_;
  size_t& size_;
};

// A flash address as an error text names it ("0x08020000").
class AddressText {
 public:
  explicit AddressText(uint32_t address) { Text(text_, size_).hex(address, 8); }
  std::string_view view() const { return {text_, size_}; }

 private:
  char text_[12];
  size_t size_ = 0;
};

std::string_view parallelism_name(Parallelism p) {
  switch (p) {
    case Parallelism::kX8: return "x8";
    case Parallelism::kX16: return "x16";
    case Parallelism::kX32: return "x32";
  }
  return "x32";
}

class NoHooks final : public RomTargetHooks {};
NoHooks no_hooks;

}  // namespace

TargetError to_target_error(Status status) {
  switch (status) {
    case Status::kOk: return TargetError::kOk;
    case Status::kTimeout:
    case Status::kNoSync: return TargetError::kTimeout;
    case Status::kNack:
    case Status::kProtected: return TargetError::kRefused;
    case Status::kWrongDevice: return TargetError::kWrongDevice;
    case Status::kBadArgument: return TargetError::kBadArgument;
    case Status::kBadReply:
    case Status::kLinkError:
    case Status::kPinError: return TargetError::kLink;
  }
  return TargetError::kLink;
}

RomTarget::RomTarget(Bootloader& rom, ByteLink& link, Clock& clock,
                     std::span<uint8_t> cache_storage, const RomTargetOptions& options,
                     RomTargetHooks* hooks)
    : rom_(rom),
      link_(link),
      clock_(clock),
      options_(options),
      hooks_(hooks != nullptr ? hooks : &no_hooks),
      cache_(cache_storage) {}

// The driver status with what the port or the pins reported, and the command that failed.
void RomTarget::describe(Status status) {
  Text text(error_, error_size_);
  text << to_string(status);
  const char* detail = status == Status::kLinkError  ? hooks_->link_detail()
                       : status == Status::kPinError ? hooks_->pin_detail()
                                                     : "";
  if (detail[0] != '\0') text << ": " << detail;
  if (status != Status::kLinkError && status != Status::kPinError && status != Status::kNoSync) {
    text << " (command: " << to_string(rom_.last_opcode()) << ")";
  }
}

TargetError RomTarget::failed(Status status, std::string_view what, std::string_view where) {
  error_size_ = 0;
  Text text(error_, error_size_);
  text << what;
  if (!where.empty()) text << " " << where;
  text << " failed: ";
  describe(status);
  return to_target_error(status);
}

TargetError RomTarget::log_failed(bootcore::LogStatus status, std::string_view what) {
  error_size_ = 0;
  Text(error_, error_size_) << what << ": " << bootcore::to_string(status) << " ("
                            << bootcore::to_string(log_->flash_status()) << ")";
  return TargetError::kLogError;
}

TargetError RomTarget::open(update::DeviceId& id) {
  console_ = false;
  error_size_ = 0;
  Text text(error_, error_size_);
  Status status = options_.use_pins ? rom_.enter() : rom_.sync();
  if (status != Status::kOk) {
    text << "cannot reach the ROM bootloader";
    if (hooks_->link_name()[0] != '\0') text << " on " << hooks_->link_name();
    text << ": ";
    describe(status);
    return to_target_error(status);
  }
  status = rom_.identify(info_);
  if (status == Status::kWrongDevice) {
    text << "wrong device: product ID ";
    text.hex(info_.pid, 3) << ", expected ";
    text.hex(kExpectedPid, 3) << " (STM32F40x/41x); refusing to touch it";
    return TargetError::kWrongDevice;
  }
  if (status != Status::kOk) {
    text << "identification failed: ";
    describe(status);
    return to_target_error(status);
  }
  update::DeviceId read{};
  status = read_checked(rom_, flash_map::kUniqueIdAddress, read.uid, true);
  uint8_t size[2] = {0, 0};
  if (status == Status::kOk) status = read_checked(rom_, flash_map::kFlashSizeAddress, size, true);
  if (status != Status::kOk) {
    text << "cannot read the unique ID / flash size: ";
    describe(status);
    return to_target_error(status);
  }
  read.pid = info_.pid;
  read.flash_kb = static_cast<uint16_t>(size[0] | size[1] << 8);
  id_ = read;
  id = read;
  // The target may have run since the last session: nothing cached still holds.
  cache_.clear();
  log_.reset();
  flash_.reset();
  flash_.emplace(rom_, true, &cache_);
  return TargetError::kOk;
}

TargetError RomTarget::read_boot_state(update::BootState& state) {
  if (!flash_) return TargetError::kBadArgument;
  log_.emplace(*flash_);
  if (const auto status = update::read_boot_state(*flash_, *log_, state);
      status != bootcore::LogStatus::kOk) {
    return log_failed(status, "cannot read the boot log");
  }
  return TargetError::kOk;
}

TargetError RomTarget::begin_write() {
  if (options_.parallelism == Parallelism::kX8) return TargetError::kOk;  // the ROM's default
  if (const Status status = rom_.set_parallelism(options_.parallelism); status != Status::kOk) {
    char what[32];
    size_t n = 0;
    Text(what, n) << "selecting " << parallelism_name(options_.parallelism) << " parallelism";
    return failed(status, std::string_view(what, n));
  }
  return TargetError::kOk;
}

TargetError RomTarget::erase_sector(unsigned sector) {
  const uint16_t one[1] = {static_cast<uint16_t>(sector)};
  if (const Status status = rom_.extended_erase(one); status != Status::kOk) {
    char where[12];
    size_t n = 0;
    Text(where, n).dec(sector);
    return failed(status, "erasing sector", std::string_view(where, n));
  }
  return TargetError::kOk;
}

TargetError RomTarget::write(uint32_t address, std::span<const uint8_t> data) {
  if (const Status status = rom_.write_memory(address, data); status != Status::kOk) {
    return failed(status, "writing", AddressText(address).view());
  }
  return TargetError::kOk;
}

TargetError RomTarget::read(uint32_t address, std::span<uint8_t> out) {
  if (const Status status = rom_.read_memory(address, out); status != Status::kOk) {
    return failed(status, "reading back", AddressText(address).view());
  }
  return TargetError::kOk;
}

TargetError RomTarget::commit(flash_map::Slot slot, const ImageHeader& header) {
  refusal_[0] = '\0';  // a new trial: what was refused before no longer applies
  if (!flash_) return TargetError::kBadArgument;
  if (!log_ || !log_->loaded()) {
    log_.emplace(*flash_);
    if (const auto status = log_->load(); status != bootcore::LogStatus::kOk) {
      return log_failed(status, "cannot read the boot log");
    }
  }
  if (const auto status = bootcore::request_trial(*log_, slot, header);
      status != bootcore::LogStatus::kOk) {
    return log_failed(status, "appending the TRIAL record failed");
  }
  return TargetError::kOk;
}

TargetError RomTarget::reboot() {
  booted_ = false;
  line_size_ = 0;
  if (!options_.use_pins) return TargetError::kOk;  // the user resets the target, BOOT0 low
  if (const Status status = rom_.leave(); status != Status::kOk) {
    error_size_ = 0;
    Text(error_, error_size_) << "cannot leave the ROM: ";
    describe(status);
    return to_target_error(status);
  }
  return TargetError::kOk;
}

// Reads console bytes for up to wait_ms and returns at the first decisive line.
TargetError RomTarget::observe(flash_map::Slot slot, uint32_t wait_ms, update::Observation& seen) {
  seen = update::Observation::kNothing;
  if (!console_) {
    if (link_.configure(options_.console_baud, Parity::kNone) != PortStatus::kOk) {
      error_size_ = 0;
      Text text(error_, error_size_);
      text << "cannot set the link to ";
      text.dec(options_.console_baud) << " 8N1 for the console";
      if (hooks_->link_detail()[0] != '\0') text << ": " << hooks_->link_detail();
      return TargetError::kLink;
    }
    console_ = true;
  }
  const uint64_t deadline_us = clock_.now_us() + uint64_t{wait_ms} * 1000;
  for (uint64_t now = clock_.now_us(); now < deadline_us; now = clock_.now_us()) {
    const auto left_ms = static_cast<uint32_t>((deadline_us - now + 999) / 1000);
    uint8_t byte = 0;
    size_t got = 0;
    if (link_.read({&byte, 1}, left_ms, got) == PortStatus::kIoError) {
      error_size_ = 0;
      Text text(error_, error_size_);
      text << "serial port lost while waiting for the outcome";
      if (hooks_->link_detail()[0] != '\0') text << ": " << hooks_->link_detail();
      return TargetError::kLink;
    }
    if (got == 0) continue;
    if (byte != '\n' && byte != '\r') {
      if (line_size_ < line_.size()) line_[line_size_++] = static_cast<char>(byte);
      continue;
    }
    if (line_size_ == 0) continue;
    const std::string_view line(line_.data(), line_size_);
    line_size_ = 0;
    hooks_->on_console_line(line);
    if (const auto boot = bootcore::parse_boot_line(line)) {
      const std::string_view why = boot->refused_reason(flash_map::slot_name(slot));
      if (!why.empty()) {
        const size_t n = std::min(why.size(), refusal_.size() - 1);
        std::copy_n(why.data(), n, refusal_.data());
        refusal_[n] = '\0';
      }
    }
    seen = update::parse_console_line(line, slot, booted_);
    if (seen == update::Observation::kBooted) booted_ = true;
    if (seen != update::Observation::kNothing) return TargetError::kOk;
  }
  return TargetError::kOk;
}

}  // namespace fota::an3155
