// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/rom_target.h"

#include <cstdio>
#include <string_view>

#include "bootcore/boot.h"
#include "update/console.h"
#include "update/flash_log.h"

namespace fota::esp32 {

using an3155::Status;
using update::TargetError;

namespace {

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

}  // namespace

TargetError RomTarget::failed(Status status, const char* what) {
  std::snprintf(error_.data(), error_.size(), "%s failed: %s", what, an3155::to_string(status));
  return to_target_error(status);
}

TargetError RomTarget::failed_at(Status status, const char* what, uint32_t value) {
  std::snprintf(error_.data(), error_.size(),
                value < 16 ? "%s %lu failed: %s" : "%s 0x%08lX failed: %s", what,
                static_cast<unsigned long>(value), an3155::to_string(status));
  return to_target_error(status);
}

TargetError RomTarget::log_failed(bootcore::LogStatus status, const char* what) {
  std::snprintf(error_.data(), error_.size(), "%s: %s (%s)", what, bootcore::to_string(status),
                bootcore::to_string(log_->flash_status()));
  return TargetError::kLogError;
}

TargetError RomTarget::open(update::DeviceId& id) {
  console_ = false;
  if (const Status status = rom_.enter(); status != Status::kOk) {
    return failed(status, "entering the ROM bootloader");
  }
  an3155::DeviceInfo info;
  if (const Status status = rom_.identify(info); status != Status::kOk) {
    return failed(status, "identifying the device");
  }
  Status status = an3155::read_checked(rom_, flash_map::kUniqueIdAddress, id.uid, true);
  uint8_t size[2] = {0, 0};
  if (status == Status::kOk) {
    status = an3155::read_checked(rom_, flash_map::kFlashSizeAddress, size, true);
  }
  if (status != Status::kOk) return failed(status, "reading the unique ID and flash size");
  id.pid = info.pid;
  id.flash_kb = static_cast<uint16_t>(size[0] | size[1] << 8);
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
  if (const Status status = rom_.set_parallelism(an3155::Parallelism::kX32);
      status != Status::kOk) {
    return failed(status, "selecting x32 parallelism");
  }
  return TargetError::kOk;
}

TargetError RomTarget::erase_sector(unsigned sector) {
  const uint16_t one[1] = {static_cast<uint16_t>(sector)};
  if (const Status status = rom_.extended_erase(one); status != Status::kOk) {
    return failed_at(status, "erasing sector", sector);
  }
  return TargetError::kOk;
}

TargetError RomTarget::write(uint32_t address, std::span<const uint8_t> data) {
  if (const Status status = rom_.write_memory(address, data); status != Status::kOk) {
    return failed_at(status, "writing at", address);
  }
  return TargetError::kOk;
}

TargetError RomTarget::read(uint32_t address, std::span<uint8_t> out) {
  if (const Status status = rom_.read_memory(address, out); status != Status::kOk) {
    return failed_at(status, "reading back at", address);
  }
  return TargetError::kOk;
}

TargetError RomTarget::commit(flash_map::Slot slot, const ImageHeader& header) {
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
  if (const Status status = rom_.leave(); status != Status::kOk) {
    return failed(status, "leaving the ROM bootloader");
  }
  return TargetError::kOk;
}

TargetError RomTarget::observe(flash_map::Slot slot, uint32_t wait_ms, update::Observation& seen) {
  seen = update::Observation::kNothing;
  if (!console_) {
    // The application's console: USART1 at 115200 8N1.
    if (link_.configure(115200, an3155::Parity::kNone) != an3155::PortStatus::kOk) {
      std::snprintf(error_.data(), error_.size(), "cannot set the UART to 115200 8N1");
      return TargetError::kLink;
    }
    console_ = true;
  }
  const uint64_t deadline_us = clock_.now_us() + static_cast<uint64_t>(wait_ms) * 1000;
  for (uint64_t now = clock_.now_us(); now < deadline_us; now = clock_.now_us()) {
    const auto left_ms = static_cast<uint32_t>((deadline_us - now + 999) / 1000);
    uint8_t byte = 0;
    size_t got = 0;
    if (link_.read({&byte, 1}, left_ms, got) == an3155::PortStatus::kIoError) {
      std::snprintf(error_.data(), error_.size(), "UART lost while waiting for the outcome");
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
    std::printf("stm32: %.*s\n", static_cast<int>(line.size()), line.data());
    seen = update::parse_console_line(line, slot, booted_);
    if (seen == update::Observation::kBooted) booted_ = true;
    if (seen != update::Observation::kNothing) return TargetError::kOk;
  }
  return TargetError::kOk;
}

}  // namespace fota::esp32
