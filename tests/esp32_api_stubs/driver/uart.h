// SPDX-License-Identifier: Apache-2.0
// Declarations from the ESP-IDF v5 UART driver API reference, for type-checking only.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"
#include "freertos/FreeRTOS.h"
typedef enum { UART_NUM_0, UART_NUM_1, UART_NUM_2, UART_NUM_MAX } uart_port_t;
typedef enum {
  UART_DATA_5_BITS,
  UART_DATA_6_BITS,
  UART_DATA_7_BITS,
  UART_DATA_8_BITS
} uart_word_length_t;
typedef enum { UART_PARITY_DISABLE = 0, UART_PARITY_EVEN = 2, UART_PARITY_ODD = 3 } uart_parity_t;
typedef enum {
  UART_STOP_BITS_1 = 1,
  UART_STOP_BITS_1_5 = 2,
  UART_STOP_BITS_2 = 3
} uart_stop_bits_t;
typedef enum {
  UART_HW_FLOWCTRL_DISABLE = 0,
  UART_HW_FLOWCTRL_RTS,
  UART_HW_FLOWCTRL_CTS,
  UART_HW_FLOWCTRL_CTS_RTS
} uart_hw_flowcontrol_t;
typedef enum {
  UART_SCLK_APB = 1,
  UART_SCLK_REF_TICK = 2,
  UART_SCLK_DEFAULT = UART_SCLK_APB
} uart_sclk_t;
typedef struct {
  int baud_rate;
  uart_word_length_t data_bits;
  uart_parity_t parity;
  uart_stop_bits_t stop_bits;
  uart_hw_flowcontrol_t flow_ctrl;
  uint8_t rx_flow_ctrl_thresh;
  union {
    uart_sclk_t source_clk;
    bool use_ref_tick;
  };
} uart_config_t;
#define UART_PIN_NO_CHANGE (-1)
#ifdef __cplusplus
extern "C" {
#endif
esp_err_t uart_driver_install(uart_port_t uart_num, int rx_buffer_size, int tx_buffer_size,
                              int queue_size, QueueHandle_t* uart_queue, int intr_alloc_flags);
esp_err_t uart_driver_delete(uart_port_t uart_num);
esp_err_t uart_param_config(uart_port_t uart_num, const uart_config_t* uart_config);
esp_err_t uart_set_pin(uart_port_t uart_num, int tx_io_num, int rx_io_num, int rts_io_num,
                       int cts_io_num);
esp_err_t uart_set_baudrate(uart_port_t uart_num, uint32_t baudrate);
esp_err_t uart_set_parity(uart_port_t uart_num, uart_parity_t parity_mode);
int uart_write_bytes(uart_port_t uart_num, const void* src, size_t size);
int uart_read_bytes(uart_port_t uart_num, void* buf, uint32_t length, TickType_t ticks_to_wait);
esp_err_t uart_flush_input(uart_port_t uart_num);
esp_err_t uart_wait_tx_done(uart_port_t uart_num, TickType_t ticks_to_wait);
#ifdef __cplusplus
}
#endif
