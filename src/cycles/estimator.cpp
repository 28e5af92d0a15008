// The cycle estimator: decodes each executed instruction once (class,
// registers it reads, register it writes, words it moves), then charges
// every execution its cycles from the core's table and the pipeline rules
// that depend on the neighbouring instructions: the Arm TRMs' rules, or a
// scoreboard for a RISC-V core (docs/cycle-model.md states them).
#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "hex.h"
#include "operands.h"
#include "tinyae/common.h"
#include "tinyae/cycles.h"

namespace tinyae {
namespace {

using cycles_detail::core_register;
using cycles_detail::register_list_words;
using cycles_detail::registers_in;
using cycles_detail::riscv_operands;

constexpr std::array<std::string_view, 15> kConditions = {"eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl",
                                                          "vs", "vc", "hi", "ls", "ge", "lt", "gt"};
constexpr std::string_view kConditionLe = "le";

bool is_condition(std::string_view suffix) {
  return suffix == kConditionLe || std::find(kConditions.begin(), kConditions.end(), suffix) != kConditions.end();
}

}  // namespace

// An instruction decoded for timing.
struct CycleEstimator::Timed {
  std::uint32_t pc = 0;
  std::uint32_t size = 2;
  std::string base;                // mnemonic without suffixes, e.g. "vfma"; the raw text if unknown
  const TimingRow* row = nullptr;  // nullptr: unknown (charged 1)
  bool in_disassembly = true;
  bool is_call = false;                 // BL/BLX: pushes a return address
  int words = 0;                        // register-list words (kPlusRegisters)
  int destination = -1;                 // core register written (loads, data processing)
  std::uint32_t sources = 0;            // RISC-V: registers read
  std::uint32_t address_registers = 0;  // core registers the address is computed from
  bool register_offset = false;         // the address adds a second register
};

CycleEstimator::CycleEstimator(const CoreTiming& core, const Disassembly& disassembly, CycleRegion region)
    : core_(core), disassembly_(disassembly), region_(std::move(region)) {
  for (const TimingRow& row : core_.rows) {
    for (const std::string& mnemonic : row.mnemonics) row_by_mnemonic_[mnemonic] = &row;
  }
  if (region_.kind != CycleRegion::Kind::kWholeRun && region_.ranges.empty()) {
    throw Error("a cycle region inside functions needs at least one address range");
  }
}

CycleEstimator::~CycleEstimator() = default;

const CycleEstimator::Timed& CycleEstimator::timed(std::uint32_t pc) {
  auto& slot = timed_[pc];
  if (slot) return *slot;
  slot = std::make_unique<Timed>();
  Timed& t = *slot;
  t.pc = pc;
  const DisassembledInstruction* instruction = disassembly_.at(pc);
  if (!instruction) {
    t.in_disassembly = false;
    t.base = "(pc not in disassembly)";
    return t;
  }
  t.size = instruction->size;
  std::string mnemonic = instruction->mnemonic;
  std::transform(mnemonic.begin(), mnemonic.end(), mnemonic.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  mnemonic = mnemonic.substr(0, mnemonic.find('.'));  // width (.n, .w) and type (.f32, .64) suffixes
  // Exact, then without a condition, without the flag-setting 's', or both;
  // in this order "bls" is b + ls, not bl + s.
  const auto strip_condition = [](const std::string& m) {
    return m.size() > 2 && is_condition(std::string_view(m).substr(m.size() - 2)) ? m.substr(0, m.size() - 2) : m;
  };
  const auto strip_s = [](const std::string& m) {
    return m.size() > 1 && m.back() == 's' ? m.substr(0, m.size() - 1) : m;
  };
  for (const std::string& candidate :
       {mnemonic, strip_condition(mnemonic), strip_s(mnemonic), strip_s(strip_condition(mnemonic))}) {
    const auto found = row_by_mnemonic_.find(candidate);
    if (found != row_by_mnemonic_.end()) {
      t.row = found->second;
      t.base = candidate;
      break;
    }
  }
  if (!t.row) t.base = mnemonic;
  // Calls link a return address: BL/BLX; JAL/JALR as objdump prints them
  // when they link (J, JR and RET do not).
  t.is_call = t.base == "bl" || t.base == "blx" || t.base == "jal" || t.base == "jalr";

  const std::string_view operands = instruction->operands;
  if (core_.isa == Isa::kRiscV) {
    const auto [first, rest] = riscv_operands(operands);
    if (t.row && t.row->writes_first_register) {
      t.destination = first;
      t.sources = rest;
    } else {
      t.sources = rest | (first >= 0 ? 1u << first : 0u);
    }
    return t;
  }
  const auto first_comma = operands.find(',');
  const int first_register = core_register(operands.substr(0, first_comma));
  const auto open = operands.find('[');
  if (open != std::string_view::npos) {
    // "[r1, #4]", "[r1, r2, lsl #2]", "[r0], #4", "[r0], r1", "[r0, #4]!".
    const auto close = operands.find(']', open);
    const std::string_view inside = operands.substr(open + 1, close == std::string_view::npos ? 0 : close - open - 1);
    const std::string_view after = close == std::string_view::npos ? std::string_view() : operands.substr(close + 1);
    t.address_registers = registers_in(inside);
    const std::uint32_t offset_registers =
        registers_in(inside.substr(std::min(inside.size(), inside.find(',')))) | registers_in(after);
    t.register_offset = offset_registers != 0;
    t.destination = first_register;
  } else if (t.row && t.row->rule == CycleRule::kPlusRegisters) {
    t.words = register_list_words(operands);
    const bool stack = t.base == "push" || t.base == "pop" || t.base == "vpush" || t.base == "vpop";
    t.address_registers = stack ? 1u << 13 : (first_register >= 0 ? 1u << first_register : 0);
  } else if (t.row && t.row->writes_first_register) {
    t.destination = first_register;
  }
  return t;
}

std::int64_t CycleEstimator::cortex_m_cycles(const Timed& t, const Timed* previous, std::uint32_t next_pc) const {
  std::int64_t cycles = 1;
  const TimingRow* row = t.row;
  if (row) {
    cycles = row->cycles;
    const bool after_load = previous && previous->row && previous->row->rule == CycleRule::kLoad &&
                            (previous->destination < 0 || !(t.address_registers & (1u << previous->destination)));
    switch (row->rule) {
      case CycleRule::kFixed:
      case CycleRule::kPredicted:
        break;
      case CycleRule::kPlusRegisters:
        cycles += t.words;
        break;
      case CycleRule::kLoad:
        if (after_load) cycles -= 1;
        break;
      case CycleRule::kStore:
        if (!t.register_offset) {
          cycles = 1;
        } else if (after_load) {
          cycles -= 1;
        }
        break;
      case CycleRule::kIfThen:
        if (previous && previous->size == 2 && previous->pc + previous->size == t.pc) cycles = 0;
        break;
    }
    // No forwarding from the ALU to the address generator: an address that
    // uses the previous data-processing result waits for the register bank.
    if (t.address_registers && previous && previous->row && previous->row->writes_first_register &&
        previous->destination >= 0 && (t.address_registers & (1u << previous->destination))) {
      cycles += core_.address_stall;
    }
  }
  if (next_pc != t.pc + t.size) cycles += core_.branch_penalty;  // pipeline refill
  return cycles;
}

std::int64_t CycleEstimator::scoreboard_cycles(const Timed& t, std::uint32_t next_pc) {
  std::int64_t issue = clock_;
  for (int reg = 1; reg < 32; ++reg) {  // x0 is always ready
    if (t.sources & (1u << reg)) issue = std::max(issue, ready_[reg]);
  }
  std::int64_t cycles = (issue - clock_) + (t.row ? t.row->cycles : 1);
  if (t.row && t.row->rule == CycleRule::kPredicted) {
    // A 2-bit saturating counter per branch, starting weakly not-taken.
    const bool taken = next_pc != t.pc + t.size;
    std::uint8_t& counter = predictor_.try_emplace(t.pc, std::uint8_t{1}).first->second;
    if ((counter >= 2) != taken) cycles += core_.branch_penalty;
    counter = taken ? std::min<std::uint8_t>(3, counter + 1) : (counter > 0 ? counter - 1 : 0);
  }
  if (t.destination > 0) ready_[t.destination] = issue + (t.row ? t.row->result_latency : 1);
  clock_ += cycles;
  return cycles;
}

void CycleEstimator::charge(const Timed& t, std::int64_t cycles) {
  const TimingRow* row = t.row;
  const std::string& class_name = row ? row->instruction_class : std::string("unknown");
  estimate_.instructions += 1;
  estimate_.cycles += cycles;
  ClassTotal& by_class = estimate_.by_class[class_name];
  by_class.instructions += 1;
  by_class.cycles += cycles;
  if (region_.kind == CycleRegion::Kind::kCallOf && !estimate_.calls.empty()) {
    estimate_.calls.back().instructions += 1;
    estimate_.calls.back().cycles += cycles;
  }
  ClassTotal& by_mnemonic = estimate_.by_mnemonic[t.base];
  by_mnemonic.instructions += 1;
  by_mnemonic.cycles += cycles;
  if (!row) {
    if (t.in_disassembly) {
      estimate_.unknown_mnemonics[t.base] += 1;
    } else {
      estimate_.pcs_not_in_disassembly += 1;
    }
  }
}

// A shadow call stack: BL/BLX push their return address, reaching the top
// address pops it. A call of the region's function ends when the stack drops
// below its depth at entry, which also covers a tail call (entered by B, it
// returns to its caller's caller).
void CycleEstimator::track_calls(std::uint32_t pc) {
  if (!return_addresses_.empty() && return_addresses_.back() == pc) {
    return_addresses_.pop_back();
    if (in_call_ && return_addresses_.size() < call_depth_) in_call_ = false;
  }
  if (region_.kind == CycleRegion::Kind::kCallOf && !in_call_ && pc == region_.ranges.front().begin) {
    in_call_ = true;
    call_depth_ = return_addresses_.size();
    const std::int64_t index = calls_seen_++;
    call_counted_ =
        index >= region_.first_call && (region_.call_count < 0 || index < region_.first_call + region_.call_count);
    if (call_counted_) {
      estimate_.entries += 1;
      estimate_.calls.emplace_back();
    }
  }
}

void CycleEstimator::step(std::uint32_t pc) {
  if (pending_) {
    // The scoreboard sees every instruction (a stall may come from outside the region).
    if (core_.pipeline == Pipeline::kScoreboard) {
      const std::int64_t cycles = scoreboard_cycles(*pending_, pc);
      if (pending_counted_) charge(*pending_, cycles);
    } else if (pending_counted_) {
      charge(*pending_, cortex_m_cycles(*pending_, previous_, pc));
    }
    if (pending_->is_call) return_addresses_.push_back(pending_->pc + pending_->size);
  }
  track_calls(pc);
  bool counted = true;
  if (region_.kind == CycleRegion::Kind::kInside) {
    counted = std::any_of(region_.ranges.begin(), region_.ranges.end(),
                          [pc](const AddressRange& range) { return range.contains(pc); });
  } else if (region_.kind == CycleRegion::Kind::kCallOf) {
    counted = in_call_ && call_counted_;
  }
  previous_ = pending_;
  pending_ = &timed(pc);
  pending_counted_ = counted;
}

CycleEstimate CycleEstimator::finish() {
  // The last instruction has no successor: charged as if it fell through.
  if (pending_ && pending_counted_) {
    const std::uint32_t next = pending_->pc + pending_->size;
    charge(*pending_, core_.pipeline == Pipeline::kScoreboard ? scoreboard_cycles(*pending_, next)
                                                              : cortex_m_cycles(*pending_, previous_, next));
  }
  pending_ = nullptr;
  return estimate_;
}

std::optional<std::uint32_t> exec_log_pc(std::string_view line) {
  if (line.rfind("Trace ", 0) != 0) return std::nullopt;
  const auto open = line.find('[');
  if (open == std::string_view::npos) return std::nullopt;
  const auto slash = line.find('/', open);
  if (slash == std::string_view::npos) return std::nullopt;
  const auto end = line.find_first_of("/]", slash + 1);
  if (end == std::string_view::npos) return std::nullopt;
  std::uint32_t pc = 0;
  if (!cycles_detail::parse_hex(line.substr(slash + 1, end - slash - 1), pc)) return std::nullopt;
  return pc;
}

// QEMU logs a Trace line before it runs a block, and then may not run it:
// under -icount an instruction that touches a device is rewound and run
// again ("cpu_io_recompile: rewound execution of TB to <pc>"), and a block
// is abandoned when the instruction budget or an event stops the loop
// ("Stopped execution of TB chain before ... [<pc>]"). Either way its Trace
// line does not count.
void ExecLogReader::add_line(std::string_view line) {
  constexpr std::string_view kRewound = "cpu_io_recompile: rewound execution of TB";
  constexpr std::string_view kStopped = "Stopped execution of TB chain before";
  if (const auto pc = exec_log_pc(line)) {
    if (holding_) estimator_.step(held_);
    held_ = *pc;
    holding_ = true;
    ++traces_;
  } else if (line.rfind(kRewound, 0) == 0 || line.rfind(kStopped, 0) == 0) {
    holding_ = false;
  }
}

CycleEstimate ExecLogReader::finish() {
  if (traces_ == 0) {
    throw Error("the execution log holds no 'Trace' line (expected QEMU's -d exec,nochain output with -singlestep)");
  }
  if (holding_) estimator_.step(held_);
  holding_ = false;
  return estimator_.finish();
}

CycleEstimate estimate_cycles(std::istream& exec_log, const CoreTiming& core, const Disassembly& disassembly,
                              const CycleRegion& region) {
  CycleEstimator estimator(core, disassembly, region);
  ExecLogReader reader(estimator);
  std::string line;
  while (std::getline(exec_log, line)) reader.add_line(line);
  return reader.finish();
}

}  // namespace tinyae
