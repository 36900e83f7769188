// SPDX-License-Identifier: Apache-2.0
// Peer proof 2: one combined flash image (testfw-boot at 0x0800'0000, testfw-app at 0x0802'0200,
// 0xFF everywhere else) prints the same USART1 text on vstm32::Machine and on QEMU's
// netduinoplus2, an independent model of the same core and memory map.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness.h"
#include "qemu_launcher.h"

namespace {

std::vector<uint8_t> combined_image() {
  std::vector<uint8_t> image(vstm32::kFlashSize, 0xFF);
  const auto boot = vstm32_test::artifact("testfw-boot.bin");
  const auto app = vstm32_test::artifact("testfw-app.bin");
  const uint32_t app_offset = testfw::kAppVectorAddress - vstm32::kFlashBase;
  if (boot.empty() || app.empty() || boot.size() > app_offset ||
      app.size() > image.size() - app_offset) {
    ADD_FAILURE() << "testfw-boot.bin / testfw-app.bin missing or too large";
    return {};
  }
  std::copy(boot.begin(), boot.end(), image.begin());
  std::copy(app.begin(), app.end(), image.begin() + app_offset);
  return image;
}

TEST(Vstm32PeerQemuTest, SameUsartOutputOnVstm32AndQemu) {
  const auto image = combined_image();
  ASSERT_FALSE(image.empty());

  auto m = vstm32_test::new_machine();
  ASSERT_NE(m, nullptr);
  m->load_flash(vstm32::kFlashBase, image);
  m->power_on();
  ASSERT_TRUE(vstm32_test::run_until_text(*m, "done\n", 1'000'000'000)) << m->uart_text();
  const std::string ours = m->uart_text();

  const vstm32_test::TempDir dir("vstm32_peer");
  const auto path = dir / "combined.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(image.data()),
              static_cast<std::streamsize>(image.size()));
    ASSERT_TRUE(out.good());
  }
  const auto qemu = fota::test_support::run_qemu(VSTM32_TEST_QEMU, path, {"done\n"}, 30'000);
  ASSERT_TRUE(qemu.started) << "cannot run " << VSTM32_TEST_QEMU;
  ASSERT_TRUE(qemu.complete) << "QEMU printed:\n" << qemu.output;

  EXPECT_EQ(ours, qemu.output);
  // And the text is the one the programs were written to produce (not, say, two empty runs).
  EXPECT_EQ(ours.rfind("testboot: hello\ntestboot: jump to 0x08020200 msp=0x2001ffc0 entry=0x", 0),
            0u)
      << ours;
  EXPECT_NE(ours.find("testapp: vtor=0x08020200 stack in sram\n"), std::string::npos) << ours;
  EXPECT_NE(ours.find("primes<10000=1229 "), std::string::npos) << ours;
  EXPECT_NE(ours.find(" sqrt3=0x3fddb3d7 fma=0xc0500000 milli=1414\n"), std::string::npos) << ours;
  // The app's CRC line matches zlib-style CRC-32 of the same bytes computed here.
  uint32_t crc = 0xFFFF'FFFF;
  const uint32_t app_offset = testfw::kAppVectorAddress - vstm32::kFlashBase;
  for (uint32_t i = 0; i < testfw::kAppCrcBytes; ++i) {
    crc ^= image[app_offset + i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB8'8320u : crc >> 1;
  }
  char want[64];
  std::snprintf(want, sizeof want, "testapp: crc32 0x08020200+4096=0x%08x\n", ~crc);
  EXPECT_NE(ours.find(want), std::string::npos) << ours << "want " << want;
  EXPECT_EQ(ours.substr(ours.size() - 5), "done\n");
}

}  // namespace
