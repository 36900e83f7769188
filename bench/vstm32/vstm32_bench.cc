// SPDX-License-Identifier: Apache-2.0
// Speed of vstm32::Machine on this host, with the real ARM test program testfw-crc:
//  1. boot-and-run a 384 KB CRC check: power-on to the result line on USART1 (the program
//     switches to 168 MHz, computes the CRC-32 of slot A with the CRC unit, prints it), in
//     simulated and in wall-clock time;
//  2. guest MIPS with every peripheral hook on, the cycle model off (--no-cycle-model): the
//  program's compute loop afterwards (ALU,
//     multiplies, RAM loads/stores, SysTick interrupt every 1 ms, IWDG kick per round), guest
//     instructions per wall-clock second;
//  2b. the same with the cycle model on (MachineConfig::cycle_model, the default): its cost in
//  MIPS, and the
//     cycles per instruction it gives the loop;
//  3. an interrupt-heavy load: TIM6 update interrupts at 100 kHz at HCLK 16 MHz (one every 160
//     cycles; the handler clears UIF) over a counting loop in SRAM: interrupts and guest
//     instructions per wall-clock second.
//
//  4. UART interrupt echo at 2 Mbaud: USART1 (16 MHz, OVER8, BRR 0x10) with an RXNE handler in
//     SRAM writing each byte back; the host side sends back to back (5 us a byte): bytes echoed
//     per wall-clock second.
//
//   vstm32_bench [--short] [--seconds S]   (S: simulated seconds of the MIPS run, default 5)
// Exit status 1 when the program does not reach its result line or the CRC is wrong.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>

#include "testfw.h"
#include "vstm32/machine.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// zlib's CRC-32, bitwise, to check the program's answer.
uint32_t reference_crc32(const std::vector<uint8_t>& data) {
  uint32_t crc = 0xFFFF'FFFF;
  for (uint8_t b : data) {
    crc ^= b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB8'8320u : crc >> 1;
  }
  return ~crc;
}

// A powered machine whose vectors put SP and the reset handler in SRAM (the caller writes the
// code there through the debug port).
std::unique_ptr<vstm32::Machine> powered_machine_running_from_sram() {
  auto created = vstm32::Machine::create({});
  if (!created) return nullptr;
  auto m = std::move(created).value();
  const uint8_t vectors[8] = {0x00, 0x00, 0x01, 0x20, 0x01, 0x00, 0x00, 0x20};  // SP, reset
  m->load_flash(vstm32::kFlashBase, vectors);
  m->power_on();
  return m;
}

