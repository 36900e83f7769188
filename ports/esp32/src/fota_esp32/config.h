// SPDX-License-Identifier: Apache-2.0
// Every pin, UART, topic default and static buffer of the ESP32 port in one place. Under ESP-IDF
// the values come from Kconfig (idf.py menuconfig, "STM32 FOTA"); under Arduino they are these
// defaults, changed by defining the CONFIG_FOTA_* macro before including StmFota.h or in the
// sketch's build flags.
#pragma once

#include <cstddef>
#include <cstdint>

#if __has_include("sdkconfig.h")
#include "sdkconfig.h"
#endif

// UART2 on GPIO17 (TX) / GPIO16 (RX): UART0 is the USB console. The seeds wire UART0's pins
// (TX0/RX0); choose them here if the console goes elsewhere.
#ifndef CONFIG_FOTA_UART_NUM
#define CONFIG_FOTA_UART_NUM 2
#endif
#ifndef CONFIG_FOTA_UART_TX_GPIO
#define CONFIG_FOTA_UART_TX_GPIO 17
#endif
#ifndef CONFIG_FOTA_UART_RX_GPIO
#define CONFIG_FOTA_UART_RX_GPIO 16
#endif
// BOOT0 on GPIO4 (active high), NRST on GPIO5 (active low, open drain: the STM32 has its own
// pull-up and reset button on NRST, which must never be driven high against).
#ifndef CONFIG_FOTA_BOOT0_GPIO
#define CONFIG_FOTA_BOOT0_GPIO 4
#endif
#ifndef CONFIG_FOTA_NRST_GPIO
#define CONFIG_FOTA_NRST_GPIO 5
#endif
#ifndef CONFIG_FOTA_BOOT0_ACTIVE_LOW
#define CONFIG_FOTA_BOOT0_ACTIVE_LOW 0
#endif
#ifndef CONFIG_FOTA_NRST_ACTIVE_HIGH
#define CONFIG_FOTA_NRST_ACTIVE_HIGH 0
#endif
#ifndef CONFIG_FOTA_NRST_PUSH_PULL
#define CONFIG_FOTA_NRST_PUSH_PULL 0
#endif
// AN3155 ROM path: 8E1, up to 115200 baud (the ROM's autobaud is reliable up to there).
#ifndef CONFIG_FOTA_ROM_BAUD
#define CONFIG_FOTA_ROM_BAUD 115200
#endif
// Which path updates the STM32 (StmTarget's default): 0 = ST's ROM bootloader (AN3155, 8E1,
// BOOT0 + NRST), 1 = our bootloader's update mode (native protocol, 8N1 at high baud, NRST only:
// the 3-wire option).
#ifndef CONFIG_FOTA_TRANSPORT_NATIVE
#define CONFIG_FOTA_TRANSPORT_NATIVE 0
#endif
// Native path: 8N1; the ESP32 UART and the F407's USART1 both do 2 Mbaud.
#ifndef CONFIG_FOTA_NATIVE_BAUD
#define CONFIG_FOTA_NATIVE_BAUD 2000000
#endif
#ifndef CONFIG_FOTA_PRODUCT
#define CONFIG_FOTA_PRODUCT "stm32f407-demo"
#endif
#ifndef CONFIG_FOTA_CHANNEL
#define CONFIG_FOTA_CHANNEL "stable"
#endif
// Seed 000's legacy notification topic ({"url": ..., "crc": ...}); "" = not subscribed.
#ifndef CONFIG_FOTA_LEGACY_TOPIC
#define CONFIG_FOTA_LEGACY_TOPIC ""
#endif
// Accept unsigned releases (needed for seed 000's messages, which carry no signature).
#ifndef CONFIG_FOTA_ALLOW_UNSIGNED
#define CONFIG_FOTA_ALLOW_UNSIGNED 0
#endif
// SNTP server: status message times, TLS certificate validity.
#ifndef CONFIG_FOTA_SNTP_SERVER
#define CONFIG_FOTA_SNTP_SERVER "pool.ntp.org"
#endif
#ifndef CONFIG_FOTA_NVS_NAMESPACE
#define CONFIG_FOTA_NVS_NAMESPACE "fota"
#endif
// The manifest pointer polled with If-None-Match (seed 001; `fota agent`'s [release] manifest_url):
// "" = no polling, MQTT notifications only.
#ifndef CONFIG_FOTA_MANIFEST_URL
#define CONFIG_FOTA_MANIFEST_URL ""
#endif
// Polling period plus a random extra of up to the jitter, so a fleet does not poll in step.
#ifndef CONFIG_FOTA_POLL_INTERVAL_S
#define CONFIG_FOTA_POLL_INTERVAL_S 300
#endif
#ifndef CONFIG_FOTA_POLL_JITTER_S
#define CONFIG_FOTA_POLL_JITTER_S 30
#endif

