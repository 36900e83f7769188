// SPDX-License-Identifier: Apache-2.0
// Declarations from the Arduino-ESP32 3.x core reference (Serial, timing, loop task stack), for
// type-checking the examples only.
#pragma once
#include <stddef.h>
#include <stdint.h>

class HardwareSerial {
 public:
  void begin(unsigned long baud);
  size_t println(const char* text);
  size_t print(const char* text);
  size_t printf(const char* format, ...) __attribute__((format(printf, 2, 3)));
};
extern HardwareSerial Serial;

unsigned long millis();
void delay(uint32_t ms);

// Arduino-ESP32: sets the stack size of the task that runs setup() and loop().
#define SET_LOOP_TASK_STACK_SIZE(size)   \
  size_t getArduinoLoopTaskStackSize() { \
    return size;                         \
  }
