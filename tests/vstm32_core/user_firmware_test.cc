// SPDX-License-Identifier: Apache-2.0
// An ordinary interrupt-driven application (vstm32/testfw/irq.cc) on the machine, linked for
// 0x0800'0000 and, relinked, in slot A behind our bootloader: SysTick delay, TIM2 interrupt
// blinking at the programmed rate, nested interrupts by priority, BASEPRI/PRIMASK masking,
// interrupt-driven echo on USART1 and USART2, the user button through EXTI0, UART DMA (circular
// receive, transmit) and a memory-to-memory DMA copy. Both builds must behave the same.
#include <gtest/gtest.h>
#include <unicorn/unicorn.h>

#include <cstdio>
#include <string>
#include <vector>

#include "flash_layout.h"
#include "harness.h"

namespace {

using vstm32::MachineEvent;
using Kind = MachineEvent::Kind;
namespace fb = fota::boot_test;

std::unique_ptr<vstm32::Machine> make_machine(bool behind_bootloader) {
  if (!behind_bootloader) return vstm32_test::machine_with("testfw-irq.bin");
  fb::FlashLayout layout;
  layout.put_bootloader();
  const std::vector<uint8_t> payload = fb::read_artifact("testfw-irq-A.bin");
  layout.put_image(fota::flash_map::Slot::kA,
                   fb::make_image(payload, fota::flash_map::Slot::kA, fota::Version{1, 0, 0, 0}));
  if (!layout.append_confirmed(fota::flash_map::Slot::kA)) {
    ADD_FAILURE() << "cannot append the confirm record";
    return nullptr;
  }
  auto m = vstm32_test::new_machine();
  if (m == nullptr) return nullptr;
  m->load_flash(vstm32::kFlashBase, layout.bytes());
  return m;
}

// Times (ms) at which LED `name` ("green", "orange", "blue") changed after `from_ns` (what the
// bootloader did with the LEDs before is left out), from kLed events.
std::vector<double> led_edges(const std::vector<MachineEvent>& events, const std::string& name,
                              uint64_t from_ns) {
  std::vector<double> times;
  int last = 0;  // every LED is off after reset
  for (const MachineEvent& e : events) {
    if (e.kind != Kind::kLed) continue;
    const size_t at = e.text.find(name + "=");
    if (at == std::string::npos) continue;
    const int level = e.text[at + name.size() + 1] - '0';
    if (level != last && e.at_ns >= from_ns) {
      times.push_back(static_cast<double>(e.at_ns) / 1e6);
    }
    last = level;
  }
  return times;
}

// Where the core is, for failure messages.
std::string state(vstm32::Machine& m) {
  uint32_t icsr = 0, ispr1 = 0, iabr1 = 0;
  (void)m.debug_read32(0xE000'ED04, icsr);
  (void)m.debug_read32(0xE000'E204, ispr1);
  (void)m.debug_read32(0xE000'E304, iabr1);
  char text[160];
  std::snprintf(text, sizeof text, " icsr=0x%08X ispr1=0x%08X iabr1=0x%08X primask=%u\n", icsr,
                ispr1, iabr1, m.reg(UC_ARM_REG_PRIMASK));
  return m.status() + text + m.uart_text();
}

class Vstm32UserFirmwareTest : public ::testing::TestWithParam<bool> {};

TEST_P(Vstm32UserFirmwareTest, InterruptsTimersUartsAndButtonBehaveAsOnSilicon) {
  auto m = make_machine(GetParam());
  ASSERT_NE(m, nullptr);
  m->power_on();
  std::vector<MachineEvent> events;
  auto collect = [&] {
    for (MachineEvent& e : m->take_events()) events.push_back(std::move(e));
  };

  // 1. HAL_Delay(100) between the two orange LED edges: 99..100 ms on a 1 ms SysTick.
  ASSERT_TRUE(vstm32_test::run_until_text(*m, "delay: done\n")) << state(*m);
  EXPECT_NE(m->uart_text().find("irq: sysclk=168000000\n"), std::string::npos) << state(*m);
  collect();
  // The application starts after the last byte the bootloader sent (if any).
  uint64_t app_ns = 0;
  {
    const std::vector<vstm32::UartByte> bytes = m->take_uart_tx(1);
    const size_t at = m->uart_text(1).find("irq: ");
    ASSERT_NE(at, std::string::npos);
    ASSERT_LT(at, bytes.size());
    if (at > 0) app_ns = bytes[at - 1].at_ns;
  }
  const std::vector<double> orange = led_edges(events, "orange", app_ns);
  ASSERT_EQ(orange.size(), 2u) << state(*m);  // on, off
  EXPECT_GE(orange[1] - orange[0], 99.0);
  EXPECT_LE(orange[1] - orange[0], 100.5);

  // 2. TIM2 at 84 MHz / 8400 / 250: an update interrupt every 25 ms toggles the green LED.
  ASSERT_TRUE(vstm32_test::run_until_text(*m, "tim2: toggles=8\n")) << state(*m);
  collect();
  const std::vector<double> green =
      led_edges(events, "green", static_cast<uint64_t>(orange[0] * 1e6));
  ASSERT_EQ(green.size(), 8u);
  for (size_t i = 1; i < green.size(); ++i) {
    EXPECT_NEAR(green[i] - green[i - 1], 25.0, 0.01) << "toggle " << i;
  }

  // 3./4. Nesting and masking, as the firmware logged them.
  ASSERT_TRUE(vstm32_test::run_until_text(*m, "echo: ready\n")) << state(*m);
  const std::string& text = m->uart_text();
  EXPECT_NE(text.find("nest: 34453 iabr=3 ipsr=46 thread=0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("mask: p|44|5|p5.\n"), std::string::npos) << text;

  // 5. Interrupt-driven echo on USART1 and USART2 (115200 8N1: 86.8 us a byte).
  const std::string one = "hello.", two = "world.";
  for (size_t i = 0; i < one.size(); ++i) {
    m->uart_receive(1, static_cast<uint8_t>(one[i]));
    m->uart_receive(2, static_cast<uint8_t>(two[i]));
    m->run_for_ns(100'000);
  }
  ASSERT_TRUE(vstm32_test::run_until_text(*m, "echo: done overruns=0\n")) << state(*m);
  EXPECT_NE(m->uart_text().find("HELLO.\n"), std::string::npos) << state(*m);
  EXPECT_EQ(m->uart_text(2), "WORLD.");
  EXPECT_NEAR(m->uart_baud(2), 115200.0, 1152.0);  // 42 MHz / BRR 365 = 115068
  ASSERT_TRUE(vstm32_test::run_until_text(*m, "button: ready\n")) << state(*m);

  // 6. The user button: two presses on PA0 reach EXTI0 (the blue LED follows the count).
  collect();
  for (int press = 0; press < 2; ++press) {
    ASSERT_TRUE(m->set_pin(0, 0, true));
    m->run_for_ns(50'000'000);
    ASSERT_TRUE(m->set_pin(0, 0, false));
    m->run_for_ns(50'000'000);
  }
  ASSERT_TRUE(vstm32_test::run_until_text(*m, "button: presses=2\n")) << state(*m);
  collect();
  EXPECT_EQ(led_edges(events, "blue", static_cast<uint64_t>(orange[0] * 1e6)).size(),
            2u);  // on at the first press, off at the next

  // 7. UART DMA on USART2: 12 bytes into an 8-byte circular ring (half, complete, half), sent
  // back upper-cased by a DMA transmit paced by TXE (back to back frames), then the USART's TC.
  ASSERT_TRUE(vstm32_test::run_until_text(*m, "dma: ready\n")) << state(*m);
  (void)m->take_uart_tx(2);
  const std::string three = "abcdefghijkl";
  for (char c : three) {
    m->uart_receive(2, static_cast<uint8_t>(c));
    m->run_for_ns(100'000);
  }
  ASSERT_TRUE(vstm32_test::run_until_text(*m, "m2m: same\ndone\n")) << state(*m);
  EXPECT_NE(m->uart_text().find("dma: log=hthTU ndtr=4\n"), std::string::npos) << state(*m);
  EXPECT_EQ(m->uart_text(2), "WORLD.ABCDEFGHIJKL\n");
  const std::vector<vstm32::UartByte> sent = m->take_uart_tx(2);
  ASSERT_EQ(sent.size(), 13u);
  const double frame_ns = 10 * 1e9 / m->uart_baud(2);
  for (size_t i = 1; i < sent.size(); ++i) {
    EXPECT_NEAR(static_cast<double>(sent[i].at_ns - sent[i - 1].at_ns), frame_ns, 2.0) << i;
  }
  collect();
  for (const MachineEvent& e : events) {
    EXPECT_EQ(e.text.rfind("warning: ", 0), std::string::npos) << e.text;
  }
}

INSTANTIATE_TEST_SUITE_P(Builds, Vstm32UserFirmwareTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("SlotABehindBootloader")
                                             : std::string("AtFlashStart");
                         });

}  // namespace
