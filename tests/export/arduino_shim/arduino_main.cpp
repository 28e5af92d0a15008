// arduino_main.cpp - test fixture: the host side of the Arduino shim
// (Arduino.h): Serial prints to stdout, micros()/millis() count from program
// start, and main() runs setup() and one loop().
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "Arduino.h"

ShimSerial Serial;

namespace {

const auto kStart = std::chrono::steady_clock::now();

size_t emit_long(long long value, int base) {
  if (base == 16) return static_cast<size_t>(std::printf("%llx", static_cast<unsigned long long>(value)));
  return static_cast<size_t>(std::printf("%lld", value));
}

size_t emit_unsigned(unsigned long long value, int base) {
  if (base == 16) return static_cast<size_t>(std::printf("%llx", value));
  return static_cast<size_t>(std::printf("%llu", value));
}

}  // namespace

void ShimSerial::begin(unsigned long) {}

ShimSerial::operator bool() const { return std::getenv("TINYAE_SHIM_SERIAL_CLOSED") == nullptr; }
size_t ShimSerial::print(const char* text) { return static_cast<size_t>(std::printf("%s", text)); }
size_t ShimSerial::print(int value, int base) { return emit_long(value, base); }
size_t ShimSerial::print(unsigned int value, int base) { return emit_unsigned(value, base); }
size_t ShimSerial::print(long value, int base) { return emit_long(value, base); }
size_t ShimSerial::print(unsigned long value, int base) { return emit_unsigned(value, base); }
size_t ShimSerial::print(double value, int digits) {
  if (isnan(value)) return print("nan");
  if (isinf(value)) return print("inf");
  return static_cast<size_t>(std::printf("%.*f", digits, value));
}
size_t ShimSerial::println() { return static_cast<size_t>(std::printf("\r\n")); }

unsigned long micros() {
  return static_cast<unsigned long>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - kStart).count());
}

unsigned long millis() { return micros() / 1000; }

void delay(unsigned long) {}

int main() {
  setup();
  loop();
  return 0;
}
