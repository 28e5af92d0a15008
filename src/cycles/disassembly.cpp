// Reads the text of `objdump -d` (Arm or RISC-V) into a pc -> instruction index
// and a function-symbol -> address-range table.
//
// An instruction line is "<ws><hex pc>:\t<hex bytes>\t<mnemonic>\t<operands>[\t<comment>]",
// the bytes field holding one group per halfword ("b580" or "f8d1 3000"),
// which gives the Thumb instruction size. A symbol header is "<hex> <name>:".
#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>

#include "hex.h"
#include "tinyae/common.h"
#include "tinyae/cycles.h"

namespace tinyae {
namespace {

using cycles_detail::parse_hex;

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return std::string(text.substr(first, last - first + 1));
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const auto tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) return fields;
    start = tab + 1;
  }
}

// "00000408 <tinyae_run_i8>:" -> address and name.
bool parse_symbol_header(std::string_view line, std::uint32_t& address, std::string& name) {
  const auto space = line.find(' ');
  if (space == std::string_view::npos || line.size() < space + 4 || line.substr(line.size() - 2) != ">:" ||
      line[space + 1] != '<') {
    return false;
  }
  if (!parse_hex(line.substr(0, space), address)) return false;
  name = std::string(line.substr(space + 2, line.size() - space - 4));
  return true;
}

// "    8002:\tf8d1 3000 \tldr.w\tr3, [r1]\t@ comment" -> instruction.
bool parse_instruction_line(std::string_view line, DisassembledInstruction& out) {
  const auto fields = split_tabs(line);
  if (fields.size() < 3) return false;
  const std::string address = trim(fields[0]);
  if (address.size() < 2 || address.back() != ':') return false;
  if (!parse_hex(std::string_view(address).substr(0, address.size() - 1), out.pc)) return false;
  std::size_t hex_digits = 0;
  for (char c : fields[1]) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      ++hex_digits;
    } else if (c != ' ') {
      return false;
    }
  }
  if (hex_digits == 0 || hex_digits % 4 != 0) return false;
  out.size = static_cast<std::uint32_t>(hex_digits / 2);
  out.mnemonic = trim(fields[2]);
  out.operands = fields.size() > 3 ? trim(fields[3]) : std::string();
  // Some objdump versions put the comment in the operands' field.
  const auto comment = out.operands.find_first_of(";@");
  if (comment != std::string::npos) out.operands = trim(std::string_view(out.operands).substr(0, comment));
  return !out.mnemonic.empty();
}

}  // namespace

Disassembly Disassembly::parse(std::istream& objdump_text) {
  Disassembly result;
  std::vector<std::pair<std::uint32_t, std::string>> symbols;  // in file order
  std::string line;
  DisassembledInstruction instruction;
  std::uint32_t address = 0;
  std::string name;
  std::uint32_t highest_end = 0;
  while (std::getline(objdump_text, line)) {
    if (parse_symbol_header(line, address, name)) {
      symbols.emplace_back(address, name);
    } else if (parse_instruction_line(line, instruction)) {
      highest_end = std::max(highest_end, instruction.pc + instruction.size);
      result.instructions_[instruction.pc] = instruction;
    }
  }
  if (result.instructions_.empty()) {
    throw Error("the disassembly holds no instruction line (expected the output of objdump -d)");
  }
  // A function ends where the next symbol, by address, begins.
  std::sort(symbols.begin(), symbols.end());
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const std::uint32_t end = i + 1 < symbols.size() ? symbols[i + 1].first : highest_end;
    result.functions_[symbols[i].second] = AddressRange{symbols[i].first, std::max(end, symbols[i].first)};
  }
  return result;
}

const DisassembledInstruction* Disassembly::at(std::uint32_t pc) const {
  const auto found = instructions_.find(pc);
  return found == instructions_.end() ? nullptr : &found->second;
}

AddressRange Disassembly::function(std::string_view name) const {
  const auto found = functions_.find(name);
  if (found != functions_.end()) return found->second;
  std::string some;
  int listed = 0;
  for (const auto& [symbol, range] : functions_) {
    if (symbol.rfind("tinyae", 0) != 0 || listed == 8) continue;
    some += (listed++ ? ", " : "") + symbol;
  }
  throw Error("the disassembly has no function '" + std::string(name) + "'" +
              (some.empty() ? std::string() : " (functions named tinyae*: " + some + ")"));
}

}  // namespace tinyae
