// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/uart_link.h"

#include "driver/uart.h"
#include "freertos/FreeRTOS.h"

namespace fota::esp32 {
namespace {

uart_port_t port(int num) {
  return static_cast<uart_port_t>(num);
}

// At least timeout_ms: the tick may be 1 ms (Arduino) or 10 ms (ESP-IDF default), and the one in
// progress is partly over.
TickType_t ticks(uint32_t timeout_ms) {
  return static_cast<TickType_t>((timeout_ms + portTICK_PERIOD_MS - 1) / portTICK_PERIOD_MS + 1);
}

}  // namespace

UartLink::~UartLink() {
  if (installed_) (void)uart_driver_delete(port(uart_num_));
}

bool UartLink::begin() {
  uart_config_t config{};
  config.baud_rate = static_cast<int>(kRomBaud);
  config.data_bits = UART_DATA_8_BITS;
  config.parity = UART_PARITY_EVEN;
  config.stop_bits = UART_STOP_BITS_1;
  config.flow_ctrl = UART_HW_FLOWCTRL_DISABLE;
  config.source_clk = UART_SCLK_DEFAULT;
  if (uart_driver_install(port(uart_num_), kUartRxBufferBytes, kUartTxBufferBytes, 0, nullptr, 0) !=
      ESP_OK) {
    return false;
  }
  installed_ = true;
  return uart_param_config(port(uart_num_), &config) == ESP_OK &&
         uart_set_pin(port(uart_num_), tx_gpio_, rx_gpio_, UART_PIN_NO_CHANGE,
                      UART_PIN_NO_CHANGE) == ESP_OK;
}

an3155::PortStatus UartLink::write(std::span<const uint8_t> bytes) {
  if (!installed_) return an3155::PortStatus::kIoError;
  const int sent = uart_write_bytes(port(uart_num_), bytes.data(), bytes.size());
  return sent == static_cast<int>(bytes.size()) ? an3155::PortStatus::kOk
                                                : an3155::PortStatus::kIoError;
}

an3155::PortStatus UartLink::read(std::span<uint8_t> out, uint32_t timeout_ms, size_t& got) {
  got = 0;
  if (!installed_) return an3155::PortStatus::kIoError;
  if (out.empty()) return an3155::PortStatus::kOk;
  const int n = uart_read_bytes(port(uart_num_), out.data(), static_cast<uint32_t>(out.size()),
                                ticks(timeout_ms));
  if (n < 0) return an3155::PortStatus::kIoError;
  got = static_cast<size_t>(n);
  return got == out.size() ? an3155::PortStatus::kOk : an3155::PortStatus::kTimeout;
}

an3155::PortStatus UartLink::flush_input() {
  if (!installed_) return an3155::PortStatus::kIoError;
  return uart_flush_input(port(uart_num_)) == ESP_OK ? an3155::PortStatus::kOk
                                                     : an3155::PortStatus::kIoError;
}

an3155::PortStatus UartLink::configure(uint32_t baud, an3155::Parity parity) {
  if (!installed_) return an3155::PortStatus::kIoError;
  // Bytes still in the TX ring would go out with the new settings.
  if (uart_wait_tx_done(port(uart_num_), ticks(100)) != ESP_OK) {
    return an3155::PortStatus::kIoError;
  }
  if (uart_set_baudrate(port(uart_num_), baud) != ESP_OK) return an3155::PortStatus::kUnsupported;
  const uart_parity_t mode =
      parity == an3155::Parity::kEven ? UART_PARITY_EVEN : UART_PARITY_DISABLE;
  return uart_set_parity(port(uart_num_), mode) == ESP_OK ? an3155::PortStatus::kOk
                                                          : an3155::PortStatus::kIoError;
}

}  // namespace fota::esp32
