// Operands as objdump prints them, read for the cycle model: register
// numbers, register lists, the registers of an address (see operands.h).
#include "operands.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <string>

namespace tinyae::cycles_detail {
namespace {

// N of "<prefix>N" with N in [0, last], e.g. "r12" or "x31"; -1 otherwise.
int numbered_register(std::string_view token, char prefix, int last) {
  if (token.size() < 2 || token.size() > 3 || token[0] != prefix) return -1;
  int number = 0;
  for (char c : token.substr(1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
    number = number * 10 + (c - '0');
  }
  return number <= last ? number : -1;
}

}  // namespace

// Core register number of "r0".."r15", "sb", "sl", "fp", "ip", "sp", "lr", "pc"; -1 otherwise.
int core_register(std::string_view token) {
  while (!token.empty() && (token.back() == '!' || token.back() == ' ')) token.remove_suffix(1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token == "sb") return 9;
  if (token == "sl") return 10;
  if (token == "fp") return 11;
  if (token == "ip") return 12;
  if (token == "sp") return 13;
  if (token == "lr") return 14;
  if (token == "pc") return 15;
  return numbered_register(token, 'r', 15);
}

// RISC-V register number of "x0".."x31" or an ABI name ("zero", "ra", "a0",
// "s11", "fp"); -1 otherwise.
int riscv_register(std::string_view token) {
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  static const std::array<std::string_view, 32> kAbi = {
      "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",  "a1",  "a2", "a3", "a4", "a5",
      "a6",   "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  if (token == "fp") return 8;
  for (std::size_t i = 0; i < kAbi.size(); ++i) {
    if (token == kAbi[i]) return static_cast<int>(i);
  }
  return numbered_register(token, 'x', 31);
}

std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    parts.push_back(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

// Words a register list moves: "{r4, r5, lr}" 3, "{s0-s7}" 8, "{d8-d9}" 4.
int register_list_words(std::string_view operands) {
  const auto open = operands.find('{');
  const auto close = operands.find('}', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return 0;
  int words = 0;
  for (std::string_view item : split_commas(operands.substr(open + 1, close - open - 1))) {
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    const int per_register = item[0] == 'd' ? 2 : 1;
    const auto dash = item.find('-');
    int count = 1;
    if (dash != std::string_view::npos) {
      const int first = std::atoi(std::string(item.substr(1, dash - 1)).c_str());
      const int last = std::atoi(std::string(item.substr(dash + 2)).c_str());
      count = std::max(1, last - first + 1);
    }
    words += count * per_register;
  }
  return words;
}

// Bit mask of the core registers in `text`.
std::uint32_t registers_in(std::string_view text) {
  std::uint32_t mask = 0;
  for (std::string_view part : split_commas(text)) {
    const auto space = part.find_first_not_of(' ');
    if (space == std::string_view::npos) continue;
    part.remove_prefix(space);
    const int reg = core_register(part.substr(0, part.find(' ')));  // "r2, lsl #2": the register before the shift
    if (reg >= 0) mask |= 1u << reg;
  }
  return mask;
}

// RISC-V operands "a5,8(a4)", "a3,a1,0x2", "a5 # 2a <f>": the registers of
// each comma-separated operand (a base register in parentheses included), as
// (first operand's register or -1, mask of the others).
std::pair<int, std::uint32_t> riscv_operands(std::string_view operands) {
  operands = operands.substr(0, operands.find('#'));  // objdump's "# <target>" comment
  int first = -1;
  std::uint32_t rest = 0;
  bool is_first = true;
  for (std::string_view part : split_commas(operands)) {
    const auto open = part.find('(');
    const auto close = part.find(')');
    const int reg = open != std::string_view::npos && close != std::string_view::npos
                        ? riscv_register(part.substr(open + 1, close - open - 1))
                        : riscv_register(part);
    if (is_first && open == std::string_view::npos) {
      first = reg;
    } else if (reg >= 0) {
      rest |= 1u << reg;
    }
    is_first = false;
  }
  return {first, rest};
}

}  // namespace tinyae::cycles_detail
