// Operands as objdump prints them (Thumb and RISC-V), read for the cycle
// model's dependency rules: which registers an instruction names, how many
// words a register list moves.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace tinyae::cycles_detail {

// Core register number of "r0".."r15", "sb", "sl", "fp", "ip", "sp", "lr", "pc"; -1 otherwise.
int core_register(std::string_view token);
// RISC-V register number of "x0".."x31" or an ABI name ("zero", "ra", "a0", "s11", "fp"); -1 otherwise.
int riscv_register(std::string_view token);
// "a, b, c" -> {"a", " b", " c"}.
std::vector<std::string_view> split_commas(std::string_view text);
// Words a register list moves: "{r4, r5, lr}" 3, "{s0-s7}" 8, "{d8-d9}" 4.
int register_list_words(std::string_view operands);
// Bit mask of the core registers in `text` (Thumb).
std::uint32_t registers_in(std::string_view text);
// RISC-V operands "a5,8(a4)", "a3,a1,0x2", "a5 # 2a <f>": (the first
// operand's register or -1, mask of the other registers, a base register in
// parentheses included).
std::pair<int, std::uint32_t> riscv_operands(std::string_view operands);

}  // namespace tinyae::cycles_detail
