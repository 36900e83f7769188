// SPDX-License-Identifier: Apache-2.0
#include "flash_image.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "format/flash_map.h"
#include "format/image_header.h"
#include "format/meta_record.h"
#include "release/manifest.h"
#include "status/expected.h"

namespace vstm32::cli {
namespace {

namespace fm = fota::flash_map;

int fail(const std::string& message) {
  std::fprintf(stderr, "vstm32: error: %s\n", message.c_str());
  return 1;
}

fota::Expected<std::vector<uint8_t>> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fota::fail("cannot open " + path.string());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

fota::Expected<std::vector<uint8_t>> load_image(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    return fota::fail("flash image " + file.string() +
                      " does not exist (vstm32 flash-image create FILE)");
  }
  auto flash = read_file(file);
  if (!flash) return flash.failure();
  if (flash->size() > fm::kFlashSize) {
    return fota::fail("flash image " + file.string() + " is " + std::to_string(flash->size()) +
                      " bytes; the STM32F407 has " + std::to_string(fm::kFlashSize));
  }
  flash->resize(fm::kFlashSize, 0xFF);
  return flash;
}

fota::Expected<void> save_image(const std::filesystem::path& file,
                                const std::vector<uint8_t>& flash) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(flash.data()),
            static_cast<std::streamsize>(flash.size()));
  if (!out) return fota::fail("cannot write " + file.string());
  return {};
}

uint32_t le32(const uint8_t* p) {
  return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24;
}
uint16_t le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | p[1] << 8);
}

struct Segment {
  uint32_t address;
  std::vector<uint8_t> bytes;
};

// PT_LOAD segments of a 32-bit little-endian ARM ELF, by physical (load) address.
fota::Expected<std::vector<Segment>> parse_elf(const std::vector<uint8_t>& elf) {
  auto bad = [](const std::string& why) { return fota::fail("bad ELF: " + why); };
  std::vector<Segment> out;
  if (elf.size() < 52 || std::memcmp(elf.data(),
                                     "\x7f"
                                     "ELF",
                                     4) != 0)
    return bad("no ELF magic");
  if (elf[4] != 1 || elf[5] != 1) return bad("not a 32-bit little-endian ELF");
  if (le16(&elf[18]) != 40) return bad("not an ARM ELF (e_machine != 40)");
  const uint32_t phoff = le32(&elf[28]);
  const uint16_t phentsize = le16(&elf[42]);
  const uint16_t phnum = le16(&elf[44]);
  if (phentsize < 32 || uint64_t{phoff} + uint64_t{phnum} * phentsize > elf.size()) {
    return bad("program headers outside the file");
  }
  for (unsigned i = 0; i < phnum; ++i) {
    const uint8_t* ph = &elf[phoff + i * phentsize];
    if (le32(ph) != 1 /* PT_LOAD */) continue;
    const uint32_t offset = le32(ph + 4), paddr = le32(ph + 12), filesz = le32(ph + 16);
    if (filesz == 0) continue;
    if (uint64_t{offset} + filesz > elf.size()) return bad("segment data outside the file");
    out.push_back(
        {paddr, std::vector<uint8_t>(elf.begin() + offset, elf.begin() + offset + filesz)});
  }
  if (out.empty()) return bad("no loadable segment");
  return out;
}

bool erased(const std::vector<uint8_t>& flash, uint32_t offset, uint32_t size) {
  return std::all_of(flash.begin() + offset, flash.begin() + offset + size,
                     [](uint8_t b) { return b == 0xFF; });
}

}  // namespace

int flash_image_create(const std::filesystem::path& file, bool force) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(file, ec)) && !force) {
    return fail(file.string() + " already exists (use --force to overwrite)");
  }
  if (auto saved = save_image(file, std::vector<uint8_t>(fm::kFlashSize, 0xFF)); !saved) {
    return fail(saved.error());
  }
  std::printf("created %s: %u bytes, all sectors erased\n", file.c_str(), fm::kFlashSize);
  return 0;
}

