// SPDX-License-Identifier: Apache-2.0
#include "release/loader.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <system_error>

#include "format/bytes.h"
#include "release/image.h"

namespace fota::release {
namespace {

using bytes::load_le16;
using bytes::load_le32;

constexpr size_t kElfHeaderSize = 52;
constexpr size_t kProgramHeaderSize = 32;
constexpr uint16_t kElfTypeExec = 2;
constexpr uint16_t kElfMachineArm = 40;
constexpr uint32_t kPtLoad = 1;

// RAM the initial stack pointer may point into (the top is allowed: the stack grows down).
constexpr uint32_t kSramBase = 0x2000'0000, kSramEnd = 0x2002'0000;  // SRAM1 + SRAM2
constexpr uint32_t kCcmBase = 0x1000'0000, kCcmEnd = 0x1001'0000;

std::string addr(uint32_t value) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", value);
  return buf;
}

struct Segment {
  uint32_t address;
  uint32_t offset;
  uint32_t size;
};

constexpr size_t kSectionHeaderSize = 40;
constexpr uint32_t kShtNobits = 8;
constexpr uint32_t kShfAlloc = 0x2;

// The SHF_ALLOC sections with file contents, at their load addresses. Empty when the file has no
// section headers.
Expected<std::vector<Segment>> allocated_sections(std::span<const uint8_t> b,
                                                  const std::vector<Segment>& segments) {
  std::vector<Segment> pieces;
  const uint8_t* p = b.data();
  const uint32_t shoff = load_le32(p + 32);
  const uint16_t shentsize = load_le16(p + 46);
  const uint16_t shnum = load_le16(p + 48);
  if (shoff == 0 || shnum == 0) return pieces;
  if (shentsize < kSectionHeaderSize || shoff > b.size() ||
      (b.size() - shoff) / shentsize < shnum) {
    return fail("ELF section headers lie outside the file");
  }
  for (uint16_t i = 0; i < shnum; ++i) {
    const uint8_t* sh = p + shoff + static_cast<size_t>(i) * shentsize;
    const uint32_t type = load_le32(sh + 4);
    const uint32_t flags = load_le32(sh + 8);
    const uint32_t offset = load_le32(sh + 16);
    const uint32_t size = load_le32(sh + 20);
    if ((flags & kShfAlloc) == 0 || type == kShtNobits || size == 0) continue;
    if (offset > b.size() || b.size() - offset < size) {
      return fail("ELF section " + std::to_string(i) + " lies outside the file");
    }
    // Its load address comes from the segment that holds its bytes.
    for (const Segment& s : segments) {
      if (offset >= s.offset && offset - s.offset < s.size &&
          s.size - (offset - s.offset) >= size) {
        pieces.push_back({s.address + (offset - s.offset), offset, size});
        break;
      }
    }
  }
  return pieces;
}

}  // namespace

bool is_elf(std::span<const uint8_t> b) {
  return b.size() >= 4 && b[0] == 0x7F && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
}

Expected<LoadedApp> load_elf(std::span<const uint8_t> b, const std::string& name) {
  if (!is_elf(b)) return fail(name + ": not an ELF file (bad magic)");
  if (b.size() < kElfHeaderSize) return fail(name + ": ELF header truncated");
  if (b[4] != 1) return fail(name + ": not a 32-bit ELF (EI_CLASS " + std::to_string(b[4]) + ")");
  if (b[5] != 1) return fail(name + ": not a little-endian ELF");
  if (b[6] != 1) return fail(name + ": unsupported ELF version");
  const uint8_t* p = b.data();
  if (load_le16(p + 16) != kElfTypeExec) {
    return fail(name + ": not an executable ELF (e_type " + std::to_string(load_le16(p + 16)) +
                "; give the linked application, not an object file)");
  }
  if (load_le16(p + 18) != kElfMachineArm) {
    return fail(name + ": not an ARM ELF (e_machine " + std::to_string(load_le16(p + 18)) + ")");
  }
  const uint32_t phoff = load_le32(p + 28);
  const uint16_t phentsize = load_le16(p + 42);
  const uint16_t phnum = load_le16(p + 44);
  if (phnum == 0) return fail(name + ": ELF has no program headers");
  if (phentsize < kProgramHeaderSize) return fail(name + ": ELF program header size too small");
  if (phoff > b.size() || (b.size() - phoff) / phentsize < phnum) {
    return fail(name + ": ELF program headers lie outside the file");
  }
  std::vector<Segment> segments;
  for (uint16_t i = 0; i < phnum; ++i) {
    const uint8_t* ph = p + phoff + static_cast<size_t>(i) * phentsize;
    if (load_le32(ph) != kPtLoad) continue;
    const uint32_t offset = load_le32(ph + 4);
    const uint32_t paddr = load_le32(ph + 12);  // load address: .data's initial values in flash
    const uint32_t filesz = load_le32(ph + 16);
    if (filesz == 0) continue;  // .bss and stack: nothing to program
    if (offset > b.size() || b.size() - offset < filesz) {
      return fail(name + ": ELF segment " + std::to_string(i) + " lies outside the file");
    }
    segments.push_back({paddr, offset, filesz});
  }
  if (segments.empty()) return fail(name + ": ELF has no loadable data (empty)");

  // What goes to flash, as `objcopy -O binary` takes it: the allocated sections with contents,
  // each at its load address (its segment's physical address plus its offset in the segment).
  // GNU ld usually maps the ELF and program headers into the first segment, below the vector
  // table: they belong to no section and are left out. Without section headers, the segments
  // themselves, less any bytes of the headers they map.
  auto pieces = allocated_sections(b, segments);
  if (!pieces) return fail(name + ": " + pieces.error());
  if (pieces->empty()) {
    const uint32_t headers_end = phoff + static_cast<uint32_t>(phnum) * phentsize;
    for (const Segment& s : segments) {
      if (s.offset >= headers_end) {
        pieces->push_back(s);
      } else if (s.offset + s.size > headers_end) {
        const uint32_t skip = headers_end - s.offset;
        pieces->push_back({s.address + skip, headers_end, s.size - skip});
      }
    }
  }
  if (pieces->empty()) return fail(name + ": ELF has no loadable data (empty)");
  for (const Segment& s : *pieces) {
    if (s.address < flash_map::kFlashBase || s.address >= flash_map::kFlashEnd ||
        flash_map::kFlashEnd - s.address < s.size) {
      return fail(name + ": " + std::to_string(s.size) + " bytes to load at " + addr(s.address) +
                  " are not in flash");
    }
  }
  std::sort(pieces->begin(), pieces->end(),
            [](const Segment& x, const Segment& y) { return x.address < y.address; });
  for (size_t i = 1; i < pieces->size(); ++i) {
    if ((*pieces)[i].address - (*pieces)[i - 1].address < (*pieces)[i - 1].size) {
      return fail(name + ": ELF contents overlap at " + addr((*pieces)[i].address));
    }
  }
  const uint32_t base = pieces->front().address;
  const uint32_t end = pieces->back().address + pieces->back().size;  // within flash: checked
  LoadedApp app;
  app.from_elf = true;
  app.vector_address = base;
  app.payload.assign(end - base, flash_map::kErasedByte);  // gaps read as erased flash
  for (const Segment& s : *pieces) {
    std::copy_n(b.begin() + s.offset, s.size, app.payload.begin() + (s.address - base));
  }
  return app;
}

