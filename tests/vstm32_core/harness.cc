// SPDX-License-Identifier: Apache-2.0
#include "harness.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace vstm32_test {

std::vector<uint8_t> artifact(const std::string& name) {
  const std::string path = std::string(FOTA_ARTIFACTS_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "missing ARM artefact " << path << " (build the `firmware` target)";
    return {};
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TempDir::TempDir(const std::string& tag)
    : path_(std::filesystem::temp_directory_path() / (tag + "_" + std::to_string(::getpid()))) {
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::unique_ptr<vstm32::Machine> new_machine(const vstm32::MachineConfig& config) {
  auto created = vstm32::Machine::create(config);
  if (!created) {
    ADD_FAILURE() << "Machine::create: " << created.error();
    return nullptr;
  }
  return std::move(created).value();
}

std::unique_ptr<vstm32::Machine> machine_with(const std::string& program,
                                              const vstm32::MachineConfig& config) {
  auto machine = new_machine(config);
  if (machine == nullptr) return nullptr;
  const std::vector<uint8_t> image = artifact(program);
  machine->load_flash(vstm32::kFlashBase, image);
  return machine;
}

void set_flash_mode(vstm32::Machine& machine, testfw::FlashMode mode) {
  const uint32_t block[2] = {testfw::kConfigMagic, static_cast<uint32_t>(mode)};
  uint8_t bytes[8];
  std::memcpy(bytes, block, sizeof bytes);
  machine.load_flash(testfw::kConfigAddress, bytes);
}

void write_code(vstm32::Machine& machine, uint32_t address, const std::vector<uint16_t>& code) {
  for (size_t i = 0; i < code.size(); i += 2) {
    const uint32_t low = code[i];
    const uint32_t high = i + 1 < code.size() ? code[i + 1] : 0xBF00u;  // pad with NOP
    ASSERT_TRUE(machine.debug_write32(address + static_cast<uint32_t>(2 * i), low | high << 16));
  }
}

std::unique_ptr<vstm32::Machine> idle_machine(const vstm32::MachineConfig& config) {
  auto machine = new_machine(config);
  if (machine == nullptr) return nullptr;
  // Vector table: MSP, Reset, NMI, HardFault.
  const uint32_t vectors[4] = {vstm32::kSramBase + vstm32::kSramSize, kIdleLoop | 1u,
                               kIdleFaultHandler | 1u, kIdleFaultHandler | 1u};
  uint8_t bytes[sizeof vectors];
  std::memcpy(bytes, vectors, sizeof bytes);
  machine->load_flash(vstm32::kFlashBase, bytes);
  machine->power_on();
  write_code(*machine, kIdleLoop, {0xE7FE});          // b .
  write_code(*machine, kIdleFaultHandler, {0xE7FE});  // b .
  return machine;
}

bool run_until_text(vstm32::Machine& machine, std::string_view text, uint64_t max_ns) {
  return machine.run_until([&] { return machine.uart_text().find(text) != std::string::npos; },
                           max_ns);
}

std::vector<vstm32::MachineEvent> events_with(const std::vector<vstm32::MachineEvent>& events,
                                              vstm32::MachineEvent::Kind kind,
                                              std::string_view needle) {
  std::vector<vstm32::MachineEvent> out;
  for (const auto& e : events) {
    if (e.kind == kind && e.text.find(needle) != std::string::npos) out.push_back(e);
  }
  return out;
}

uint32_t read32(vstm32::Machine& machine, uint32_t address) {
  uint32_t value = 0;
  EXPECT_TRUE(machine.debug_read32(address, value)) << std::hex << address;
  return value;
}

uint32_t flash_word(const vstm32::Machine& machine, uint32_t address) {
  uint32_t value;
  std::memcpy(&value, machine.flash().data() + (address - vstm32::kFlashBase), 4);
  return value;
}

}  // namespace vstm32_test
