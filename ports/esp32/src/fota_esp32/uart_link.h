// SPDX-License-Identifier: Apache-2.0
// an3155::ByteLink over an ESP32 UART (ESP-IDF uart driver; also available under Arduino-ESP32,
// where the sketch must then not use the same HardwareSerial). 8E1 for the ROM bootloader,
// 8N1 at a high baud rate for the native path: the core asks through configure().
#pragma once

#include "an3155/port.h"
#include "fota_esp32/config.h"

namespace fota::esp32 {

class UartLink final : public an3155::ByteLink {
 public:
  UartLink(int uart_num = kUartNum, int tx_gpio = kUartTxGpio, int rx_gpio = kUartRxGpio)
      : uart_num_(uart_num), tx_gpio_(tx_gpio), rx_gpio_(rx_gpio) {}
  ~UartLink();
  UartLink(const UartLink&) = delete;
  UartLink& operator=(const UartLink&) = delete;

  // Installs the driver (ring buffers: config.h) at 115200 8E1; false when the IDF refuses.
  [[nodiscard]] bool begin();

  [[nodiscard]] an3155::PortStatus write(std::span<const uint8_t> bytes) override;
  [[nodiscard]] an3155::PortStatus read(std::span<uint8_t> out, uint32_t timeout_ms,
                                        size_t& got) override;
  [[nodiscard]] an3155::PortStatus flush_input() override;
  [[nodiscard]] an3155::PortStatus configure(uint32_t baud, an3155::Parity parity) override;

 private:
  int uart_num_;
  int tx_gpio_;
  int rx_gpio_;
  bool installed_ = false;
};

}  // namespace fota::esp32
