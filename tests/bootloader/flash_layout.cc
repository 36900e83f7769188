// SPDX-License-Identifier: Apache-2.0
#include "flash_layout.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>

#include "bootcore/boot.h"
#include "bootcore/meta_log.h"
#include "format/crc32.h"
#include "format/sha256.h"

namespace fota::boot_test {

using bootcore::FlashStatus;
using flash_map::kFlashBase;
using flash_map::kFlashSize;

bool BufferFlash::in_range(uint32_t address, uint64_t size) const {
  return address >= kFlashBase && address - kFlashBase + size <= bytes_.size();
}

FlashStatus BufferFlash::read(uint32_t address, std::span<uint8_t> out) {
  if (!in_range(address, out.size())) return FlashStatus::kOutOfRange;
  std::memcpy(out.data(), &bytes_[address - kFlashBase], out.size());
  return FlashStatus::kOk;
}

FlashStatus BufferFlash::program_words(uint32_t address, std::span<const uint32_t> words) {
  if (!in_range(address, words.size() * 4)) return FlashStatus::kOutOfRange;
  if (address % 4 != 0) return FlashStatus::kMisaligned;
  for (size_t i = 0; i < words.size(); ++i) {
    uint8_t* p = &bytes_[address - kFlashBase + 4 * i];
    for (int b = 0; b < 4; ++b) p[b] &= static_cast<uint8_t>(words[i] >> (8 * b));
  }
  return FlashStatus::kOk;
}

FlashStatus BufferFlash::erase_sector(unsigned sector) {
  if (sector >= flash_map::kSectorCount) return FlashStatus::kOutOfRange;
  const auto& s = flash_map::kSectors[sector];
  std::memset(&bytes_[s.address - kFlashBase], 0xFF, s.size);
  return FlashStatus::kOk;
}

const uint8_t* BufferFlash::mapped(uint32_t address, uint32_t size) {
  return in_range(address, size) ? &bytes_[address - kFlashBase] : nullptr;
}

std::filesystem::path artifact_path(const std::string& name) {
  return std::filesystem::path(FOTA_ARTIFACTS_DIR) / name;
}

std::vector<uint8_t> read_artifact(const std::string& name) {
  const auto path = artifact_path(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "missing firmware artefact %s (build the `firmware` target)\n",
                 path.c_str());
    std::abort();
  }
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::vector<uint8_t> make_image(std::span<const uint8_t> payload, flash_map::Slot slot,
                                const Version& version, const std::string& product) {
  ImageHeader h;
  h.vector_address = flash_map::slot_vector_address(slot);
  h.payload_size = static_cast<uint32_t>(payload.size());
  h.version = version;
  h.payload_crc32 = crc32(payload);
  h.payload_sha256 = sha256(payload);
  std::memcpy(h.product.data(), product.data(), std::min(product.size(), h.product.size()));
  const auto header = encode_image_header(h);
  std::vector<uint8_t> image(header.begin(), header.end());
  image.insert(image.end(), payload.begin(), payload.end());
  return image;
}

std::vector<uint8_t> full_slot_payload(const std::string& name) {
  std::vector<uint8_t> payload = read_artifact(name);
  std::mt19937 rng(1);
  while (payload.size() < flash_map::kMaxPayloadSize)
    payload.push_back(static_cast<uint8_t>(rng()));
  return payload;
}

uint32_t reset_handler_of(std::span<const uint8_t> payload) {
  uint32_t handler = 0;
  if (payload.size() >= 8) std::memcpy(&handler, &payload[4], 4);
  return handler;
}

Version demo_version(const std::string& app) {
  static const std::map<std::string, Version> kVersions = {
      {"demo-v1", {1, 0, 0, 0}},        {"demo-v2", {2, 0, 0, 0}},
      {"demo-v3", {3, 0, 0, 0}},        {"demo-noconfirm", {2, 1, 0, 0}},
      {"demo-hardfault", {2, 2, 0, 0}}, {"demo-hang", {2, 3, 0, 0}},
  };
  const auto it = kVersions.find(app);
  if (it == kVersions.end()) {
    std::fprintf(stderr, "unknown demo application %s\n", app.c_str());
    std::abort();
  }
  return it->second;
}

std::vector<uint8_t> demo_image(const std::string& app, flash_map::Slot slot) {
  const auto payload = read_artifact(app + "-" + flash_map::slot_name(slot) + ".bin");
  return make_image(payload, slot, demo_version(app));
}

FlashLayout::FlashLayout() : bytes_(kFlashSize, 0xFF), flash_(bytes_) {}

void FlashLayout::put(uint32_t address, std::span<const uint8_t> data) {
  std::memcpy(&bytes_.at(address - kFlashBase), data.data(), data.size());
}

void FlashLayout::assign(std::span<const uint8_t> flash_bytes) {
  std::memcpy(bytes_.data(), flash_bytes.data(), std::min(flash_bytes.size(), bytes_.size()));
}

void FlashLayout::put_bootloader(const std::string& artifact) {
  put(flash_map::kBootloaderAddress, read_artifact(artifact));
}

void FlashLayout::put_image(flash_map::Slot slot, std::span<const uint8_t> image) {
  const unsigned first = flash_map::kSlotFirstSector[static_cast<unsigned>(slot)];
  for (unsigned s = first; s < first + flash_map::kSlotSectorCount; ++s) {
    (void)flash_.erase_sector(s);
  }
  put(flash_map::slot_address(slot), image);
}

bool FlashLayout::append_trial(flash_map::Slot slot, uint8_t max_attempts) {
  const bootcore::SlotHeader h = bootcore::read_slot_header(flash_, slot);
  if (!h.verdict.ok()) return false;
  bootcore::MetaLog log(flash_);
  return bootcore::request_trial(log, slot, h.header, max_attempts) == bootcore::LogStatus::kOk;
}

bool FlashLayout::append_confirmed(flash_map::Slot slot) {
  bootcore::MetaLog log(flash_);
  const auto st = bootcore::confirm(flash_, log, slot, RecordWriter::kFactory);
  return st == bootcore::ConfirmStatus::kConfirmed ||
         st == bootcore::ConfirmStatus::kAlreadyConfirmed;
}

bool FlashLayout::put_confirmed_v1() {
  put_demo(flash_map::Slot::kA, "demo-v1");
  return append_confirmed(flash_map::Slot::kA);
}

bool FlashLayout::put_trial_b_over_v1(std::span<const uint8_t> image_b) {
  if (!put_confirmed_v1()) return false;
  put_image(flash_map::Slot::kB, image_b);
  return append_trial(flash_map::Slot::kB);
}

void FlashLayout::corrupt_payload(flash_map::Slot slot, uint32_t offset) {
  bytes_.at(flash_map::slot_vector_address(slot) - kFlashBase + offset) ^= 0xFF;
}

bool FlashLayout::save(const std::filesystem::path& file) const {
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes_.data()),
            static_cast<std::streamsize>(bytes_.size()));
  return static_cast<bool>(out);
}

}  // namespace fota::boot_test
