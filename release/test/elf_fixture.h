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

// An application as a GNU ld script with `FLASH (rx) : ORIGIN = <vector_address>` lays it out
// without --nmagic: the first PT_LOAD segment starts one page (0x200 here) below the vector table
// and maps the ELF and program headers too; .data is a second segment with its VMA in RAM and
// its LMA after .text; .bss has no file bytes. Section headers name what is loaded.
// `header_room` 0 gives the --nmagic layout: the first segment starts at the vector table.
inline std::vector<uint8_t> ld_style_elf(uint32_t vector_address, size_t code_size,
                                         uint8_t seed = 1, uint32_t header_room = 0x200) {
  const std::vector<uint8_t> text = app_payload(vector_address, code_size, seed);
  const std::vector<uint8_t> data(24, 0x5A);
  const uint32_t seg0_paddr = vector_address - header_room;
  const uint32_t text_off = 0x200;  // ELF header + 3 program headers fit below it
  const uint32_t data_off = text_off + static_cast<uint32_t>(text.size());
  const uint32_t data_lma = vector_address + static_cast<uint32_t>(text.size());
  const uint32_t shoff = data_off + static_cast<uint32_t>(data.size());
  std::vector<uint8_t> f(shoff + 5 * 40, 0);
  f[0] = 0x7F;
  f[1] = 'E';
  f[2] = 'L';
  f[3] = 'F';
  f[4] = 1;
  f[5] = 1;
  f[6] = 1;
  bytes::store_le16(&f[16], 2);
  bytes::store_le16(&f[18], 40);
  bytes::store_le32(&f[20], 1);
  bytes::store_le32(&f[24], vector_address + 9);
  bytes::store_le32(&f[28], 52);
  bytes::store_le32(&f[32], shoff);
  bytes::store_le16(&f[40], 52);
  bytes::store_le16(&f[42], 32);
  bytes::store_le16(&f[44], 3);
  bytes::store_le16(&f[46], 40);
  bytes::store_le16(&f[48], 5);
  auto phdr = [&](int i, uint32_t off, uint32_t vaddr, uint32_t paddr, uint32_t filesz,
                  uint32_t memsz) {
    uint8_t* ph = &f[52 + i * 32];
    bytes::store_le32(ph + 0, 1);
    bytes::store_le32(ph + 4, off);
    bytes::store_le32(ph + 8, vaddr);
    bytes::store_le32(ph + 12, paddr);
    bytes::store_le32(ph + 16, filesz);
    bytes::store_le32(ph + 20, memsz);
    bytes::store_le32(ph + 24, 5);
    bytes::store_le32(ph + 28, 0x200);
  };
  const uint32_t seg0_off = text_off - header_room;
  phdr(0, seg0_off, seg0_paddr, seg0_paddr, data_off - seg0_off, data_off - seg0_off);  // .text
  phdr(1, data_off, 0x2000'0000, data_lma, static_cast<uint32_t>(data.size()),
       static_cast<uint32_t>(data.size()));                                                // .data
  phdr(2, 0, 0x2000'0000 + static_cast<uint32_t>(data.size()), 0x2000'0000 + 24, 0, 512);  // .bss
  std::copy(text.begin(), text.end(), f.begin() + text_off);
  std::copy(data.begin(), data.end(), f.begin() + data_off);
  auto shdr = [&](int i, uint32_t type, uint32_t flags, uint32_t addr, uint32_t off,
                  uint32_t size) {
    uint8_t* sh = &f[shoff + i * 40];
    bytes::store_le32(sh + 4, type);
    bytes::store_le32(sh + 8, flags);
    bytes::store_le32(sh + 12, addr);
    bytes::store_le32(sh + 16, off);
    bytes::store_le32(sh + 20, size);
  };
  // [0] null, .text (PROGBITS, ALLOC|EXEC), .data (PROGBITS, ALLOC|WRITE), .bss (NOBITS),
  // .comment (PROGBITS, not allocated).
  shdr(1, 1, 0x6, vector_address, text_off, static_cast<uint32_t>(text.size()));
  shdr(2, 1, 0x3, 0x2000'0000, data_off, static_cast<uint32_t>(data.size()));
  shdr(3, 8, 0x3, 0x2000'0000 + 24, data_off + 24, 512);
  shdr(4, 1, 0x30, 0, 0, 16);
  return f;
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

}  // namespace fota::release::testing