namespace fota::esp32 {

inline constexpr int kUartNum = CONFIG_FOTA_UART_NUM;
inline constexpr int kUartTxGpio = CONFIG_FOTA_UART_TX_GPIO;
inline constexpr int kUartRxGpio = CONFIG_FOTA_UART_RX_GPIO;
inline constexpr int kBoot0Gpio = CONFIG_FOTA_BOOT0_GPIO;
inline constexpr int kNrstGpio = CONFIG_FOTA_NRST_GPIO;
inline constexpr bool kBoot0ActiveHigh = CONFIG_FOTA_BOOT0_ACTIVE_LOW == 0;
inline constexpr bool kNrstActiveLow = CONFIG_FOTA_NRST_ACTIVE_HIGH == 0;
inline constexpr bool kNrstOpenDrain = CONFIG_FOTA_NRST_PUSH_PULL == 0;
inline constexpr uint32_t kRomBaud = CONFIG_FOTA_ROM_BAUD;
inline constexpr uint32_t kNativeBaud = CONFIG_FOTA_NATIVE_BAUD;
inline constexpr bool kAllowUnsigned = CONFIG_FOTA_ALLOW_UNSIGNED != 0;
inline constexpr bool kTransportNative = CONFIG_FOTA_TRANSPORT_NATIVE != 0;

// Buffers. Each is allocated once, at start-up, and listed in docs/esp32.md (memory budget).
// UART driver RX ring: the largest answer is a 256-byte Read Memory (+ACK); 1 KB holds it four
// times over while Wi-Fi interrupts delay the reading task. Must exceed the 128-byte hardware
// FIFO (uart_driver_install refuses less).
inline constexpr int kUartRxBufferBytes = 1024;
// UART driver TX ring: one AN3155 Write Memory burst (opcode, address, 256 data bytes, length
// and checksum: 264 bytes) fits, so write() returns while the bytes drain at 115200 baud.
inline constexpr int kUartTxBufferBytes = 512;
// esp_http_client's receive buffer: must hold the longest response header line (S3/MinIO send
// x-amz-* headers and long ETags); 2 KB is above what S3 sends.
inline constexpr int kHttpRxBufferBytes = 2048;
// Request buffer: the URL (kUrlMaxBytes) plus Range/If-Match headers.
inline constexpr int kHttpTxBufferBytes = 1024;
inline constexpr size_t kUrlMaxBytes = 512;
// esp-mqtt's receive buffer: a signed manifest (two image entries, hashes, signature: ~1.5 KB)
// must arrive in one piece; the default (1 KB) splits it, PubSubClient's 256 B drops it silently.
inline constexpr int kMqttBufferBytes = 4096;
inline constexpr size_t kTopicMaxBytes = 128;
// ROM session read cache (an3155::ReadCache): slot headers and boot-log records are read more
// than once per update; 4 KB keeps both headers and the recent log pages. Smaller only costs
// repeated Read Memory commands on the wire.
inline constexpr size_t kRomReadCacheBytes = 4096;
// Native path: payload bytes in flight, kept for resends (native::NativeTarget's ring). Four
// 4 KB DATA frames keep a 2 Mbaud line busy while the STM32 programs the previous frame (the
// protocol's full speed wants eight: 32 KB, too much static RAM next to Wi-Fi and TLS). StmTarget
// shares this buffer with the ROM read cache: only one path is in use at a time.
inline constexpr size_t kNativeRingBytes = 16 * 1024;
// Wi-Fi reconnect: 1 s doubling up to 60 s, so a dead access point is not hammered.
inline constexpr uint32_t kWifiBackoffFirstMs = 1000;
inline constexpr uint32_t kWifiBackoffMaxMs = 60000;
// HTTP: a failed or cut transfer is re-opened at the byte it stopped (Range), this many times in
// a row, with the same backoff.
inline constexpr unsigned kHttpRetries = 5;
inline constexpr int kHttpTimeoutMs = 10000;

}  // namespace fota::esp32