Expected<LoadedApp> load_bin(std::span<const uint8_t> b, const std::string& name,
                             uint32_t vector_address) {
  if (b.empty()) return fail(name + ": file is empty");
  LoadedApp app;
  app.payload.assign(b.begin(), b.end());
  app.vector_address = vector_address;
  return app;
}

Expected<LoadedApp> load_app_file(const std::filesystem::path& path,
                                  flash_map::Slot intended_slot) {
  const std::string name = path.filename().string();
  auto read = read_file(path, kMaxInputFileSize);
  if (!read) return read.failure();
  const std::vector<uint8_t>& data = *read;
  if (data.empty()) return fail(name + ": file is empty");
  if (is_elf(data)) return load_elf(data, name);
  if (path.extension() == ".bin") {
    return load_bin(data, name, flash_map::slot_vector_address(intended_slot));
  }
  return fail(name + ": not an ELF file, and not a raw binary (raw binaries must end in .bin)");
}

Expected<void> check_app_for_slot(const LoadedApp& app, flash_map::Slot slot,
                                  const std::string& name) {
  const uint32_t expected = flash_map::slot_vector_address(slot);
  const std::string slot_str(1, flash_map::slot_name(slot));
  if (app.payload.empty()) return fail(name + ": is empty");
  if (app.from_elf && app.vector_address != expected) {
    std::string hint;
    if (app.vector_address == flash_map::slot_address(slot)) {
      hint = " (the slot's first " + std::to_string(flash_map::kHeaderSize) +
             " bytes hold the image header: link the application at ORIGIN = " + addr(expected) +
             ")";
    } else if (app.vector_address == flash_map::slot_vector_address(flash_map::other_slot(slot))) {
      hint = std::string(" (linked for slot ") + flash_map::slot_name(flash_map::other_slot(slot)) +
             ")";
    }
    return fail(name + ": vector table at " + addr(app.vector_address) + ", expected " +
                addr(expected) + " for slot " + slot_str + hint);
  }

  if (app.payload.size() > flash_map::kMaxPayloadSize) {
    return fail(name + ": " + std::to_string(app.payload.size()) + " bytes do not fit slot " +
                slot_str + " (at most " + std::to_string(flash_map::kMaxPayloadSize) +
                " bytes: 384 KB - 512 header)");
  }
  if (app.payload.size() < 8) {
    return fail(name + ": " + std::to_string(app.payload.size()) +
                " bytes are too short for a vector table");
  }
  const uint32_t sp = load_le32(app.payload.data());
  const uint32_t reset = load_le32(app.payload.data() + 4);
  if (!((sp > kSramBase && sp <= kSramEnd) || (sp > kCcmBase && sp <= kCcmEnd))) {
    return fail(name + ": initial stack pointer " + addr(sp) +
                " is not in RAM (is this a vector table at " + addr(expected) + "?)");
  }
  const uint32_t code_end = expected + static_cast<uint32_t>(app.payload.size());
  if ((reset & 1) == 0 || (reset & ~1u) < expected || (reset & ~1u) >= code_end) {
    std::string msg = name + ": reset vector " + addr(reset) + " does not point into slot " +
                      slot_str + " (" + addr(expected) + ".." + addr(code_end) + ", Thumb bit set)";
    const flash_map::Slot other = flash_map::other_slot(slot);
    const uint32_t other_base = flash_map::slot_vector_address(other);
    if ((reset & ~1u) >= other_base && (reset & ~1u) - other_base < app.payload.size()) {
      msg += "; it looks linked for slot ";
      msg += flash_map::slot_name(other);
    }
    return fail(msg);
  }
  return {};
}

}  // namespace fota::release
