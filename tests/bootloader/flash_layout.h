// SPDX-License-Identifier: Apache-2.0
// Builds whole-flash pictures for the on-target tests: our bootloader in sector 0, images
// (512-byte header from format/image_header.h + the .bin payload the firmware build produced) in
// the slots, and metadata-log records appended through bootcore itself (as the host tools do).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "bootcore/flash.h"
#include "format/flash_map.h"
#include "format/image_header.h"
#include "format/version.h"

namespace fota::boot_test {

// bootcore::Flash over a 1 MB byte buffer at 0x0800'0000 with the F407's program (AND) and erase
// rules. Used to append records into a flash picture (or into a virtual chip's flash).
class BufferFlash final : public bootcore::Flash {
 public:
  explicit BufferFlash(std::span<uint8_t> bytes) : bytes_(bytes) {}
  bootcore::FlashStatus read(uint32_t address, std::span<uint8_t> out) override;
  bootcore::FlashStatus program_words(uint32_t address, std::span<const uint32_t> words) override;
  bootcore::FlashStatus erase_sector(unsigned sector) override;
  const uint8_t* mapped(uint32_t address, uint32_t size) override;

 private:
  bool in_range(uint32_t address, uint64_t size) const;
  std::span<uint8_t> bytes_;
};

// The firmware build's artefact `name` (e.g. "bootloader.bin", "demo-v1-A.bin"). Aborts the test
// with a clear message when it is missing.
std::filesystem::path artifact_path(const std::string& name);
std::vector<uint8_t> read_artifact(const std::string& name);

// Header + payload for `slot`, as `fota pack` lays it out.
std::vector<uint8_t> make_image(std::span<const uint8_t> payload, flash_map::Slot slot,
                                const Version& version,
                                const std::string& product = "stm32f407-demo");

// Demo application `app` ("demo-v1", "demo-noconfirm", ...) packed for `slot`, with the version
// the firmware build gave it.
std::vector<uint8_t> demo_image(const std::string& app, flash_map::Slot slot);
Version demo_version(const std::string& app);

// The artefact `name` (an application's .bin) padded to a full slot (384 KB - 512 B header) with
// reproducible noise: boot-time figures then check every byte a slot can hold.
std::vector<uint8_t> full_slot_payload(const std::string& name);
// The application's first instruction: the reset vector of its vector table (payload bytes 4-7).
uint32_t reset_handler_of(std::span<const uint8_t> payload);

class FlashLayout {
 public:
  FlashLayout();  // 1 MB, erased

  std::vector<uint8_t>& bytes() { return bytes_; }
  BufferFlash& flash() { return flash_; }

  void put(uint32_t address, std::span<const uint8_t> data);
  // Replaces the whole picture (e.g. with a device's flash after it ran), in place.
  void assign(std::span<const uint8_t> flash_bytes);
  void put_bootloader(const std::string& artifact = "bootloader.bin");
  // Erases the slot's sectors and writes `image` there (what the host does before a commit).
  void put_image(flash_map::Slot slot, std::span<const uint8_t> image);
  void put_demo(flash_map::Slot slot, const std::string& app) {
    put_image(slot, demo_image(app, slot));
  }

  // Records through bootcore (host commit / factory confirm). Return false on a log error.
  bool append_trial(flash_map::Slot slot, uint8_t max_attempts = 0);
  bool append_confirmed(flash_map::Slot slot);
  // The demo v1 confirmed in slot A: the factory state (the bootloader is put on its own).
  bool put_confirmed_v1();
  // put_confirmed_v1() and `image_b` on trial in slot B: an update the host has just committed.
  bool put_trial_b_over_v1(std::span<const uint8_t> image_b);
  bool put_trial_b_over_v1(const std::string& app_b) {
    return put_trial_b_over_v1(demo_image(app_b, flash_map::Slot::kB));
  }

  // Flips the bits of one payload byte of `slot` (header untouched: the CRC check must catch it).
  void corrupt_payload(flash_map::Slot slot, uint32_t offset = 0x100);

  bool save(const std::filesystem::path& file) const;

 private:
  std::vector<uint8_t> bytes_;
  BufferFlash flash_;
};

}  // namespace fota::boot_test