// TIM6 at 100 kHz over `adds r0, #1; b` in SRAM; set up through the probe.
bool interrupt_load(double seconds) {
  auto m = powered_machine_running_from_sram();
  if (!m) return false;
  auto w = [&](uint32_t address, uint32_t value) { return m->debug_write32(address, value); };
  bool ok = w(0x2000'0000, 0xE7FD'3001u)                     // adds r0, #1 ; b.n .-2
            && w(0x2000'0100, 0x2200'4901u)                  // ldr r1, [pc, #4] ; movs r2, #0
            && w(0x2000'0104, 0x4770'600Au)                  // str r2, [r1] ; bx lr
            && w(0x2000'0108, 0x4000'1010u)                  // TIM6_SR
            && w(0x2000'0200 + (16 + 54) * 4, 0x2000'0101u)  // TIM6_DAC vector
            && w(0xE000'ED08, 0x2000'0200u)                  // VTOR
            && w(0x4002'3840, 1u << 4)                       // RCC APB1ENR: TIM6
            && w(0x4000'102C, 160 - 1)                       // ARR: 16 MHz / 160 = 100 kHz
            && w(0x4000'100C, 1)                             // UIE
            && w(0xE000'E104, 1u << (54 - 32))               // NVIC ISER1: TIM6_DAC
            && w(0x4000'1000, 1);                            // CEN
  if (!ok) return false;
  const uint64_t i0 = m->instructions();
  const auto w0 = Clock::now();
  m->run_for_ns(static_cast<uint64_t>(seconds * 1e9));
  const double wall_s = ms_since(w0) / 1000.0;
  const uint64_t n = m->instructions() - i0;
  const double interrupts = seconds * 100'000;
  std::printf("interrupt load (TIM6 update at 100 kHz, HCLK 16 MHz, handler in SRAM):\n");
  std::printf(
      "  %.0f interrupts, %llu instructions in %.3f s simulated, %.3f s wall: %.0f "
      "interrupts/s, %.1f MIPS (%.2fx real time)\n",
      interrupts, static_cast<unsigned long long>(n), seconds, wall_s, interrupts / wall_s,
      static_cast<double>(n) / wall_s / 1e6, seconds / wall_s);
  return m->mode() == vstm32::Mode::kCpu;
}

// USART1 at 2 Mbaud echoing from its RXNE interrupt; the host sends a byte every frame.
bool uart_echo(double seconds) {
  auto m = powered_machine_running_from_sram();
  if (!m) return false;
  auto w = [&](uint32_t address, uint32_t value) { return m->debug_write32(address, value); };
  bool ok = w(0x2000'0000, 0xE7FD'3001u)                     // adds r0, #1 ; b.n .-2
            && w(0x2000'0100, 0x684A'4901u)                  // ldr r1, [pc, #4] ; ldr r2, [r1, #4]
            && w(0x2000'0104, 0x4770'604Au)                  // str r2, [r1, #4] ; bx lr
            && w(0x2000'0108, 0x4001'1000u)                  // USART1
            && w(0x2000'0200 + (16 + 37) * 4, 0x2000'0101u)  // USART1 vector
            && w(0xE000'ED08, 0x2000'0200u)                  // VTOR
            && w(0x4002'3844, 1u << 4)                       // RCC APB2ENR: USART1
            && w(0x4001'1008, 0x10)                          // BRR: OVER8, USARTDIV 1: 2 Mbaud
            && w(0x4001'100C, (1u << 15) | (1u << 13) | (1u << 5) | (1u << 3) | (1u << 2)) &&
            w(0xE000'E104, 1u << (37 - 32));  // NVIC ISER1: USART1
  if (!ok || m->uart_baud(1) != 2'000'000) return false;
  const uint64_t frame_ns = 10ull * 1'000'000'000 / m->uart_baud(1);
  const auto bytes = static_cast<uint64_t>(seconds * 1e9) / frame_ns;
  const auto w0 = Clock::now();
  uint64_t echoed = 0;
  for (uint64_t i = 0; i < bytes; ++i) {
    m->uart_receive(1, static_cast<uint8_t>(i));
    m->run_for_ns(frame_ns);
    echoed += m->take_uart_tx(1).size();
    m->clear_uart_text(1);
  }
  m->run_for_ns(2 * frame_ns);
  echoed += m->take_uart_tx(1).size();
  const double wall_s = ms_since(w0) / 1000.0;
  std::printf("UART interrupt echo at 2 Mbaud (USART1, HCLK 16 MHz, handler in SRAM):\n");
  std::printf(
      "  %llu bytes sent back to back, %llu echoed, %.3f s simulated, %.3f s wall: "
      "%.0f bytes/s echoed (%.2fx real time)\n",
      static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(echoed), seconds,
      wall_s, static_cast<double>(echoed) / wall_s, seconds / wall_s);
  return echoed == bytes;
}

}  // namespace

int main(int argc, char** argv) {
  double mips_seconds = 5.0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--short") == 0) {
      mips_seconds = 0.05;
    } else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      mips_seconds = std::strtod(argv[++i], nullptr);
    } else {
      std::fprintf(stderr, "usage: vstm32_bench [--short] [--seconds S]\n");
      return 2;
    }
  }
  const std::string path = std::string(FOTA_ARTIFACTS_DIR) + "/testfw-crc.bin";
  const std::vector<uint8_t> program = read_file(path);
  if (program.empty()) {
    std::fprintf(stderr, "vstm32_bench: cannot read %s (build the firmware target)\n",
                 path.c_str());
    return 1;
  }
  std::mt19937 rng(42);
  std::vector<uint8_t> slot(testfw::kCrcBytes);
  for (auto& b : slot) b = static_cast<uint8_t>(rng());
  char want[96];
  std::snprintf(want, sizeof want, "crc: crc32 0x%08x+%u=0x%08x unit\n", testfw::kCrcAddress,
                testfw::kCrcBytes, reference_crc32(slot));

  // ---- 1. boot and run the CRC check ----
  const auto wall0 = Clock::now();
  // The CRC program and its slot on a new machine (nullptr after printing why it was refused).
  auto crc_machine = [&](bool cycle_model) -> std::unique_ptr<vstm32::Machine> {
    vstm32::MachineConfig config;
    config.cycle_model = cycle_model;
    auto created = vstm32::Machine::create(config);
    if (!created) {
      std::fprintf(stderr, "vstm32_bench: %s\n", created.error().c_str());
      return nullptr;
    }
    auto machine = std::move(created).value();
    machine->load_flash(vstm32::kFlashBase, program);
    machine->load_flash(testfw::kCrcAddress, slot);
    return machine;
  };
  auto m = crc_machine(false);  // 1 and 2: one cycle per instruction (the figures before)
  if (m == nullptr) return 1;
  const auto wall_boot = Clock::now();
  m->power_on();
  const bool got = m->run_until([&] { return m->uart_text().find(want) != std::string::npos; },
                                2'000'000'000, 10'000);
  const double boot_wall_ms = ms_since(wall_boot);
  const double total_wall_ms = ms_since(wall0);
  if (!got) {
    std::fprintf(stderr, "vstm32_bench: no (right) CRC line; USART1:\n%s\nwanted: %s",
                 m->uart_text().c_str(), want);
    return 1;
  }
  // The line is complete when its last byte's stop bit has left (10 bits at the UART's rate).
  uint64_t line_done_ns = 0;
  const auto tx = m->take_uart_tx();
  if (!tx.empty() && m->uart_baud() != 0) {
    line_done_ns = tx.back().at_ns + 10ull * 1'000'000'000 / m->uart_baud();
  }
  std::printf("boot-and-run 384 KB CRC check (testfw-crc, CRC unit, 168 MHz):\n");
  std::printf("  simulated: %.3f ms from power-on to the result line (incl. its UART wire time)\n",
              static_cast<double>(line_done_ns) / 1e6);
  std::printf("  guest instructions: %llu\n", static_cast<unsigned long long>(m->instructions()));
  std::printf("  wall: %.2f ms to run it (%.2f ms incl. machine creation and loading)\n",
              boot_wall_ms, total_wall_ms);

  // ---- 2. MIPS ----
  const uint64_t i0 = m->instructions();
  const uint64_t t0 = m->now_ns();
  const auto w0 = Clock::now();
  m->run_for_ns(static_cast<uint64_t>(mips_seconds * 1e9));
  const double wall_s = ms_since(w0) / 1000.0;
  const uint64_t n = m->instructions() - i0;
  const double sim_s = static_cast<double>(m->now_ns() - t0) / 1e9;
  if (m->mode() != vstm32::Mode::kCpu || m->resets() != 1) {
    std::fprintf(stderr, "vstm32_bench: the compute loop did not keep running (%s)\n",
                 m->status().c_str());
    return 1;
  }
  std::printf(
      "guest speed without the cycle model (compute loop, SysTick 1 kHz interrupts, IWDG kicks, "
      "all hooks on):\n");
  std::printf("  %llu instructions in %.3f s simulated, %.3f s wall: %.1f MIPS (%.2fx real time)\n",
              static_cast<unsigned long long>(n), sim_s, wall_s,
              static_cast<double>(n) / wall_s / 1e6, sim_s / wall_s);

  // ---- 2b. MIPS with the cycle model ----
  auto c = crc_machine(true);
  if (c == nullptr) return 1;
  c->power_on();
  if (!c->run_until([&] { return c->uart_text().find(want) != std::string::npos; }, 2'000'000'000,
                    10'000)) {
    std::fprintf(stderr, "vstm32_bench: no CRC line with the cycle model\n");
    return 1;
  }
  const uint64_t ci0 = c->instructions(), cc0 = c->cycles(), ct0 = c->now_ns();
  const auto cw0 = Clock::now();
  c->run_for_ns(static_cast<uint64_t>(mips_seconds * 1e9));
  const double cwall_s = ms_since(cw0) / 1000.0;
  const uint64_t cn = c->instructions() - ci0;
  const double csim_s = static_cast<double>(c->now_ns() - ct0) / 1e9;
  std::printf("guest speed with the cycle model (the same loop):\n");
  std::printf(
      "  %llu instructions in %.3f s simulated, %.3f s wall: %.1f MIPS (%.2fx real time), "
      "%.2f cycles per instruction\n",
      static_cast<unsigned long long>(cn), csim_s, cwall_s, static_cast<double>(cn) / cwall_s / 1e6,
      csim_s / cwall_s,
      static_cast<double>(c->cycles() - cc0) / static_cast<double>(std::max<uint64_t>(cn, 1)));
  if (!interrupt_load(mips_seconds / 5)) return 1;
  return uart_echo(mips_seconds / 5) ? 0 : 1;
}
