// SPDX-License-Identifier: Apache-2.0
// StmFota: update an STM32F407 from an ESP32 with the same update engine as the Linux agent.
// The adapters (fota_esp32/) each implement one port interface of the portable core; the
// examples wire them to the engine. Docs: docs/esp32.md of the stm32-fota repository.
#pragma once

#include "agent/device_loop.h"
#include "agent/messages.h"
#include "agent/policy.h"
#include "agent/rejected_list.h"
#include "agent/status_message.h"
#include "an3155/an3155.h"
#include "fota_esp32/agent_app.h"
#include "fota_esp32/agent_port.h"
#include "fota_esp32/backoff.h"
#include "fota_esp32/config.h"
#include "fota_esp32/console_reporter.h"
#include "fota_esp32/ed25519_verifier.h"
#include "fota_esp32/esp_clock.h"
#include "fota_esp32/http_source.h"
#include "fota_esp32/manifest_pointer.h"
#include "fota_esp32/mqtt_link.h"
#include "fota_esp32/mqtt_status_reporter.h"
#include "fota_esp32/nvs_blob.h"
#include "fota_esp32/nvs_progress_store.h"
#include "fota_esp32/release_notice.h"
#include "fota_esp32/rom_target.h"
#include "fota_esp32/sntp_time.h"
#include "fota_esp32/stm_target.h"
#include "fota_esp32/stm_wiring.h"
#include "fota_esp32/target_pins.h"
#include "fota_esp32/uart_link.h"
#include "update/engine.h"
