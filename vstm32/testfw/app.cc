// SPDX-License-Identifier: Apache-2.0
// testfw-app: the test application at 0x0802'0200 (behind testfw-boot) for peer proof 2. Prints
// what it finds and computes on USART1, one line each, so that two independent models of the
// chip (vstm32 and QEMU netduinoplus2) can be compared byte for byte: where it runs from (VTOR,
// its stack), integer and FPU results, a software CRC-32 over the start of its own image, then
// "done" and sleeps. Only what both models implement is touched (no RCC ready flags, CRC unit,
// flash controller or system memory).
#include <cmath>
#include <cstdint>
#include <span>

#include "common.h"
#include "format/crc32.h"
#include "stm32f407/regs.h"
#include "testfw.h"

namespace {

using fota::stm32::reg;

// Integer work: primes below 10'000 (sieve in RAM), 64-bit multiply-accumulate, signed division.
uint32_t g_sieve[10'000 / 32 + 1];

uint32_t count_primes(uint32_t below) {
  for (auto& w : g_sieve) w = 0;
  uint32_t count = 0;
  for (uint32_t n = 2; n < below; ++n) {
    if (g_sieve[n / 32] & (1u << (n % 32))) continue;
    ++count;
    for (uint32_t k = n * n; k < below; k += n) g_sieve[k / 32] |= 1u << (k % 32);
  }
  return count;
}

uint64_t mac64() {
  uint64_t acc = 0x1234'5678'9ABC'DEF0ull;
  for (uint32_t i = 1; i <= 1000; ++i) acc = acc * 6364136223846793005ull + i;
  return acc;
}

int32_t signed_div() {
  volatile int32_t a = -2'000'000'017;
  volatile int32_t b = 97;
  return a / b + a % b;
}

// FPU work (single precision, hardware): a short Newton iteration, a sqrt, a fused multiply-add.
uint32_t float_bits(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  return u;
}

float newton_sqrt2() {
  volatile float x = 1.0f;
  for (int i = 0; i < 6; ++i) x = 0.5f * (x + 2.0f / x);
  return x;
}

uint32_t current_msp() {
  uint32_t v;
  asm volatile("mrs %0, msp" : "=r"(v));
  return v;
}

}  // namespace

int main() {
  testfw::console_init();
  testfw::print("testapp: hello from ");
  testfw::print_hex(testfw::kAppVectorAddress);
  testfw::print("\n");

  testfw::print("testapp: vtor=");
  testfw::print_hex(reg(fota::stm32::scb::kVtor));
  const uint32_t msp = current_msp();
  testfw::print(" stack ");
  testfw::print(msp > 0x2001'0000u && msp <= 0x2002'0000u ? "in sram" : "elsewhere");
  testfw::print("\n");

  testfw::print("testapp: primes<10000=");
  testfw::print_uint(count_primes(10'000));
  const uint64_t m = mac64();
  testfw::print(" mac64=");
  testfw::print_hex(static_cast<uint32_t>(m >> 32));
  testfw::print(":");
  testfw::print_hex(static_cast<uint32_t>(m));
  testfw::print(" sdiv=");
  testfw::print_hex(static_cast<uint32_t>(signed_div()));
  testfw::print("\n");

  const float r = newton_sqrt2();
  volatile float three = 3.0f;
  const float s = std::sqrt(three);
  volatile float a = 1.5f, b = -2.25f, c = 0.125f;
  const float f = std::fma(a, b, c);
  testfw::print("testapp: fpu sqrt2~");
  testfw::print_hex(float_bits(r));
  testfw::print(" sqrt3=");
  testfw::print_hex(float_bits(s));
  testfw::print(" fma=");
  testfw::print_hex(float_bits(f));
  testfw::print(" milli=");
  testfw::print_uint(static_cast<uint32_t>(r * 1000.0f));
  testfw::print("\n");

  const auto* image = reinterpret_cast<const uint8_t*>(testfw::kAppVectorAddress);
  testfw::print("testapp: crc32 ");
  testfw::print_hex(testfw::kAppVectorAddress);
  testfw::print("+");
  testfw::print_uint(testfw::kAppCrcBytes);
  testfw::print("=");
  testfw::print_hex(fota::crc32(std::span<const uint8_t>(image, testfw::kAppCrcBytes)));
  testfw::print("\n");

  testfw::print("done\n");
  testfw::idle();
}
