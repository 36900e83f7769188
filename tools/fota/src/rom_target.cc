// SPDX-License-Identifier: Apache-2.0
#include "rom_target.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "bootcore/boot.h"
#include "update/console.h"
#include "update/flash_log.h"

namespace fota::cli {

using an3155::Status;
using update::TargetError;

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

RomTarget::RomTarget(RomConnection& connection, RomTargetOptions options)
    : connection_(connection), options_(std::move(options)) {}

RomTarget::~RomTarget() = default;

TargetError RomTarget::failed(Status status, const std::string& what) {
  error_ = what + " failed: " + connection_.describe_failure(status);
  return to_target_error(status);
}

TargetError RomTarget::log_failed(bootcore::LogStatus status, const std::string& what) {
  error_ = fmt::format("{}: {} ({})", what, bootcore::to_string(status),
                       bootcore::to_string(log_->flash_status()));
  return TargetError::kLogError;
}

TargetError RomTarget::open(update::DeviceId& id) {
  console_ = false;
  auto identity = connection_.enter_and_identify();
  if (!identity) {
    error_ = identity.error();
    return identity.error().rfind("wrong device", 0) == 0 ? TargetError::kWrongDevice
                                                          : TargetError::kTimeout;
  }
  identity_ = *identity;
  id.uid = identity_.uid;
  id.pid = identity_.info.pid;
  id.flash_kb = identity_.flash_kb;
  // The target may have run since the last session: nothing cached still holds.
  cache_.clear();
  log_.reset();
  flash_.reset();
  flash_.emplace(connection_.rom(), true, &cache_);
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
  if (options_.parallelism == "x8") return TargetError::kOk;  // the ROM's default after reset
  const auto p =
      options_.parallelism == "x16" ? an3155::Parallelism::kX16 : an3155::Parallelism::kX32;
  if (const Status status = connection_.rom().set_parallelism(p); status != Status::kOk) {
    return failed(status, "selecting " + options_.parallelism + " parallelism");
  }
  return TargetError::kOk;
}

TargetError RomTarget::erase_sector(unsigned sector) {
  const uint16_t one[1] = {static_cast<uint16_t>(sector)};
  if (const Status status = connection_.rom().extended_erase(one); status != Status::kOk) {
    return failed(status, "erasing sector " + std::to_string(sector));
  }
  return TargetError::kOk;
}

TargetError RomTarget::write(uint32_t address, std::span<const uint8_t> data) {
  if (const Status status = connection_.rom().write_memory(address, data); status != Status::kOk) {
    return failed(status, fmt::format("writing 0x{:08X}", address));
  }
  return TargetError::kOk;
}

TargetError RomTarget::read(uint32_t address, std::span<uint8_t> out) {
  if (const Status status = connection_.rom().read_memory(address, out); status != Status::kOk) {
    return failed(status, fmt::format("reading back 0x{:08X}", address));
  }
  return TargetError::kOk;
}

TargetError RomTarget::commit(flash_map::Slot slot, const ImageHeader& header) {
  refusal_.clear();  // a new trial: what was refused before no longer applies
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
  line_.clear();
  if (auto left = connection_.leave(); !left) {
    error_ = left.error();
    return TargetError::kLink;
  }
  return TargetError::kOk;
}

// Reads console bytes for up to wait_ms and returns at the first decisive line.
TargetError RomTarget::observe(flash_map::Slot slot, uint32_t wait_ms, update::Observation& seen) {
  seen = update::Observation::kNothing;
  auto& port = connection_.port();
  if (!console_) {
    (void)port.configure(115200, an3155::Parity::kNone);
    console_ = true;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    uint8_t byte;
    size_t got = 0;
    const auto status =
        port.read({&byte, 1}, static_cast<uint32_t>(std::max<int64_t>(1, left.count())), got);
    if (status == an3155::PortStatus::kIoError) {
      error_ = "serial port lost while waiting for the outcome: " + port.last_error();
      return TargetError::kLink;
    }
    if (got == 0) continue;
    if (byte != '\n' && byte != '\r') {
      if (line_.size() < 256) line_ += static_cast<char>(byte);
      continue;
    }
    if (line_.empty()) continue;
    const std::string line = std::move(line_);
    line_.clear();
    if (options_.on_console) options_.on_console(line);
    if (const auto boot = bootcore::parse_boot_line(line)) {
      const std::string_view why = boot->refused_reason(flash_map::slot_name(slot));
      if (!why.empty()) refusal_ = why;
    }
    seen = update::parse_console_line(line, slot, booted_);
    if (seen == update::Observation::kBooted) booted_ = true;
    if (seen != update::Observation::kNothing) return TargetError::kOk;
  }
  return TargetError::kOk;
}

}  // namespace fota::cli
