// SPDX-License-Identifier: Apache-2.0
// `fota info`: what the device says through its ROM bootloader: product ID, ROM version, unique ID,
// flash size, both slots' image headers and the metadata log state. Read-only.
#include <cstdio>
#include <string>

#include "bootcore/boot.h"
#include "bootcore/image_check.h"
#include "command.h"
#include "format/flash_map.h"
#include "format/version.h"
#include "rom_session.h"

namespace fota::cli {
namespace {

struct InfoOptions {
  ConnectionOptions connection;
  bool json = false;
  bool stay = false;
};

std::string version_text(uint32_t packed, uint32_t build) {
  const Version v = Version::from_packed(packed, build);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%u.%u.%u+%u", v.major, v.minor, v.patch, v.build);
  return buf;
}

int run_info(const InfoOptions& options) {
  Progress out(options.json, false);
  RomConnection connection;
  std::string error;
  if (!connection.open(options.connection, error)) {
    std::fprintf(stderr, "fota info: %s\n", error.c_str());
    return kExitNoDevice;
  }
  DeviceIdentity id;
  if (connection.enter_and_identify(id, error) != an3155::Status::kOk) {
    std::fprintf(stderr, "fota info: %s\n", error.c_str());
    return kExitNoDevice;
  }
  an3155::RomFlash flash(connection.rom());
  bootcore::MetaLog log(flash);
  const bootcore::LogStatus log_status = log.load();
  std::string json = "\"event\":\"info\",\"pid\":\"0x" + std::string([&] {
                       char b[8];
                       std::snprintf(b, sizeof b, "%03X", id.info.pid);
                       return std::string(b);
                     }()) +
                     "\",\"rom_protocol\":\"" + std::to_string(id.info.bootloader_version >> 4) +
                     "." + std::to_string(id.info.bootloader_version & 0xF) + "\",\"uid\":\"" +
                     id.uid_hex() + "\",\"flash_kb\":" + std::to_string(id.flash_kb);
  if (!options.json) {
    std::printf("device      STM32F40x/41x (PID 0x%03X), ROM bootloader protocol %u.%u\n",
                id.info.pid, id.info.bootloader_version >> 4, id.info.bootloader_version & 0xF);
    std::printf("unique ID   %s\nflash       %u KB\n", id.uid_hex().c_str(), id.flash_kb);
  }
  json += ",\"slots\":[";
  for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
    const auto slot = static_cast<flash_map::Slot>(s);
    const bootcore::SlotInfo info = bootcore::slot_info(flash, log, slot);
    std::string image = "none";
    if (info.header_verdict.flash != bootcore::FlashStatus::kOk) {
      image = std::string("unreadable: ") + bootcore::to_string(info.header_verdict.flash);
    } else if (info.header_verdict.error == HeaderError::kOk) {
      image = version_text(info.header.version.packed(), info.header.version.build) + ", " +
              std::to_string(info.header.payload_size) + " bytes, crc " +
              hex32(info.header.payload_crc32);
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
    json += std::string(s ? "," : "") + "{\"slot\":\"" + flash_map::slot_name(slot) +
            "\",\"image\":\"" + json_escape(image) + "\",\"state\":\"" + state +
            "\",\"attempts\":" + std::to_string(info.attempts) +
            ",\"sequence\":" + std::to_string(info.sequence) + "}";
  }
  json += "]";
  if (log_status == bootcore::LogStatus::kOk) {
    const auto& st = log.state();
    const flash_map::Slot install = bootcore::install_slot(flash, log);
    if (!options.json) {
      std::printf("log         %s, max sequence %u, sector 11: %u records, sector 3: %u records\n",
                  st.empty() ? "empty" : "valid", st.max_sequence, log.area(0).end,
                  log.area(1).end);
      std::printf("next update goes to slot %c\n", flash_map::slot_name(install));
    }
    json += ",\"log\":{\"max_sequence\":" + std::to_string(st.max_sequence) +
            ",\"main_records\":" + std::to_string(log.area(0).end) +
            ",\"small_records\":" + std::to_string(log.area(1).end) + "},\"install_slot\":\"" +
            flash_map::slot_name(install) + "\"";
  } else {
    const std::string why = std::string(bootcore::to_string(log_status)) + " (" +
                            bootcore::to_string(log.flash_status()) + ")";
    if (!options.json) std::printf("log         unreadable: %s\n", why.c_str());
    json += ",\"log_error\":\"" + json_escape(why) + "\"";
  }
  out.event(json);
  int code = kExitOk;
  if (!options.stay) {
    if (connection.leave(error) != an3155::Status::kOk) {
      std::fprintf(stderr, "fota info: %s\n", error.c_str());
      code = kExitFlashFailed;
    }
  }
  if (log_status != bootcore::LogStatus::kOk) code = kExitFlashFailed;
  return code;
}

void setup(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "info",
      "Show the device (PID, UID), both slots and the boot log, through the ROM bootloader");
  cmd->add_option("--port", options->connection.port, "serial port (e.g. /dev/ttyUSB0, a pty)")
      ->required();
  cmd->add_option("--pins", options->connection.pins,
                  "BOOT0/NRST backend: vstm32:SOCK | gpiod:CHIP,boot0=N,nrst=M | "
                  "serial-dtr-rts[:boot0=rts,nrst=dtr] | none (target already in the ROM)")
      ->capture_default_str();
  cmd->add_option("--baud", options->connection.baud, "baud rate (8E1)")->capture_default_str();
  cmd->add_flag("--json", options->json, "one JSON object on stdout");
  cmd->add_flag("--stay", options->stay, "stay in the ROM bootloader afterwards (no reset)");
  cmd->callback([options, &exit_code] { exit_code = run_info(*options); });
}

const Registration registration("info", setup);

}  // namespace
}  // namespace fota::cli
