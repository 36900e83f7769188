// SPDX-License-Identifier: Apache-2.0
// The core's RomTarget as the ESP32 port wires it (4 KB read cache, its console echo; no ESP-IDF)
// driven by the update engine against vstm32's model of ST's ROM bootloader: a simulated 115200 8E1
// wire and BOOT0/NRST that reset the model into the ROM. An ESP32 runs the same code over its
// UART/GPIO/clock adapters.
#include "fota_esp32/rom_target.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "../../update/test/fakes.h"
#include "bootcore/boot.h"
#include "fake_rom_bus.h"
#include "fota_esp32/config.h"
#include "rom_wire.h"
#include "test_support.h"
#include "update/engine.h"
#include "vstm32/rom_bootloader.h"

namespace fota::esp32 {
namespace {

using flash_map::Slot;
using vstm32::testing::FakeRomBus;

// The ESP32's side of the wire, its pins and its clock, in simulated time (moves only through
// bytes and waits). With BOOT0 low after a reset the application runs: the ROM is silent.
class SimBoard final : public vstm32::testing::RomWire,
                       public an3155::TargetPins,
                       public update::Clock {
 public:
  SimBoard(FakeRomBus& bus, vstm32::RomBootloader& rom) : RomWire(bus, rom) {}

  an3155::PortStatus write(std::span<const uint8_t> bytes) override {
    for (uint8_t b : bytes) {
      const uint64_t at = next_arrival();
      if (in_rom_) deliver(b, at);
    }
    return an3155::PortStatus::kOk;
  }
  an3155::PortStatus configure(uint32_t baud, an3155::Parity parity) override {
    configured.emplace_back(baud, parity);
    return an3155::PortStatus::kOk;
  }
  an3155::PortStatus set_boot0(bool high) override {
    boot0 = high;
    return an3155::PortStatus::kOk;
  }
  an3155::PortStatus set_reset(bool asserted) override {
    if (reset && !asserted) {  // NRST released: the chip starts
      in_rom_ = boot0;
      if (in_rom_) {
        rom_.reset(now_);
      } else {
        rom_.stop();
        ++app_starts;
      }
    }
    reset = asserted;
    return an3155::PortStatus::kOk;
  }
  uint64_t now_ms() override { return now_ / 1'000'000; }

  bool boot0 = false;
  bool reset = false;
  unsigned app_starts = 0;
  std::vector<std::pair<uint32_t, an3155::Parity>> configured;

 private:
  bool in_rom_ = false;
};

// bootcore's view of the model's flash, to check what landed without the code under test.
class BusFlash final : public bootcore::Flash {
 public:
  explicit BusFlash(FakeRomBus& bus) : bus_(bus) {}
  bootcore::FlashStatus read(uint32_t address, std::span<uint8_t> out) override {
    std::memcpy(out.data(), bus_.flash.data() + (address - FakeRomBus::kFlashBase), out.size());
    return bootcore::FlashStatus::kOk;
  }
  bootcore::FlashStatus program_words(uint32_t, std::span<const uint32_t>) override {
    return bootcore::FlashStatus::kWriteProtected;
  }
  bootcore::FlashStatus erase_sector(unsigned) override {
    return bootcore::FlashStatus::kWriteProtected;
  }

 private:
  FakeRomBus& bus_;
};

std::vector<uint8_t> image_file(Slot slot, Version version, uint32_t payload, const char* product) {
  auto base = bootcore::test::make_image(slot, version, payload, 7);
  ImageHeader header = base.header;
  std::memset(header.product.data(), 0, kProductNameSize);
  std::strncpy(header.product.data(), product, kProductNameSize - 1);
  const auto h = encode_image_header(header);
  std::vector<uint8_t> file(h.begin(), h.end());
  file.insert(file.end(), base.bytes.begin() + kImageHeaderSize,
              base.bytes.begin() + kImageHeaderSize + payload);
  return file;
}

class Esp32RomTargetTest : public ::testing::Test {
 protected:
  Esp32RomTargetTest() : model(bus, vstm32::RomVersion::kV3_1), board(bus, model) {}

  update::Outcome install(const char* product) {
    update::Policy policy;
    std::strncpy(policy.product.data(), "demo", kProductNameSize - 1);
    policy.require_signature = false;
    policy.wait_outcome = false;  // the model has no CPU to run the new image
    update::Engine engine(target, board, reporter, nullptr, nullptr);
    file_a = image_file(Slot::kA, Version{2, 0, 0, 3}, 6000, product);
    file_b = image_file(Slot::kB, Version{2, 0, 0, 3}, 6000, product);
    update::test::MemorySource a(file_a), b(file_b);
    return engine.run(update::Release{{&a, &b}}, policy);
  }

