// SPDX-License-Identifier: Apache-2.0
// I2C1 as update mode's second byte link (native/i2c.h): a slave at native::kI2cAddress on PB6
// (SCL) / PB7 (SDA), alternate function 4, open drain. The transfer work is i2c_pump (SRAM code).
#pragma once

#include <cstdint>

namespace fota::boot {

// Clocks, pins and the slave address; PE and ACK on. Leaves a running I2C1 as it is (the listening
// window hands a transfer in progress to update mode).
void i2c_slave_init();
// Event and error interrupts to the NVIC (they only wake WFI: PRIMASK is set in update mode).
void i2c_slave_enable_wakeups();
// I2C1 and GPIOB back to their reset state (the application starts from reset values).
void i2c_slave_release();

}  // namespace fota::boot
