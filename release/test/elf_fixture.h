// SPDX-License-Identifier: Apache-2.0
// Builds small ARM ELF32 executables and raw binaries in memory for the loader and `fota pack`
// tests (no ARM compiler needed).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "format/bytes.h"

namespace fota::release::testing {

struct FixtureSegment {
  uint32_t type = 1;  // PT_LOAD
  uint32_t paddr = 0;
  std::vector<uint8_t> data;
  uint32_t memsz_extra = 0;
};

// A payload that looks like an application linked at `vector_address`: SP in SRAM, a Thumb reset
// vector into the image, then a recognisable pattern.
inline std::vector<uint8_t> app_payload(uint32_t vector_address, size_t size, uint8_t seed = 1) {
  std::vector<uint8_t> p(size);
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  if (size >= 8) {
    bytes::store_le32(p.data(), 0x2002'0000);
    bytes::store_le32(p.data() + 4, vector_address + 9);  // Thumb, just after the two vectors
  }
  return p;
}

struct ElfOptions {
  uint8_t elf_class = 1;
  uint8_t data_encoding = 1;
  uint16_t type = 2;
  uint16_t machine = 40;
  uint16_t phentsize = 32;
  int phnum_override = -1;
  uint32_t phoff_override = 0;
};

inline std::vector<uint8_t> make_elf(const std::vector<FixtureSegment>& segments,
                                     const ElfOptions& opt = {}) {
  const size_t phoff = 52;
  size_t data_off = phoff + segments.size() * 32;
  std::vector<uint8_t> f(data_off);
  f[0] = 0x7F;
  f[1] = 'E';
  f[2] = 'L';
  f[3] = 'F';
  f[4] = opt.elf_class;
  f[5] = opt.data_encoding;
  f[6] = 1;
  bytes::store_le16(&f[16], opt.type);
  bytes::store_le16(&f[18], opt.machine);
  bytes::store_le32(&f[20], 1);
  bytes::store_le32(&f[24], segments.empty() ? 0 : segments[0].paddr + 0x1C1);
  bytes::store_le32(&f[28], opt.phoff_override ? opt.phoff_override : static_cast<uint32_t>(phoff));
  bytes::store_le16(&f[40], 52);
  bytes::store_le16(&f[42], opt.phentsize);
  bytes::store_le16(
      &f[44], static_cast<uint16_t>(opt.phnum_override >= 0 ? opt.phnum_override
                                                            : static_cast<int>(segments.size())));
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& s = segments[i];
    uint8_t* ph = &f[phoff + i * 32];
    bytes::store_le32(ph + 0, s.type);
    bytes::store_le32(ph + 4, static_cast<uint32_t>(f.size()));
    bytes::store_le32(ph + 8, s.paddr);
    bytes::store_le32(ph + 12, s.paddr);
    bytes::store_le32(ph + 16, static_cast<uint32_t>(s.data.size()));
    bytes::store_le32(ph + 20, static_cast<uint32_t>(s.data.size()) + s.memsz_extra);
    bytes::store_le32(ph + 24, 5);
    bytes::store_le32(ph + 28, 4);
    f.insert(f.end(), s.data.begin(), s.data.end());
  }
  return f;
}

// An application ELF as the firmware build makes it: code at slot+0x200 (vector table first), plus
// .data's initial values placed right after (LMA in flash), plus a .bss segment (no file bytes).
inline std::vector<uint8_t> app_elf(uint32_t vector_address, size_t code_size, uint8_t seed = 1) {
  std::vector<FixtureSegment> segs;
  segs.push_back({1, vector_address, app_payload(vector_address, code_size, seed), 0});
  segs.push_back({1, vector_address + static_cast<uint32_t>(code_size) + 8,
                  std::vector<uint8_t>(16, 0xA5), 0});
  segs.push_back({1, 0x2000'0000, {}, 256});
  return make_elf(segs);
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

}  // namespace fota::release::testing
