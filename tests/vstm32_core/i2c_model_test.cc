// SPDX-License-Identifier: Apache-2.0
// The I2C1 slave model checked through the probe against RM0090 section 27: reset values and
// clock gate, address match (OAR1, OAR2, general call, ACK bit, PE, FREQ, pin routing), the
// flags ADDR/RXNE/TXE/BTF/STOPF/AF with their clear sequences, clock stretching, the event and
// error interrupt lines, and the bus timing at 100 and 400 kHz.
#include <gtest/gtest.h>

#include "harness.h"

namespace {

using vstm32_test::idle_machine;
using vstm32_test::read32;

constexpr uint32_t kRcc = 0x4002'3800;
constexpr uint32_t kAhb1enr = kRcc + 0x30, kApb1enr = kRcc + 0x40;
constexpr uint32_t kGpioB = 0x4002'0400;
constexpr uint32_t kI2c = 0x4000'5400;
constexpr uint32_t kCr1 = kI2c + 0x00, kCr2 = kI2c + 0x04, kOar1 = kI2c + 0x08, kOar2 = kI2c + 0x0C,
                   kDr = kI2c + 0x10, kSr1 = kI2c + 0x14, kSr2 = kI2c + 0x18, kTrise = kI2c + 0x20;
constexpr uint32_t kPe = 1u << 0, kEngc = 1u << 6, kAck = 1u << 10;
constexpr uint32_t kIterren = 1u << 8, kItevten = 1u << 9;
constexpr uint32_t kAddr = 1u << 1, kBtf = 1u << 2, kStopf = 1u << 4, kRxne = 1u << 6,
                   kTxe = 1u << 7, kAf = 1u << 10;
constexpr uint32_t kBusy = 1u << 1, kTra = 1u << 2, kGencall = 1u << 4, kDualf = 1u << 7;
constexpr uint32_t kIspr0 = 0xE000'E200, kIspr1 = 0xE000'E204, kIcpr0 = 0xE000'E280,
                   kIcpr1 = 0xE000'E284;
constexpr uint8_t kAddress = 0x42;

void write(vstm32::Machine& m, uint32_t address, uint32_t value) {
  ASSERT_TRUE(m.debug_write32(address, value)) << std::hex << address;
}

// PB6/PB7 in AF4, I2C1 clocked, FREQ 16 MHz, own address 0x42, PE and ACK.
void set_up_slave(vstm32::Machine& m, bool route_pins = true) {
  write(m, kAhb1enr, 1u << 1);
  if (route_pins) {
    write(m, kGpioB + 0x00, 0xA000u);
    write(m, kGpioB + 0x20, 0x4400'0000u);
  }
  write(m, kApb1enr, 1u << 21);
  write(m, kCr2, 16);
  write(m, kOar1, (1u << 14) | (kAddress << 1));
  write(m, kCr1, kPe | kAck);
}

vstm32::I2cTransfer write_of(std::vector<uint8_t> data, uint8_t address = kAddress) {
  vstm32::I2cTransfer t;
  t.address = address;
  t.data = std::move(data);
  return t;
}

vstm32::I2cTransfer read_of(uint32_t n, uint8_t address = kAddress) {
  vstm32::I2cTransfer t;
  t.address = address;
  t.read = true;
  t.read_length = n;
  return t;
}

TEST(Vstm32I2cModelTest, ResetValuesAndClockGate) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  write(*m, kOar1, 0x84);  // clock off: ignored, registers read 0
  EXPECT_EQ(read32(*m, kOar1), 0u);
  EXPECT_EQ(read32(*m, kTrise), 0u);
  write(*m, kApb1enr, 1u << 21);
  EXPECT_EQ(read32(*m, kTrise), 2u);  // RM0090 27.6.9: TRISE resets to 0x0002
  for (uint32_t r : {kCr1, kCr2, kOar1, kOar2, kSr1, kSr2}) EXPECT_EQ(read32(*m, r), 0u);
  write(*m, kOar1, 0xFFFF'FFFFu);
  EXPECT_EQ(read32(*m, kOar1), 0xC3FFu);  // reserved bits read 0
}

TEST(Vstm32I2cModelTest, AddressNotAcknowledgedUnlessTheSlaveIsSetUp) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  set_up_slave(*m, /*route_pins=*/false);
  vstm32::I2cResult r = m->i2c_transfer(write_of({1}));
  EXPECT_EQ(r.status, vstm32::I2cStatus::kAddressNack);  // SCL/SDA not on the pins
  set_up_slave(*m);
  r = m->i2c_transfer(write_of({1}, 0x43));
  EXPECT_EQ(r.status, vstm32::I2cStatus::kAddressNack);  // another address
  // START + address + NACK + STOP at 100 kHz: 11 bit periods.
  EXPECT_NEAR(static_cast<double>(r.end_ns - r.start_ns), 110'000.0, 1'000.0);
  write(*m, kCr1, kPe);  // ACK=0: the address is not acknowledged either
  EXPECT_EQ(m->i2c_transfer(write_of({1})).status, vstm32::I2cStatus::kAddressNack);
  write(*m, kCr1, kAck);  // PE=0
  EXPECT_EQ(m->i2c_transfer(write_of({1})).status, vstm32::I2cStatus::kAddressNack);
  write(*m, kCr1, kPe | kAck);
  write(*m, kCr2, 3);  // FREQ 3 MHz: enough for 100 kHz, not for 400 kHz (RM0090 27.6.2)
  m->i2c_set_speed_hz(400'000);
  EXPECT_EQ(m->i2c_transfer(write_of({1})).status, vstm32::I2cStatus::kAddressNack);
  EXPECT_EQ(read32(*m, kSr1) & kAddr, 0u);
  // Nobody clears ADDR here: the slave stretches SCL until the master's timeout.
  m->i2c_set_speed_hz(100'000);
  r = m->i2c_transfer(write_of({1}), 1'000'000);
  EXPECT_EQ(r.status, vstm32::I2cStatus::kTimeout);
  EXPECT_NE(read32(*m, kSr1) & kAddr, 0u);
}

TEST(Vstm32I2cModelTest, SecondAddressAndGeneralCall) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  set_up_slave(*m);
  write(*m, kOar2, (0x21u << 1) | 1u);
  ASSERT_TRUE(m->i2c_start(write_of({}, 0x21)));
  m->run_for_ns(100'000);
  EXPECT_NE(read32(*m, kSr1) & kAddr, 0u);
  EXPECT_EQ(read32(*m, kSr2) & (kDualf | kBusy), kDualf | kBusy);  // SR1 then SR2 clears ADDR
  EXPECT_EQ(read32(*m, kSr1) & kAddr, 0u);
  m->run_for_ns(20'000);
  ASSERT_TRUE(m->i2c_take_result().has_value());
  EXPECT_EQ(read32(*m, kSr2) & (kDualf | kBusy), 0u);  // cleared by the STOP
  EXPECT_EQ(m->i2c_transfer(write_of({}, 0)).status, vstm32::I2cStatus::kAddressNack);
  write(*m, kCr1, kPe | kAck | kEngc);
  ASSERT_TRUE(m->i2c_start(write_of({}, 0)));
  m->run_for_ns(100'000);
  (void)read32(*m, kSr1);
  EXPECT_NE(read32(*m, kSr2) & kGencall, 0u);
}

TEST(Vstm32I2cModelTest, SlaveReceiverFlagsStretchingAndStop) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  set_up_slave(*m);
  write(*m, kCr2, 16 | kItevten);
  ASSERT_TRUE(m->i2c_start(write_of({0xA5, 0x5A, 0x77})));
  m->run_for_ns(100'000);  // START + address + ACK: 10 bit periods
  EXPECT_EQ(read32(*m, kSr1) & (kAddr | kRxne), kAddr);
  EXPECT_NE(read32(*m, kIspr0) & (1u << 31), 0u);  // event interrupt (IRQ 31)
  m->run_for_ns(1'000'000);
  EXPECT_TRUE(m->i2c_busy());  // SCL stretched while ADDR is set
  EXPECT_EQ(read32(*m, kSr1) & kRxne, 0u);
  EXPECT_EQ(read32(*m, kSr2) & (kBusy | kTra), kBusy);  // receiver: TRA=0
  write(*m, kIcpr0, 1u << 31);
  m->run_for_ns(90'000);
  EXPECT_EQ(read32(*m, kSr1) & (kRxne | kBtf), kRxne);
  EXPECT_EQ(read32(*m, kIspr0) & (1u << 31), 0u);  // RXNE needs ITBUFEN
  m->run_for_ns(90'000);  // the second byte waits behind the full DR: BTF, stretched
  EXPECT_EQ(read32(*m, kSr1) & (kRxne | kBtf), kRxne | kBtf);
  EXPECT_NE(read32(*m, kIspr0) & (1u << 31), 0u);
  m->run_for_ns(1'000'000);
  EXPECT_TRUE(m->i2c_busy());
  EXPECT_EQ(read32(*m, kDr), 0xA5u);  // SR1 then DR: the held byte moves in, BTF clears
  EXPECT_EQ(read32(*m, kSr1) & (kRxne | kBtf), kRxne);
  EXPECT_EQ(read32(*m, kDr), 0x5Au);
  EXPECT_EQ(read32(*m, kSr1) & kRxne, 0u);
  m->run_for_ns(100'000);  // the third byte and the STOP
  auto r = m->i2c_take_result();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, vstm32::I2cStatus::kOk);
  EXPECT_EQ(r->bytes_acked, 3u);
  EXPECT_EQ(read32(*m, kSr1) & (kRxne | kStopf), kRxne | kStopf);
  EXPECT_EQ(read32(*m, kDr), 0x77u);
  write(*m, kCr1, kPe | kAck);  // SR1 read (above) then CR1 write clears STOPF
  EXPECT_EQ(read32(*m, kSr1) & kStopf, 0u);
  EXPECT_EQ(read32(*m, kSr2) & kBusy, 0u);
}

TEST(Vstm32I2cModelTest, ReceivedByteNotAcknowledgedWithAckCleared) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  set_up_slave(*m);
  ASSERT_TRUE(m->i2c_start(write_of({1, 2, 3})));
  m->run_for_ns(100'000);
  (void)read32(*m, kSr1);
  (void)read32(*m, kSr2);
  write(*m, kCr1, kPe);  // ACK=0 for the byte on the wire
  m->run_for_ns(200'000);
  auto r = m->i2c_take_result();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, vstm32::I2cStatus::kDataNack);
  EXPECT_EQ(r->bytes_acked, 0u);
}

TEST(Vstm32I2cModelTest, SlaveTransmitterFlagsStretchingAndNack) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  set_up_slave(*m);
  write(*m, kCr2, 16 | kItevten | kIterren);
  ASSERT_TRUE(m->i2c_start(read_of(3)));
  m->run_for_ns(100'000);
  EXPECT_EQ(read32(*m, kSr1) & kAddr, kAddr);
  EXPECT_EQ(read32(*m, kSr2) & (kBusy | kTra), kBusy | kTra);
  EXPECT_EQ(read32(*m, kSr1) & (kTxe | kBtf), kTxe);  // EV3-1: DR and shift register empty
  m->run_for_ns(1'000'000);
  EXPECT_TRUE(m->i2c_busy());  // stretched until DR is written
  write(*m, kDr, 0x11);        // straight to the shift register: TXE stays set
  EXPECT_EQ(read32(*m, kSr1) & kTxe, kTxe);
  write(*m, kDr, 0x22);  // waits in DR
  EXPECT_EQ(read32(*m, kSr1) & kTxe, 0u);
  m->run_for_ns(90'000);  // 0x11 acknowledged, 0x22 moves on: TXE
  EXPECT_EQ(read32(*m, kSr1) & (kTxe | kBtf), kTxe);
  m->run_for_ns(90'000);  // 0x22 acknowledged, nothing to send: BTF, stretched
  EXPECT_EQ(read32(*m, kSr1) & (kTxe | kBtf), kTxe | kBtf);
  m->run_for_ns(500'000);
  EXPECT_TRUE(m->i2c_busy());
  write(*m, kIcpr1, 1u << 0);
  write(*m, kDr, 0x33);  // SR1 then DR write clears BTF
  EXPECT_EQ(read32(*m, kSr1) & kBtf, 0u);
  m->run_for_ns(100'000);  // the last byte: the master does not acknowledge it, then STOP
  auto r = m->i2c_take_result();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, vstm32::I2cStatus::kOk);
  EXPECT_EQ(r->data, (std::vector<uint8_t>{0x11, 0x22, 0x33}));
  EXPECT_EQ(read32(*m, kSr1) & (kAf | kStopf), kAf);  // no STOPF for a transmitter
  EXPECT_NE(read32(*m, kIspr1) & 1u, 0u);             // error interrupt (IRQ 32)
  write(*m, kSr1, ~kAf);                              // AF is rc_w0
  EXPECT_EQ(read32(*m, kSr1) & kAf, 0u);
  EXPECT_EQ(read32(*m, kSr2) & (kBusy | kTra), 0u);
}

TEST(Vstm32I2cModelTest, FastModeTimingWithAPromptSlave) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  set_up_slave(*m);
  m->i2c_set_speed_hz(400'000);
  ASSERT_TRUE(m->i2c_start(write_of({1, 2, 3, 4})));
  std::vector<uint8_t> got;
  const uint64_t t0 = m->now_ns();
  while (m->i2c_busy()) {
    m->run_for_ns(500);  // a slave that looks every 0.5 us
    const uint32_t sr1 = read32(*m, kSr1);
    if (sr1 & kAddr) (void)read32(*m, kSr2);
    if (sr1 & kRxne) got.push_back(static_cast<uint8_t>(read32(*m, kDr)));
    ASSERT_LT(m->now_ns() - t0, 1'000'000u);
  }
  auto r = m->i2c_take_result();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(got, (std::vector<uint8_t>{1, 2, 3, 4}));
  // START + address (10) + 4 x 9 + STOP (1) = 47 periods of 2.5 us, plus < 0.5 us of stretching.
  const double took = static_cast<double>(r->end_ns - r->start_ns);
  EXPECT_GE(took, 117'500.0);
  EXPECT_LT(took, 118'100.0);
}

TEST(Vstm32I2cModelTest, ChipInResetDoesNotAnswer) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  set_up_slave(*m);
  m->set_nrst(true);
  EXPECT_EQ(m->i2c_transfer(write_of({1})).status, vstm32::I2cStatus::kAddressNack);
  m->set_nrst(false);
  EXPECT_EQ(read32(*m, kCr1), 0u);  // the reset cleared the configuration
}

}  // namespace
