// SPDX-License-Identifier: Apache-2.0
// `fota info`: what the device says through its ROM bootloader: product ID, ROM version, unique ID,
// flash size, both slots' image headers and the metadata log state. Read-only.
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "an3155/rom_flash.h"
#include "bootcore/boot.h"
#include "bootcore/image_check.h"
#include "command.h"
#include "exit_code.h"
#include "format/flash_map.h"
#include "format/version.h"
#include "progress.h"
#include "release/manifest.h"
#include "rom_connection.h"

namespace fota::cli {
namespace {

struct InfoOptions {
  ConnectionOptions connection;
  bool json = false;
  bool stay = false;
};

int run_info(const InfoOptions& options) {
  Progress out(options.json, false);
  RomConnection connection;
  if (auto opened = connection.open(options.connection); !opened) {
    std::fprintf(stderr, "fota info: %s\n", opened.error().c_str());
    return kExitNoDevice;
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
  Json& slots = json["slots"] = Json::array();
  for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
    const auto slot = static_cast<flash_map::Slot>(s);
    const bootcore::SlotInfo info = bootcore::slot_info(flash, log, slot);
    std::string image = "none";
    if (info.header_verdict.flash != bootcore::FlashStatus::kOk) {
      image = std::string("unreadable: ") + bootcore::to_string(info.header_verdict.flash);
    } else if (info.header_verdict.error == HeaderError::kOk) {
      image = release::version_string(info.header.version) + "+" +
              std::to_string(info.header.version.build) + ", " +
              std::to_string(info.header.payload_size) + " bytes, crc " +
              fmt::format("0x{:08X}", info.header.payload_crc32);
    } else if (info.header_verdict.error != HeaderError::kErased) {
      image = std::string("invalid header: ") + to_string(info.header_verdict.error);
    }
    const char* state = bootcore::to_string(info.state);
    if (!options.json) {
      std::printf("slot %c      %s; log: %s", flash_map::slot_name(slot), image.c_str(), state);
      if (info.state == bootcore::SlotState::kTrial) {
        std::printf(" (attempts %u/%u)", info.attempts, info.max_attempts);
      }
      std::printf("\n");
    }
    slots.push_back({{"slot", std::string(1, flash_map::slot_name(slot))},
                     {"image", image},
                     {"state", state},
                     {"attempts", info.attempts},
                     {"sequence", info.sequence}});
  }
  if (log_status == bootcore::LogStatus::kOk) {
    const auto& st = log.state();
    const flash_map::Slot install = bootcore::install_slot(flash, log);
    if (!options.json) {
      std::printf("log         %s, max sequence %u, sector 11: %u records, sector 3: %u records\n",
                  st.empty() ? "empty" : "valid", st.max_sequence, log.area(0).end,
                  log.area(1).end);
      std::printf("next update goes to slot %c\n", flash_map::slot_name(install));
    }
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
  auto [cmd, options] = add_command<InfoOptions>(
      app, "info",
      "Show the device (PID, UID), both slots and the boot log, through the ROM bootloader",
      exit_code, run_info);
  add_connection_options(*cmd, options->connection);
  cmd->add_flag("--json", options->json, "one JSON object on stdout");
  cmd->add_flag("--stay", options->stay, "stay in the ROM bootloader afterwards (no reset)");
}

const Registration registration("info", setup);

}  // namespace
}  // namespace fota::cli
