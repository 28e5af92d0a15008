// Hexadecimal numbers as objdump and QEMU print them, shared by the
// disassembly and the execution-log readers of the cycle model.
#pragma once

#include <cctype>
#include <cstdint>
#include <string_view>

namespace tinyae::cycles_detail {

// "4d2" -> 0x4d2; false unless `text` is 1 to 8 hex digits.
inline bool parse_hex(std::string_view text, std::uint32_t& value) {
  if (text.empty() || text.size() > 8) return false;
  value = 0;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isxdigit(u)) return false;
    value = value * 16 + static_cast<std::uint32_t>(std::isdigit(u) ? c - '0' : std::tolower(u) - 'a' + 10);
  }
  return true;
}

}  // namespace tinyae::cycles_detail
