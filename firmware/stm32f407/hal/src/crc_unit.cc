// SPDX-License-Identifier: Apache-2.0
#include "stm32f407/crc_unit.h"

#include "format/crc32.h"
#include "stm32f407/regs.h"

namespace fota::stm32 {

namespace {

void unit_reset() {
  reg(crc::kCr) = crc::kCrReset;
}

uint32_t unit_feed(uint32_t word) {
  reg(crc::kDr) = word;
  return reg(crc::kDr);
}

}  // namespace

bool crc_unit_self_test() {
  // Known answers of the F4 unit (docs/stm32-facts.md): 0x1234'5678 -> 0xDF8A'8A2B, 0 ->
  // 0xC704'DD7B.
  unit_reset();
  if (unit_feed(0x1234'5678) != 0xDF8A'8A2B) return false;
  unit_reset();
  if (unit_feed(0) != 0xC704'DD7B) return false;
  unit_reset();
  return true;
}

CrcUnitEngine::CrcUnitEngine() {
  reg(rcc::kAhb1enr) = reg(rcc::kAhb1enr) | rcc::kAhb1Crc;
  dsb();
  hardware_ = crc_unit_self_test();
}

void CrcUnitEngine::release() {
  reg(rcc::kAhb1rstr) = reg(rcc::kAhb1rstr) | rcc::kAhb1Crc;
  reg(rcc::kAhb1rstr) = reg(rcc::kAhb1rstr) & ~rcc::kAhb1Crc;
  reg(rcc::kAhb1enr) = reg(rcc::kAhb1enr) & ~rcc::kAhb1Crc;
  hardware_ = false;
}

Result<uint32_t, bootcore::FlashStatus> CrcUnitEngine::crc32(bootcore::Flash& flash,
                                                             uint32_t address, uint32_t size) {
  const uint8_t* view = flash.mapped(address, size);
  if (!hardware_ || view == nullptr || address % 4 != 0) {
    return software_.crc32(flash, address, size);
  }
  // The hot loop of a cold boot: 4 words per iteration, DR read once at the end.
  const uint32_t* p = reinterpret_cast<const uint32_t*>(view);
  uint32_t words = size / 4;
  volatile uint32_t& dr = reg(crc::kDr);
  unit_reset();
  for (; words >= 4; words -= 4, p += 4) {
    dr = rbit(p[0]);
    dr = rbit(p[1]);
    dr = rbit(p[2]);
    dr = rbit(p[3]);
  }
  for (; words > 0; --words) dr = rbit(*p++);
  // The unit holds the bit-reversed zlib register; the unaligned tail goes on in software.
  Crc32 tail = Crc32::from_state(rbit(dr));
  tail.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(p), size % 4));
  return tail.value();
}

}  // namespace fota::stm32
