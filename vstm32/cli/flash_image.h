// SPDX-License-Identifier: Apache-2.0
// `vstm32 flash-image` helpers: create an erased 1 MB image, place a .bin/.elf/.img in it,
// inspect sectors, slot headers and the metadata log.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace vstm32::cli {

int flash_image_create(const std::filesystem::path& file, bool force);
// `address` is required for .bin; an .img goes to the slot its header names unless given; an
// ELF is placed by its load (physical) addresses.
int flash_image_place(const std::filesystem::path& file, const std::filesystem::path& input,
                      std::optional<uint32_t> address);
int flash_image_inspect(const std::filesystem::path& file);

}  // namespace vstm32::cli
