// SPDX-License-Identifier: Apache-2.0
// Declarations from the ESP-IDF v5 ESP x509 Certificate Bundle API reference, for type-checking
// only.
#pragma once
#include "esp_err.h"
#ifdef __cplusplus
extern "C" {
#endif
esp_err_t esp_crt_bundle_attach(void* conf);
#ifdef __cplusplus
}
#endif
