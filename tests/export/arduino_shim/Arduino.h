// Arduino.h - test fixture: the few Arduino core functions the example sketch
// of `tinyae export --arduino` calls (Serial printing, micros, delay), so that
// tests/export can compile the sketch's C++ on the host with g++ and run it.
// Printing follows the core's Print class: print(double, digits) writes
// `digits` decimals (2 by default), integers in decimal. Not a board model:
// time is the host's, delay() returns at once.
#pragma once

#include <math.h>
#include <stddef.h>
#include <stdint.h>

class ShimSerial {
 public:
  void begin(unsigned long baud);
  // USB serial "connected": true, unless TINYAE_SHIM_SERIAL_CLOSED is set
  // (a board with no serial monitor open, which the sketch must not wait for).
  explicit operator bool() const;

  size_t print(const char* text);
  size_t print(int value, int base = 10);
  size_t print(unsigned int value, int base = 10);
  size_t print(long value, int base = 10);
  size_t print(unsigned long value, int base = 10);
  size_t print(double value, int digits = 2);

  size_t println();
  // print(args...) and a line end, as each of the core's println overloads does.
  template <typename... Args>
  size_t println(Args... args) {
    return print(args...) + println();
  }
};

extern ShimSerial Serial;

unsigned long micros();
unsigned long millis();
void delay(unsigned long ms);

// The sketch defines these; the shim's main() calls setup() once and loop() once.
void setup();
void loop();
