// SPDX-License-Identifier: Apache-2.0
#include "native/target.h"

#include <string_view>

#include "update/console.h"

namespace fota::native {
namespace {

using update::TargetError;

constexpr unsigned kWakeAttempts = 3;

TargetError to_target_error(HostError error) {
  switch (error) {
    case HostError::kOk: return TargetError::kOk;
    case HostError::kLink: return TargetError::kLink;
    case HostError::kNoAnswer:
    case HostError::kRetriesExhausted: return TargetError::kTimeout;
    case HostError::kRefused:
    case HostError::kResumeMismatch: return TargetError::kRefused;
    case HostError::kBadReply:
    case HostError::kBaudFailed: return TargetError::kLink;
    case HostError::kBadImage: return TargetError::kBadArgument;
  }
  return TargetError::kLink;
}

bootcore::SlotState to_boot_state(SlotState state) {
  switch (state) {
    case SlotState::kTrial: return bootcore::SlotState::kTrial;
    case SlotState::kConfirmed: return bootcore::SlotState::kConfirmed;
    case SlotState::kRejected: return bootcore::SlotState::kRejected;
    case SlotState::kEmpty:
    case SlotState::kUnknown: break;
  }
  return bootcore::SlotState::kNone;
}

}  // namespace

NativeTarget::NativeTarget(an3155::ByteLink& link, an3155::Clock& clock, an3155::TargetPins* pins,
                           std::span<uint8_t> ring, const NativeTargetOptions& options)
    : link_(link),
      clock_(clock),
      pins_(pins),
      ring_(ring),
      options_(options),
      session_(link, clock, options.host) {}

void NativeTarget::set_error(const char* a, const char* b, const char* c) {
  size_t n = 0;
  for (const char* part : {a, b, c}) {
    for (; *part != '\0' && n + 1 < sizeof(error_); ++part) error_[n++] = *part;
  }
  error_[n] = '\0';
}

TargetError NativeTarget::failed(HostError error, const char* what) {
  if (error == HostError::kRefused) {
    set_error(what, ": the bootloader refused: ", to_string(session_.last_status()));
  } else {
    set_error(what, ": ", to_string(error));
  }
  return to_target_error(error);
}

TargetError NativeTarget::open(update::DeviceId& id) {
  begun_ = false;
  ended_ = false;
  console_ = false;
  error_[0] = '\0';
  Result<HelloReply, HostError> hello = Error{HostError::kNoAnswer};
  // Entry::kHello applies to the first open(); later ones (reading the outcome after the new
  // image booted) wake the bootloader with the pins when there are any.
  const bool say_hello = pins_ == nullptr || (options_.entry == Entry::kHello && !opened_before_);
  opened_before_ = true;
  if (!say_hello) {
    // The sync must meet a 500 us window: a host descheduled at the wrong moment (a loaded
    // machine, a slow USB adapter) misses it, so the wake-up is tried a few times.
    for (unsigned attempt = 0; attempt < kWakeAttempts; ++attempt) {
      hello = session_.wake(*pins_);
      if (hello.ok() || hello.error() != HostError::kNoAnswer) break;
    }
  } else {
    if (session_.reset_baud() != HostError::kOk) {
      set_error("native: cannot set the link to 115200 baud");
      return TargetError::kLink;
    }
    hello = session_.hello(options_.hello_timeout_ms);
  }
  if (!hello.ok()) {
    if (hello.error() == HostError::kNoAnswer) {
      set_error(link_.traits().has_baud
                    ? "native: no bootloader answered HELLO at 115200 baud (not our bootloader, "
                      "no update mode, or no wire)"
                    : "native: no bootloader answered HELLO (not our bootloader, no update mode, "
                      "or no wire)");
      return TargetError::kTimeout;
    }
    return failed(hello.error(), "native: HELLO");
  }
  hello_ = *hello;
  if (hello_.protocol_version != kProtocolVersion) {
    set_error("native: the bootloader speaks another protocol version");
    return TargetError::kWrongDevice;
  }
  in_update_mode_ = true;
  const uint32_t baud = options_.baud < hello_.max_baud ? options_.baud : hello_.max_baud;
  if (link_.traits().has_baud && baud != session_.baud() && baud_supported(baud)) {
    if (const HostError e = session_.set_baud(baud); e != HostError::kOk) {
      return failed(e, "native: baud switch");
    }
  }
  id = update::DeviceId{};
  id.uid = hello_.uid;
  return TargetError::kOk;
}

TargetError NativeTarget::read_boot_state(update::BootState& state) {
  if (!in_update_mode_) return TargetError::kBadArgument;
  state = update::BootState{};
  state.running_product_known = false;
  for (unsigned i = 0; i < flash_map::kSlotCount; ++i) {
    bootcore::SlotInfo& info = state.slots[i];
    const SlotSummary& s = hello_.slots[i];
    info.slot = static_cast<flash_map::Slot>(i);
    if (s.state == SlotState::kEmpty) {
      info.header_verdict.error = HeaderError::kBadMagic;
      continue;
    }
    info.header.version = Version::from_packed(s.version);
    info.header.payload_crc32 = s.payload_crc32;
    info.state = to_boot_state(s.state);
  }
  state.install_slot = static_cast<flash_map::Slot>(hello_.install_slot);
  return TargetError::kOk;
}

TargetError NativeTarget::resume_point(flash_map::Slot slot, update::ResumePoint& point) {
  point = update::ResumePoint{};
  if (!in_update_mode_) return TargetError::kBadArgument;
  auto q = session_.query();
  if (!q.ok()) return failed(q.error(), "native: QUERY");
  if (q->slot == static_cast<uint8_t>(slot)) {
    point.payload_bytes = q->written;
    point.crc32 = q->crc32;
  }
  return TargetError::kOk;
}

TargetError NativeTarget::begin_image(flash_map::Slot slot,
                                      std::span<const uint8_t, kImageHeaderSize> header,
                                      uint32_t start_payload) {
  if (!in_update_mode_) return TargetError::kBadArgument;
  if (const HostError e =
          session_.begin_stream(header, static_cast<uint8_t>(slot), start_payload, ring_);
      e != HostError::kOk) {
    return failed(e, "native: BEGIN");
  }
  begun_ = true;
  slot_base_ = flash_map::slot_address(slot);
  next_address_ = slot_base_ + static_cast<uint32_t>(kImageHeaderSize) + start_payload;
  return TargetError::kOk;
}

TargetError NativeTarget::erase_sector(unsigned /*sector*/) {
  set_error("native: the bootloader erases by itself (no raw erase)");
  return TargetError::kUnsupported;
}

TargetError NativeTarget::read(uint32_t /*address*/, std::span<uint8_t> /*out*/) {
  set_error("native: no raw read in the native protocol (the bootloader verifies at END)");
  return TargetError::kUnsupported;
}

TargetError NativeTarget::write(uint32_t address, std::span<const uint8_t> data) {
  if (!begun_ || address != next_address_) {
    set_error("native: DATA out of order (write not where the previous one ended)");
    return TargetError::kBadArgument;
  }
  if (const HostError e = session_.push(data); e != HostError::kOk) {
    return failed(e, "native: DATA");
  }
  next_address_ += static_cast<uint32_t>(data.size());
  return TargetError::kOk;
}

TargetError NativeTarget::commit(flash_map::Slot slot, const ImageHeader& /*header*/) {
  if (!begun_ || slot_base_ != flash_map::slot_address(slot)) return TargetError::kBadArgument;
  if (const HostError e = session_.finish(); e != HostError::kOk) {
    return failed(e, "native: END");
  }
  begun_ = false;
  ended_ = true;
  in_update_mode_ = false;
  return TargetError::kOk;
}

TargetError NativeTarget::reboot() {
  booted_ = false;
  line_size_ = 0;
  begun_ = false;
  console_ = false;
  if (ended_) {  // finish() sent LEAVE after END: the device boots the new image
    ended_ = false;
    return TargetError::kOk;
  }
  if (in_update_mode_) {
    in_update_mode_ = false;
    const HostError e = session_.leave();
    if (e == HostError::kOk) return TargetError::kOk;
    if (pins_ == nullptr) return failed(e, "native: LEAVE");
  }
  if (pins_ == nullptr) return TargetError::kOk;  // nothing to drive: it runs what it runs
  // A pin reset without sync bytes: the listening window passes and the bootloader boots.
  if (pins_->set_boot0(false) != an3155::PortStatus::kOk ||
      pins_->set_reset(true) != an3155::PortStatus::kOk) {
    set_error("native: cannot drive the reset pin");
    return TargetError::kLink;
  }
  clock_.delay_ms(2);
  if (pins_->set_reset(false) != an3155::PortStatus::kOk) {
    set_error("native: cannot release the reset pin");
    return TargetError::kLink;
  }
  return TargetError::kOk;
}

// Reads console bytes for up to wait_ms and returns at the first decisive line.
TargetError NativeTarget::observe(flash_map::Slot slot, uint32_t wait_ms,
                                  update::Observation& seen) {
  seen = update::Observation::kNothing;
  if (!link_.traits().carries_console) {
    // Nothing of the application reaches this link (I2C): the engine asks the bootloader for the
    // outcome once its wait is over.
    clock_.delay_ms(wait_ms);
    return TargetError::kOk;
  }
  if (!console_) {
    if (link_.configure(kDefaultBaud, an3155::Parity::kNone) != an3155::PortStatus::kOk) {
      set_error("native: cannot set the link to 115200 baud for the console");
      return TargetError::kLink;
    }
    console_ = true;
  }
  const uint64_t deadline = clock_.now_us() + uint64_t{wait_ms} * 1000;
  for (uint64_t now = clock_.now_us(); now < deadline; now = clock_.now_us()) {
    uint8_t byte = 0;
    size_t got = 0;
    const uint64_t left_ms = (deadline - now + 999) / 1000;
    const auto status = link_.read({&byte, 1}, static_cast<uint32_t>(left_ms), got);
    if (status == an3155::PortStatus::kIoError) {
      set_error("native: serial link lost while waiting for the outcome");
      return TargetError::kLink;
    }
    if (got == 0) continue;
    if (byte != '\n' && byte != '\r') {
      if (line_size_ + 1 < sizeof(line_)) line_[line_size_++] = static_cast<char>(byte);
      continue;
    }
    if (line_size_ == 0) continue;
    line_[line_size_] = '\0';
    const std::string_view line(line_, line_size_);
    line_size_ = 0;
    if (options_.on_console != nullptr) options_.on_console(options_.console_context, line_);
    seen = update::parse_console_line(line, slot, booted_);
    if (seen == update::Observation::kBooted) booted_ = true;
    if (seen != update::Observation::kNothing) return TargetError::kOk;
  }
  return TargetError::kOk;
}

}  // namespace fota::native
