// SPDX-License-Identifier: Apache-2.0
// Declarations from the cJSON API as ESP-IDF ships it (component "json"), for type-checking only.
#pragma once
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef struct cJSON {
  struct cJSON* next;
  struct cJSON* prev;
  struct cJSON* child;
  int type;
  char* valuestring;
  int valueint;
  double valuedouble;
  char* string;
} cJSON;
typedef int cJSON_bool;
cJSON* cJSON_ParseWithLength(const char* value, size_t buffer_length);
void cJSON_Delete(cJSON* item);
cJSON* cJSON_GetObjectItemCaseSensitive(const cJSON* object, const char* string);
cJSON_bool cJSON_IsString(const cJSON* item);
cJSON_bool cJSON_IsNumber(const cJSON* item);
cJSON_bool cJSON_IsObject(const cJSON* item);
#ifdef __cplusplus
}
#endif