int flash_image_place(const std::filesystem::path& file, const std::filesystem::path& input,
                      std::optional<uint32_t> address) {
  auto loaded = load_image(file);
  if (!loaded) return fail(loaded.error());
  std::vector<uint8_t>& flash = *loaded;
  auto read = read_file(input);
  if (!read) return fail(read.error());
  const std::vector<uint8_t>& data = *read;
  std::vector<Segment> segments;
  const bool is_elf = data.size() >= 4 && std::memcmp(data.data(),
                                                      "\x7f"
                                                      "ELF",
                                                      4) == 0;
  if (is_elf || input.extension() == ".elf") {
    auto parsed = parse_elf(data);
    if (!parsed) return fail(input.string() + ": " + parsed.error());
    segments = std::move(*parsed);
    if (address) return fail("--at is not used with an ELF: it is placed at its load addresses");
  } else if (input.extension() == ".img") {
    auto header = fota::parse_image_header(data);
    if (!header) {
      return fail(input.string() + ": not a slot image: " + fota::to_string(header.error()));
    }
    const uint32_t slot = header.value().vector_address - fm::kVectorOffset;
    if (address && *address != slot) {
      char text[200];
      std::snprintf(text, sizeof text, "%s is linked for slot %c at 0x%08X; it cannot run at --at",
                    input.c_str(), fm::slot_name(fota::linked_slot(header.value())), slot);
      return fail(text);
    }
    segments.push_back({slot, data});
  } else {
    if (!address) return fail("a raw .bin needs --at ADDRESS");
    segments.push_back({*address, data});
  }
  for (const Segment& s : segments) {
    if (s.address < fm::kFlashBase || uint64_t{s.address} + s.bytes.size() > fm::kFlashEnd) {
      char text[160];
      std::snprintf(text, sizeof text,
                    "%s: %zu bytes at 0x%08X do not fit in flash (0x08000000-0x080FFFFF)",
                    input.c_str(), s.bytes.size(), s.address);
      return fail(text);
    }
  }
  for (const Segment& s : segments) {
    std::copy(s.bytes.begin(), s.bytes.end(), flash.begin() + (s.address - fm::kFlashBase));
    std::printf("placed %zu bytes at 0x%08X\n", s.bytes.size(), s.address);
  }
  if (auto saved = save_image(file, flash); !saved) return fail(saved.error());
  return 0;
}

int flash_image_inspect(const std::filesystem::path& file) {
  auto loaded = load_image(file);
  if (!loaded) return fail(loaded.error());
  const std::vector<uint8_t>& flash = *loaded;
  std::printf("sectors:\n");
  for (unsigned i = 0; i < fm::kSectorCount; ++i) {
    const uint32_t off = fm::kSectors[i].address - fm::kFlashBase;
    uint32_t used = 0;
    for (uint32_t j = fm::kSectors[i].size; j > 0; --j) {
      if (flash[off + j - 1] != 0xFF) {
        used = j;
        break;
      }
    }
    std::printf("  %2u 0x%08X %4u KB  %s", i, fm::kSectors[i].address, fm::kSectors[i].size / 1024,
                used == 0 ? "erased" : "used");
    if (used != 0) std::printf(" (last programmed byte at +0x%X)", used - 1);
    std::printf("\n");
  }
  std::printf("slots:\n");
  for (fm::Slot slot : {fm::Slot::kA, fm::Slot::kB}) {
    const uint32_t off = fm::slot_address(slot) - fm::kFlashBase;
    std::printf("  %c 0x%08X: ", fm::slot_name(slot), fm::slot_address(slot));
    auto header = fota::parse_image_header(std::span<const uint8_t>(&flash[off], fm::kHeaderSize));
    if (!header) {
      std::printf("no image (%s)\n", fota::to_string(header.error()));
      continue;
    }
    const fota::ImageHeader& h = header.value();
    const fota::HeaderError slot_check = fota::check_header_slot(h, slot);
    const fota::HeaderError payload_check =
        h.payload_size <= fm::kMaxPayloadSize
            ? fota::check_payload(
                  h, std::span<const uint8_t>(&flash[off + fm::kHeaderSize], h.payload_size), true)
            : fota::HeaderError::kPayloadTooLarge;
    std::printf(
        "version %s build %u, payload %u bytes, crc32 0x%08X, product '%.32s', "
        "slot %s, payload %s\n",
        fota::release::version_string(h.version).c_str(), h.version.build, h.payload_size,
        h.payload_crc32, h.product.data(), fota::to_string(slot_check),
        fota::to_string(payload_check));
  }
  for (const auto& area : {std::pair{fm::kLogAreaMainAddress, fm::kLogAreaMainSize},
                           std::pair{fm::kLogAreaSmallAddress, fm::kLogAreaSmallSize}}) {
    const uint32_t off = area.first - fm::kFlashBase;
    std::printf("metadata log at 0x%08X:", area.first);
    if (erased(flash, off, area.second)) {
      std::printf(" erased\n");
      continue;
    }
    std::printf("\n");
    unsigned shown = 0;
    for (uint32_t r = 0; r + fota::kRecordSize <= area.second; r += fota::kRecordSize) {
      auto record =
          fota::parse_record(std::span<const uint8_t>(&flash[off + r], fota::kRecordSize));
      if (!record && record.error() == fota::RecordError::kErased) break;
      if (!record) {
        std::printf("  +0x%05X invalid (%s)\n", r, fota::to_string(record.error()));
        continue;
      }
      const fota::MetaRecord& m = record.value();
      const fota::Version v = fota::Version::from_packed(m.version, m.build);
      std::printf(
          "  +0x%05X seq %u slot %c %s attempts %u/%u version %s build %u crc "
          "0x%08X writer %u reason %u\n",
          r, m.sequence, fm::slot_name(m.slot), fota::to_string(m.state), m.attempts,
          fota::effective_max_attempts(m), fota::release::version_string(v).c_str(), m.build,
          m.image_crc32, static_cast<unsigned>(m.writer), static_cast<unsigned>(m.reason));
      ++shown;
    }
    std::printf("  %u valid record(s)\n", shown);
  }
  return 0;
}

}  // namespace vstm32::cli
