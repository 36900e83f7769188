// SPDX-License-Identifier: Apache-2.0
#include "target_factory.h"

#include <CLI/CLI.hpp>

#include "native/host.h"

namespace fota::cli {

void add_native_entry_option(CLI::App& cmd, std::string& entry) {
  cmd.add_option("--native-entry", entry,
                 "native: pin (NRST pulse + sync bytes in the listening window) or hello (the "
                 "device is already in update mode)")
      ->check(CLI::IsMember({"pin", "hello"}))
      ->capture_default_str();
}

std::unique_ptr<DeviceTarget> DeviceTarget::make(RomConnection& connection,
                                                 const TransportOptions& options) {
  std::unique_ptr<DeviceTarget> made(new DeviceTarget());
  DeviceTarget& t = *made;
  t.console_ = options.on_console ? options.on_console : [](const std::string&) {};
  t.transport_ = options.transport;
  bool awake = false;  // our bootloader answered the probe and is still in update mode
  if (t.transport_ == "auto") {
    native::HostSession probe(connection.port(), t.clock_);
    // The sync must meet a 0.5 ms listening window after the reset: a host descheduled at the
    // wrong moment misses it, so the pin wake-up is tried up to 3 times (as NativeTarget does).
    Result<native::HelloReply, native::HostError> hello = Error{native::HostError::kNoAnswer};
    for (unsigned attempt = 0; attempt < 3; ++attempt) {
      hello = connection.pins() != nullptr ? probe.wake(*connection.pins()) : probe.hello(1'000);
      if (hello.ok() || hello.error() != native::HostError::kNoAnswer ||
          connection.pins() == nullptr) {
        break;
      }
    }
    const bool answered = hello.ok();
    t.transport_ = answered ? "native" : "rom";
    t.probe_note_ = answered ? std::string("transport auto: our bootloader answered; native")
                             : std::string("transport auto: no native answer (") +
                                   native::to_string(hello.error()) + "); ROM bootloader";
    awake = answered;
    // With pins a later open() wakes it again; without, it must stay in update mode.
    if (answered && options.leave_after_probe && connection.pins() != nullptr) {
      awake = probe.leave() != native::HostError::kOk;
    }
  }
  if (t.transport_ == "native") {
    native::NativeTargetOptions native_options;
    native_options.entry =
        awake || options.native_hello ? native::Entry::kHello : native::Entry::kPinReset;
    native_options.baud = options.native_baud;
    native_options.on_console = [](void* context, const char* line) {
      (*static_cast<std::function<void(const std::string&)>*>(context))(line);
    };
    native_options.console_context = &t.console_;
    t.native_.emplace(connection.port(), t.clock_, connection.pins(), t.ring_, native_options);
  } else {
    RomTargetOptions rom_options;
    rom_options.parallelism = options.parallelism;
    rom_options.on_console = t.console_;
    t.rom_.emplace(connection, rom_options);
  }
  return made;
}

update::Target& DeviceTarget::target() {
  return native_ ? static_cast<update::Target&>(*native_) : rom_->core();
}

}  // namespace fota::cli
