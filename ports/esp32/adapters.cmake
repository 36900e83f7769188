# SPDX-License-Identifier: Apache-2.0
# The ESP32 adapters (src/fota_esp32/<name>.h/.cc), listed once: the ESP-IDF component
# (CMakeLists.txt), the Xtensa size probe (tests/cross_core) and the package check read this list.
set(FOTA_ESP32_ADAPTERS uart_link target_pins esp_clock mqtt_link http_common http_source
  manifest_pointer nvs_blob nvs_progress_store agent_port agent_app console_reporter rom_target
  stm_target release_notice mqtt_status_reporter sntp_time)