  FakeRomBus bus;
  vstm32::RomBootloader model;
  SimBoard board;
  an3155::Bootloader rom{board, &board, board};
  std::array<uint8_t, kRomReadCacheBytes> cache{};
  RomConsoleEcho echo;
  an3155::RomTarget target{rom, board, board, cache, {}, &echo};
  update::test::RecordingReporter reporter;
  std::vector<uint8_t> file_a, file_b;
};

TEST_F(Esp32RomTargetTest, InstallsAReleaseAndCommitsTrialThroughTheRom) {
  const update::Outcome out = install("demo");
  ASSERT_EQ(out.state, update::State::kTrial)
      << update::to_string(out.failure.reason) << ": " << target.last_error();
  EXPECT_EQ(out.slot, Slot::kA);  // blank device: the first image goes to A
  const uint32_t at = flash_map::slot_address(Slot::kA) - FakeRomBus::kFlashBase;
  EXPECT_TRUE(std::equal(file_a.begin(), file_a.end(), bus.flash.begin() + at));
  // Erased: the part of slot A the image covers (sector 5 of 5..7) and, on this blank device, the
  // boot log's areas (sectors 11 and 3); never slot B or the bootloader.
  ASSERT_FALSE(bus.erased.empty());
  EXPECT_EQ(std::count(bus.erased.begin(), bus.erased.end(), 5u), 1);
  for (unsigned sector : bus.erased)
    EXPECT_TRUE(sector == 5 || sector == 11 || sector == 3) << sector;
  // The boot log, read independently, holds the TRIAL request for this image.
  BusFlash flash(bus);
  bootcore::MetaLog log(flash);
  ASSERT_EQ(log.load(), bootcore::LogStatus::kOk);
  const bootcore::SlotInfo info = bootcore::slot_info(flash, log, Slot::kA);
  EXPECT_EQ(info.state, bootcore::SlotState::kTrial);
  EXPECT_EQ(info.header.version.major, 2);
  // Left the ROM: BOOT0 low, NRST released, the application started; console at 115200 8N1 is
  // not needed without waiting for the verdict.
  EXPECT_FALSE(board.boot0);
  EXPECT_FALSE(board.reset);
  EXPECT_EQ(board.app_starts, 1u);
  EXPECT_EQ(board.configured.front().second, an3155::Parity::kEven);
}

TEST_F(Esp32RomTargetTest, ReportsTheDeviceUniqueId) {
  update::DeviceId id;
  ASSERT_EQ(target.open(id), update::TargetError::kOk) << target.last_error();
  for (unsigned i = 0; i < 12; ++i) EXPECT_EQ(id.uid[i], 0x10 + i);
  EXPECT_EQ(id.pid, 0x413);
  EXPECT_EQ(id.flash_kb, 1024);
  update::BootState state;
  ASSERT_EQ(target.read_boot_state(state), update::TargetError::kOk) << target.last_error();
  EXPECT_EQ(state.install_slot, Slot::kA);
  ASSERT_EQ(target.reboot(), update::TargetError::kOk);
}

TEST_F(Esp32RomTargetTest, ImageForAnotherProductIsRefusedBeforeAnythingIsErased) {
  const update::Outcome out = install("other");
  EXPECT_EQ(out.state, update::State::kFailed);
  EXPECT_EQ(out.failure.reason, update::FailReason::kWrongProduct);
  EXPECT_TRUE(bus.erased.empty());
  EXPECT_EQ(model.stats().bytes_written, 0u);
}

TEST_F(Esp32RomTargetTest, NoRomAnswerIsANamedFailure) {
  // NRST is wired but BOOT0 stays low (a board without BOOT0): the application runs, the ROM
  // never answers 0x7F.
  class NoBoot0 final : public an3155::TargetPins {
   public:
    explicit NoBoot0(SimBoard& board) : board_(board) {}
    an3155::PortStatus set_boot0(bool) override { return an3155::PortStatus::kOk; }
    an3155::PortStatus set_reset(bool asserted) override { return board_.set_reset(asserted); }

   private:
    SimBoard& board_;
  } pins(board);
  an3155::Bootloader silent(board, &pins, board);
  an3155::RomTarget no_rom(silent, board, board, cache, {}, &echo);
  update::DeviceId id;
  EXPECT_EQ(no_rom.open(id), update::TargetError::kTimeout);
  EXPECT_NE(
      std::string(no_rom.last_error()).find("cannot reach the ROM bootloader on the target UART"),
      std::string::npos)
      << no_rom.last_error();
}

}  // namespace
}  // namespace fota::esp32
