// SPDX-License-Identifier: Apache-2.0
// The peripheral bus of vstm32::Machine: the one table of memory-mapped models (bus_device.h),
// address decoding, access widths, and what the machine offers the models (DeviceHost).
// Blocks the STM32F407 has but vstm32 does not model are StorageDevice entries (reported once,
// with a warning); addresses where the chip has nothing raise a bus fault.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "backup.h"
#include "crc.h"
#include "dma.h"
#include "gpio.h"
#include "i2c.h"
#include "iwdg.h"
#include "machine_impl.h"
#include "rcc.h"
#include "rng.h"
#include "scs.h"
#include "timer.h"
#include "usart.h"

namespace vstm32 {

namespace {

constexpr uint32_t kSlotBase = 0x4000'0000;
constexpr uint32_t kSlotSize = 0x400;

// Blocks of the STM32F407 (RM0090 table 1) without a model: their registers store values.
struct Block {
  uint32_t base, size;
  const char* name;
};
constexpr Block kUnmodelled[] = {
    {0x4000'1800, 0x400, "TIM12"},        {0x4000'1C00, 0x400, "TIM13"},
    {0x4000'2000, 0x400, "TIM14"},        {0x4000'2C00, 0x400, "WWDG"},
    {0x4000'3400, 0x400, "I2S2ext"},      {0x4000'3800, 0x400, "SPI2"},
    {0x4000'3C00, 0x400, "SPI3"},         {0x4000'4000, 0x400, "I2S3ext"},
    {0x4000'5800, 0x400, "I2C2"},         {0x4000'5C00, 0x400, "I2C3"},
    {0x4000'6400, 0x400, "CAN1"},         {0x4000'6800, 0x400, "CAN2"},
    {0x4000'7400, 0x400, "DAC"},          {0x4001'2000, 0x400, "ADC"},
    {0x4001'2C00, 0x400, "SDIO"},         {0x4001'3000, 0x400, "SPI1"},
    {0x4001'4000, 0x400, "TIM9"},         {0x4001'4400, 0x400, "TIM10"},
    {0x4001'4800, 0x400, "TIM11"},        {0x4002'8000, 0x1400, "ETH"},
    {0x4004'0000, 0x40000, "USB OTG HS"}, {0x5000'0000, 0x40000, "USB OTG FS"},
    {0x5005'0000, 0x400, "DCMI"},
};

}  // namespace

void Machine::Impl::build_devices() {
  auto add = [this](std::unique_ptr<BusDevice> d, bool timed = false) {
    BusDevice* raw = d.get();
    if (raw->base() >= kSlotBase && raw->base() < kSlotBase + slots.size() * kSlotSize) {
      for (uint32_t a = raw->base(); a < raw->base() + raw->size(); a += kSlotSize) {
        slots[(a - kSlotBase) / kSlotSize] = raw;
      }
    } else {
      far_devices.push_back(raw);
    }
    if (timed) timed_devices.push_back(raw);
    for (uint8_t irq : raw->irqs()) irq_has_source[irq] = true;
    devices.push_back(std::move(d));
    return raw;
  };
  using G = ClockGate;
  auto apb1 = [](uint8_t bit) { return G{G::kApb1, bit}; };
  auto apb2 = [](uint8_t bit) { return G{G::kApb2, bit}; };

  // The core's own blocks.
  rcc = static_cast<Rcc*>(
      add(std::make_unique<Rcc>(Rcc::Hooks{[this](bool before) {
                                             if (before) {
                                               for (auto& d : devices) d->clocks_changing();
                                             } else {
                                               clock_changed();
                                               for (auto& d : devices) d->clocks_changed();
                                             }
                                           },
                                           [this](ClockGate gate) { reset_device(gate); }})));
  add(std::make_unique<FlashInterface>(*this));
  add(std::make_unique<Scs>(*this));
  add(std::make_unique<DbgMcu>());
  add(std::make_unique<Dwt>(*this));
  iwdg = static_cast<Iwdg*>(
      add(std::make_unique<Iwdg>(*this, config.lsi_hz,
                                 [this] { pending_reset_flags |= kCsrIwdg | kCsrPin; }),
          true));
  add(std::make_unique<Crc>(*this));
  add(std::make_unique<Rng>(*this, config.seed), true);
  add(std::make_unique<Pwr>());
  add(std::make_unique<RtcBackup>(*this, rtc_bkp));
  add(std::make_unique<BackupSram>(bkpsram));

  // GPIO, EXTI, SYSCFG: a pin change reaches EXTI when SYSCFG routes its port to the line.
  exti = static_cast<Exti*>(add(std::make_unique<Exti>(*this)));
  syscfg = static_cast<Syscfg*>(add(std::make_unique<Syscfg>(*this)));
  for (unsigned port = 0; port < gpio.size(); ++port) {
    gpio[port] = static_cast<Gpio*>(add(std::make_unique<Gpio>(*this, port)));
    gpio[port]->set_pin_listener([this](unsigned p, unsigned pin, bool level) {
      exti->pin_changed(pin, level, syscfg->exti_port(pin) == p);
    });
  }

  // USARTs: port number, name, base, clock gate, APB2?, IRQ.
  struct UartSpec {
    unsigned port;
    const char* name;
    uint32_t base;
    G gate;
    bool apb2;
    unsigned irq;
  };
  const UartSpec uart_specs[] = {
      {1, "USART1", 0x4001'1000, apb2(4), true, 37},
      {2, "USART2", 0x4000'4400, apb1(17), false, 38},
      {3, "USART3", 0x4000'4800, apb1(18), false, 39},
      {4, "UART4", 0x4000'4C00, apb1(19), false, 52},
      {5, "UART5", 0x4000'5000, apb1(20), false, 53},
      {6, "USART6", 0x4001'1400, apb2(5), true, 71},
  };
  for (const UartSpec& u : uart_specs) {
    auto* usart = static_cast<Usart*>(
        add(std::make_unique<Usart>(*this, u.port, u.name, u.base, u.gate, u.apb2, u.irq), true));
    UartPort& port = uart_ports[u.port - 1];
    usart->set_sink([&port, usart](uint8_t byte, uint64_t start_ns) {
      port.tx.push_back({byte, start_ns, usart->baud()});
      port.text.push_back(static_cast<char>(byte));
    });
    uarts[u.port - 1] = usart;
  }

  // DMA1/DMA2 and the USART requests they serve (RM0090 tables 42/43): stream, channel, port.
  for (unsigned n = 1; n <= 2; ++n)
    dma[n - 1] = static_cast<Dma*>(add(std::make_unique<Dma>(*this, n)));
  struct DmaRoute {
    unsigned controller, stream, channel, port;
    bool tx;
  };
  const DmaRoute dma_routes[] = {
      {1, 0, 4, 5, false}, {1, 1, 4, 3, false}, {1, 2, 4, 4, false}, {1, 3, 4, 3, true},
      {1, 4, 7, 3, true},  {1, 4, 4, 4, true},  {1, 5, 4, 2, false}, {1, 6, 4, 2, true},
      {1, 7, 4, 5, true},  {2, 2, 4, 1, false}, {2, 5, 4, 1, false}, {2, 7, 4, 1, true},
      {2, 1, 5, 6, false}, {2, 2, 5, 6, false}, {2, 6, 5, 6, true},  {2, 7, 5, 6, true},
  };
  for (const DmaRoute& r : dma_routes) {
    Usart* u = uarts[r.port - 1];
    dma[r.controller - 1]->connect(
        r.stream, r.channel,
        Dma::Requester{r.tx ? std::function<bool()>([u] { return u->dma_tx_request(); })
                            : std::function<bool()>([u] { return u->dma_rx_request(); })});
  }

  // Timers: name, base, gate, APB2?, channels, counter bits, update IRQ, CC IRQ.
  struct TimerSpec {
    const char* name;
    uint32_t base;
    G gate;
    bool apb2;
    unsigned channels, bits, update_irq, cc_irq;
  };
  const TimerSpec timer_specs[] = {
      {"TIM1", 0x4001'0000, apb2(0), true, 4, 16, 25, 27},
      {"TIM2", 0x4000'0000, apb1(0), false, 4, 32, 28, 28},
      {"TIM3", 0x4000'0400, apb1(1), false, 4, 16, 29, 29},
      {"TIM4", 0x4000'0800, apb1(2), false, 4, 16, 30, 30},
      {"TIM5", 0x4000'0C00, apb1(3), false, 4, 32, 50, 50},
      {"TIM6", 0x4000'1000, apb1(4), false, 0, 16, 54, 54},
      {"TIM7", 0x4000'1400, apb1(5), false, 0, 16, 55, 55},
      {"TIM8", 0x4001'0400, apb2(1), true, 4, 16, 44, 46},
  };
  for (const TimerSpec& t : timer_specs) {
    add(std::make_unique<Timer>(*this, t.name, t.base, t.gate, t.apb2, t.channels, t.bits,
                                t.update_irq, t.cc_irq),
        true);
  }

  // I2C1 (slave, with the external master of vstm32/i2c_bus.h): event IRQ 31, error IRQ 32. SCL
  // and SDA reach it on PB6/PB7 or PB8/PB9 in alternate function 4.
  i2c1 = static_cast<I2c*>(
      add(std::make_unique<I2c>(*this, "I2C1", 0x4000'5400, apb1(21), 31, 32), true));
  i2c1->set_pins_routed([this] {
    const Gpio& b = *gpio[1];
    return (b.alternate(6) == 4 && b.alternate(7) == 4) ||
           (b.alternate(8) == 4 && b.alternate(9) == 4);
  });

  for (const Block& b : kUnmodelled) {
    add(std::make_unique<StorageDevice>(*this, b.name, b.base, b.size));
  }
  // Last: the rest of the private peripheral bus (after SCS and DBGMCU in the scan).
  add(std::make_unique<StorageDevice>(*this, "PPB", 0xE000'0000, 0x10'0000));
}

BusDevice* Machine::Impl::device_at(uint32_t address) const {
  if (address - kSlotBase < slots.size() * kSlotSize) {
    return slots[(address - kSlotBase) / kSlotSize];
  }
  for (BusDevice* d : far_devices) {
    if (address - d->base() < d->size()) return d;
  }
  return nullptr;
}

bool Machine::Impl::known_peripheral(uint32_t address) const {
  return device_at(address) != nullptr;
}

void Machine::Impl::reset_device(ClockGate gate) {
  for (auto& d : devices) {
    const ClockGate g = d->gate();
    if (g.bus == gate.bus && g.bit == gate.bit && gate.bus != ClockGate::kAlways) d->reset();
  }
}

void Machine::Impl::reset_peripherals() {
  for (auto& d : devices) d->reset();
  fctl = FlashCtl{};
  flash_irq = IrqLine(4);  // its NVIC level is cleared with the NVIC below
  refresh_optpage();
  scb = Scb{};
  systick = SysTick{};
  nvic = Nvic{};
}

uint64_t Machine::Impl::mmio_read(uint32_t a, unsigned size) {
  BusDevice* d = device_at(a);
  if (d == nullptr) {
    raise_fault("bus-error read (no peripheral)", a, true);
    return 0;
  }
  const uint32_t v = d->read((a - d->base()) & ~3u);
  const uint64_t mask = size >= 4 ? 0xFFFF'FFFFull : ((1ull << (8 * size)) - 1);
  return (v >> ((a & 3u) * 8)) & mask;
}

void Machine::Impl::mmio_write(uint32_t a, unsigned size, uint32_t value) {
  if (dying) return;  // the power is going: the rest of this translated block has no effect
  BusDevice* d = device_at(a);
  if (d == nullptr) {
    raise_fault("bus-error write (no peripheral)", a, false);
    return;
  }
  const unsigned shift = (a & 3u) * 8;
  const uint32_t mask = size >= 4 ? 0xFFFF'FFFFu : (((1u << (8 * size)) - 1) << shift);
  d->write(RegWrite{(a - d->base()) & ~3u, value << shift, mask});
}

// ---- DeviceHost ----

void Machine::Impl::reschedule(uint64_t at_ps) {
  if (in_emulation && at_ps < slice_end_ps) request_stop(StopWhy::kException);
}

void Machine::Impl::bus_error(uint32_t address, bool write) {
  raise_fault(write ? "bus-error write (peripheral)" : "bus-error read (peripheral)", address,
              !write);
}

bool Machine::Impl::dma_transfer(uint32_t address, uint8_t* data, unsigned size, bool write) {
  if (address - kCcmBase < kCcmSize) return false;  // CCM is on the core's bus only
  if (address >= kSlotBase && address < 0x6000'0000u) {
    if (device_at(address) == nullptr) return false;
    if (write) {
      uint32_t v = 0;
      std::memcpy(&v, data, size);
      mmio_write(address, size, v);
    } else {
      const auto v = static_cast<uint32_t>(mmio_read(address, size));
      std::memcpy(data, &v, size);
    }
    return true;
  }
  uint8_t* p = host_pointer(address, size);
  if (p == nullptr) return false;
  if (write) {
    if (address - kSramBase >= kSramSize) return false;  // flash: programmed by its controller
    std::memcpy(p, data, size);
  } else {
    std::memcpy(data, p, size);
  }
  return true;
}

void Machine::Impl::dma_requests_changed() {
  for (Dma* d : dma) {
    if (d != nullptr) d->serve();
  }
}

bool Machine::Impl::clock_enabled(ClockGate gate) const {
  return rcc->enabled(gate);
}

uint32_t Machine::Impl::hclk_hz() const {
  return rcc->hclk_hz();
}
uint32_t Machine::Impl::pclk1_hz() const {
  return rcc->pclk1_hz();
}
uint32_t Machine::Impl::pclk2_hz() const {
  return rcc->pclk2_hz();
}

void Machine::Impl::clock_changed() {
  rebase_time();
  instr_hz = std::max<uint32_t>(hclk_hz(), 1);
  systick_schedule();
}

uint8_t Machine::Impl::leds() const {
  return static_cast<uint8_t>((gpio[3]->odr() >> 12) & 0xFu);
}

unsigned Machine::Impl::uart_frame_bits() const {
  return uarts[0]->frame_bits();
}

uint32_t Machine::Impl::uart_baud() const {
  return uarts[0]->baud();
}

// ---- SysTick (registers: scs.cc) ----

void Machine::Impl::systick_schedule() {
  if ((systick.ctrl & 1u) == 0) {
    systick.next_wrap_ps = UINT64_MAX;
    return;
  }
  const uint64_t hz = (systick.ctrl & 4u) ? hclk_hz() : hclk_hz() / 8;
  const uint64_t period_ps = (uint64_t{systick.load & 0xFF'FFFFu} + 1) * kPsPerSecond / hz;
  const uint64_t now = now_ps();
  if (systick.next_wrap_ps == UINT64_MAX || systick.next_wrap_ps <= systick.origin_ps) {
    systick.next_wrap_ps = systick.origin_ps + period_ps;
  }
  while (systick.next_wrap_ps <= now) systick.next_wrap_ps += std::max<uint64_t>(period_ps, 1);
}

uint32_t Machine::Impl::systick_val() const {
  if ((systick.ctrl & 1u) == 0 || systick.next_wrap_ps == UINT64_MAX) return 0;
  const uint64_t hz = (systick.ctrl & 4u) ? hclk_hz() : hclk_hz() / 8;
  const uint64_t left_ps = systick.next_wrap_ps > now_ps() ? systick.next_wrap_ps - now_ps() : 0;
  return static_cast<uint32_t>(left_ps * hz / kPsPerSecond) & 0xFF'FFFFu;
}

}  // namespace vstm32
