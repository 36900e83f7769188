// SPDX-License-Identifier: Apache-2.0
// The native path over I2C on vstm32::Machine (realistic timing: the bus at the master's SCL rate
// with the firmware's clock stretching, DS8626 typical flash times, 168 MHz): the demo padded to a
// full slot (384 KB) installed into slot B over I2C1, the host driver over the I2C link, printed
// against the image's wire time (9 clocks a byte) and the flash floor (erase + program).
//   i2c_bench            400 kHz (fast mode) and 100 kHz (standard mode)
//   i2c_bench --short    400 kHz with a 64 KB image (the ctest smoke)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "device.h"
#include "machine_i2c.h"
#include "machine_link.h"
#include "native/host.h"
#include "native/i2c_link.h"

namespace {

using fota::boot_test::Device;
using fota::boot_test::FlashLayout;
using fota::flash_map::Slot;
namespace native = fota::native;

std::vector<uint8_t> image_of(uint32_t payload_size) {
  std::vector<uint8_t> payload = fota::boot_test::read_artifact("demo-v2-B.bin");
  std::mt19937 rng(2);
  while (payload.size() < payload_size) payload.push_back(static_cast<uint8_t>(rng()));
  return fota::boot_test::make_image(payload, Slot::kB, {2, 0, 0, 0});
}

bool run(uint32_t speed_hz, const std::vector<uint8_t>& image) {
  FlashLayout layout;
  layout.put_bootloader();
  layout.put_demo(Slot::kA, "demo-v1");
  (void)layout.append_confirmed(Slot::kA);
  Device d(layout);
  fota::native_test::MachineLink pins(d.machine());
  fota::native_test::MachineI2cBus bus(d.machine(), speed_hz);
  native::I2cLink link(bus, pins);
  d.power_on();
  if (!d.run_until({"confirmed\n"}, 3'000)) {
    std::fprintf(stderr, "the demo did not start\n");
    return false;
  }
  native::HostSession host(link, pins);
  auto hello = host.wake(pins);
  if (!hello.ok()) {
    std::fprintf(stderr, "wake over I2C failed: %s\n", native::to_string(hello.error()));
    return false;
  }
  bus.reset_stats();
  struct Trace {
    Device* d;
    uint32_t last = 0;
  } trace{&d};
  host.set_progress(
      [](void* context, uint32_t programmed, uint32_t total) {
        auto* t = static_cast<Trace*>(context);
        if (programmed < t->last + total / 8 && programmed != total) return;
        t->last = programmed;
        std::fprintf(stderr, "  %6u / %u bytes at %.1f ms\n", programmed, total, t->d->now_ms());
      },
      &trace);
  const double t0 = d.now_ms();
  const native::HostError e = host.install(image, 1, false);
  const double took_ms = d.now_ms() - t0;
  if (e != native::HostError::kOk) {
    std::fprintf(stderr, "install failed: %s (%s)\n", native::to_string(e),
                 native::to_string(host.last_status()));
    return false;
  }
  d.mark();
  if (!d.run_until({"demo 2.0.0 slot B\n", "confirmed\n"}, 3'000)) {
    std::fprintf(stderr, "the new image did not confirm\n");
    return false;
  }
  const auto& s = bus.stats();
  const double wire_ms = static_cast<double>(image.size()) * 9 * 1000 / speed_hz;
  // DS8626 typical: 1 s per 128 KB sector erase (x32), 16 us per word.
  const uint32_t payload = static_cast<uint32_t>(image.size()) - 512;
  const double sectors = (payload + 512 + 128 * 1024 - 1) / (128 * 1024);
  const double flash_ms = sectors * 1000 + static_cast<double>(image.size()) / 4 * 0.016;
  const double floor_ms = wire_ms > flash_ms ? wire_ms : flash_ms;
  std::printf(
      "I2C %3u kHz, %6zu-byte image: %8.1f ms simulated, %6.1f KB/s | wire time %8.1f ms "
      "(x%.3f) | flash floor %7.1f ms | physical floor %8.1f ms (x%.3f) | bus: %llu "
      "transactions, %llu bytes written, %llu read, stretched %.1f ms | %u frames, %u resent\n",
      speed_hz / 1000, image.size(), took_ms,
      static_cast<double>(image.size()) / took_ms * 1000 / 1024, wire_ms, took_ms / wire_ms,
      flash_ms, floor_ms, took_ms / floor_ms, static_cast<unsigned long long>(s.transfers),
      static_cast<unsigned long long>(s.bytes_written),
      static_cast<unsigned long long>(s.bytes_read),
      static_cast<double>(s.bus_ns - s.unstretched_ns) / 1e6, host.stats().frames_sent,
      host.stats().frames_resent);
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const bool short_run = argc > 1 && std::strcmp(argv[1], "--short") == 0;
  std::printf(
      "native install over I2C1 (bootloader.bin update mode, vstm32::Machine, simulated time)\n");
  if (short_run) return run(400'000, image_of(64 * 1024)) ? 0 : 1;
  if (const char* kb = std::getenv("I2C_BENCH_KB")) {  // one size at 400 kHz
    const uint32_t size = static_cast<uint32_t>(std::atoi(kb)) * 1024;
    return run(400'000, image_of(std::min(size, fota::flash_map::kMaxPayloadSize))) ? 0 : 1;
  }
  const std::vector<uint8_t> image = image_of(fota::flash_map::kMaxPayloadSize);
  if (!run(400'000, image)) return 1;
  return run(100'000, image) ? 0 : 1;
}
