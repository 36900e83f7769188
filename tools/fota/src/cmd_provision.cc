// SPDX-License-Identifier: Apache-2.0
// fota provision: the factory step through ST's ROM bootloader (provision.h): bootloader into
// sectors 0-1, key block (from `fota keygen` .pub files) into sector 2, read back, nWRP on
// sectors 0-2, optionally RDP level 1. docs/security.md ("Provisioning").
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "exit_code.h"
#include "provision.h"
#include "rom_connection.h"
#include "signing/signing.h"

namespace fota::cli {
namespace {

struct ProvisionOptions {
  ConnectionOptions connection;
  std::string bootloader;
  std::vector<std::string> keys;
  bool rdp1 = false;
  bool confirm_rdp1 = false;
  bool stay = false;
};

Expected<std::vector<uint8_t>> read_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return fail(path + ": no such file");
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return fail(path + ": cannot read");
  return bytes;
}

int run_provision(const ProvisionOptions& o) {
  auto error = [](int code, const std::string& text) {
    std::fprintf(stderr, "fota provision: error: %s\n", text.c_str());
    return code;
  };
  if (o.rdp1 && !o.confirm_rdp1) {
    return error(kExitUsage, std::string("--rdp1 needs --confirm-rdp1: ") + kRdp1Consequence);
  }
  // Everything from files first: bad input never touches the device.
  ProvisionRequest request;
  request.rdp1 = o.rdp1;
  auto bootloader = read_file(o.bootloader);
  if (!bootloader) return error(kExitBadRelease, "bootloader " + bootloader.error());
  request.bootloader = std::move(*bootloader);
  if (auto ok = check_bootloader_image(request.bootloader, o.bootloader); !ok) {
    return error(kExitBadRelease, ok.error());
  }
  for (const std::string& path : o.keys) {
    auto key = signing::read_public_key(path);
    if (!key) return error(kExitBadRelease, key.error());
    request.keys.push_back(*key);
  }
  if (request.keys.size() > bootcore::kMaxTrustedKeys) {
    return error(kExitUsage,
                 fmt::format("{} --key given: the key block holds 1 or 2 (current, next)",
                             request.keys.size()));
  }

  RomConnection connection;
  if (auto opened = connection.open(o.connection); !opened) {
    return error(kExitNoDevice, opened.error());
  }
  an3155::Bootloader& rom = connection.rom();
  // Sync and identify by hand: enter_and_identify() also reads the UID, which the ROM refuses
  // under RDP 1 (provision() says that in its own words).
  an3155::Status status = connection.pins() != nullptr ? rom.enter() : rom.sync();
  if (status != an3155::Status::kOk) {
    return error(kExitNoDevice, "cannot reach the ROM bootloader on " + o.connection.port + ": " +
                                    connection.describe_failure(status));
  }
  an3155::DeviceInfo info;
  status = rom.identify(info);
  if (status == an3155::Status::kWrongDevice) {
    return error(kExitNoDevice,
                 fmt::format("wrong device: product ID 0x{:03X}, expected 0x413 (STM32F40x/41x); "
                             "refusing to touch it",
                             info.pid));
  }
  if (status != an3155::Status::kOk) {
    return error(kExitNoDevice, "identification failed: " + connection.describe_failure(status));
  }
  std::printf("device: STM32F40x/41x (PID 0x%03X), ROM bootloader %u.%u\n", info.pid,
              info.bootloader_version >> 4, info.bootloader_version & 0xF);

  auto report = provision(rom, request, [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  });
  if (!report) return error(kExitFlashFailed, report.error());
  for (size_t i = 0; i < request.keys.size(); ++i) {
    std::printf("trusted key %zu (%s): id %s\n", i, i == 0 ? "current" : "next",
                signing::to_hex(signing::key_id(request.keys[i])).c_str());
  }
  if (report->readout_protect_set) {
    std::printf("WARNING: %s.\n", kRdp1Consequence);
  } else {
    std::printf(
        "readout protection: level 0 (anyone with the ROM bootloader or a debugger can read and "
        "rewrite the flash; --rdp1 --confirm-rdp1 sets level 1)\n");
  }
  const bool changed = report->bootloader_written || report->key_block_written ||
                       report->write_protect_set || report->readout_protect_set;
  std::printf("provisioned%s\n", changed ? "" : " (nothing to do: already provisioned)");
  if (!o.stay) {
    if (auto left = connection.leave(); !left) return error(kExitFlashFailed, left.error());
  }
  return kExitOk;
}

void setup(CLI::App& app, int& exit_code) {
  auto [cmd, o] = add_device_command<ProvisionOptions>(
      app, "provision",
      "Factory step through the ROM bootloader: write the bootloader and the key block, read them "
      "back, write-protect sectors 0-2 (nWRP), optionally set readout protection level 1",
      exit_code, run_provision);
  cmd->add_option("--bootloader", o->bootloader,
                  "bootloader binary for 0x08000000 (bootloader-secure.bin), at most 32 KB")
      ->required();
  cmd->add_option("--key", o->keys,
                  "trusted public key (.pub from `fota keygen`): the current one, optionally the "
                  "next one for rotation (repeat --key)")
      ->required();
  cmd->add_flag("--rdp1", o->rdp1,
                "set readout protection level 1 at the end: the ROM bootloader then refuses "
                "memory commands and the device updates through the native path only");
  cmd->add_flag("--confirm-rdp1", o->confirm_rdp1,
                "confirm --rdp1 (undoing it mass-erases the whole flash)");
  cmd->add_flag("--stay", o->stay, "stay in the ROM bootloader afterwards (no reset)");
}

const Registration registration("provision", setup);

}  // namespace
}  // namespace fota::cli
