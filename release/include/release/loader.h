// SPDX-License-Identifier: Apache-2.0
// Loads an application built for one slot: an ARM little-endian ELF32 (PT_LOAD segments flattened
// from the vector table address) or a raw .bin that starts at the vector table.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "format/flash_map.h"
#include "status/expected.h"

namespace fota::release {

struct LoadedApp {
  std::vector<uint8_t> payload;  // flat image, vector table first
  uint32_t vector_address = 0;   // where payload[0] is linked (ELF: lowest PT_LOAD paddr)
  bool from_elf = false;
};

// Largest input accepted before even parsing (a slot is 384 KB; an ELF with symbols is bigger).
inline constexpr uintmax_t kMaxInputFileSize = 16 * 1024 * 1024;

// Parses an ELF32 ARM little-endian executable from memory. `name` is used in error messages.
// Every offset and size is bounds-checked; segments must not overlap and must lie in main flash.
Expected<LoadedApp> load_elf(std::span<const uint8_t> bytes, const std::string& name);

// Raw binary: payload as is. The vector address is not known from the file; the caller gives the
// slot it is meant for and checks the reset vector (check_vector_table).
Expected<LoadedApp> load_bin(std::span<const uint8_t> bytes, const std::string& name,
                             uint32_t vector_address);

// Reads `path` and dispatches on the ELF magic; anything else is treated as a .bin only when the
// file name ends in ".bin" (otherwise: "not an ELF or .bin file").
Expected<LoadedApp> load_app_file(const std::filesystem::path& path, flash_map::Slot intended_slot);

bool is_elf(std::span<const uint8_t> bytes);

// Checks that `app` is linked for `slot` and fits it, and that its initial stack pointer points
// into RAM and its reset vector (Thumb) into the slot. Errors name the file and what is wrong.
Expected<void> check_app_for_slot(const LoadedApp& app, flash_map::Slot slot,
                                  const std::string& name);

}  // namespace fota::release
