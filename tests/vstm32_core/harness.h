// SPDX-License-Identifier: Apache-2.0
// Helpers for the vstm32 core tests: machines with the ARM test programs (vstm32/testfw) loaded,
// a bare machine whose CPU idles in SRAM (for probe-side register tests), and waiting on USART1.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "testfw.h"
#include "vstm32/machine.h"

namespace vstm32_test {

// Bytes of <artifacts>/<name> (e.g. "testfw-flash.bin"); empty (and a test failure) when missing.
std::vector<uint8_t> artifact(const std::string& name);

// A fresh directory /tmp/<tag>_<pid>, removed with what it holds when the object goes (also when
// an ASSERT leaves the test early).
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A machine made from `config`, not powered yet; nullptr (and a test failure naming the error)
// when the configuration is refused.
std::unique_ptr<vstm32::Machine> new_machine(const vstm32::MachineConfig& config = {});

// A machine with `program` (an artefact .bin) at 0x0800'0000, not powered yet.
std::unique_ptr<vstm32::Machine> machine_with(const std::string& program,
                                              const vstm32::MachineConfig& config = {});

// Places the exerciser's config block (testfw.h) so testfw-flash runs `mode`.
void set_flash_mode(vstm32::Machine& machine, testfw::FlashMode mode);

// A powered machine whose CPU runs `b .` at 0x2000'0000 (vector table in flash points there, the
// HardFault handler is a second `b .` at kIdleFaultHandler). Its PC is never in flash, so flash
// operations started through the probe do not stall it and FLASH_SR shows BSY.
inline constexpr uint32_t kIdleLoop = 0x2000'0000;
inline constexpr uint32_t kIdleFaultHandler = 0x2000'0100;
std::unique_ptr<vstm32::Machine> idle_machine(const vstm32::MachineConfig& config = {});

// Writes Thumb halfwords into SRAM at `address` through the probe.
void write_code(vstm32::Machine& machine, uint32_t address, const std::vector<uint16_t>& code);

// Runs until `text` appears in USART1's output (at most `max_ns` of simulated time).
bool run_until_text(vstm32::Machine& machine, std::string_view text,
                    uint64_t max_ns = 2'000'000'000);

// Events of one kind whose text contains `needle`.
std::vector<vstm32::MachineEvent> events_with(const std::vector<vstm32::MachineEvent>& events,
                                              vstm32::MachineEvent::Kind kind,
                                              std::string_view needle = {});

uint32_t read32(vstm32::Machine& machine,
                uint32_t address);  // probe read; test failure if unmapped
uint32_t flash_word(const vstm32::Machine& machine, uint32_t address);

}  // namespace vstm32_test
