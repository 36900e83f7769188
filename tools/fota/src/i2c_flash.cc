// SPDX-License-Identifier: Apache-2.0
#include "i2c_flash.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "exit_code.h"
#include "format/crc32.h"
#include "native/host.h"
#include "native/i2c.h"
#include "native/i2c_link.h"
#include "ports_linux/i2c_bus.h"
#include "ports_linux/pins.h"
#include "release/image.h"
#include "release/manifest.h"

namespace fota::cli {

namespace {

namespace fs = std::filesystem;

int error(int code, const std::string& message) {
  std::fprintf(stderr, "fota flash: error: %s\n", message.c_str());
  return code;
}

struct Progress {
  bool quiet;
  uint32_t last_percent = 101;
};

void on_progress(void* context, uint32_t programmed, uint32_t total) {
  auto* p = static_cast<Progress*>(context);
  const uint32_t percent =
      total == 0 ? 100 : static_cast<uint32_t>(uint64_t{programmed} * 100 / total);
  if (p->quiet || percent / 10 == p->last_percent / 10) return;
  p->last_percent = percent;
  std::fprintf(stderr, "fota flash: %3u %% (%u of %u bytes)\n", percent, programmed, total);
}

}  // namespace

int flash_over_i2c(const I2cFlashOptions& options) {
  const auto target = ports_linux::parse_i2c_target(options.target, native::kI2cAddress);
  if (!target) return error(kExitUsage, target.error());

  // The release: the image for each slot, checked against the manifest.
  const fs::path dir(options.release_dir);
  const auto text = release::read_file(dir / "manifest.json", 1024 * 1024);
  if (!text) return error(kExitBadRelease, text.error());
  const auto manifest = release::parse_manifest(std::string(text->begin(), text->end()));
  if (!manifest)
    return error(kExitBadRelease, (dir / "manifest.json").string() + ": " + manifest.error());
  std::vector<uint8_t> images[2];
  for (unsigned s = 0; s < 2; ++s) {
    const release::ManifestSlot& entry = s == 0 ? manifest->slot_a : manifest->slot_b;
    const fs::path path = dir / entry.file;
    auto file = release::read_file(path, flash_map::kSlotSize + 1);
    if (!file) return error(kExitBadRelease, file.error());
    if (file->size() != entry.size || crc32(*file) != entry.crc32) {
      return error(
          kExitBadRelease,
          path.string() + ": size or CRC-32 differs from the manifest's (corrupt release)");
    }
    const auto checked = release::parse_image(*file, path.string());
    if (!checked) return error(kExitBadRelease, checked.error());
    images[s] = std::move(*file);
  }

  auto bus = ports_linux::open_i2c_master(target->spec);
  if (!bus) return error(kExitNoDevice, bus.error());
  ports::SystemClock clock;
  native::I2cLinkOptions link_options;
  link_options.address = target->address;
  native::I2cLink link(**bus, clock, link_options);
  native::HostSession host(link, clock, {.sync_before_release = false});
  char address[8];
  std::snprintf(address, sizeof address, "0x%02X", target->address);
  const std::string where = (*bus)->name() + " address " + address;
  auto link_failure = [&](native::HostError e) {
    std::string m = std::string(native::to_string(e)) + " on " + where;
    if (link.last_error() != native::I2cLinkError::kNone) {
      m += ": " + std::string(native::to_string(link.last_error()));
      if (!(*bus)->last_detail().empty()) m += " (" + (*bus)->last_detail() + ")";
    }
    return m;
  };

  std::unique_ptr<ports::Pins> pins;
  if (options.pins != "none") {
    auto made = ports::make_pins(options.pins, nullptr);
    if (!made) return error(kExitNoDevice, made.error());
    pins = std::move(*made);
  }
  auto hello = pins ? host.wake(*pins) : host.hello(3'000);
  if (!hello.ok()) {
    return error(
        kExitNoDevice,
        link_failure(hello.error()) +
            (pins ? "" : " (without --pins the bootloader must already be in update mode)"));
  }
  const uint8_t slot = hello->install_slot;
  if (slot > 1) return error(kExitFlashFailed, "the bootloader offers no slot to install into");
  const std::vector<uint8_t>& image = images[slot];
  if (!options.quiet) {
    std::fprintf(stderr,
                 "fota flash: bootloader in update mode on %s; installing %zu bytes into slot %c\n",
                 where.c_str(), image.size(), slot == 0 ? 'A' : 'B');
  }
  Progress progress{options.quiet};
  host.set_progress(on_progress, &progress);
  const auto t0 = std::chrono::steady_clock::now();
  const native::HostError e = host.install(image, slot, false);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (e == native::HostError::kRefused) {
    return error(kExitFlashFailed, std::string("the bootloader refused the image: ") +
                                       native::to_string(host.last_status()));
  }
  if (e != native::HostError::kOk) return error(kExitFlashFailed, link_failure(e));
  std::fprintf(stderr,
               "fota flash: slot %c written and verified by the bootloader over I2C in %.2f s "
               "(%.1f KB/s); it boots the new image on trial\n",
               slot == 0 ? 'A' : 'B', s, static_cast<double>(image.size()) / 1024 / s);
  return kExitOk;
}

}  // namespace fota::cli
