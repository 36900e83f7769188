// SPDX-License-Identifier: Apache-2.0
// Factory provisioning of a blank vstm32 through its ROM bootloader model with the real
// bootloader-secure binary, then updates through the native path (our bootloader's update mode):
// a signed image boots, an unsigned or wrongly signed one is refused at END (kSignatureInvalid,
// before its header is written); with RDP level 1 the ROM refuses
// memory reads while native updates still work. The host side is the same code `fota provision`
// and `fota flash` run (provision.h, native/host.h) over the machine's USART1 in simulated time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "an3155/an3155.h"
#include "an3155/rom_flash.h"
#include "device.h"
#include "flash_layout.h"
#include "format/image_header.h"
#include "machine_link.h"
#include "native/host.h"
#include "provision.h"
#include "signing.h"

namespace fota::native {
namespace {

using boot_test::Device;
using boot_test::FlashLayout;
using boot_test::TestKey;
using flash_map::Slot;
using native_test::MachineLink;

class SecureProvision : public ::testing::Test {
 protected:
  void SetUp() override {
    device_ = std::make_unique<Device>(blank_);  // a blank chip: all flash erased
    link_ = std::make_unique<MachineLink>(device_->machine());
    device_->power_on();
    request_.bootloader = boot_test::read_artifact("bootloader-secure.bin");
    request_.keys = {current_.public_key, next_.public_key};
  }
  void expect(const std::vector<std::string>& texts, double budget_ms = 3'000) {
    EXPECT_TRUE(device_->run_until(texts, budget_ms))
        << "expected \"" << texts.back() << "\"; USART1 said:\n"
        << device_->output() << "\n"
        << device_->recent_events();
    device_->mark();
  }
  // ROM session (BOOT0 high + reset), then the provisioning step.
  Expected<cli::ProvisionReport> provision(an3155::Bootloader& rom) {
    EXPECT_EQ(rom.enter(), an3155::Status::kOk);
    an3155::DeviceInfo info;
    EXPECT_EQ(rom.identify(info), an3155::Status::kOk);
    return cli::provision(rom, request_, [this](const std::string& line) { said_ += line + "\n"; });
  }
  // BOOT0 low, NRST: the secure bootloader finds no image and waits in update mode; the native
  // host installs `image` into `slot`.
  void native_install(const std::vector<uint8_t>& image, uint8_t slot) {
    HostSession host(*link_, *link_);
    auto hello = host.wake(*link_);
    ASSERT_TRUE(hello.ok()) << to_string(hello.error()) << "\n" << device_->recent_events();
    device_->mark();
    ASSERT_EQ(host.install(image, slot, false), HostError::kOk)
        << to_string(host.last_status()) << "\n"
        << device_->recent_events();
  }
  // The same, for an image the bootloader must refuse at END: returns END's status; the host
  // then says LEAVE and the device boots what it had.
  Status native_install_refused(const std::vector<uint8_t>& image, uint8_t slot) {
    HostSession host(*link_, *link_);
    auto hello = host.wake(*link_);
    EXPECT_TRUE(hello.ok()) << device_->recent_events();
    if (!hello.ok()) return Status::kOk;
    device_->mark();
    EXPECT_EQ(host.install(image, slot, false), HostError::kRefused);
    const Status status = host.last_status();
    EXPECT_EQ(host.leave(), HostError::kOk);
    return status;
  }
  bool slot_header_erased(Slot slot) const {
    const auto flash = device_->flash_copy();
    const uint32_t at = flash_map::slot_address(slot) - flash_map::kFlashBase;
    for (uint32_t i = 0; i < kImageHeaderSize; ++i) {
      if (flash[at + i] != 0xFF) return false;
    }
    return true;
  }
  uint8_t nwrp_sectors_0_2() const { return device_->machine().nwrp_bits() & 0x7u; }

