// SPDX-License-Identifier: Apache-2.0
// Builds and reads image files: 512-byte header (format/image_header.h) + payload.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "format/hex.h"
#include "format/image_header.h"
#include "format/version.h"
#include "status/expected.h"

namespace fota::release {

// Fills the header from the payload (size, CRC-32, SHA-256) and the given identity.
ImageHeader make_header(std::span<const uint8_t> payload, uint32_t vector_address,
                        const Version& version, const std::string& product);

std::vector<uint8_t> build_image(const ImageHeader& header, std::span<const uint8_t> payload);

struct ImageFile {
  ImageHeader header;
  std::vector<uint8_t> payload;
};

// Parses an image from memory and checks header + payload (CRC and SHA-256).
Expected<ImageFile> parse_image(std::span<const uint8_t> bytes, const std::string& name);
Expected<ImageFile> read_image_file(const std::filesystem::path& path);

// Reads a whole file; fails when it is missing, unreadable or larger than max_size.
Expected<std::vector<uint8_t>> read_file(const std::filesystem::path& path, uintmax_t max_size);
// Writes atomically (temporary file + rename).
Expected<void> write_file(const std::filesystem::path& path, std::span<const uint8_t> data);

inline std::string hex(std::span<const uint8_t> bytes) {
  return to_hex(bytes);
}  // format/hex.h
std::string crc_hex(uint32_t crc);  // "0x%08x"

}  // namespace fota::release
