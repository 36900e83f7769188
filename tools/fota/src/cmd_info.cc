// SPDX-License-Identifier: Apache-2.0
// `fota info`: what the device says through its ROM bootloader: product ID, ROM version, unique ID,
// flash size, protection (RDP, nWRP), the trusted keys, both slots' image headers and the
// metadata log state with the anti-rollback floor. Read-only.
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "an3155/rom_flash.h"
#include "bootcore/boot.h"
#include "bootcore/image_check.h"
#include "bootcore/trust.h"
#include "command.h"
#include "exit_code.h"
#include "format/flash_map.h"
#include "format/hex.h"
#include "format/version.h"
#include "i2c_target.h"
#include "native/protocol.h"
#include "progress.h"
#include "provision.h"
#include "release/manifest.h"
#include "rom_connection.h"
#include "target_factory.h"

namespace fota::cli {
namespace {

struct InfoOptions {
  ConnectionOptions connection;
  std::string transport = "rom";  // rom | native
  std::string native_entry = "pin";
  std::string i2c;  // SPEC[:ADDR]: the native protocol over I2C (i2c_target.h)
  bool json = false;
  bool stay = false;
};

// One slot's line and JSON entry. `from_hello`: what our bootloader's HELLO says (state, version
// without build, CRC; no size, no attempts), not the header and log read through the ROM.
void show_slot(const bootcore::SlotInfo& info, bool from_hello, bool quiet, Json& slots) {
  std::string image = "none";
  if (info.header_verdict.flash != bootcore::FlashStatus::kOk) {
    image = std::string("unreadable: ") + bootcore::to_string(info.header_verdict.flash);
  } else if (info.header_verdict.error == HeaderError::kOk) {
    image = release::version_string(info.header.version);
    if (!from_hello) {
      image += "+" + std::to_string(info.header.version.build) + ", " +
               std::to_string(info.header.payload_size) + " bytes";
    }
    image += fmt::format(", crc 0x{:08X}", info.header.payload_crc32);
  } else if (!from_hello && info.header_verdict.error != HeaderError::kErased) {
    image = std::string("invalid header: ") + to_string(info.header_verdict.error);
  }
  const char* state = bootcore::to_string(info.state);
  if (!quiet) {
    std::printf("slot %c      %s; log: %s", flash_map::slot_name(info.slot), image.c_str(), state);
    if (!from_hello && info.state == bootcore::SlotState::kTrial) {
      std::printf(" (attempts %u/%u)", info.attempts, info.max_attempts);
    }
    std::printf("\n");
  }
  Json entry = {{"slot", std::string(1, flash_map::slot_name(info.slot))},
                {"image", image},
                {"state", state}};
  if (!from_hello) {
    entry["attempts"] = info.attempts;
    entry["sequence"] = info.sequence;
  }
  slots.push_back(entry);
}

// Through our bootloader's update mode (HELLO): what a readout-protected device still tells.
// `i2c`: the I2C link the target runs over (named in errors), or nullptr for the serial port.
int show_native(const InfoOptions& options, native::NativeTarget& target, const I2cTarget* i2c) {
  Progress out(options.json, false);
  update::DeviceId id;
  update::BootState state;
  if (target.open(id) != update::TargetError::kOk ||
      target.read_boot_state(state) != update::TargetError::kOk) {
    std::string where;
    if (i2c != nullptr) {
      where = " on " + i2c->where();
      if (const std::string detail = i2c->link_detail(); !detail.empty())
        where += " (" + detail + ")";
    }
    std::fprintf(stderr, "fota info: our bootloader's update mode did not answer%s: %s\n",
                 where.c_str(), target.last_error());
    return kExitNoDevice;
  }
  const native::HelloReply& hello = target.hello();
  const std::string bootloader =
      release::version_string(Version::from_packed(hello.bootloader_version));
  Json json = {{"event", "info"},
               {"transport", "native"},
               {"bootloader", bootloader},
               {"native_protocol", hello.protocol_version},
               {"uid", update::uid_text(hello.uid).data()}};
  if (!options.json) {
    std::printf("device      our bootloader %s, native protocol %u (update mode)\n",
                bootloader.c_str(), hello.protocol_version);
    std::printf("unique ID   %s\n", update::uid_text(hello.uid).data());
  }
  Json& slots = json["slots"] = Json::array();
  for (const bootcore::SlotInfo& info : state.slots) show_slot(info, true, options.json, slots);
  json["install_slot"] = std::string(1, flash_map::slot_name(state.install_slot));
  if (!options.json) {
    std::printf("next update goes to slot %c\n", flash_map::slot_name(state.install_slot));
    std::printf(
        "(through the native path: no protection, keys or floor; `fota info` through the ROM "
        "shows them on RDP level 0 devices)\n");
  }
  out.event(json);
  if (!options.stay && target.reboot() != update::TargetError::kOk) {
    std::fprintf(stderr, "fota info: cannot leave update mode: %s\n", target.last_error());
    return kExitFlashFailed;
  }
  return kExitOk;
}

// Option bytes (readout and write protection) and the key block a secure bootloader trusts.
Expected<void> show_protection(an3155::Bootloader& rom, an3155::RomFlash& flash, bool quiet,
                               Json& json) {
  // The ROM refuses the unique ID before this on RDP level 1 (RomConnection says so).
  auto read = read_option_bytes(rom);
  if (!read) return read.failure();
  const OptionBytes& ob = *read;
  Json sectors = Json::array();
  std::string list;
  for (unsigned sector = 0; sector < 12; ++sector) {
    if (!ob.write_protected(sector)) continue;
    sectors.push_back(sector);
    list += (list.empty() ? "" : ",") + std::to_string(sector);
  }
  json["rdp_level"] = ob.rdp_level();
  json["nwrp"] = fmt::format("0x{:03X}", ob.nwrp);
  json["write_protected_sectors"] = sectors;
  if (!quiet) {
    std::printf(
        "protection  RDP level %d, %s (nWRP 0x%03X)\n", ob.rdp_level(),
        list.empty() ? "no sector write-protected" : ("write-protected sectors " + list).c_str(),
        ob.nwrp);
  }
  const auto keys = bootcore::read_key_block(flash);
  Json key_list = Json::array();
  std::string text;
  if (keys) {
    for (size_t i = 0; i < keys->count; ++i) {
      const std::string id = to_hex(keys->keys[i].key_id);
      const char* role = i == 0 ? "current" : "next";
      key_list.push_back({{"key_id", id}, {"role", role}});
      text += fmt::format("{}{} ({})", i == 0 ? "" : ", ", id, role);
    }
    text = fmt::format("{} trusted: {}", keys->count, text);
    json["key_block"] = "ok";
  } else if (keys.error() == bootcore::KeyBlockError::kReadFailed) {
    return fail("cannot read the key block at 0x08008000 through the ROM");
  } else if (keys.error() == bootcore::KeyBlockError::kErased) {
    text =
        "none (no key block: a secure bootloader refuses every new image; the plain one needs "
        "none)";
    json["key_block"] = "none";
  } else {
    text = std::string("damaged key block: ") + bootcore::to_string(keys.error()) +
           " (a secure bootloader trusts nothing)";
    json["key_block"] = bootcore::to_string(keys.error());
  }
  json["keys"] = key_list;
  if (!quiet) std::printf("keys        %s\n", text.c_str());
  return {};
}

int run_info(const InfoOptions& options, const CLI::App& cmd) {
  Progress out(options.json, false);
  if (options.i2c.empty() == options.connection.port.empty()) {
    std::fprintf(stderr, "fota info: error: give exactly one of --port, --i2c\n");
    return kExitUsage;
  }
  if (!options.i2c.empty() && cmd.count("--transport") > 0 && options.transport == "rom") {
    std::fprintf(stderr,
                 "fota info: error: --i2c carries only the native protocol (our bootloader's "
                 "update mode); drop --transport rom\n");
    return kExitUsage;
  }
  if (!options.i2c.empty()) {  // the native protocol over I2C (no ROM bootloader on I2C)
    native::NativeTargetOptions native_options;
    native_options.entry =
        options.native_entry == "hello" ? native::Entry::kHello : native::Entry::kPinReset;
    auto opened = I2cTarget::open(options.i2c, options.connection.pins, native_options);
    if (!opened) {
      std::fprintf(stderr, "fota info: %s\n", opened.error().c_str());
      return kExitNoDevice;
    }
    return show_native(options, (*opened)->target(), opened->get());
  }
  RomConnection connection;
  if (auto opened = connection.open(options.connection); !opened) {
    std::fprintf(stderr, "fota info: %s\n", opened.error().c_str());
    return kExitNoDevice;
  }
  if (options.transport == "native") {
    TransportOptions transport;
    transport.transport = "native";
    transport.native_hello = options.native_entry == "hello";
    auto device = DeviceTarget::make(connection, transport);
    return show_native(options, *device->native_target(), nullptr);
  }
  auto identified = connection.enter_and_identify();
  if (!identified) {
    std::fprintf(stderr, "fota info: %s\n", identified.error().c_str());
    return kExitNoDevice;
  }
  const DeviceIdentity& id = *identified;
  an3155::RomFlash flash(connection.rom());
  bootcore::MetaLog log(flash);
  const bootcore::LogStatus log_status = log.load();
  Json json = {{"event", "info"},
               {"pid", fmt::format("0x{:03X}", id.info.pid)},
               {"rom_protocol", fmt::format("{}.{}", id.info.bootloader_version >> 4,
                                            id.info.bootloader_version & 0xF)},
               {"uid", id.uid_hex()},
               {"flash_kb", id.flash_kb}};
  if (!options.json) {
    std::printf("device      STM32F40x/41x (PID 0x%03X), ROM bootloader protocol %u.%u\n",
                id.info.pid, id.info.bootloader_version >> 4, id.info.bootloader_version & 0xF);
    std::printf("unique ID   %s\nflash       %u KB\n", id.uid_hex().c_str(), id.flash_kb);
  }
  if (auto shown = show_protection(connection.rom(), flash, options.json, json); !shown) {
    std::fprintf(stderr, "fota info: %s\n", shown.error().c_str());
    return kExitFlashFailed;
  }
  Json& slots = json["slots"] = Json::array();
  for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
    const auto slot = static_cast<flash_map::Slot>(s);
    show_slot(bootcore::slot_info(flash, log, slot), false, options.json, slots);
  }
  if (log_status == bootcore::LogStatus::kOk) {
    const auto& st = log.state();
    const flash_map::Slot install = bootcore::install_slot(flash, log);
    // The floor compares major.minor (format/meta_record.h: security_level).
    const uint16_t floor = st.security_floor;
    const std::string floor_text = fmt::format("{}.{}", floor >> 8, floor & 0xFF);
    if (!options.json) {
      std::printf("log         %s, max sequence %u, sector 11: %u records, sector 3: %u records\n",
                  st.empty() ? "empty" : "valid", st.max_sequence, log.area(0).end,
                  log.area(1).end);
      std::printf("floor       %s\n",
                  floor == 0 ? "none (anti-rollback: no image confirmed on a secure bootloader)"
                             : (floor_text +
                                " (anti-rollback: a secure bootloader refuses images below it)")
                                   .c_str());
      std::printf("next update goes to slot %c\n", flash_map::slot_name(install));
    }
    json["security_floor"] = floor_text;
    json["log"] = {{"max_sequence", st.max_sequence},
                   {"main_records", log.area(0).end},
                   {"small_records", log.area(1).end}};
    json["install_slot"] = std::string(1, flash_map::slot_name(install));
  } else {
    const std::string why = std::string(bootcore::to_string(log_status)) + " (" +
                            bootcore::to_string(log.flash_status()) + ")";
    if (!options.json) std::printf("log         unreadable: %s\n", why.c_str());
    json["log_error"] = why;
  }
  out.event(json);
  int code = kExitOk;
  if (!options.stay) {
    if (auto left = connection.leave(); !left) {
      std::fprintf(stderr, "fota info: %s\n", left.error().c_str());
      code = kExitFlashFailed;
    }
  }
  if (log_status != bootcore::LogStatus::kOk) code = kExitFlashFailed;
  return code;
}

void setup(CLI::App& app, int& exit_code) {
  auto [cmd, options] = add_device_command<InfoOptions>(
      app, "info",
      "Show the device (PID, UID), its protection and keys, both slots and the boot log, "
      "through the ROM bootloader (or our bootloader's update mode: --transport native)",
      exit_code, run_info);
  cmd->add_option("--transport", options->transport,
                  "rom: ST's ROM bootloader (everything, RDP level 0 only); native: our "
                  "bootloader's update mode (slots and versions, also under RDP level 1)")
      ->check(CLI::IsMember({"rom", "native"}))
      ->capture_default_str();
  add_native_entry_option(*cmd, options->native_entry);
  cmd->add_option("--i2c", options->i2c,
                  "ask our bootloader over I2C instead of a serial port: /dev/i2c-N[:ADDR] or "
                  "tcp:PORT[:ADDR] (vstm32 --i2c1); --pins for NRST (else --native-entry hello)");
  cmd->get_option("--port")->required(false);
  cmd->add_flag("--json", options->json, "one JSON object on stdout");
  cmd->add_flag("--stay", options->stay,
                "stay in the ROM bootloader (or update mode) afterwards (no reset)");
}

const Registration registration("info", setup);

}  // namespace
}  // namespace fota::cli