  FlashLayout blank_;
  std::unique_ptr<Device> device_;
  std::unique_ptr<MachineLink> link_;
  cli::ProvisionRequest request_;
  std::string said_;
  TestKey current_{0x41};
  TestKey next_{0x42};
};

TEST_F(SecureProvision, BlankDeviceThenSignedBootsUnsignedRefusedAndRerunIsANoOp) {
  an3155::Bootloader rom(*link_, link_.get(), *link_);
  const double t0 = device_->now_ms();
  auto report = provision(rom);
  const double took = device_->now_ms() - t0;
  ASSERT_TRUE(report.ok()) << report.error() << "\n" << said_;
  std::printf(
      "provisioning a blank chip (%zu-byte bootloader, 2 keys, nWRP 0-2) through the ROM "
      "at 115200 baud: %.0f ms simulated\n",
      request_.bootloader.size(), took);
  RecordProperty("provision_ms", std::to_string(took));
  EXPECT_TRUE(report->bootloader_written);
  EXPECT_TRUE(report->key_block_written);
  EXPECT_TRUE(report->write_protect_set);
  EXPECT_FALSE(report->readout_protect_set);
  EXPECT_EQ(nwrp_sectors_0_2(), 0u);
  EXPECT_EQ(device_->machine().rdp_level_byte(), 0xAA);
  const auto flash = device_->flash_copy();
  EXPECT_TRUE(std::equal(request_.bootloader.begin(), request_.bootloader.end(), flash.begin()));
  const auto block = bootcore::encode_key_block(request_.keys);
  EXPECT_TRUE(std::equal(block.begin(), block.end(), flash.begin() + 0x8000));

  // Write-protected through the ROM too: erasing sector 0 is refused, flash untouched.
  const uint16_t sector0[] = {0};
  EXPECT_EQ(rom.extended_erase(sector0), an3155::Status::kNack);
  EXPECT_EQ(device_->flash_copy(), flash);

  // Re-run: nothing written, nothing changed.
  said_.clear();
  auto again = provision(rom);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_FALSE(again->bootloader_written || again->key_block_written || again->write_protect_set);
  EXPECT_NE(said_.find("already"), std::string::npos) << said_;
  // The same device with another key block asked for: refused, untouched.
  request_.keys = {next_.public_key};
  auto other = provision(rom);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().find("already write-protected"), std::string::npos) << other.error();
  EXPECT_EQ(device_->flash_copy(), flash);

  // Native update of a signed image: trial, then confirmed.
  native_install(boot_test::signed_demo("demo-v1", Slot::kA, current_), 0);
  expect({"boot: slot=A version=1.0.0 decision=trial", "demo 1.0.0 slot A\n", "confirmed\n"});
  // Images the key block does not vouch for are refused at END, before their header is written
  // (kSignatureInvalid, its own status): unsigned, signed by an unknown key, a damaged signature.
  // The slot holds no header, nothing is committed, and A runs on as before.
  TestKey stranger{0x43};
  std::vector<uint8_t> tampered = boot_test::signed_demo("demo-v2", Slot::kB, current_);
  {  // a bit of the ed25519 signature flipped, the header CRC made right again
    auto header = parse_image_header(std::span<const uint8_t>(tampered).first(kImageHeaderSize));
    ASSERT_TRUE(header.ok());
    header->signature[5] ^= 0x01;
    const auto bytes = encode_image_header(*header);
    std::copy(bytes.begin(), bytes.end(), tampered.begin());
  }
  for (const auto& [what, image] :
       {std::pair{"unsigned", boot_test::demo_image("demo-v2", Slot::kB)},
        std::pair{"unknown key", boot_test::signed_demo("demo-v2", Slot::kB, stranger)},
        std::pair{"damaged signature", tampered}}) {
    SCOPED_TRACE(what);
    EXPECT_EQ(native_install_refused(image, 1), Status::kSignatureInvalid);
    EXPECT_TRUE(slot_header_erased(Slot::kB));
    expect({"boot: slot=A version=1.0.0 decision=confirmed", "demo 1.0.0 slot A\n"});
  }
  EXPECT_STREQ(to_string(Status::kSignatureInvalid), "image signature invalid");
  // Signed by the next key (rotation): boots.
  native_install(boot_test::signed_demo("demo-v2", Slot::kB, next_), 1);
  expect({"boot: slot=B version=2.0.0 decision=trial", "demo 2.0.0 slot B\n", "confirmed\n"});
}

TEST_F(SecureProvision, Rdp1RomRefusesReadsNativeUpdateStillWorks) {
  request_.rdp1 = true;
  an3155::Bootloader rom(*link_, link_.get(), *link_);
  auto report = provision(rom);
  ASSERT_TRUE(report.ok()) << report.error() << "\n" << said_;
  EXPECT_TRUE(report->readout_protect_set);
  EXPECT_NE(device_->machine().rdp_level_byte(), 0xAA);
  EXPECT_NE(device_->machine().rdp_level_byte(), 0xCC);
  EXPECT_EQ(nwrp_sectors_0_2(), 0u);

  // The ROM (after a fresh reset into it) refuses Read Memory, and provisioning says why.
  ASSERT_EQ(rom.enter(), an3155::Status::kOk);
  uint8_t word[4];
  EXPECT_EQ(rom.read_memory(0x0800'0000, word), an3155::Status::kProtected);
  said_.clear();
  auto again = provision(rom);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().find("readout-protected (RDP level 1)"), std::string::npos)
      << again.error();

  // Native updates still work on the RDP 1 device: signed boots, unsigned is refused.
  native_install(boot_test::signed_demo("demo-v1", Slot::kA, current_), 0);
  expect({"boot: slot=A version=1.0.0 decision=trial", "demo 1.0.0 slot A\n", "confirmed\n"});
  EXPECT_EQ(native_install_refused(boot_test::demo_image("demo-v2", Slot::kB), 1),
            Status::kSignatureInvalid);
  expect({"boot: slot=A version=1.0.0 decision=confirmed", "demo 1.0.0 slot A\n"});
}

}  // namespace
}  // namespace fota::native
